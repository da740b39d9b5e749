import type { CallContext, PullSession, PullSource } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { openVendorSocket } from '@devicegate/http-client';
import type { IzumaClient } from './izuma.client.js';
import type { ErrorAttribution } from './izuma.errors.js';

/** A silent socket is checked this often with a protocol ping (the service documents no keep-alive of its own). */
const PING_EVERY_MS = 20_000;

/**
 * Izuma's WebSocket notification channel (reference §6.4). Each holding registers the key's channel
 * (`PUT /v2/notification/websocket`, which keeps an existing one) and opens
 * `/v2/notification/websocket-connect` with the key as a bearer header. The service queues notifications
 * while no socket is open and sends them when one opens, so a reconnect loses nothing the queue still
 * holds (24 h, 50 MB); items carry `uid`, by which they are de-duplicated downstream. Each text frame is one
 * NotificationMessage, the same body a callback channel would PUT.
 */
export class IzumaChannel implements PullSource {
  readonly description = '`PUT /v2/notification/websocket`, then the WebSocket `/v2/notification/websocket-connect`; the service queues what arrives while it is closed.';

  constructor(
    private readonly client: IzumaClient,
    private readonly baseUrl: string,
    private readonly timeoutMs: number,
    private readonly who: ErrorAttribution,
  ) {}

  async hold(session: PullSession, ctx: CallContext): Promise<void> {
    await this.client.registerWebsocket(ctx);
    const url = new URL('/v2/notification/websocket-connect', this.baseUrl.replace(/^http/, 'ws'));
    const socket = await openVendorSocket({
      url: url.toString(),
      headers: this.client.authHeaders(),
      origin: new URL(this.baseUrl).origin,
      timeoutMs: this.timeoutMs,
      pingEveryMs: PING_EVERY_MS,
      ...this.who,
    });
    const stop = () => socket.close();
    session.signal.addEventListener('abort', stop, { once: true });
    // Stopped while the socket was opening: the listener came too late to hear it, and an open socket would hold shutdown.
    if (session.signal.aborted) stop();
    let broken: GatewayError | undefined;
    socket.onMessage((text) => {
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        broken ??= new GatewayError('upstream_error', 'The vendor sent a WebSocket frame that is not JSON.', this.who);
        return socket.close();
      }
      session.deliver(body);
      // The service's clock of what it queued: the latest item timestamp of the frame.
      const stamps = Object.values(body as Record<string, unknown>).flatMap((items) => (Array.isArray(items) ? items : [])).map((item) => Number((item as { timestamp?: unknown })?.timestamp));
      const latest = Math.max(...stamps.filter((stamp) => Number.isFinite(stamp) && stamp > 0));
      if (Number.isFinite(latest)) session.seen(latest);
    });
    session.opened();
    try {
      const end = await socket.ended;
      if (broken) throw broken;
      if (session.signal.aborted) return;
      // 1000: the channel was deleted (or the socket closed normally); anything else is a failure to recover from.
      if (end.code !== 1000) throw new GatewayError('upstream_unavailable', `The vendor closed the WebSocket with ${end.code}.`, this.who);
    } finally {
      session.signal.removeEventListener('abort', stop);
    }
  }
}
