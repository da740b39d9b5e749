import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { Redis } from 'ioredis';
import { backgroundContext, pause, type PullSession, type PullSource, type PushSupport } from '@devicegate/core';
import { isGatewayError } from '@devicegate/errors';
import { LOGGER, REDIS } from '../app.tokens.js';
import { ConnectionRegistry, type LiveConnection } from '../connections/connection-registry.js';
import type { Logger } from '../ops/logger.js';
import { HooksService } from './hooks.controller.js';
import { StreamLease } from './stream-lease.js';

/** What `GET /v1/connections/{id}` shows of a pulled stream (`stream`). */
export interface StreamState {
  mode: 'pull';
  state: 'connecting' | 'connected' | 'reconnecting' | 'standby' | 'stopped';
  connected_since: string | null;
  reconnects: number;
  last_event_at: string | null;
  last_error: string | null;
}

/** Reconnect back-off: from half a second, doubling to half a minute, each wait jittered ±50 %. */
const BACKOFF_BASE_MS = 500;
const BACKOFF_MAX_MS = 30_000;
/** A stream that stayed open this long starts the back-off afresh when it ends. */
const STABLE_MS = 30_000;
/** The resume point is written to Redis at most this often. */
const CURSOR_WRITE_MS = 1_000;

/**
 * Holds one connection's vendor stream for as long as devicegate runs (or, with Redis, while this
 * instance holds its lease): opens it, feeds what it carries to the same path as pushes, and when it
 * ends opens it again after a jittered back-off, from where the last holding got to.
 */
class StreamHolder {
  readonly view: StreamState = { mode: 'pull', state: 'connecting', connected_since: null, reconnects: 0, last_event_at: null, last_error: null };
  private readonly stopping = new AbortController();
  private resumeFrom?: number;
  private opened = false;
  private cursorWrittenAt = 0;
  private running?: Promise<void>;
  private delivering: Promise<void> = Promise.resolve();

  constructor(
    private readonly live: LiveConnection,
    private readonly source: PullSource,
    private readonly push: PushSupport,
    private readonly hooks: HooksService,
    private readonly log: Logger,
    private readonly lease?: StreamLease,
  ) {}

  start(): void {
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
    await this.delivering;
    this.view.state = 'stopped';
    this.view.connected_since = null;
  }

  private async loop(): Promise<void> {
    const id = this.live.config.id;
    let attempt = 0;
    while (!this.stopping.signal.aborted) {
      if (this.lease) {
        this.view.state = 'standby';
        if (!(await this.lease.acquire(this.stopping.signal))) break;
        const cursor = await this.lease.cursor();
        if (cursor !== undefined) this.resumeFrom = Math.max(this.resumeFrom ?? cursor, cursor);
        this.log.info({ connection: id, lease: this.lease.key }, 'vendor stream lease taken');
      }
      const holding = new AbortController();
      const stopHolding = () => holding.abort();
      this.stopping.signal.addEventListener('abort', stopHolding, { once: true });
      let leaseLost = false;
      const stopRenewing = this.lease?.keep(() => {
        leaseLost = true;
        this.log.warn({ connection: id }, 'vendor stream lease lost; letting go of the stream');
        holding.abort();
      });
      this.view.state = this.opened ? 'reconnecting' : 'connecting';
      let openedAt: number | undefined;
      try {
        // What a gap read after a reconnect asks must be the vendor's answer now, never a cached one.
        await this.source.hold(this.session(holding.signal, () => (openedAt = Date.now())), { ...backgroundContext(`pull:${id}`), signal: holding.signal, noCache: true });
        if (!holding.signal.aborted) this.log.info({ connection: id }, 'vendor stream ended by the vendor');
      } catch (error) {
        // GatewayError messages name no credential; anything else is reported by its type only.
        this.view.last_error = isGatewayError(error) ? error.message : 'The vendor stream failed.';
        if (!holding.signal.aborted) this.log.warn({ connection: id, error: this.view.last_error }, 'vendor stream failed');
      } finally {
        stopRenewing?.();
        this.stopping.signal.removeEventListener('abort', stopHolding);
        this.view.connected_since = null;
      }
      if (this.stopping.signal.aborted) break;
      if (leaseLost) continue;
      this.view.state = 'reconnecting';
      if (openedAt !== undefined && Date.now() - openedAt >= STABLE_MS) attempt = 0;
      const wait = Math.min(BACKOFF_MAX_MS, BACKOFF_BASE_MS * 2 ** attempt) * (0.5 + Math.random());
      attempt += 1;
      await pause(wait, this.stopping.signal);
    }
    await this.lease?.release();
  }

  private session(signal: AbortSignal, onOpen: () => void): PullSession {
    const id = this.live.config.id;
    return {
      signal,
      resumeFrom: this.resumeFrom,
      opened: () => {
        if (this.opened) this.view.reconnects += 1;
        this.opened = true;
        onOpen();
        this.view.state = 'connected';
        this.view.connected_since = new Date().toISOString();
        this.view.last_error = null;
        // Nothing seen yet: the opening is where a later holding resumes (the margin a gap read allows covers clock skew).
        if (this.resumeFrom === undefined) {
          this.resumeFrom = Date.now();
          void this.lease?.saveCursor(this.resumeFrom);
        }
      },
      deliver: (body) => {
        if (signal.aborted) return;
        const receivedAt = Date.now();
        // One after another, in the order the vendor sent them (settling a command may wait).
        this.delivering = this.delivering.then(async () => {
          try {
            const { accepted } = await this.hooks.accept(this.push, body, id, receivedAt);
            if (accepted > 0) this.view.last_event_at = new Date().toISOString();
          } catch (error) {
            this.log.warn({ connection: id, error: isGatewayError(error) ? error.message : 'unreadable body' }, 'vendor stream body refused');
          }
        });
      },
      seen: (at) => {
        this.resumeFrom = Math.max(this.resumeFrom ?? at, at);
        if (this.lease && Date.now() - this.cursorWrittenAt >= CURSOR_WRITE_MS) {
          this.cursorWrittenAt = Date.now();
          void this.lease.saveCursor(this.resumeFrom);
        }
      },
    };
  }
}

/**
 * Push mode `pull`: for each such connection devicegate holds the vendor's stream itself (no public
 * address needed). Without Redis this instance holds every one; with `server.redis_url` one instance
 * holds each (a lease per connection) and the others stand by to take over.
 */
@Injectable()
export class PullService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly holders = new Map<string, StreamHolder>();

  constructor(
    private readonly registry: ConnectionRegistry,
    private readonly hooks: HooksService,
    @Inject(REDIS) private readonly redis: Redis | null,
    @Inject(LOGGER) private readonly log: Logger,
  ) {}

  onApplicationBootstrap(): void {
    for (const live of this.registry.all()) {
      const source = live.adapter.pull;
      if (live.config.push?.mode !== 'pull' || !source || !live.definition.push) continue;
      const holder = new StreamHolder(live, source, live.definition.push, this.hooks, this.log, this.redis ? new StreamLease(this.redis, live.config.id) : undefined);
      this.holders.set(live.config.id, holder);
      holder.start();
    }
  }

  async onApplicationShutdown(): Promise<void> {
    await Promise.all([...this.holders.values()].map((holder) => holder.stop()));
  }

  /** The stream of a connection in pull mode, or null for a connection that does not pull. */
  state(connectionId: string): StreamState | null {
    const holder = this.holders.get(connectionId);
    return holder ? { ...holder.view } : null;
  }
}
