import type { Redis } from 'ioredis';
import type { Message } from '@devicegate/core';
import type { Logger } from '../ops/logger.js';
import {
  DROPPED_ERROR,
  EventLog,
  newId,
  newStoreId,
  type AppendListener,
  type ClaimedDelivery,
  type DeliveryAttempt,
  type DeliveryStatus,
  type LogPosition,
  type StoredDelivery,
  type StoredEvent,
  type StoredWebhook,
  type WebhookMatcher,
} from './event-log.js';

/**
 * Keys. Events: `dg:events:log` is a stream whose entry ids are the sequence (`<seq>-0`, from the
 * counter `dg:events:seq`), so the sequence every instance shows is the stream's own order;
 * `dg:events:id:<event id>` remembers an accepted id for the retention (push de-duplication);
 * `dg:events:store` is the log's identity; `dg:events:device:<device id>` holds the sequences of one
device's events (scored by sequence), for its readings history. Webhooks: one hash of them, a sorted set per owner (creation
 * order), and per delivery a hash and a list of attempts; `due` holds pending deliveries by when they
 * are due (a claimed one: by when its lease ends), `done` finished ones by when they ended.
 */
const K = {
  store: 'dg:events:store',
  seq: 'dg:events:seq',
  log: 'dg:events:log',
  id: 'dg:events:id:',
  device: 'dg:events:device:',
  hooks: 'dg:webhooks:hooks',
  hookSeq: 'dg:webhooks:seq',
  owner: 'dg:webhooks:owner:',
  deliverySeq: 'dg:webhooks:dseq',
  delivery: 'dg:webhooks:dlv:',
  of: 'dg:webhooks:of:',
  due: 'dg:webhooks:due',
  done: 'dg:webhooks:done',
} as const;

/** Redis memory is bounded whatever the retention: the stream keeps about this many events. */
export const REDIS_MAX_EVENTS = 1_000_000;

/**
 * Stores each new message as an event and, in the same script, a delivery for every webhook the caller
 * matched (still existing), so an event and its deliveries are written together or not at all.
 * ARGV: now, maxlen, id ttl (s), max pending, dropped error, n, then per message: id, device id, event
 * JSON, k, k × (webhook id, delivery id). Answers each message's sequence, 0 for a repeat.
 */
const APPEND = `
local now = ARGV[1]
local pending = redis.call('ZCARD', '${K.due}')
local maxPending = tonumber(ARGV[4])
local out = {}
local i = 7
for m = 1, tonumber(ARGV[6]) do
  local id, device, body, k = ARGV[i], ARGV[i + 1], ARGV[i + 2], tonumber(ARGV[i + 3])
  i = i + 4
  if redis.call('SET', '${K.id}' .. id, '1', 'NX', 'EX', ARGV[3]) then
    local seq = redis.call('INCR', '${K.seq}')
    redis.call('XADD', '${K.log}', 'MAXLEN', '~', ARGV[2], seq .. '-0', 'e', body)
    redis.call('ZADD', '${K.device}' .. device, seq, seq)
    redis.call('EXPIRE', '${K.device}' .. device, ARGV[3])
    out[m] = seq
    for w = 1, k do
      local webhook, dlv = ARGV[i], ARGV[i + 1]
      if redis.call('HEXISTS', '${K.hooks}', webhook) == 1 then
        local status, nextAt, err = 'pending', now, ''
        if pending < maxPending then
          pending = pending + 1
          redis.call('ZADD', '${K.due}', now, dlv)
        else
          status, nextAt, err = 'failed', '', ARGV[5]
          redis.call('ZADD', '${K.done}', now, dlv)
        end
        redis.call('HSET', '${K.delivery}' .. dlv, 'webhook_id', webhook, 'event_seq', seq, 'event_id', id, 'event', body, 'status', status, 'attempts', 0,
          'next_attempt_at', nextAt, 'last_status', '', 'last_error', err, 'created_at', now, 'updated_at', now)
        redis.call('ZADD', '${K.of}' .. webhook, redis.call('INCR', '${K.deliverySeq}'), dlv)
      end
      i = i + 2
    end
  else
    out[m] = 0
    i = i + 2 * k
  end
end
return out
`;

const POSITION = `
redis.call('SET', '${K.store}', ARGV[1], 'NX')
local first = redis.call('XRANGE', '${K.log}', '-', '+', 'COUNT', 1)
local oldest = ''
if first[1] then oldest = first[1][1] end
return {redis.call('GET', '${K.store}'), redis.call('GET', '${K.seq}') or '0', oldest}
`;

const CREATE_WEBHOOK = `
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('HSET', '${K.hooks}', ARGV[1], ARGV[2])
redis.call('ZADD', KEYS[1], redis.call('INCR', '${K.hookSeq}'), ARGV[1])
return 1
`;

const DELETE_WEBHOOK = `
local raw = redis.call('HGET', '${K.hooks}', ARGV[1])
if not raw then return 0 end
redis.call('HDEL', '${K.hooks}', ARGV[1])
redis.call('ZREM', '${K.owner}' .. cjson.decode(raw).owner, ARGV[1])
local of = '${K.of}' .. ARGV[1]
for _, id in ipairs(redis.call('ZRANGE', of, 0, -1)) do
  redis.call('DEL', '${K.delivery}' .. id, '${K.delivery}' .. id .. ':attempts')
  redis.call('ZREM', '${K.due}', id)
  redis.call('ZREM', '${K.done}', id)
end
redis.call('DEL', of)
return 1
`;

/** Takes due deliveries by moving them to when the lease ends: ARGV now, lease end, limit. */
const CLAIM = `
local ids = redis.call('ZRANGEBYSCORE', '${K.due}', '-inf', ARGV[1], 'LIMIT', 0, ARGV[3])
for _, id in ipairs(ids) do redis.call('ZADD', '${K.due}', ARGV[2], id) end
return ids
`;

/** ARGV: id, attempt JSON, status, next attempt at, attempts, last status, last error, updated at. */
const RECORD = `
local key = '${K.delivery}' .. ARGV[1]
if redis.call('EXISTS', key) == 0 then return 0 end
redis.call('HSET', key, 'status', ARGV[3], 'attempts', ARGV[5], 'next_attempt_at', ARGV[4], 'last_status', ARGV[6], 'last_error', ARGV[7], 'updated_at', ARGV[8])
redis.call('RPUSH', key .. ':attempts', ARGV[2])
if ARGV[3] == 'pending' then
  redis.call('ZADD', '${K.due}', ARGV[4], ARGV[1])
else
  redis.call('ZREM', '${K.due}', ARGV[1])
  redis.call('ZADD', '${K.done}', ARGV[8], ARGV[1])
end
return 1
`;

/** Forgets up to ARGV[2] deliveries that ended before ARGV[1]; answers how many. */
const PRUNE_DELIVERIES = `
local ids = redis.call('ZRANGEBYSCORE', '${K.done}', '-inf', '(' .. ARGV[1], 'LIMIT', 0, ARGV[2])
for _, id in ipairs(ids) do
  local key = '${K.delivery}' .. id
  local webhook = redis.call('HGET', key, 'webhook_id')
  if webhook then redis.call('ZREM', '${K.of}' .. webhook, id) end
  redis.call('DEL', key, key .. ':attempts')
  redis.call('ZREM', '${K.done}', id)
end
return #ids
`;

interface EventEntry {
  id: string;
  connectionId: string;
  receivedAt: number;
  message: Message;
}

const seqOf = (streamId: string): number => Number(streamId.slice(0, streamId.indexOf('-')));

const toEvent = (streamId: string, fields: string[]): StoredEvent => {
  const entry = JSON.parse(fields[fields.indexOf('e') + 1]) as EventEntry;
  return { seq: seqOf(streamId), ...entry };
};

const nullable = (value: string | undefined): string | null => (value === undefined || value === '' ? null : value);
const nullableNumber = (value: string | undefined): number | null => (value === undefined || value === '' ? null : Number(value));

const toDelivery = (id: string, row: Record<string, string>): StoredDelivery => ({
  id,
  webhookId: row.webhook_id,
  eventSeq: Number(row.event_seq),
  eventId: row.event_id,
  status: row.status as DeliveryStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: nullableNumber(row.next_attempt_at),
  lastStatus: nullableNumber(row.last_status),
  lastError: nullable(row.last_error),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms).unref());

/**
 * The event log every instance on one Redis shares. Events go into one stream in one order; each
 * instance reads it with a blocking XREAD on a connection of its own and tells its listeners (event
 * streams, the webhook dispatcher), so a push accepted anywhere reaches every instance's clients.
 * Deliveries are claimed with a lease, so one instance attempts each, and the lease running out hands
 * the delivery of an instance that died to another.
 */
export class RedisEventLog extends EventLog {
  /** Retries another instance scheduled, and leases a dead one left, are noticed within this. */
  readonly pollEveryMs = 1000;
  private matcher: WebhookMatcher = () => true;
  private readonly listeners = new Set<AppendListener>();
  private reader: Redis | undefined;
  private closed = false;

  /**
   * `leaseMs` must outlast an attempt (the subscriber's timeout), so that a live instance never loses a
   * delivery it is still sending; `retentionHours` bounds how long a repeated push is recognised.
   */
  constructor(
    private readonly redis: Redis,
    private readonly log: Logger,
    private readonly options: { maxPending: number; retentionHours: number; leaseMs: number },
  ) {
    super();
  }

  setMatcher(matcher: WebhookMatcher): void {
    this.matcher = matcher;
  }

  async append(messages: readonly Message[], connectionId: string, now = Date.now()): Promise<StoredEvent[]> {
    const webhooks = await this.allWebhooks();
    const args: Array<string | number> = [now, REDIS_MAX_EVENTS, Math.ceil(this.options.retentionHours * 3600), this.options.maxPending, DROPPED_ERROR, messages.length];
    const entries: EventEntry[] = [];
    for (const raw of messages) {
      const { native: _native, ...message } = raw;
      const entry: EventEntry = { id: message.id, connectionId, receivedAt: now, message };
      entries.push(entry);
      // The sequence is not known yet; no matcher looks at it.
      const wanting = webhooks.filter((webhook) => this.matcher(webhook, { seq: 0, ...entry }));
      args.push(entry.id, message.device_id, JSON.stringify(entry), wanting.length, ...wanting.flatMap((webhook) => [webhook.id, newId('dlv')]));
    }
    const seqs = (await this.redis.eval(APPEND, 0, ...args)) as number[];
    return entries.flatMap((entry, i) => (seqs[i] > 0 ? [{ seq: seqs[i], ...entry }] : []));
  }

  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    if (!this.reader && !this.closed) void this.follow();
    return () => this.listeners.delete(listener);
  }

  /** Tells the listeners of every new entry of the stream, whichever instance added it. */
  private async follow(): Promise<void> {
    const reader = this.redis.duplicate();
    this.reader = reader;
    let last: string | undefined;
    while (!this.closed) {
      try {
        if (last === undefined) last = (await this.redis.xrevrange(K.log, '+', '-', 'COUNT', 1))[0]?.[0] ?? '0-0';
        const result = (await reader.xread('COUNT', 1000, 'BLOCK', 5000, 'STREAMS', K.log, last)) as Array<[string, Array<[string, string[]]>]> | null;
        if (!result) {
          // A Redis that restarted empty numbers from 1 again: follow it from its start.
          const newest = (await this.redis.xrevrange(K.log, '+', '-', 'COUNT', 1))[0]?.[0];
          if (newest !== undefined && seqOf(newest) < seqOf(last)) last = '0-0';
          continue;
        }
        for (const [, items] of result) {
          if (items.length === 0) continue;
          last = items[items.length - 1][0];
          const events = items.map(([id, fields]) => toEvent(id, fields));
          for (const listener of this.listeners) listener(events);
        }
      } catch (error) {
        if (this.closed) break;
        this.log.warn({ err: String(error) }, 'reading the shared event log failed; retrying in 1 s');
        await sleep(1000);
      }
    }
  }

  async eventsAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    const items = await this.redis.xrange(K.log, `${seq + 1}-0`, '+', 'COUNT', limit);
    return items.map(([id, fields]) => toEvent(id, fields));
  }

  async deviceEvents(deviceId: string, beforeSeq: number, limit: number): Promise<StoredEvent[]> {
    const key = K.device + deviceId;
    const seqs = await this.redis.zrevrangebyscore(key, `(${beforeSeq}`, '-inf', 'LIMIT', 0, limit);
    if (seqs.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const seq of seqs) pipeline.xrange(K.log, `${seq}-0`, `${seq}-0`);
    const found = ((await pipeline.exec()) ?? []).map(([, items]) => (items as Array<[string, string[]]> | null)?.[0]);
    const events: StoredEvent[] = [];
    for (const [i, item] of found.entries()) {
      if (item) {
        events.push(toEvent(item[0], item[1]));
        continue;
      }
      // The log trims from its oldest end: this event and every older one of the device are gone.
      await this.redis.zremrangebyscore(key, '-inf', seqs[i]);
      break;
    }
    return events;
  }

  async position(): Promise<LogPosition> {
    const [storeId, last, oldest] = (await this.redis.eval(POSITION, 0, newStoreId())) as [string, string, string];
    return { storeId, last: Number(last), oldest: oldest === '' ? undefined : seqOf(oldest) };
  }

  async createWebhook(webhook: StoredWebhook, maxPerOwner: number): Promise<boolean> {
    return (await this.redis.eval(CREATE_WEBHOOK, 1, K.owner + webhook.owner, webhook.id, JSON.stringify(webhook), maxPerOwner)) === 1;
  }

  async webhook(id: string): Promise<StoredWebhook | undefined> {
    const raw = await this.redis.hget(K.hooks, id);
    return raw ? (JSON.parse(raw) as StoredWebhook) : undefined;
  }

  private async allWebhooks(): Promise<StoredWebhook[]> {
    return (await this.redis.hvals(K.hooks)).map((raw) => JSON.parse(raw) as StoredWebhook);
  }

  async listWebhooks(owner: string, after: string | null, limit: number): Promise<StoredWebhook[]> {
    let from = '-inf';
    if (after !== null) {
      const score = await this.redis.zscore(K.owner + owner, after);
      if (score === null) return [];
      from = `(${score}`;
    }
    const ids = await this.redis.zrangebyscore(K.owner + owner, from, '+inf', 'LIMIT', 0, limit);
    if (ids.length === 0) return [];
    return (await this.redis.hmget(K.hooks, ...ids)).flatMap((raw) => (raw ? [JSON.parse(raw) as StoredWebhook] : []));
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return (await this.redis.eval(DELETE_WEBHOOK, 0, id)) === 1;
  }

  async listDeliveries(webhookId: string, after: string | null, limit: number): Promise<StoredDelivery[]> {
    let below = '+inf';
    if (after !== null) {
      const score = await this.redis.zscore(K.of + webhookId, after);
      if (score === null) return [];
      below = `(${score}`;
    }
    const ids = await this.redis.zrevrangebyscore(K.of + webhookId, below, '-inf', 'LIMIT', 0, limit);
    return (await this.deliveries(ids)).map(({ delivery }) => delivery);
  }

  private async deliveries(ids: string[]): Promise<Array<{ delivery: StoredDelivery; event: string }>> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(K.delivery + id);
    const rows = (await pipeline.exec()) ?? [];
    return ids.flatMap((id, i) => {
      const row = rows[i]?.[1] as Record<string, string> | undefined;
      return row && row.webhook_id !== undefined ? [{ delivery: toDelivery(id, row), event: row.event }] : [];
    });
  }

  async hasDelivery(webhookId: string, id: string): Promise<boolean> {
    return (await this.redis.zscore(K.of + webhookId, id)) !== null;
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return (await this.redis.lrange(`${K.delivery}${deliveryId}:attempts`, 0, -1)).map((raw) => JSON.parse(raw) as DeliveryAttempt);
  }

  async claimDue(now: number, limit: number, inFlight: ReadonlySet<string>): Promise<ClaimedDelivery[]> {
    if (limit <= 0) return [];
    const ids = ((await this.redis.eval(CLAIM, 0, now, now + this.options.leaseMs, limit)) as string[]).filter((id) => !inFlight.has(id));
    const found = await this.deliveries(ids);
    const claimed: ClaimedDelivery[] = [];
    for (const { delivery, event } of found) {
      const webhook = await this.webhook(delivery.webhookId);
      if (webhook) claimed.push({ delivery, webhook, event: { seq: delivery.eventSeq, ...(JSON.parse(event) as EventEntry) } });
    }
    // A delivery whose webhook went with it leaves nothing to attempt.
    const gone = ids.filter((id) => !claimed.some((c) => c.delivery.id === id));
    if (gone.length > 0) await this.redis.zrem(K.due, ...gone);
    return claimed;
  }

  async nextDueAt(): Promise<number | undefined> {
    const [, score] = await this.redis.zrange(K.due, '0', '0', 'WITHSCORES');
    return score === undefined ? undefined : Number(score);
  }

  async recordAttempt(delivery: StoredDelivery, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null }): Promise<void> {
    await this.redis.eval(
      RECORD,
      0,
      delivery.id,
      JSON.stringify(attempt),
      next.status,
      next.nextAttemptAt ?? '',
      attempt.attempt,
      attempt.status ?? '',
      attempt.error ?? '',
      attempt.at,
    );
  }

  async prune(before: number): Promise<{ events: number; deliveries: number }> {
    // Entries are in the order they were accepted: the first one young enough is where the log starts.
    let keepFrom: string | undefined;
    let start = '-';
    while (keepFrom === undefined) {
      const items = await this.redis.xrange(K.log, start, '+', 'COUNT', 500);
      if (items.length === 0) break;
      const young = items.find(([, fields]) => (JSON.parse(fields[fields.indexOf('e') + 1]) as EventEntry).receivedAt >= before);
      if (young) keepFrom = young[0];
      else start = `${seqOf(items[items.length - 1][0]) + 1}-0`;
    }
    const events = await this.redis.xtrim(K.log, 'MINID', keepFrom ?? start);
    await this.pruneDeviceIndexes();
    let deliveries = 0;
    let removed: number;
    do {
      removed = (await this.redis.eval(PRUNE_DELIVERIES, 0, before, 500)) as number;
      deliveries += removed;
    } while (removed === 500);
    return { events, deliveries };
  }

  /** Drops from every device's index the sequences the log no longer keeps (pruned, or trimmed past its length). */
  private async pruneDeviceIndexes(): Promise<void> {
    const oldest = (await this.redis.xrange(K.log, '-', '+', 'COUNT', 1))[0]?.[0];
    const below = oldest === undefined ? '+inf' : `(${seqOf(oldest)}`;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${K.device}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length === 0) continue;
      const pipeline = this.redis.pipeline();
      for (const key of keys) pipeline.zremrangebyscore(key, '-inf', below);
      await pipeline.exec();
    } while (cursor !== '0');
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reader?.disconnect();
  }
}
