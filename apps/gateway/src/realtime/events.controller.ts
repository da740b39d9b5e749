import { applyDecorators, Controller, Get, Inject, Injectable, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import { CurrentClient } from '../auth/current-client.decorator.js';
import { V1Operation } from '../common/api.decorators.js';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { EventDto, EVENT_TYPE, eventBody, StreamNoticeDto } from './dto/event.dto.js';
import { EVENT_FIELDS, eventMatcher, parseEventFilters, visibleConnections } from './event-filters.js';
import { EventLog, type LogPosition, type StoredEvent } from './event-log.js';
import { realtimeLimits, type RealtimeLimits } from './realtime-limits.js';

/** A comment line keeps idle proxies from closing the stream and lets a client notice a dead one. */
export const HEARTBEAT_MS = 15_000;
/** Events read from the store per query while catching up: a short query, however far behind the stream is. */
const PAGE = 100;
/** How long one turn of catching-up streams may hold the event loop before requests get their turn. */
const TURN_MS = 4;

/**
 * One scheduler for every stream's catch-up work. A socket reports backpressure only once the kernel's buffer
 * (megabytes on loopback) is full, so a stream that starts far behind has thousands of frames to write before
 * it waits; streams that yielded on their own each took a slice in the same event-loop turn, and fifty of them
 * held the loop for seconds. Here all streams share one time-boxed turn, served round-robin, and other work runs
 * between turns however many streams are catching up.
 */
class CatchUp {
  private readonly ready = new Set<() => boolean>();
  private scheduled = false;

  /** `step` writes one page and says whether it has more to write at once. */
  add(step: () => boolean): void {
    this.ready.add(step);
    this.schedule();
  }

  delete(step: () => boolean): void {
    this.ready.delete(step);
  }

  private readonly turn = (): void => {
    this.scheduled = false;
    const end = performance.now() + TURN_MS;
    while (this.ready.size > 0 && performance.now() < end) {
      for (const step of [...this.ready]) {
        // Out and back in: a stream with more to write goes to the end of the line.
        this.ready.delete(step);
        if (step()) this.ready.add(step);
        if (performance.now() >= end) break;
      }
    }
    if (this.ready.size > 0) this.schedule();
  };

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.turn);
  }
}

interface Stream {
  owner: string;
  close(): void;
}

/** The SSE frame name of a notice about the stream itself (not an event). */
export const NOTICE_TYPE = 'stream.notice';

/** One SSE frame: `<store id>-<sequence>` as `id`, so `Last-Event-ID` resumes right after it, on any instance of the store. */
const frame = (storeId: string, event: StoredEvent): string => `id: ${storeId}-${event.seq}\nevent: ${EVENT_TYPE}\ndata: ${JSON.stringify(eventBody(event))}\n\n`;

/** A notice carries no `id`: the client's last event id stays that of the last event it received. */
const noticeFrame = (notice: StreamNoticeDto): string => `event: ${NOTICE_TYPE}\ndata: ${JSON.stringify(notice)}\n\n`;

/** The `Last-Event-ID` header (what EventSource sends on reconnect) or `last_event_id`. */
function resumeId(request: FastifyRequest, query: Record<string, string | string[] | undefined>): string | undefined {
  const raw = query.last_event_id ?? request.headers['last-event-id'];
  if (raw === undefined) return undefined;
  if (Array.isArray(raw)) throw GatewayError.validation([{ name: 'last_event_id', message: 'must be given once' }]);
  return raw.trim();
}

/**
 * Where a stream resumes, and what it must tell the client first. An id this store issued resumes right
 * after it (a bare sequence, as ids were before they named their store, counts as this store's). Any
 * other id (of another store, such as one before a restart on a fresh database, newer than any issued,
 * or not an id at all) must not skip events silently: the stream says so and replays every event kept.
 * An id whose successors the retention already removed resumes from the oldest kept, also with a notice.
 */
export function resumePoint(raw: string, position: LogPosition): { after: number; notice?: StreamNoticeDto } {
  const match = /^(?:([0-9a-f]{10})-)?(\d{1,15})$/.exec(raw);
  const seq = match ? Number(match[2]) : NaN;
  const ours = match !== null && (match[1] === undefined || match[1] === position.storeId) && seq <= position.last;
  const replay = (code: StreamNoticeDto['code'], message: string) => ({
    after: 0,
    notice: { object: 'stream_notice' as const, code, message, last_event_id: raw.slice(0, 100), oldest_sequence: position.oldest ?? null },
  });
  if (!ours) {
    return replay('unknown_last_event_id', 'This Last-Event-ID was not issued by this event stream (it names another store, is newer than any event, or is not an event id): every event kept is replayed, from the oldest.');
  }
  if (seq < (position.oldest ?? position.last + 1) - 1 && seq > 0) {
    return replay('events_expired', 'Events after this Last-Event-ID are no longer kept (server.event_retention_hours): the stream resumes from the oldest event kept.');
  }
  return { after: seq };
}

@Injectable()
export class EventsService implements OnModuleDestroy {
  private readonly streams = new Set<Stream>();
  private readonly perKey = new Map<string, number>();
  private readonly catchUp = new CatchUp();
  private readonly limits: RealtimeLimits;

  constructor(
    private readonly store: EventLog,
    private readonly registry: ConnectionRegistry,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.limits = realtimeLimits(config.server);
  }

  /** Validates the request, then turns the reply into an event stream that lives until the client leaves. */
  async open(client: ClientConfig, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const query = { ...((request.query ?? {}) as Record<string, string | string[] | undefined>) };
    const raw = resumeId(request, query);
    delete query.last_event_id;
    const filters = parseEventFilters(query);
    const wanted = eventMatcher(visibleConnections(this.registry, client, filters), filters);
    const position = await this.store.position();
    // Without a resume point the stream starts with what arrives from now on.
    const { after, notice } = raw === undefined ? { after: position.last, notice: undefined } : resumePoint(raw, position);
    const storeId = position.storeId;
    // Counted after the only await, so that two streams opening at once cannot both take the last place.
    const owned = this.perKey.get(client.name) ?? 0;
    if (owned >= this.limits.eventStreamsPerKey) {
      throw new GatewayError('rate_limited', `This key already has ${owned} event streams open, its limit (server.max_event_streams_per_key); close one first.`, { retryAfter: 10 });
    }
    if (this.streams.size >= this.limits.eventStreams) {
      throw new GatewayError('rate_limited', `devicegate has ${this.streams.size} event streams open, its limit (server.max_event_streams); retry later.`, { retryAfter: 10 });
    }

    // A client gone while the store was asked leaves nothing to stream to.
    if (request.raw.socket.destroyed) return;
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n: devicegate event stream, from sequence ${after}\n\n${notice ? noticeFrame(notice) : ''}`);

    // The store is the stream's only buffer: `read` moves only as far as the socket takes frames, so a
    // client that does not read holds one socket buffer, and replay and live events are one path. Pages
    // are read asynchronously and written in the shared catch-up turns.
    let page: StoredEvent[] = [];
    let read = after;
    let reading = false;
    let behind = false;
    let paused = false;
    let closed = false;
    const step = (): boolean => {
      if (paused || closed) return false;
      while (page.length > 0) {
        const event = page.shift()!;
        if (wanted(event) && !res.write(frame(storeId, event))) {
          paused = true;
          res.once('drain', resume);
          return false;
        }
      }
      fetch();
      return false;
    };
    const fetch = () => {
      if (reading || closed) return;
      reading = true;
      behind = false;
      this.store.eventsAfter(read, PAGE).then(
        (events) => {
          reading = false;
          if (closed) return;
          if (events.length > 0) {
            page = events;
            read = events[events.length - 1].seq;
            this.catchUp.add(step);
          } else if (behind) fetch();
        },
        // The client reconnects with its Last-Event-ID and resumes where it was.
        () => stream.close(),
      );
    };
    const resume = () => {
      paused = false;
      this.catchUp.add(step);
    };
    const pump = (appended: StoredEvent[]) => {
      if (closed) return;
      // A shared log may announce events a page read has already brought.
      const events = appended.filter((event) => event.seq > read);
      if (events.length === 0) return;
      // Live events that follow what was read are the next page as they are: no read of the store.
      if (!reading && !paused && page.length === 0 && events[0].seq === read + 1) {
        page = events;
        read = events[events.length - 1].seq;
        this.catchUp.add(step);
      } else if (reading) behind = true;
      else if (!paused && page.length === 0) fetch();
    };
    const heartbeat = setInterval(() => {
      if (!paused && !res.writableEnded) res.write(': heartbeat\n\n');
      // A shared Redis that restarted empty is another store, numbering from 1 again: the client reconnects and is told.
      this.store.position().then(
        (now) => now.storeId !== storeId && stream.close(),
        () => undefined,
      );
    }, HEARTBEAT_MS);
    heartbeat.unref();
    const unsubscribe = this.store.onAppend(pump);
    const stream: Stream = {
      owner: client.name,
      close: () => {
        if (closed) return;
        closed = true;
        this.catchUp.delete(step);
        clearInterval(heartbeat);
        unsubscribe();
        this.streams.delete(stream);
        const left = (this.perKey.get(stream.owner) ?? 1) - 1;
        if (left > 0) this.perKey.set(stream.owner, left);
        else this.perKey.delete(stream.owner);
        if (!res.writableEnded) res.end();
        // A client that never reads would keep a graceful end waiting: its socket goes now.
        res.destroy();
      },
    };
    this.streams.add(stream);
    this.perKey.set(client.name, owned + 1);
    request.raw.once('close', () => stream.close());
    res.once('close', () => stream.close());
    if (raw !== undefined) fetch();
  }

  /** Streams never end by themselves; shutting down ends them so the server can close. */
  onModuleDestroy(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}

const FILTER_EXAMPLES: Record<string, string> = {
  connection_id: 'sandbox-hardwario',
  provider: 'hardwario',
  device_id: 'sandbox-hardwario:018e3c67-c4b3-7538-83cb-00dddca059da',
  type: 'data',
  native_type: 'data',
  direction: 'uplink',
  created_at: '2024-04-17T11:08:27Z',
};

const OP_TEXT: Record<string, string> = { eq: 'equals', neq: 'does not equal', in: 'is one of (comma-separated)', nin: 'is none of (comma-separated)', lte: 'is at or before', gte: 'is at or after' };

/** One query parameter per filterable field and operator, as lists document them (no paging arguments). */
const ApiEventFilters = () =>
  applyDecorators(
    ...Object.entries(EVENT_FIELDS).flatMap(([field, spec]) =>
      spec.ops.map((op) =>
        ApiQuery({
          name: op === 'eq' ? field : `${field}__${op}`,
          required: false,
          description: `Only events whose message's \`${field}\` ${OP_TEXT[op]}${spec.kind === 'datetime' ? ' (RFC 3339 or `20161130T162512Z`)' : ''}.`,
          schema: { type: 'string' },
          example: FILTER_EXAMPLES[field] ?? 'value',
        }),
      ),
    ),
  );

/** What a frame's `data` holds, by its `event` name (a specification extension: OpenAPI 3.0 has no SSE schemas). */
const SSE_DATA: object = { 'x-sse-data': { [EVENT_TYPE]: { $ref: getSchemaPath(EventDto) }, [NOTICE_TYPE]: { $ref: getSchemaPath(StreamNoticeDto) } } };

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @V1Operation({
    operationId: 'streamEvents',
    summary: 'Stream events (Server-Sent Events)',
    description: `A \`text/event-stream\` of the messages vendors push to devicegate (see \`receivePush\`), of the connections this key may reach, filtered like messages. Each event is one SSE frame: \`id\` is \`<store>-<sequence>\` (the store that issued it, then the event's sequence: \`3f9a0c21d4-42\`), \`event\` is \`${EVENT_TYPE}\`, \`data\` is the Event JSON (its \`id\` is the message id, stable for de-duplication). A comment line is sent every 15 s.

Resume with \`Last-Event-ID\` (EventSource sends it when it reconnects) or \`last_event_id\`: the stream first replays every stored event after that one, then goes on live. With \`server.redis_url\` every instance shares one store, so an id resumes on any of them. A bare sequence (\`42\`, as ids were written before they named their store) counts as one of this store; \`0\` replays every event kept. Without either the stream starts with the events accepted from now on.

An id is never taken for something it is not. When the store did not issue it (it names another store, for example one before a restart on a fresh database or a Redis that lost its data; it is newer than any event; or it is not an event id), or the events after it are no longer kept (\`server.event_retention_hours\`, a week by default), the stream begins with a \`${NOTICE_TYPE}\` frame (no \`id\`, so the client's last event id is unchanged) whose \`data\` is a StreamNotice: \`code\` \`unknown_last_event_id\` or \`events_expired\`, a \`message\`, the \`last_event_id\` given and \`oldest_sequence\`; then it replays every event kept, from the oldest, and goes on live. A client that sees the notice should treat what it holds as possibly incomplete (de-duplicate the replay by the event \`id\`). An invalid \`Last-Event-ID\` is therefore never a 400. Blynk pushes nothing: a Blynk connection contributes events only in push mode \`pull\`, where devicegate samples its devices' datastream values every \`sample_interval_seconds\` and stores each changed value as a \`data\` message (\`native_type\` \`datastream\`).

A stream goes at the pace its client reads: events are read from the store in small pages as the connection takes them, never buffered for a slow client (which simply falls behind and catches up, as on a resume). Streams are limited per key (\`server.max_event_streams_per_key\`, 10 by default) and in all (\`server.max_event_streams\`, 200): one more is refused with 429 \`rate_limited\` (with \`Retry-After\`) before the stream starts; close a stream to open another.

In a browser: \`new EventSource('/v1/events?access_token=' + token)\` with a token from \`createToken\` (EventSource cannot send \`Authorization\`), then \`source.addEventListener('${EVENT_TYPE}', (e) => JSON.parse(e.data))\`. Frames are named by their event type, so \`onmessage\` (which sees only unnamed frames) does not fire; the name lets a client subscribe to the types it handles as more are added.`,
    scope: 'read',
  })
  @ApiExtraModels(EventDto, StreamNoticeDto)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The `id` of the last event received (`<store>-<sequence>`); the stream resumes after it. An id this store did not issue replays every event kept, after a `stream.notice` frame.', schema: { type: 'string' }, example: '3f9a0c21d4-42' })
  @ApiQuery({
    name: 'access_token',
    required: false,
    description: 'A token from `createToken`, for clients that cannot set headers (EventSource). Only tokens are taken here, never keys; an `Authorization` header wins. It is never logged.',
    schema: { type: 'string' },
  })
  @ApiQuery({ name: 'last_event_id', required: false, description: 'The same as the `Last-Event-ID` header, for clients that cannot set headers (`0`: every event kept).', schema: { type: 'string' }, example: '3f9a0c21d4-42' })
  @ApiEventFilters()
  @ApiOkResponse({
    description: `The event stream: \`id: <store>-<sequence>\`, \`event: ${EVENT_TYPE}\`, \`data: <Event JSON>\` frames, separated by blank lines; first, when the resume point was not usable, one \`event: ${NOTICE_TYPE}\` frame.`,
    content: {
      'text/event-stream': {
        schema: {
          type: 'string',
          description: `Each \`${EVENT_TYPE}\` frame's \`data\` is an [Event](${getSchemaPath(EventDto)}) as JSON; a \`${NOTICE_TYPE}\` frame's is a [StreamNotice](${getSchemaPath(StreamNoticeDto)}).`,
          ...SSE_DATA,
        },
        example:
          'event: stream.notice\ndata: {"object":"stream_notice","code":"unknown_last_event_id","message":"This Last-Event-ID was not issued by this event stream (it names another store, is newer than any event, or is not an event id): every event kept is replayed, from the oldest.","last_event_id":"77c0e1b2aa-913","oldest_sequence":41}\n\nid: 3f9a0c21d4-42\nevent: message.created\ndata: {"object":"event","id":"sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8","sequence":42,"type":"message.created","connection_id":"sandbox-hardwario","received_at":"2024-04-17T11:08:28.102Z","data":{"object":"message","id":"sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8"}}\n\n',
      },
    },
  })
  streamEvents(@CurrentClient() client: ClientConfig, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return this.events.open(client, request, reply);
  }
}
