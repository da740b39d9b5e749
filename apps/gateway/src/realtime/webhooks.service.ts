import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { GatewayError, type FieldError } from '@devicegate/errors';
import { LIMIT_DEFAULT, LIMIT_MAX, LIMIT_MIN } from '@devicegate/listing';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { ConnectionRegistry, mayReach } from '../connections/connection-registry.js';
import type { CreateWebhookDto, DeliveryAttemptDto, WebhookDeliveryDto, WebhookDto } from './dto/webhook.dto.js';
import { eventMatcher, parseEventFilters, visibleConnections } from './event-filters.js';
import { EventLog, newId, type DeliveryAttempt, type StoredDelivery, type StoredWebhook } from './event-log.js';
import { realtimeLimits } from './realtime-limits.js';
import { NO_ANSWER } from './webhook-dispatcher.js';
import { WebhookTargets } from './webhook-targets.js';

type Query = Record<string, string | string[] | undefined>;

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** `limit` and `after` of the webhook lists; nothing else is a parameter of them. */
function pageArgs(query: Query): { limit: number; after: string | null } {
  const errors: FieldError[] = [];
  let limit = LIMIT_DEFAULT;
  let after: string | null = null;
  for (const [name, value] of Object.entries(query)) {
    if (value === undefined) continue;
    if (Array.isArray(value)) errors.push({ name, message: 'must be given once' });
    else if (name === 'limit') {
      if (!/^\d+$/.test(value) || Number(value) < LIMIT_MIN || Number(value) > LIMIT_MAX) errors.push({ name, message: `must be an integer from ${LIMIT_MIN} to ${LIMIT_MAX}` });
      else limit = Number(value);
    } else if (name === 'after') {
      if (value.length === 0) errors.push({ name, message: 'must be the id of an item of the previous page' });
      else after = value;
    } else errors.push({ name: name.slice(0, 100), message: 'is not a parameter of this list' });
  }
  if (errors.length > 0) throw GatewayError.validation(errors);
  return { limit, after };
}

/** Webhook subscriptions: each belongs to the key that created it and sees only what that key may reach. */
@Injectable()
export class WebhooksService {
  constructor(
    private readonly store: EventLog,
    private readonly registry: ConnectionRegistry,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly targets: WebhookTargets,
  ) {
    // A webhook gets an event when its owner (as configured now) may reach the connection and its filters match.
    this.store.setMatcher((webhook, event) => {
      const owner = this.config.clients.find((client) => client.name === webhook.owner);
      if (!owner || !mayReach(owner, event.connectionId)) return false;
      return eventMatcher(new Set([event.connectionId]), webhook.filters)(event);
    });
  }

  async create(client: ClientConfig, input: CreateWebhookDto): Promise<WebhookDto> {
    const filterParams = input.filters ?? {};
    const filters = parseEventFilters(filterParams, 'filters.');
    visibleConnections(this.registry, client, filters);
    const refused = await this.targets.check(input.url);
    if (refused) throw GatewayError.validation([{ name: 'url', message: refused }], 'Webhooks may not be sent to this URL.');
    const limit = realtimeLimits(this.config.server).webhooksPerKey;
    const webhook: StoredWebhook = {
      id: newId('whk'),
      owner: client.name,
      url: input.url,
      description: input.description ?? null,
      secret: `whsec_${randomBytes(24).toString('hex')}`,
      filterParams,
      filters,
      createdAt: Date.now(),
    };
    // Counted by the store as it stores, so two creations at once (on any instances) cannot both take the last place.
    if (!(await this.store.createWebhook(webhook, limit))) {
      throw new GatewayError('conflict', `This key already has ${limit} webhooks, its limit (server.max_webhooks_per_key); delete one first.`);
    }
    return { ...this.present(webhook), secret: webhook.secret };
  }

  async list(client: ClientConfig, query: Query) {
    const { limit, after } = pageArgs(query);
    if (after !== null) await this.owned(client, after, 'after');
    const items = await this.store.listWebhooks(client.name, after, limit + 1);
    return { object: 'list' as const, limit, after, order: 'ASC' as const, has_more: items.length > limit, data: items.slice(0, limit).map((w) => this.present(w)) };
  }

  async get(client: ClientConfig, id: string): Promise<WebhookDto> {
    return this.present(await this.owned(client, id));
  }

  async delete(client: ClientConfig, id: string): Promise<void> {
    await this.store.deleteWebhook((await this.owned(client, id)).id);
  }

  async deliveries(client: ClientConfig, id: string, query: Query) {
    const webhook = await this.owned(client, id);
    const { limit, after } = pageArgs(query);
    if (after !== null && !(await this.store.hasDelivery(webhook.id, after))) {
      throw GatewayError.validation([{ name: 'after', message: 'is not a delivery of this webhook' }]);
    }
    const items = await this.store.listDeliveries(webhook.id, after, limit + 1);
    const page = items.slice(0, limit);
    const attempts = await Promise.all(page.map((d) => this.store.attempts(d.id)));
    return { object: 'list' as const, limit, after, order: 'DESC' as const, has_more: items.length > limit, data: page.map((d, i) => this.presentDelivery(d, attempts[i])) };
  }

  /** A webhook of this key; another key's is answered exactly like one that does not exist. */
  private async owned(client: ClientConfig, id: string, asAfter?: 'after'): Promise<StoredWebhook> {
    const webhook = await this.store.webhook(id);
    if (!webhook || webhook.owner !== client.name) {
      if (asAfter) throw GatewayError.validation([{ name: 'after', message: 'must be the id of an item of the previous page' }]);
      throw new GatewayError('not_found', 'No webhook has this id.');
    }
    return webhook;
  }

  private present(webhook: StoredWebhook): WebhookDto {
    return { object: 'webhook', id: webhook.id, url: webhook.url, description: webhook.description, filters: webhook.filterParams, created_at: new Date(webhook.createdAt).toISOString() };
  }

  private presentDelivery(delivery: StoredDelivery, log: DeliveryAttempt[]): WebhookDeliveryDto {
    const attempts: DeliveryAttemptDto[] = log.map((a) => ({ attempt: a.attempt, at: new Date(a.at).toISOString(), status: a.status, error: a.error, duration_ms: a.error === NO_ANSWER ? null : Math.round(a.durationMs * 10) / 10 }));
    return {
      object: 'webhook_delivery',
      id: delivery.id,
      webhook_id: delivery.webhookId,
      event_id: delivery.eventId,
      event_sequence: delivery.eventSeq,
      status: delivery.status,
      attempts: delivery.attempts,
      next_attempt_at: delivery.status === 'pending' ? iso(delivery.nextAttemptAt) : null,
      last_status: delivery.lastStatus,
      last_error: delivery.lastError,
      attempt_log: attempts,
      created_at: new Date(delivery.createdAt).toISOString(),
      updated_at: new Date(delivery.updatedAt).toISOString(),
    };
  }
}
