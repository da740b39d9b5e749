import { createHmac } from 'node:crypto';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { backgroundContext } from '@devicegate/core';
import { isGatewayError } from '@devicegate/errors';
import { HttpClient } from '@devicegate/http-client';
import { LOGGER } from '../app.tokens.js';
import type { Logger } from '../ops/logger.js';
import { eventBody } from './dto/event.dto.js';
import { EventLog, type ClaimedDelivery, type StoredDelivery, type StoredEvent, type StoredWebhook } from './event-log.js';
import { WebhookTargets } from './webhook-targets.js';

/** The retry policy of webhook deliveries (documented on the WebhookDelivery schema). */
export const DELIVERY_POLICY = {
  /** Delay after the first failed attempt; it doubles with each further one. */
  baseDelayMs: 1_000,
  maxDelayMs: 3_600_000,
  /** After this many failed attempts a delivery is `failed`. */
  maxAttempts: 12,
  /** How long a subscriber may take to answer. */
  timeoutMs: 10_000,
  /** Deliveries in flight at once. */
  concurrency: 16,
} as const;

/**
 * What a failed attempt tells the webhook's owner. Which network error it was (refused, reset, timed
 * out, no route, not resolvable, refused by the address policy) and how long it took to fail would map
 * the networks devicegate reaches for any `write` key: the owner learns only that no answer came, or the
 * class of the answer; the operator's log has the detail.
 */
export const NO_ANSWER = 'no answer';
const answered = (status: number) => `answered ${Math.floor(status / 100)}xx`;

/** `Devicegate-Signature`: HMAC-SHA256 over `<t>.<body>`, so a captured delivery cannot be replayed with another time. */
export function signDelivery(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

/** Delay before attempt `attempts + 1`, with ±20 % jitter so failed subscribers are not hit in lockstep. */
export function retryDelayMs(attempts: number, random = Math.random()): number {
  const base = Math.min(DELIVERY_POLICY.maxDelayMs, DELIVERY_POLICY.baseDelayMs * 2 ** Math.max(0, attempts - 1));
  return Math.round(base * (0.8 + 0.4 * random));
}

/** How long a claimed delivery stays with its instance: longer than an attempt can take. */
export const DELIVERY_LEASE_MS = DELIVERY_POLICY.timeoutMs + 5_000;

/**
 * Sends the deliveries the store holds: at once for new events, later for retries, and at start for
 * whatever an earlier process left pending. An attempt is recorded only after it ended, so a crash
 * in between repeats it (on a shared log, another instance does once the lease ends): delivery is at
 * least once, and `Devicegate-Event-Id` lets a subscriber drop the repeat.
 */
@Injectable()
export class WebhookDispatcher implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly http: HttpClient;
  private readonly inFlight = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private stopped = true;
  private running = false;
  private again = false;
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: EventLog,
    private readonly targets: WebhookTargets,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.http = new HttpClient({
      baseUrl: 'http://webhooks.invalid',
      timeoutMs: DELIVERY_POLICY.timeoutMs,
      retries: 0,
      connectionId: 'webhooks',
      provider: 'webhook',
      maxResponseBytes: 64 * 1024,
      // Backoff per delivery replaces the circuit: one failing subscriber must not hold back the others.
      circuit: { failureThreshold: Number.MAX_SAFE_INTEGER },
      // A name that resolves to a blocked address is refused when the socket connects.
      lookup: targets.lookup,
    });
  }

  onApplicationBootstrap(): void {
    this.stopped = false;
    this.unsubscribe = this.store.onAppend(() => this.schedule(0));
    this.schedule(0);
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    await this.http.close();
    await this.store.close();
  }

  /** Runs the dispatcher after `delayMs`, unless it is due to run sooner anyway. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    const at = Date.now() + Math.max(0, delayMs);
    if (this.timer && at >= this.timerAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAt = Infinity;
      void this.run();
    }, Math.max(0, delayMs));
    this.timer.unref();
  }

  private async run(): Promise<void> {
    if (this.stopped) return;
    // One look at the store at a time; a call meanwhile asks for another look after it.
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    let wait: number;
    try {
      const room = DELIVERY_POLICY.concurrency - this.inFlight.size;
      const due = room > 0 ? await this.store.claimDue(Date.now(), room, this.inFlight) : [];
      for (const claimed of due) {
        if (this.stopped) break;
        this.inFlight.add(claimed.delivery.id);
        void this.attempt(claimed).finally(() => {
          this.inFlight.delete(claimed.delivery.id);
          this.schedule(0);
        });
      }
      const next = await this.store.nextDueAt();
      wait = next === undefined || this.inFlight.size >= DELIVERY_POLICY.concurrency ? Infinity : Math.max(50, next - Date.now());
    } catch (error) {
      this.log.warn({ err: String(error) }, 'looking for due webhook deliveries failed; retrying in 1 s');
      wait = 1000;
    } finally {
      this.running = false;
    }
    if (this.again) {
      this.again = false;
      wait = 0;
    }
    wait = Math.min(wait, this.store.pollEveryMs ?? Infinity);
    if (wait !== Infinity) this.schedule(wait);
  }

  private async attempt({ delivery, webhook, event }: ClaimedDelivery): Promise<void> {
    const body = JSON.stringify(eventBody(event));
    const started = Date.now();
    const attempt = delivery.attempts + 1;
    // The allowed hosts may have changed since the webhook was created: a URL now refused is not tried again.
    const refused = this.targets.refusal(webhook.url);
    const { status, detail } = refused ? { status: null, detail: `refused: the url ${refused}` } : await this.send(webhook, event, delivery, body, started);
    if (this.stopped) return;
    const ok = status !== null && status >= 200 && status <= 299;
    const error = ok ? null : refused ? detail : status !== null ? answered(status) : NO_ANSWER;
    const last = !ok && (refused !== undefined || attempt >= DELIVERY_POLICY.maxAttempts);
    try {
      await this.store.recordAttempt(
        delivery,
        { attempt, at: started, status: ok ? status : null, error, durationMs: Date.now() - started },
        { status: ok ? 'succeeded' : last ? 'failed' : 'pending', nextAttemptAt: ok || last ? null : Date.now() + retryDelayMs(attempt) },
      );
    } catch (failure) {
      // Unrecorded, the attempt is made again (at least once).
      this.log.warn({ webhook: webhook.id, delivery: delivery.id, err: String(failure) }, 'recording a webhook delivery attempt failed');
      return;
    }
    const level = ok ? 'debug' : 'info';
    this.log[level]({ webhook: webhook.id, delivery: delivery.id, event: event.id, attempt, status, error: detail }, ok ? 'webhook delivered' : last ? 'webhook delivery gave up' : 'webhook delivery failed; will retry');
  }

  /** The subscriber's status, or null with what went wrong (for the log only). */
  private async send(webhook: StoredWebhook, event: StoredEvent, delivery: StoredDelivery, body: string, started: number): Promise<{ status: number | null; detail: string | null }> {
    try {
      const response = await this.http.request(
        {
          method: 'POST',
          path: webhook.url,
          body,
          idempotent: false,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'devicegate-webhooks/1',
            'devicegate-event-id': event.id,
            'devicegate-delivery-id': delivery.id,
            'devicegate-signature': signDelivery(webhook.secret, body, Math.floor(started / 1000)),
          },
        },
        backgroundContext(delivery.id),
      );
      return { status: response.status, detail: null };
    } catch (failure) {
      return { status: null, detail: isGatewayError(failure) ? `${failure.type}: ${failure.message}` : String(failure) };
    }
  }
}
