import { randomBytes } from 'node:crypto';
import type { Filter, Message } from '@devicegate/core';

/** A message devicegate accepted from a vendor push, in the order it was accepted. */
export interface StoredEvent {
  /** Position in the stream: increases with every accepted event. */
  seq: number;
  /** The stable event id: the unified id of the message, the same however often the vendor repeats it. */
  id: string;
  connectionId: string;
  /** Epoch ms devicegate accepted it. */
  receivedAt: number;
  message: Message;
}

export interface StoredWebhook {
  id: string;
  /** Name of the client key that created it: only that key sees it. */
  owner: string;
  url: string;
  description: string | null;
  secret: string;
  /** The filters, as given (`{"type__in": "data,status"}`). */
  filterParams: Record<string, string>;
  /** The same filters, parsed. */
  filters: Filter[];
  createdAt: number;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';

/** The error of a delivery that was never queued because `server.max_pending_deliveries` were already waiting. */
export const DROPPED_ERROR = 'dropped: the delivery queue was full (server.max_pending_deliveries)';

export interface StoredDelivery {
  id: string;
  webhookId: string;
  eventSeq: number;
  eventId: string;
  status: DeliveryStatus;
  attempts: number;
  nextAttemptAt: number | null;
  lastStatus: number | null;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface DeliveryAttempt {
  attempt: number;
  at: number;
  status: number | null;
  error: string | null;
  durationMs: number;
}

/** A delivery handed to one dispatcher to attempt, with what it needs to send it. */
export interface ClaimedDelivery {
  delivery: StoredDelivery;
  webhook: StoredWebhook;
  event: StoredEvent;
}

/** Where the log stands: its identity, the newest sequence it ever issued and the oldest it still keeps. */
export interface LogPosition {
  storeId: string;
  last: number;
  /** Undefined when no event is kept. */
  oldest: number | undefined;
}

/** Decides which webhooks want an event (the gateway's filters and key scoping). */
export type WebhookMatcher = (webhook: StoredWebhook, event: StoredEvent) => boolean;

export type AppendListener = (events: StoredEvent[]) => void;

export const newId = (prefix: string): string => `${prefix}_${randomBytes(12).toString('hex')}`;

/** A store's identity, part of every event id it issues, so an id of another store is recognised as such. */
export const newStoreId = (): string => randomBytes(5).toString('hex');

/**
 * The port of the real-time side: accepted events in one order, webhook subscriptions and the
 * deliveries owed to them. `SqliteEventLog` keeps them in the process's data directory (one instance);
 * `RedisEventLog` shares them between every instance on one Redis.
 */
export abstract class EventLog {
  /**
   * How often a dispatcher looks for due deliveries even when nothing told it of one (other instances
   * schedule retries it hears nothing of); undefined when this process is the only dispatcher.
   */
  abstract readonly pollEveryMs: number | undefined;

  /** Sets who decides which webhooks want an event. */
  abstract setMatcher(matcher: WebhookMatcher): void;

  /**
   * Stores messages as events, skipping ids already stored, and queues, with each new event, a
   * delivery for every webhook that wants it. Returns the new events (none when all were repeats).
   */
  abstract append(messages: readonly Message[], connectionId: string, now?: number): Promise<StoredEvent[]>;

  /** Told about every batch of new events, whichever instance accepted them, in the log's order. */
  abstract onAppend(listener: AppendListener): () => void;

  /** Events after sequence `seq`, oldest first. */
  abstract eventsAfter(seq: number, limit: number): Promise<StoredEvent[]>;

  abstract position(): Promise<LogPosition>;

  /**
   * The events of one device (unified id) with a sequence below `beforeSeq`, newest first: what its vendor
   * pushed, as long as the log keeps it (the readings history of a vendor that keeps none).
   */
  abstract deviceEvents(deviceId: string, beforeSeq: number, limit: number): Promise<StoredEvent[]>;

  /** Stores the webhook unless its owner already has `maxPerOwner`; answers whether it was stored. */
  abstract createWebhook(webhook: StoredWebhook, maxPerOwner: number): Promise<boolean>;
  abstract webhook(id: string): Promise<StoredWebhook | undefined>;
  /** The webhooks of one owner, oldest first, after the one with id `after`. */
  abstract listWebhooks(owner: string, after: string | null, limit: number): Promise<StoredWebhook[]>;
  /** Removes a webhook with its deliveries, pending ones included. */
  abstract deleteWebhook(id: string): Promise<boolean>;

  /** Deliveries of a webhook, newest first, after the one with id `after`. */
  abstract listDeliveries(webhookId: string, after: string | null, limit: number): Promise<StoredDelivery[]>;
  abstract hasDelivery(webhookId: string, id: string): Promise<boolean>;
  abstract attempts(deliveryId: string): Promise<DeliveryAttempt[]>;

  /**
   * Hands out up to `limit` due deliveries to attempt, none of `inFlight`. On a shared log a claim is a
   * lease: no other instance gets the delivery until the lease ends, and if the claimer dies without
   * recording an attempt, the delivery becomes due again when it does.
   */
  abstract claimDue(now: number, limit: number, inFlight: ReadonlySet<string>): Promise<ClaimedDelivery[]>;
  /** When the next pending delivery is due (a leased one: when its lease ends); undefined when none is pending. */
  abstract nextDueAt(): Promise<number | undefined>;
  /** Records one attempt and the delivery's new state, together; nothing when the webhook is gone. */
  abstract recordAttempt(delivery: StoredDelivery, attempt: DeliveryAttempt, next: { status: DeliveryStatus; nextAttemptAt: number | null }): Promise<void>;

  /** Forgets events accepted before `before` (epoch ms) and finished deliveries of them; answers how many went. */
  abstract prune(before: number): Promise<{ events: number; deliveries: number }>;

  abstract close(): Promise<void>;
}
