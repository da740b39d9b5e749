import type { ServerResponse } from 'node:http';
import type { EmulatorRequest, EmulatorResponse } from '@devicegate/emulators/kit';
import type { DtEvent } from './disruptive.types.js';
import type { DisruptiveStore, EmittedEvent } from './disruptive.store.js';
import { isoFromMicros } from './disruptive.time.js';

/** The filters of `devices:stream` (reference §7), each empty when not given. */
export interface StreamFilters {
  projectId: string;
  deviceIds: ReadonlySet<string>;
  deviceTypes: ReadonlySet<string>;
  productNumbers: ReadonlySet<string>;
  labelFilters: ReadonlyArray<{ key: string; value?: string }>;
  eventTypes: ReadonlySet<string>;
}

/** A stream line's event: a stored one, or a keep-alive `ping` (no data, the project as its target). */
type StreamEvent = Omit<DtEvent, 'data'> & { data: DtEvent['data'] | null };

/** An open stream, so the emulator can end it with an in-stream error. */
interface OpenStream {
  fail(code: number, message: string): void;
}

/** `ping_interval` as a protobuf Duration (`10s`, `0.5s`), in ms; undefined when malformed. */
export function parsePingInterval(value: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  const ms = match ? Math.round(Number(match[1]) * 1000) : NaN;
  return Number.isFinite(ms) && ms > 0 ? ms : undefined;
}

/**
 * DT's event stream (reference §7): every event of the project that passes the filters, as
 * `{"result":{"event":…}}` lines (NDJSON), or as `data:` lines of `text/event-stream` when the client
 * asks for it; a `ping` event every `ping_interval`; `{"error":{"code","message"}}` in the stream when it
 * ends on an error (the HTTP status stays 200), for instance when the token it was opened with expires.
 * Events published while no stream is open are not replayed: DT's clients fill gaps from the history.
 */
export class EventStreams {
  private readonly open = new Set<OpenStream>();

  constructor(
    private readonly store: DisruptiveStore,
    /** Whether the `Authorization` the stream was opened with is still valid. */
    private readonly stillAuthorized: (authorization: string | undefined) => boolean,
  ) {}

  answer(req: EmulatorRequest, filters: StreamFilters, pingMs: number | undefined): EmulatorResponse {
    const sse = String(req.headers.accept ?? '').toLowerCase().includes('text/event-stream');
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    return {
      status: 200,
      headers: { 'content-type': sse ? 'text/event-stream' : 'application/json', 'cache-control': 'no-cache' },
      stream: (out) => this.hold(out, sse, authorization, filters, pingMs),
    };
  }

  /** Ends every open stream with an in-stream error (what DT sends before it closes a stream). */
  fail(code: number, message: string): number {
    const streams = [...this.open];
    for (const stream of streams) stream.fail(code, message);
    return streams.length;
  }

  private hold(out: ServerResponse, sse: boolean, authorization: string | undefined, filters: StreamFilters, pingMs: number | undefined): void {
    const write = (payload: unknown) => out.write(sse ? `data: ${JSON.stringify(payload)}\n\n` : `${JSON.stringify(payload)}\n`);
    const stream: OpenStream = {
      fail: (code, message) => {
        write({ error: { code, message } });
        out.end();
      },
    };
    const deliver = (event: StreamEvent) => {
      if (out.writableEnded || out.destroyed) return;
      if (!this.stillAuthorized(authorization)) return stream.fail(401, 'unauthenticated');
      write({ result: { event } });
    };
    const unsubscribe = this.store.onEvent((emitted) => {
      if (matches(emitted, filters)) deliver(emitted.event);
    });
    const ping = pingMs
      ? setInterval(() => {
          const timestamp = isoFromMicros(this.store.nowMicros());
          deliver({ eventId: this.store.newId(), targetName: `projects/${filters.projectId}`, eventType: 'ping', data: null, timestamp });
        }, pingMs)
      : undefined;
    this.open.add(stream);
    out.once('close', () => {
      this.open.delete(stream);
      unsubscribe();
      if (ping) clearInterval(ping);
    });
  }
}

function matches({ event, device, projectId }: EmittedEvent, filters: StreamFilters): boolean {
  if (projectId !== filters.projectId) return false;
  const deviceId = device.name.slice(device.name.lastIndexOf('/') + 1);
  if (filters.deviceIds.size && !filters.deviceIds.has(deviceId)) return false;
  if (filters.deviceTypes.size && !filters.deviceTypes.has(device.type)) return false;
  if (filters.productNumbers.size && !filters.productNumbers.has(device.productNumber)) return false;
  if (filters.eventTypes.size && !filters.eventTypes.has(event.eventType)) return false;
  // The labels the device has now (after a labelsChanged, the new ones).
  return filters.labelFilters.every((f) => f.key in device.labels && (f.value === undefined || device.labels[f.key] === f.value));
}
