import { applyDecorators, Controller, Get, Inject, Injectable, Req, Res, type OnModuleDestroy } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiQuery, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { GatewayError } from '@devicegate/errors';
import { CurrentClient } from '../auth/current-client.decorator.js';
import { V1Operation } from '../common/api.decorators.js';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { ConnectionRegistry } from '../connections/connection-registry.js';
import { EventDto, EVENT_TYPE, eventBody } from './dto/event.dto.js';
import { EVENT_FIELDS, eventMatcher, parseEventFilters, visibleConnections } from './event-filters.js';
import { EventStore, type StoredEvent } from './event-store.js';
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

/** One SSE frame: the sequence as `id`, so `Last-Event-ID` resumes right after it. */
const frame = (event: StoredEvent): string => `id: ${event.seq}\nevent: ${EVENT_TYPE}\ndata: ${JSON.stringify(eventBody(event))}\n\n`;

/** Where a stream resumes: the `Last-Event-ID` header (what EventSource sends on reconnect) or `last_event_id`. */
function resumeFrom(request: FastifyRequest, query: Record<string, string | string[] | undefined>): number | undefined {
  const header = request.headers['last-event-id'];
  const raw = query.last_event_id ?? header;
  if (raw === undefined) return undefined;
  const name = query.last_event_id !== undefined ? 'last_event_id' : 'Last-Event-ID';
  if (Array.isArray(raw) || !/^\d{1,15}$/.test(raw.trim())) throw GatewayError.validation([{ name, message: 'must be the id (a sequence number) of an event of this stream' }]);
  return Number(raw.trim());
}

@Injectable()
export class EventsService implements OnModuleDestroy {
  private readonly streams = new Set<Stream>();
  private readonly perKey = new Map<string, number>();
  private readonly catchUp = new CatchUp();
  private readonly limits: RealtimeLimits;

  constructor(
    private readonly store: EventStore,
    private readonly registry: ConnectionRegistry,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.limits = realtimeLimits(config.server);
  }

  /** Validates the request, then turns the reply into an event stream that lives until the client leaves. */
  open(client: ClientConfig, request: FastifyRequest, reply: FastifyReply): void {
    const query = { ...((request.query ?? {}) as Record<string, string | string[] | undefined>) };
    const from = resumeFrom(request, query);
    delete query.last_event_id;
    const filters = parseEventFilters(query);
    const wanted = eventMatcher(visibleConnections(this.registry, client, filters), filters);
    const owned = this.perKey.get(client.name) ?? 0;
    if (owned >= this.limits.eventStreamsPerKey) {
      throw new GatewayError('rate_limited', `This key already has ${owned} event streams open, its limit (server.max_event_streams_per_key); close one first.`, { retryAfter: 10 });
    }
    if (this.streams.size >= this.limits.eventStreams) {
      throw new GatewayError('rate_limited', `devicegate has ${this.streams.size} event streams open, its limit (server.max_event_streams); retry later.`, { retryAfter: 10 });
    }
    // Without a resume point the stream starts with what arrives from now on.
    let cursor = from ?? this.store.lastSeq();

    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      ...(reply.getHeaders() as Record<string, string>),
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write(`retry: 1000\n: devicegate event stream, from sequence ${cursor}\n\n`);

    // The store is the stream's only buffer: the cursor moves only as far as the socket takes frames, so a
    // client that does not read holds one socket buffer, and replay and live events are one path.
    let paused = false;
    let closed = false;
    const step = (): boolean => {
      if (paused || closed) return false;
      const page = this.store.eventsAfter(cursor, PAGE);
      for (const event of page) {
        cursor = event.seq;
        if (wanted(event) && !res.write(frame(event))) {
          paused = true;
          res.once('drain', resume);
          return false;
        }
      }
      return page.length === PAGE;
    };
    const resume = () => {
      paused = false;
      this.catchUp.add(step);
    };
    const pump = () => {
      if (!paused && !closed) this.catchUp.add(step);
    };
    const heartbeat = setInterval(() => {
      if (!paused && !res.writableEnded) res.write(': heartbeat\n\n');
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
    if (from !== undefined) pump();
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

@ApiTags('events')
@Controller('v1/events')
export class EventsController {
  constructor(private readonly events: EventsService) {}

  @Get()
  @V1Operation({
    operationId: 'streamEvents',
    summary: 'Stream events (Server-Sent Events)',
    description: `A \`text/event-stream\` of the messages vendors push to devicegate (see \`receivePush\`), of the connections this key may reach, filtered like messages. Each event is one SSE frame: \`id\` is the event's sequence number, \`event\` is \`${EVENT_TYPE}\`, \`data\` is the Event JSON (its \`id\` is the message id, stable for de-duplication). A comment line is sent every 15 s.

Resume with \`Last-Event-ID\` (EventSource sends it when it reconnects) or \`last_event_id\`: the stream first replays every stored event after that sequence, then goes on live. Events are stored for \`server.event_retention_hours\` (a week by default); an older \`Last-Event-ID\` replays from the oldest event still stored. Without one it starts with the events accepted from now on. Providers without push (Blynk) contribute no events; devicegate does not poll for them.

A stream goes at the pace its client reads: events are read from the store in small pages as the connection takes them, never buffered for a slow client (which simply falls behind and catches up, as on a resume). Streams are limited per key (\`server.max_event_streams_per_key\`, 10 by default) and in all (\`server.max_event_streams\`, 200): one more is refused with 429 \`rate_limited\` (with \`Retry-After\`) before the stream starts; close a stream to open another.

In a browser: \`new EventSource('/v1/events?access_token=' + token)\` with a token from \`createToken\` (EventSource cannot send \`Authorization\`), then \`source.addEventListener('${EVENT_TYPE}', (e) => JSON.parse(e.data))\`. Frames are named by their event type, so \`onmessage\` (which sees only unnamed frames) does not fire; the name lets a client subscribe to the types it handles as more are added.`,
    scope: 'read',
  })
  @ApiExtraModels(EventDto)
  @ApiHeader({ name: 'Last-Event-ID', required: false, description: 'The `id` (sequence) of the last event received; the stream resumes after it.', schema: { type: 'string' }, example: '42' })
  @ApiQuery({
    name: 'access_token',
    required: false,
    description: 'A token from `createToken`, for clients that cannot set headers (EventSource). Only tokens are taken here, never keys; an `Authorization` header wins. It is never logged.',
    schema: { type: 'string' },
  })
  @ApiQuery({ name: 'last_event_id', required: false, description: 'The same as the `Last-Event-ID` header, for clients that cannot set headers.', schema: { type: 'integer', minimum: 0 }, example: 42 })
  @ApiEventFilters()
  @ApiOkResponse({
    description: 'The event stream: `id: <sequence>`, `event: message.created`, `data: <Event JSON>` frames, separated by blank lines.',
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: `Each frame's \`data\` is an [Event](${getSchemaPath(EventDto)}) as JSON.` },
        example:
          'id: 42\nevent: message.created\ndata: {"object":"event","id":"sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8","sequence":42,"type":"message.created","connection_id":"sandbox-hardwario","received_at":"2024-04-17T11:08:28.102Z","data":{"object":"message","id":"sandbox-hardwario:018eebbe-678d-7c60-b4ef-d141f48378e8"}}\n\n',
      },
    },
  })
  streamEvents(@CurrentClient() client: ClientConfig, @Req() request: FastifyRequest, @Res() reply: FastifyReply): void {
    this.events.open(client, request, reply);
  }
}
