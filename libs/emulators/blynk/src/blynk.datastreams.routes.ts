import type { EmulatorResponse, Router } from '@devicegate/emulators/kit';
import { blynkError, intField, invalidBody, isResponse, nameProblem, NO_CONTENT, objectBody, V1, type BlynkRoutes, type CallContext } from './blynk.routes.js';
import type { DataStreamValueJson, StoredDevice, TemplateDataStream, TemplateMetaField } from './blynk.types.js';

const MAX_EVENT_DESCRIPTION = 300;

/** Checks a datastream value against the stream's data type; returns the value to store. */
function coerceValue(stream: TemplateDataStream, value: unknown): DataStreamValueJson | undefined {
  switch (stream.dataType) {
    case 'Integer': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isInteger(n) ? n : undefined;
    }
    case 'Double': {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
      return typeof n === 'number' && Number.isFinite(n) ? n : undefined;
    }
    case 'String':
      if (typeof value === 'string') return value.length <= 1024 ? value : undefined;
      return typeof value === 'number' ? String(value) : undefined;
    case 'Location':
      return Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'number' && Number.isFinite(v)) ? [value[0] as number, value[1] as number] : undefined;
  }
}

/** A device's timeline events, metafields and datastream values. */
export function blynkDataStreamRoutes(router: Router, deps: BlynkRoutes): void {
  const { store, clock, api, findDevice, queryDevice, userByEmail } = deps;
  /** A write about the device the body names: the body must be a JSON object and the device one the caller may see. */
  const bodyDevice = (handler: (body: Record<string, unknown>, device: StoredDevice, ctx: CallContext) => EmulatorResponse) =>
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const device = findDevice(intField(body.deviceId), ctx);
      return isResponse(device) ? device : handler(body, device, ctx);
    });

  router.post(
    `${V1}/device/trigger-event`,
    bodyDevice((body, device) => {
      if (typeof body.eventCode !== 'string' || body.eventCode.trim() === '') return blynkError(400, 'Event code is not provided.');
      const description = body.eventDescription;
      if (description !== undefined && description !== null && typeof description !== 'string') return invalidBody();
      if (typeof description === 'string' && description.length > MAX_EVENT_DESCRIPTION) {
        return blynkError(400, `Event description should be up to ${MAX_EVENT_DESCRIPTION} symbols.`);
      }
      // Online/offline are raised by the cloud itself, so only the template's own events can be triggered.
      const event = device.template.events.find((e) => e.code === body.eventCode && e.type !== 'ONLINE' && e.type !== 'OFFLINE');
      if (!event) return blynkError(404, 'Event with provided code is not found.');
      store.addEvent(device, { eventId: event.id, eventType: event.type, description: typeof description === 'string' && description !== '' ? description : null, ts: clock() });
      return NO_CONTENT;
    }),
  );

  router.get(
    `${V1}/device/metafield`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.metaFields(device) };
    }),
  );

  const applyMetaValue = (device: StoredDevice, field: TemplateMetaField, value: unknown, ctx: CallContext): boolean => {
    switch (field.type) {
      case 'DeviceName':
        if (nameProblem(value)) return false;
        device.name = value as string;
        return true;
      case 'DeviceOwner': {
        if (value === '' || value === null) {
          device.ownerUserId = null;
          return true;
        }
        const user = typeof value === 'string' ? userByEmail(value, ctx) : undefined;
        if (!user || user.orgId !== device.orgId) return false;
        device.ownerUserId = user.id;
        return true;
      }
      case 'Number': {
        const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
        if (typeof n !== 'number' || !Number.isFinite(n) || (field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max)) return false;
        device.metaValues.set(field.id, n);
        return true;
      }
      case 'List':
        if (typeof value !== 'string' || !field.options?.includes(value)) return false;
        device.metaValues.set(field.id, value);
        return true;
      case 'Text':
        if (typeof value !== 'string' || value.length > 255) return false;
        device.metaValues.set(field.id, value);
        return true;
    }
  };

  router.post(
    `${V1}/device/metafield`,
    bodyDevice((body, device, ctx) => {
      const fieldId = intField(body.metaFieldId);
      if (fieldId === undefined || !('newValue' in body)) return invalidBody();
      const field = device.template.metaFields.find((f) => f.id === fieldId);
      if (!field) return blynkError(404, 'Meta field is not found.');
      if (!applyMetaValue(device, field, body.newValue, ctx)) return blynkError(400, 'The provided value for metafield is invalid.');
      return NO_CONTENT;
    }),
  );

  const streamOf = (device: StoredDevice, id: number | undefined) => (id === undefined ? undefined : device.template.dataStreams.find((s) => s.id === id));
  const streamNotFound = (id: unknown) => blynkError(404, `Data stream with identifier ${String(id)} is not found!`);
  const mismatch = () => blynkError(400, "Value doesn't match the Datastream data type.");

  router.post(
    `${V1}/device/datastream`,
    bodyDevice((body, device) => {
      const streamId = intField(body.dataStreamId);
      if (streamId === undefined || !('value' in body)) return invalidBody();
      const stream = streamOf(device, streamId);
      if (!stream) return streamNotFound(streamId);
      const value = coerceValue(stream, body.value);
      if (value === undefined) return mismatch();
      device.values.set(stream.id, { value, updatedAt: clock() });
      return NO_CONTENT;
    }),
  );

  router.post(
    `${V1}/device/datastreams`,
    bodyDevice((body, device) => {
      const values = body.values;
      if (typeof values !== 'object' || values === null || Array.isArray(values)) return invalidBody();
      const updates: Array<[number, DataStreamValueJson]> = [];
      // All or nothing: every value is checked before any is stored.
      for (const [key, raw] of Object.entries(values as Record<string, unknown>)) {
        const stream = streamOf(device, intField(key));
        if (!stream) return streamNotFound(key);
        const value = coerceValue(stream, raw);
        if (value === undefined) return mismatch();
        updates.push([stream.id, value]);
      }
      const at = clock();
      for (const [id, value] of updates) device.values.set(id, { value, updatedAt: at });
      return NO_CONTENT;
    }),
  );
}
