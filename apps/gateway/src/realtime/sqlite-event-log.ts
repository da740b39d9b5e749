import type { Message } from '@devicegate/core';
import {
  EventLog,
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
import { EventStore } from './event-store.js';

/** The event log of a single instance: the SQLite `EventStore` in its data directory. */
export class SqliteEventLog extends EventLog {
  readonly pollEveryMs = undefined;

  constructor(readonly store: EventStore) {
    super();
  }

  setMatcher(matcher: WebhookMatcher): void {
    this.store.setMatcher(matcher);
  }

  async append(messages: readonly Message[], connectionId: string, now = Date.now()): Promise<StoredEvent[]> {
    return this.store.append(messages, connectionId, now);
  }

  onAppend(listener: AppendListener): () => void {
    return this.store.onAppend(listener);
  }

  async eventsAfter(seq: number, limit: number): Promise<StoredEvent[]> {
    return this.store.eventsAfter(seq, limit);
  }

  async deviceEvents(deviceId: string, beforeSeq: number, limit: number): Promise<StoredEvent[]> {
    return this.store.deviceEvents(deviceId, beforeSeq, limit);
  }

  async position(): Promise<LogPosition> {
    return { storeId: this.store.storeId, last: this.store.lastSeq(), oldest: this.store.oldestSeq() };
  }

  async createWebhook(webhook: StoredWebhook, maxPerOwner: number): Promise<boolean> {
    if (this.store.countWebhooks(webhook.owner) >= maxPerOwner) return false;
    this.store.createWebhook(webhook);
    return true;
  }

  async webhook(id: string): Promise<StoredWebhook | undefined> {
    return this.store.webhook(id);
  }

  async listWebhooks(owner: string, after: string | null, limit: number): Promise<StoredWebhook[]> {
    return this.store.listWebhooks(owner, after, limit);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.store.deleteWebhook(id);
  }

  async listDeliveries(webhookId: string, after: string | null, limit: number): Promise<StoredDelivery[]> {
    return this.store.listDeliveries(webhookId, after, limit);
  }

  async hasDelivery(webhookId: string, id: string): Promise<boolean> {
    return this.store.hasDelivery(webhookId, id);
  }

  async attempts(deliveryId: string): Promise<DeliveryAttempt[]> {
    return this.store.attempts(deliveryId);
  }

  /** The only dispatcher of this database: what it has in flight is all that is taken. */
  async claimDue(now: number, limit: number, inFlight: ReadonlySet<string>): Promise<ClaimedDelivery[]> {
    const claimed: ClaimedDelivery[] = [];
    for (const delivery of this.store.dueDeliveries(now, limit, inFlight)) {
      const webhook = this.store.webhook(delivery.webhookId);
      const event = this.store.eventBySeq(delivery.eventSeq);
      if (webhook && event) claimed.push({ delivery, webhook, event });
    }
    return claimed;
  }

  async nextDueAt(): Promise<number | undefined> {
    return this.store.nextDueAt();
  }

  async recordAttempt(delivery: StoredDelivery, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null }): Promise<void> {
    this.store.recordAttempt(delivery, attempt, next);
  }

  async prune(before: number): Promise<{ events: number; deliveries: number }> {
    return this.store.prune(before);
  }

  async close(): Promise<void> {
    this.store.close();
  }
}
