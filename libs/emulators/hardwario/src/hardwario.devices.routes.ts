import type { Router } from '@devicegate/emulators/kit';
import { fail, fastifyError, validationError } from './hardwario.errors.js';
import { checkTagsExist, createDownlink, encodeDownlink, findDevice, guard, LIMITS, SPACE, type CloudContext } from './hardwario.routes.js';
import { DEVICE_SORT_KEYS, type DeviceRecord } from './hardwario.store.js';
import {
  bodyEnum,
  bodyLabel,
  bodyName,
  bodyObject,
  bodyString,
  bodyStringArray,
  bodyTagIds,
  isUuid,
  queryArray,
  queryEnum,
  queryLimit,
  queryString,
  queryUuid,
  requireField,
} from './hardwario.validate.js';

/** Devices, with the per-device downlink shortcuts. */
export function hardwarioDeviceRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  const deviceFilters = (q: URLSearchParams) => {
    const tagIds = queryArray(q, 'tag_ids').map((id) => {
      if (!isUuid(id)) fail(validationError('querystring/tag_ids must match format "uuid"'));
      return id.toLowerCase();
    });
    return {
      name: queryString(q, 'name'),
      serialNumber: queryString(q, 'serial_number'),
      externalId: queryString(q, 'external_id'),
      tagIds,
      tagLogic: queryEnum(q, 'tag_filter_logic', ['any', 'all'] as const, 'any'),
    };
  };

  router.get(
    `${SPACE}/devices/?`,
    guard(ctx, (req) => {
      const q = req.query;
      const devices = store.listDevices({
        ...deviceFilters(q),
        limit: queryLimit(q, LIMITS.devices.fallback, LIMITS.devices.max),
        offset: queryUuid(q, 'offset'),
        // Default order is id ascending (the order the official client asks for): creation order with UUIDv7.
        sortBy: queryEnum(q, 'sort_by', DEVICE_SORT_KEYS, 'id'),
        order: queryEnum(q, 'order_by', ['asc', 'desc'] as const, 'asc'),
      });
      return { status: 200, body: devices.map((d) => store.renderDevice(d)) };
    }),
  );

  router.get(`${SPACE}/devices/count`, guard(ctx, (req) => ({ status: 200, body: { count: store.countDevices(deviceFilters(req.query)) } })));

  router.post(
    `${SPACE}/devices/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      for (const field of ['name', 'serial_number', 'token']) requireField(body, field);
      const name = bodyName(body) as string;
      const serial = bodyString(body, 'serial_number', { pattern: /^[0-9]{1,20}$/ }) as string;
      const token = bodyString(body, 'token', { pattern: /^\S{1,128}$/ }) as string;
      const externalId = bodyString(body, 'external_id', { nullable: true, maxLength: 255 });
      const comment = bodyString(body, 'comment', { nullable: true, maxLength: 500 });
      const label = bodyLabel(body);
      const tagIds = bodyTagIds(body);
      checkTagsExist(store, tagIds);
      // One physical device can be claimed once; the emulator cannot know factory claim tokens, so any token is taken.
      if (store.deviceBySerial(serial)) return fastifyError(409, `Device with serial number ${serial} is already claimed`);
      const createdMs = ctx.now();
      const device: DeviceRecord = {
        id: ctx.newId(createdMs),
        name,
        comment: comment ?? null,
        serialNumber: serial,
        externalId: externalId ?? null,
        label: label ?? {},
        tagIds: tagIds ?? [],
        createdMs,
        lastSeenMs: null,
        sessionId: null,
        configHash: null,
        decoderHash: null,
        encoderHash: null,
        dashboardType: null,
        token,
        secret: null,
      };
      store.addDevice(device);
      return { status: 201, body: store.renderDevice(device) };
    }),
  );

  router.get(`${SPACE}/devices/:deviceId`, guard(ctx, (req) => ({ status: 200, body: store.renderDevice(findDevice(store, req.params.deviceId)) })));

  router.put(
    `${SPACE}/devices/:deviceId`,
    guard(ctx, (req) => {
      const device = findDevice(store, req.params.deviceId);
      const body = bodyObject(req.body, req.bodyInvalid);
      const name = bodyName(body);
      const comment = bodyString(body, 'comment', { nullable: true, maxLength: 500 });
      const externalId = bodyString(body, 'external_id', { nullable: true, maxLength: 255 });
      const label = bodyLabel(body);
      const tagIds = bodyTagIds(body);
      const secret = bodyString(body, 'secret', { nullable: true, pattern: /^[0-9a-fA-F]{2,128}$/ });
      bodyEnum(body, 'secret_type', ['psk'] as const);
      checkTagsExist(store, tagIds);
      if (name !== undefined) device.name = name;
      if (comment !== undefined) device.comment = comment;
      if (externalId !== undefined) device.externalId = externalId;
      // `label` and `tags` replace the whole set: the official client always sends the full map/list.
      if (label !== undefined) device.label = label;
      if (tagIds !== undefined) device.tagIds = tagIds;
      if (secret !== undefined) device.secret = secret;
      store.deviceChanged();
      return { status: 200, body: store.renderDevice(device) };
    }),
  );

  router.delete(
    `${SPACE}/devices/:deviceId`,
    guard(ctx, (req) => {
      findDevice(store, req.params.deviceId);
      store.removeDevice(req.params.deviceId.toLowerCase());
      return { status: 204 };
    }),
  );

  // Per-device downlink shortcuts: each queues one downlink message and answers it (201).
  router.post(
    `${SPACE}/devices/:deviceId/downlinks`,
    guard(ctx, (req) => {
      const device = findDevice(store, req.params.deviceId);
      const body = bodyObject(req.body, req.bodyInvalid);
      return { status: 201, body: store.renderMessage(createDownlink(ctx, device, 'data', JSON.stringify(body))) };
    }),
  );
  for (const [path, type] of [
    ['configs', 'config'],
    ['commands', 'shell'],
  ] as const) {
    router.post(
      `${SPACE}/devices/:deviceId/${path}`,
      guard(ctx, (req) => {
        const device = findDevice(store, req.params.deviceId);
        if (req.bodyInvalid) bodyObject(req.body, true);
        const encoded = encodeDownlink(type, bodyStringArray(req.body, 'body'));
        return { status: 201, body: store.renderMessage(createDownlink(ctx, device, type, encoded)) };
      }),
    );
  }
}
