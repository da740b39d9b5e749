import { DAY, type Router } from '@devicegate/emulators/kit';
import { fail, notFoundText, validationError } from './hardwario.errors.js';
import { createDownlink, encodeDownlink, findDevice, guard, LIMITS, SPACE, type CloudContext, type Handler } from './hardwario.routes.js';
import { MESSAGE_TYPES, type MessageType } from './hardwario.types.js';
import { bodyEnum, bodyObject, isUuid, queryArray, queryLimit, queryString, queryTime, queryUuid, requireField } from './hardwario.validate.js';

const DOWNLINK_TYPES = ['data', 'config', 'shell'] as const;

/** Messages: listing uplinks and downlinks, queueing downlinks. */
export function hardwarioMessageRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  router.get(
    `${SPACE}/messages/?`,
    guard(ctx, (req) => {
      const q = req.query;
      const types = queryArray(q, 'type');
      for (const t of types) if (!(MESSAGE_TYPES as readonly string[]).includes(t)) fail(validationError('querystring/type must be equal to one of the allowed values'));
      const rawDirection = queryString(q, 'direction');
      if (rawDirection !== undefined && rawDirection !== 'up' && rawDirection !== 'down') fail(validationError('querystring/direction must be equal to one of the allowed values'));
      const list = store.listMessages({
        limit: queryLimit(q, LIMITS.messages.fallback, LIMITS.messages.max),
        offset: queryUuid(q, 'offset'),
        // Without `after` the API looks back 24 hours only (vendor docs).
        afterMs: queryTime(q, 'after') ?? ctx.now() - DAY,
        beforeMs: queryTime(q, 'before'),
        deviceId: queryUuid(q, 'device_id'),
        tagId: queryUuid(q, 'tag_id'),
        types: types.length > 0 ? new Set(types) : undefined,
        direction: rawDirection as 'up' | 'down' | undefined,
      });
      return { status: 200, body: list.map((m) => store.renderMessage(m)) };
    }),
  );

  router.get(
    `${SPACE}/messages/:messageId`,
    guard(ctx, (req) => {
      const message = store.messagesById.get(req.params.messageId.toLowerCase());
      return message ? { status: 200, body: store.renderMessage(message) } : notFoundText();
    }),
  );

  const postMessage: Handler = (req) => {
    const body = bodyObject(req.body, req.bodyInvalid);
    for (const field of ['device_id', 'type', 'body']) requireField(body, field);
    if (typeof body.device_id !== 'string' || !isUuid(body.device_id)) fail(validationError('body/device_id must match format "uuid"'));
    const type = bodyEnum(body, 'type', DOWNLINK_TYPES) as MessageType;
    const device = findDevice(store, body.device_id as string);
    const encoded = encodeDownlink(type, body.body);
    return { status: 201, body: store.renderMessage(createDownlink(ctx, device, type, encoded)) };
  };
  router.post(`${SPACE}/messages/?`, guard(ctx, postMessage));
  // Legacy form from 2024 docs (still named on a CHESTER page): not space-scoped, the credential's space is used.
  router.post('/v2/messages/?', guard(ctx, postMessage));
}
