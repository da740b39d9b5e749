import { isObject, type CallContext, type PullSession, type PullSource } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import type { HttpStream } from '@devicegate/http-client';
import type { DisruptiveClient } from './disruptive.client.js';
import type { ErrorAttribution } from './disruptive.errors.js';
import { parseDeviceName } from './disruptive.mapper.js';
import type { DtDevice, DtEvent } from './disruptive.types.js';

/** Keep-alive asked of DT, and the silence after which a stream is taken for dead (DT's python client: 10 s + 2 s). */
const PING_SECONDS = 10;
const IDLE_MS = (PING_SECONDS + 5) * 1000;
/**
 * How far before the last moment a stream was known alive a gap is read from the history: an event is
 * listed by its `timestamp`, which the cloud may set a little before the stream carried it.
 */
const GAP_MARGIN_MS = 60_000;
const PAGE = 1000;

/**
 * DT's `GET /projects/{project}/devices:stream` (reference §7), one per project of the connection, held
 * together: when one ends, all are opened again. DT does not replay what a stream missed, so after a
 * reconnect the history (`/events`, §5.9) is read from shortly before the last event or ping any stream
 * saw, for the devices whose `reported` state moved since (one device list per project, then one history
 * read per such device); what both deliver is de-duplicated downstream by event id. Until that read is
 * done the holder's resume point stays where it was, so a failed read is repeated by the next holding.
 */
export class DisruptiveStream implements PullSource {
  readonly description = "`GET /projects/{project}/devices:stream` of each project (NDJSON, `ping_interval=10s`); after a reconnect the gap is read from each device's event history.";

  constructor(
    private readonly client: DisruptiveClient,
    private readonly projectIds: (ctx: CallContext) => Promise<string[]>,
    private readonly who: ErrorAttribution,
  ) {}

  async hold(session: PullSession, ctx: CallContext): Promise<void> {
    const projects = await this.projectIds(ctx);
    if (projects.length === 0) throw new GatewayError('upstream_error', 'The account sees no project to stream.', this.who);
    const streams: HttpStream[] = [];
    const closeAll = () => streams.forEach((stream) => stream.close());
    session.signal.addEventListener('abort', closeAll, { once: true });
    // Stopped before the listener was in place: open nothing (a stream opened now would never hear the stop).
    if (session.signal.aborted) return session.signal.removeEventListener('abort', closeAll);
    try {
      for (const project of projects) streams.push(await this.client.openStream(project, PING_SECONDS, IDLE_MS, ctx));
      session.opened();
      // The resume point moves only once the gap is filled; till then the latest time seen waits here.
      let gapFilled = session.resumeFrom === undefined;
      let latest = -Infinity;
      const seen = (timestamp: string) => {
        const at = Date.parse(timestamp);
        if (!Number.isFinite(at)) return;
        latest = Math.max(latest, at);
        if (gapFilled) session.seen(latest);
      };
      const reads = streams.map((stream) => this.read(stream, session, seen));
      const fill =
        session.resumeFrom === undefined
          ? new Promise<void>(() => undefined)
          : this.fillGap(projects, session.resumeFrom - GAP_MARGIN_MS, session, seen, ctx).then(() => {
              gapFilled = true;
              if (latest > -Infinity) session.seen(latest);
              return new Promise<void>(() => undefined);
            });
      await Promise.race([...reads, fill]);
    } finally {
      session.signal.removeEventListener('abort', closeAll);
      closeAll();
    }
  }

  /** One stream's lines until it ends: events are delivered, pings only move the clock; an in-stream error ends it. */
  private async read(stream: HttpStream, session: PullSession, seen: (timestamp: string) => void): Promise<void> {
    for await (const raw of stream.lines()) {
      // Server-sent events carry the same JSON after `data: ` (reference §7); blank lines separate them.
      const line = raw.startsWith('data:') ? raw.slice(5).trim() : raw.trim();
      if (line.length === 0) continue;
      let payload: unknown;
      try {
        payload = JSON.parse(line);
      } catch {
        throw new GatewayError('upstream_error', 'The vendor stream sent a line that is not JSON.', this.who);
      }
      if (isObject(payload) && isObject(payload.error)) {
        const code = Number(payload.error.code);
        throw new GatewayError(code === 429 ? 'upstream_rate_limited' : 'upstream_unavailable', `The vendor ended the stream with error ${Number.isFinite(code) ? code : 'unknown'}.`, { ...this.who, upstreamStatus: Number.isFinite(code) ? code : undefined });
      }
      const event = isObject(payload) && isObject(payload.result) && isObject(payload.result.event) ? (payload.result.event as unknown as DtEvent) : undefined;
      if (!event) continue;
      if (event.eventType !== 'ping') session.deliver({ event });
      if (typeof event.timestamp === 'string') seen(event.timestamp);
    }
  }

  /** Reads what the streams may have missed since `from` (epoch ms) from the history, oldest first per device. */
  private async fillGap(projects: string[], from: number, session: PullSession, seen: (timestamp: string) => void, ctx: CallContext): Promise<void> {
    const start = new Date(from).toISOString();
    for (const project of projects) {
      let token: string | undefined;
      do {
        const page = await this.client.listDevices(project, { page_size: PAGE, page_token: token }, ctx);
        for (const device of page?.devices ?? []) {
          const ref = parseDeviceName(device.name);
          if (!ref || !movedSince(device, from)) continue;
          let eventsToken: string | undefined;
          do {
            const events = await this.client.listEvents(ref.projectId, ref.deviceId, { start_time: start, page_size: PAGE, page_token: eventsToken }, ctx);
            for (const event of events?.events ?? []) {
              session.deliver({ event });
              if (typeof event.timestamp === 'string') seen(event.timestamp);
            }
            eventsToken = events?.nextPageToken || undefined;
          } while (eventsToken && !session.signal.aborted);
        }
        token = page?.nextPageToken || undefined;
      } while (token && !session.signal.aborted);
    }
  }
}

/** Whether any of the device's latest values is from `from` or later (an event since then would have moved it). */
function movedSince(device: DtDevice, from: number): boolean {
  const reported = device.reported;
  if (!reported) return false;
  return Object.values(reported).some((entry) => isObject(entry) && typeof entry.updateTime === 'string' && Date.parse(entry.updateTime) >= from);
}
