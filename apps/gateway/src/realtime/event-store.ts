import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import type { Filter, Message } from '@devicegate/core';
import {
  DROPPED_ERROR,
  newId,
  newStoreId,
  type AppendListener,
  type DeliveryAttempt,
  type DeliveryStatus,
  type StoredDelivery,
  type StoredEvent,
  type StoredWebhook,
  type WebhookMatcher,
} from './event-log.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  connection_id TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  message TEXT NOT NULL
);
-- A device's events, newest first, without a column of their own (databases of earlier versions get it too).
CREATE INDEX IF NOT EXISTS events_of_device ON events (json_extract(message, '$.device_id'), seq);
CREATE TABLE IF NOT EXISTS webhooks (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  owner TEXT NOT NULL,
  url TEXT NOT NULL,
  description TEXT,
  secret TEXT NOT NULL,
  filter_params TEXT NOT NULL,
  filters TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  webhook_id TEXT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_seq INTEGER NOT NULL REFERENCES events(seq),
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  UNIQUE (webhook_id, event_seq)
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (status, next_attempt_at);
CREATE INDEX IF NOT EXISTS deliveries_of_webhook ON deliveries (webhook_id, seq);
CREATE TABLE IF NOT EXISTS delivery_attempts (
  delivery_id TEXT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  status INTEGER,
  error TEXT,
  duration_ms REAL NOT NULL,
  PRIMARY KEY (delivery_id, attempt)
);
`;

interface EventRow {
  seq: number;
  id: string;
  connection_id: string;
  received_at: number;
  message: string;
}

interface WebhookRow {
  id: string;
  owner: string;
  url: string;
  description: string | null;
  secret: string;
  filter_params: string;
  filters: string;
  created_at: number;
}

interface DeliveryRow {
  id: string;
  webhook_id: string;
  event_seq: number;
  event_id: string;
  status: DeliveryStatus;
  attempts: number;
  next_attempt_at: number | null;
  last_status: number | null;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

const toEvent = (row: EventRow): StoredEvent => ({ seq: row.seq, id: row.id, connectionId: row.connection_id, receivedAt: row.received_at, message: JSON.parse(row.message) as Message });

const toWebhook = (row: WebhookRow): StoredWebhook => ({
  id: row.id,
  owner: row.owner,
  url: row.url,
  description: row.description,
  secret: row.secret,
  filterParams: JSON.parse(row.filter_params) as Record<string, string>,
  filters: JSON.parse(row.filters) as Filter[],
  createdAt: row.created_at,
});

const toDelivery = (row: DeliveryRow): StoredDelivery => ({
  id: row.id,
  webhookId: row.webhook_id,
  eventSeq: row.event_seq,
  eventId: row.event_id,
  status: row.status,
  attempts: row.attempts,
  nextAttemptAt: row.next_attempt_at,
  lastStatus: row.last_status,
  lastError: row.last_error,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const DELIVERY_COLUMNS = 'd.id, d.webhook_id, d.event_seq, e.id AS event_id, d.status, d.attempts, d.next_attempt_at, d.last_status, d.last_error, d.created_at, d.updated_at';

/**
 * The durable side of real-time delivery: accepted events, webhook subscriptions and the deliveries
 * still owed to them, in one SQLite database (WAL, synchronous writes). An event and the deliveries it
 * causes are written in one transaction, so a crash leaves either both or neither.
 */
export class EventStore {
  readonly db: Database.Database;
  readonly location: string;
  /** Made once with the database: part of every event id it issues, so ids of another database are told apart. */
  readonly storeId: string;
  private readonly listeners = new Set<AppendListener>();
  private readonly dropListeners = new Set<(count: number) => void>();
  private readonly matcher: { current: WebhookMatcher };

  /**
   * `maxPending` bounds the deliveries waiting to be sent: past it, a delivery an event causes is stored
   * already `failed` with `DROPPED_ERROR`, visible in the webhook's deliveries, and the event stays on
   * the stream for a replay, so nothing is lost silently and a flood cannot grow the queue without end.
   */
  constructor(
    dataDir: string | undefined,
    matcher: WebhookMatcher = () => true,
    private readonly maxPending = Number.MAX_SAFE_INTEGER,
  ) {
    if (!dataDir || dataDir === ':memory:') {
      this.location = ':memory:';
    } else {
      const dir = resolve(dataDir);
      mkdirSync(dir, { recursive: true });
      this.location = join(dir, 'devicegate.db');
    }
    this.db = new Database(this.location);
    this.db.pragma('journal_mode = WAL');
    // FULL: a push answered 2xx survives a power cut, not just a crash of the process.
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.db.exec(SCHEMA);
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', ?)").run(newStoreId());
    this.storeId = (this.db.prepare("SELECT value FROM meta WHERE key = 'store_id'").get() as { value: string }).value;
    this.matcher = { current: matcher };
  }

  /** Sets who decides which webhooks want an event (the gateway's filter and key scoping). */
  setMatcher(matcher: WebhookMatcher): void {
    this.matcher.current = matcher;
  }

  /** Told about every batch of newly stored events, after its transaction committed. */
  onAppend(listener: AppendListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Stores messages as events, skipping ids already stored, and queues a delivery for every webhook that
   * wants each new one. Returns the new events (none when every message was a repeat).
   */
  append(messages: readonly Message[], connectionId: string, now = Date.now()): StoredEvent[] {
    // Looked up first: an insert that conflicts would still use up a sequence number.
    const exists = this.db.prepare<[string]>('SELECT 1 FROM events WHERE id = ?');
    const insert = this.db.prepare<[string, string, number, string]>('INSERT INTO events (id, connection_id, received_at, message) VALUES (?, ?, ?, ?)');
    const queue = this.db.prepare<[string, string, number, number, number, number]>(
      "INSERT INTO deliveries (id, webhook_id, event_seq, status, attempts, next_attempt_at, created_at, updated_at) VALUES (?, ?, ?, 'pending', 0, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    const drop = this.db.prepare<[string, string, number, string, number, number]>(
      "INSERT INTO deliveries (id, webhook_id, event_seq, status, attempts, next_attempt_at, last_error, created_at, updated_at) VALUES (?, ?, ?, 'failed', 0, NULL, ?, ?, ?) ON CONFLICT DO NOTHING",
    );
    let dropped = 0;
    const run = this.db.transaction(() => {
      const added: StoredEvent[] = [];
      const webhooks = this.listAllWebhooks();
      let pending = webhooks.length > 0 ? this.pendingDeliveries() : 0;
      for (const raw of messages) {
        const { native: _native, ...message } = raw;
        if (exists.get(message.id) !== undefined) continue;
        const result = insert.run(message.id, connectionId, now, JSON.stringify(message));
        const event: StoredEvent = { seq: Number(result.lastInsertRowid), id: message.id, connectionId, receivedAt: now, message };
        added.push(event);
        for (const webhook of webhooks) {
          if (!this.matcher.current(webhook, event)) continue;
          if (pending < this.maxPending) {
            pending += queue.run(newId('dlv'), webhook.id, event.seq, now, now, now).changes;
          } else {
            dropped += drop.run(newId('dlv'), webhook.id, event.seq, DROPPED_ERROR, now, now).changes;
          }
        }
      }
      return added;
    });
    const added = run();
    if (dropped > 0) for (const listener of this.dropListeners) listener(dropped);
    if (added.length > 0) for (const listener of this.listeners) listener(added);
    return added;
  }

  /** Told how many deliveries an append stored as dropped because the queue was full. */
  onDrop(listener: (count: number) => void): () => void {
    this.dropListeners.add(listener);
    return () => this.dropListeners.delete(listener);
  }

  /** Deliveries waiting to be sent, all webhooks together. */
  pendingDeliveries(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM deliveries WHERE status = 'pending'").get() as { n: number }).n;
  }

  countWebhooks(owner: string): number {
    return (this.db.prepare('SELECT COUNT(*) AS n FROM webhooks WHERE owner = ?').get(owner) as { n: number }).n;
  }

  /** Events after `seq`, oldest first. */
  eventsAfter(seq: number, limit: number): StoredEvent[] {
    return (this.db.prepare('SELECT * FROM events WHERE seq > ? ORDER BY seq LIMIT ?').all(seq, limit) as EventRow[]).map(toEvent);
  }

  /** The events of one device below sequence `beforeSeq`, newest first. */
  deviceEvents(deviceId: string, beforeSeq: number, limit: number): StoredEvent[] {
    const rows = this.db.prepare("SELECT * FROM events WHERE json_extract(message, '$.device_id') = ? AND seq < ? ORDER BY seq DESC LIMIT ?").all(deviceId, beforeSeq, limit) as EventRow[];
    return rows.map(toEvent);
  }

  event(id: string): StoredEvent | undefined {
    const row = this.db.prepare('SELECT * FROM events WHERE id = ?').get(id) as EventRow | undefined;
    return row ? toEvent(row) : undefined;
  }

  eventBySeq(seq: number): StoredEvent | undefined {
    const row = this.db.prepare('SELECT * FROM events WHERE seq = ?').get(seq) as EventRow | undefined;
    return row ? toEvent(row) : undefined;
  }

  /** The sequence of the newest event ever stored (0 when there was none), pruned or not. */
  lastSeq(): number {
    const row = this.db.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'events'").get() as { seq: number } | undefined;
    return row?.seq ?? 0;
  }

  /** The sequence of the oldest event kept, or undefined when none is. */
  oldestSeq(): number | undefined {
    const row = this.db.prepare('SELECT MIN(seq) AS seq FROM events').get() as { seq: number | null };
    return row.seq ?? undefined;
  }

  /**
   * Forgets events received before `before` (epoch ms), with their settled deliveries and the attempts
   * of those. An event with a delivery still pending is kept until that delivery ends. Answers how many
   * events and deliveries went.
   */
  prune(before: number): { events: number; deliveries: number } {
    return this.db.transaction(() => {
      const deliveries = this.db
        .prepare(
          "DELETE FROM deliveries WHERE event_seq IN (SELECT seq FROM events WHERE received_at < ?) AND event_seq NOT IN (SELECT event_seq FROM deliveries WHERE status = 'pending')",
        )
        .run(before).changes;
      const events = this.db.prepare('DELETE FROM events WHERE received_at < ? AND seq NOT IN (SELECT event_seq FROM deliveries)').run(before).changes;
      return { events, deliveries };
    })();
  }

  createWebhook(webhook: StoredWebhook): void {
    this.db
      .prepare('INSERT INTO webhooks (id, owner, url, description, secret, filter_params, filters, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(webhook.id, webhook.owner, webhook.url, webhook.description, webhook.secret, JSON.stringify(webhook.filterParams), JSON.stringify(webhook.filters), webhook.createdAt);
  }

  webhook(id: string): StoredWebhook | undefined {
    const row = this.db.prepare('SELECT * FROM webhooks WHERE id = ?').get(id) as WebhookRow | undefined;
    return row ? toWebhook(row) : undefined;
  }

  /** The webhooks of one owner, oldest first, after the one with id `after`. */
  listWebhooks(owner: string, after: string | null, limit: number): StoredWebhook[] {
    const from = after ? ((this.db.prepare('SELECT seq FROM webhooks WHERE id = ?').get(after) as { seq: number } | undefined)?.seq ?? -1) : 0;
    if (from < 0) return [];
    return (this.db.prepare('SELECT * FROM webhooks WHERE owner = ? AND seq > ? ORDER BY seq LIMIT ?').all(owner, from, limit) as WebhookRow[]).map(toWebhook);
  }

  listAllWebhooks(): StoredWebhook[] {
    return (this.db.prepare('SELECT * FROM webhooks ORDER BY seq').all() as WebhookRow[]).map(toWebhook);
  }

  /** Removes a webhook with its deliveries, pending ones included. */
  deleteWebhook(id: string): boolean {
    return this.db.prepare('DELETE FROM webhooks WHERE id = ?').run(id).changes > 0;
  }

  delivery(id: string): StoredDelivery | undefined {
    const row = this.db.prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.id = ?`).get(id) as DeliveryRow | undefined;
    return row ? toDelivery(row) : undefined;
  }

  /** Deliveries of a webhook, newest first, after the one with id `after`. */
  listDeliveries(webhookId: string, after: string | null, limit: number): StoredDelivery[] {
    let below = Number.MAX_SAFE_INTEGER;
    if (after) {
      const found = this.db.prepare('SELECT seq FROM deliveries WHERE id = ? AND webhook_id = ?').get(after, webhookId) as { seq: number } | undefined;
      if (!found) return [];
      below = found.seq;
    }
    return (
      this.db
        .prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.webhook_id = ? AND d.seq < ? ORDER BY d.seq DESC LIMIT ?`)
        .all(webhookId, below, limit) as DeliveryRow[]
    ).map(toDelivery);
  }

  hasDelivery(webhookId: string, id: string): boolean {
    return this.db.prepare('SELECT 1 FROM deliveries WHERE id = ? AND webhook_id = ?').get(id, webhookId) !== undefined;
  }

  /** Pending deliveries whose next attempt is due, soonest first. */
  dueDeliveries(now: number, limit: number, skip: ReadonlySet<string>): StoredDelivery[] {
    const rows = this.db
      .prepare(`SELECT ${DELIVERY_COLUMNS} FROM deliveries d JOIN events e ON e.seq = d.event_seq WHERE d.status = 'pending' AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.seq LIMIT ?`)
      .all(now, limit + skip.size) as DeliveryRow[];
    return rows.filter((row) => !skip.has(row.id)).slice(0, limit).map(toDelivery);
  }

  /** When the next pending delivery is due, or undefined when none is pending. */
  nextDueAt(): number | undefined {
    const row = this.db.prepare("SELECT MIN(next_attempt_at) AS at FROM deliveries WHERE status = 'pending'").get() as { at: number | null };
    return row.at ?? undefined;
  }

  /** Records one attempt and the delivery's new state, together. */
  recordAttempt(delivery: StoredDelivery, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null }): void {
    this.db.transaction(() => {
      const changed = this.db
        .prepare('UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, last_status = ?, last_error = ?, updated_at = ? WHERE id = ?')
        .run(next.status, attempt.attempt, next.nextAttemptAt, attempt.status, attempt.error, attempt.at, delivery.id).changes;
      // The webhook may have been deleted while the attempt was on its way.
      if (changed > 0) {
        this.db
          .prepare('INSERT OR REPLACE INTO delivery_attempts (delivery_id, attempt, at, status, error, duration_ms) VALUES (?, ?, ?, ?, ?, ?)')
          .run(delivery.id, attempt.attempt, attempt.at, attempt.status, attempt.error, attempt.durationMs);
      }
    })();
  }

  attempts(deliveryId: string): DeliveryAttempt[] {
    return (
      this.db.prepare('SELECT attempt, at, status, error, duration_ms FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt').all(deliveryId) as Array<{
        attempt: number;
        at: number;
        status: number | null;
        error: string | null;
        duration_ms: number;
      }>
    ).map((row) => ({ attempt: row.attempt, at: row.at, status: row.status, error: row.error, durationMs: row.duration_ms }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
