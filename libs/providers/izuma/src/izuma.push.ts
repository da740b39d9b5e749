import { createHash } from 'node:crypto';
import { isObject, bearerToken, messageOrigin, pushHeader, secretMatches, toUnifiedId, type CommandOutcome, type Message, type MessageType, type PushRequest, type PushSupport } from '@devicegate/core';
import { GatewayError } from '@devicegate/errors';
import { PROVIDER, resourceReading } from './izuma.mapper.js';

/**
 * Izuma's notification channel (reference §6) delivers `NotificationMessage` batches with an HTTP PUT to
 * the registered callback URL, with the headers registered alongside it and no signature. devicegate
 * expects the connection's push secret in the registered `authorization` header (bare, or as
 * `Bearer <secret>`). Register the callback with `include_uid` and `include_timestamp`: `uid` becomes the
 * message id (without it an id is derived from the item) and `timestamp` its `created_at`.
 *
 * Resource notifications become `data` messages; registrations, registration updates, de-registrations
 * and expiries become `status` messages. `async-responses` name no device and are not messages: they are
 * the results of device requests, read by `parseIzumaAsyncResponses`.
 */
export const IZUMA_PUSH_AUTHENTICATION = 'The callback is registered with the header `authorization: <push secret>` (or `Bearer <push secret>`); the body is a NotificationMessage.';

export function verifyIzumaPush(request: PushRequest, secret: string): boolean {
  return secretMatches(bearerToken(request) ?? pushHeader(request, 'authorization')?.trim(), secret);
}

const KINDS: Record<string, { nativeType: string; type: MessageType }> = {
  notifications: { nativeType: 'notification', type: 'data' },
  registrations: { nativeType: 'registration', type: 'status' },
  'reg-updates': { nativeType: 'reg-update', type: 'status' },
  'de-registrations': { nativeType: 'de-registration', type: 'status' },
  'registrations-expired': { nativeType: 'registration-expired', type: 'status' },
};

/** A stable id for an item that carries no `uid`: the same item, redelivered, gets the same id. */
const derivedId = (kind: string, item: unknown): string => `${kind}-${createHash('sha256').update(JSON.stringify([kind, item])).digest('hex').slice(0, 24)}`;

/** The payload as text when it is readable text (LwM2M plain values are), else only its base64 form. */
function decodePayload(payload: unknown): string | null {
  if (typeof payload !== 'string') return null;
  const text = Buffer.from(payload, 'base64').toString('utf8');
  return /^[\x20-\x7e\t\r\n]*$/.test(text) ? text : null;
}

function itemData(kind: string, item: Record<string, unknown>): Record<string, unknown> {
  switch (kind) {
    case 'notifications':
      return { path: item.path ?? null, value: decodePayload(item.payload), payload_b64: item.payload ?? null, content_type: item.ct ?? null, max_age: item['max-age'] ?? null };
    case 'registrations':
    case 'reg-updates':
      return {
        endpoint_type: item.ept ?? null,
        queue_mode: typeof item.q === 'boolean' ? item.q : null,
        original_ep: item['original-ep'] ?? null,
        resources: Array.isArray(item.resources) ? item.resources.map((r) => (isObject(r) ? r.path : null)).filter((p) => typeof p === 'string') : [],
      };
    default:
      return { original_ep: item['original-ep'] ?? null };
  }
}

/** A NotificationMessage → Messages, in the order of its keys and items. */
export function parseIzumaPush(body: unknown, connectionId: string, receivedAt = Date.now()): Message[] {
  if (!isObject(body)) throw GatewayError.validation([{ name: 'body', message: 'must be a NotificationMessage object' }], 'The push is not an Izuma notification message.');
  const messages: Message[] = [];
  for (const [kind, spec] of Object.entries(KINDS)) {
    const items = body[kind];
    if (items === undefined) continue;
    if (!Array.isArray(items)) throw GatewayError.validation([{ name: kind, message: 'must be an array' }], 'The push is not an Izuma notification message.');
    for (const entry of items) {
      // De-registrations and expiries are bare device ids unless the channel asked for objects.
      const item = typeof entry === 'string' ? { ep: entry } : entry;
      if (!isObject(item) || typeof item.ep !== 'string' || item.ep.length === 0) {
        throw GatewayError.validation([{ name: kind, message: "every item must name its device in 'ep'" }], 'The push is not an Izuma notification message.');
      }
      const uid = typeof item.uid === 'string' && item.uid.length > 0 ? item.uid : derivedId(spec.nativeType, item);
      const stamp = Number(item.timestamp);
      const message: Message = {
        object: 'message',
        id: toUnifiedId(connectionId, uid),
        device_id: toUnifiedId(connectionId, item.ep),
        connection_id: connectionId,
        provider: PROVIDER,
        direction: 'uplink',
        type: spec.type,
        native_type: spec.nativeType,
        created_at: new Date(Number.isFinite(stamp) && stamp > 0 ? stamp : receivedAt).toISOString(),
        device_time: null,
        data: itemData(kind, item),
        native: item,
      };
      if (kind === 'notifications' && typeof item.path === 'string') {
        const reading = resourceReading(messageOrigin(message), item.path, decodePayload(item.payload));
        message.readings = reading ? [reading] : [];
      }
      messages.push(message);
    }
  }
  return messages;
}

/**
 * The `async-responses` of a NotificationMessage (reference §6.5) as command outcomes: `id` is the request's
 * `async-id`, which is devicegate's command id. 2xx is the device's success (`delivered`); any other status
 * (the device's 4xx, the service's 429 never-delivered and 5xx retries-exhausted) is `failed`. The entry point
 * for every channel (webhook callback, WebSocket): each hands it the NotificationMessage as received.
 */
export function parseIzumaAsyncResponses(body: unknown, connectionId: string, receivedAt = Date.now()): CommandOutcome[] {
  if (!isObject(body) || body['async-responses'] === undefined) return [];
  const items = body['async-responses'];
  if (!Array.isArray(items)) throw GatewayError.validation([{ name: 'async-responses', message: 'must be an array' }], 'The push is not an Izuma notification message.');
  const at = new Date(receivedAt).toISOString();
  return items.flatMap((item): CommandOutcome[] => {
    if (!isObject(item) || typeof item.id !== 'string' || item.id.length === 0) return [];
    const status = typeof item.status === 'number' && Number.isInteger(item.status) ? item.status : null;
    const payload = typeof item.payload === 'string' && item.payload.length > 0 ? item.payload : null;
    return [
      {
        id: toUnifiedId(connectionId, item.id),
        status: status !== null && status >= 200 && status < 300 ? 'delivered' : 'failed',
        at,
        result: {
          status,
          error: typeof item.error === 'string' && item.error.length > 0 ? item.error : null,
          payload: payload === null ? null : decodePayload(payload),
          payload_b64: payload,
          content_type: typeof item.ct === 'string' ? item.ct : null,
        },
      },
    ];
  });
}

export const izumaPush: PushSupport = {
  authentication: IZUMA_PUSH_AUTHENTICATION,
  verify: (request, { secret }) => secret !== undefined && verifyIzumaPush(request, secret),
  parse: (body, connectionId, receivedAt) => parseIzumaPush(body, connectionId, receivedAt),
  commandOutcomes: (body, connectionId, receivedAt) => parseIzumaAsyncResponses(body, connectionId, receivedAt),
};
