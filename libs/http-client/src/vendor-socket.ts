import WebSocket from 'ws';
import { GatewayError } from '@devicegate/errors';

export interface VendorSocketOptions {
  /** `ws://` or `wss://`. */
  url: string;
  /** Handshake headers (credentials among them: never logged, never in an error). */
  headers?: Record<string, string>;
  protocols?: string[];
  origin?: string;
  /** The handshake must finish within this. */
  timeoutMs: number;
  /** A protocol ping goes out this often; a socket whose pong does not come back before the next one is dead. */
  pingEveryMs: number;
  connectionId: string;
  provider: string;
}

/** How a socket ended: the close code (1006 when it broke without one) and its reason. */
export interface SocketEnd {
  code: number;
  reason: string;
}

/** One open vendor WebSocket. */
export interface VendorSocket {
  /** Text frames as they arrive (those that came before it was called first, in order). */
  onMessage(listener: (text: string) => void): void;
  /** Settles when the socket is closed, by either side or by a missed pong. */
  readonly ended: Promise<SocketEnd>;
  close(): void;
}

/**
 * Opens a WebSocket to a vendor (the one place besides the HTTP client that speaks to vendors). The
 * handshake has a timeout; a refused handshake becomes a GatewayError naming only the status (the URL and
 * headers, where credentials are, stay out of it); once open, protocol pings find a dead peer.
 */
export function openVendorSocket(options: VendorSocketOptions): Promise<VendorSocket> {
  const who = { connectionId: options.connectionId, provider: options.provider };
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(options.url, options.protocols ?? [], { headers: options.headers, origin: options.origin, handshakeTimeout: options.timeoutMs, maxPayload: 64 * 1024 * 1024 });
    let opened = false;
    // A frame may arrive with the handshake's answer, before whoever opened the socket listens: kept till then.
    const early: string[] = [];
    let deliver: ((text: string) => void) | undefined;
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) return;
      const text = data.toString('utf8');
      if (deliver) deliver(text);
      else early.push(text);
    });
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      const status = res.statusCode ?? 0;
      const type = status === 401 || status === 403 ? 'upstream_error' : status === 429 ? 'upstream_rate_limited' : status >= 500 ? 'upstream_unavailable' : 'upstream_error';
      reject(new GatewayError(type, `The vendor refused the WebSocket handshake with ${status}.`, { ...who, upstreamStatus: status }));
      socket.terminate();
    });
    socket.once('error', (error: Error & { code?: string }) => {
      if (opened) return;
      const timedOut = /timed out/i.test(error.message);
      reject(new GatewayError(timedOut ? 'upstream_timeout' : 'upstream_unavailable', timedOut ? `The vendor did not finish the WebSocket handshake within ${options.timeoutMs} ms.` : `The vendor's WebSocket could not be reached${error.code ? ` (${error.code})` : ''}.`, who));
    });
    socket.once('open', () => {
      opened = true;
      let awaitingPong = false;
      const pinger = setInterval(() => {
        if (awaitingPong) return socket.terminate();
        awaitingPong = true;
        socket.ping();
      }, options.pingEveryMs);
      pinger.unref();
      socket.on('pong', () => (awaitingPong = false));
      // Errors after the handshake end the socket; `ended` reports them as a close.
      socket.on('error', () => undefined);
      const ended = new Promise<SocketEnd>((done) =>
        socket.once('close', (code: number, reason: Buffer) => {
          clearInterval(pinger);
          done({ code, reason: reason.toString('utf8').slice(0, 200) });
        }),
      );
      resolve({
        onMessage: (listener) => {
          deliver = listener;
          for (const text of early.splice(0)) listener(text);
        },
        ended,
        close: () => {
          socket.close(1000);
          // A peer that does not answer the close frame is not waited for.
          setTimeout(() => socket.terminate(), 2000).unref();
        },
      });
    });
  });
}
