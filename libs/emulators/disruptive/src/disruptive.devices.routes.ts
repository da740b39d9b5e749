import type { EmulatorRequest, EmulatorResponse, Router } from '@devicegate/emulators/kit';
import { EVENT_TYPES } from './disruptive.events.js';
import {
  camel,
  dtError,
  encodeToken,
  isPage,
  isRecord,
  isStringList,
  isStringMap,
  lastSegment,
  offsetPage,
  ok,
  param,
  pathValue,
  readPage,
  type DisruptiveRoutes,
} from './disruptive.routes.js';
import { lowerBound, type DeviceRecord } from './disruptive.store.js';
import { parsePingInterval } from './disruptive.stream.js';
import { parseRfc3339Micros } from './disruptive.time.js';
import { DEVICE_TYPES, type DeviceType, type DtBatchError } from './disruptive.types.js';

/** DT support's "Polling the Events API": the last 30 days of events are available at `/events`. */
const HISTORY_KEPT_US = 30 * 86_400_000_000;

/** Repeated parameter values; `split` also breaks comma lists (safe for ids and type names). */
function params(req: EmulatorRequest, name: string, split = false): string[] {
  const values = [...req.query.getAll(name), ...(camel(name) !== name ? req.query.getAll(camel(name)) : [])];
  return (split ? values.flatMap((v) => v.split(',')) : values).map((v) => v.trim()).filter((v) => v.length > 0);
}

/** The most labels one device may carry; DT enforces a limit ("Max labels reached for device") whose value is not published. */
const MAX_LABELS = 64;

function orderDevices(devices: DeviceRecord[], orderBy: string): DeviceRecord[] {
  const descending = orderBy.startsWith('-');
  const path = (descending ? orderBy.slice(1) : orderBy).split('.');
  const keyed = devices.map((device) => ({ device, value: pathValue(device, path) }));
  keyed.sort((a, b) => {
    // Devices without the field go last in either direction; ties keep id order.
    if (a.value === undefined || b.value === undefined) {
      if (a.value === b.value) return a.device.id < b.device.id ? -1 : 1;
      return a.value === undefined ? 1 : -1;
    }
    let c: number;
    if (typeof a.value === 'number' && typeof b.value === 'number') c = a.value - b.value;
    else {
      const x = String(a.value);
      const y = String(b.value);
      c = x < y ? -1 : x > y ? 1 : 0;
    }
    if (c === 0) return a.device.id < b.device.id ? -1 : 1;
    return descending ? -c : c;
  });
  return keyed.map((k) => k.device);
}

/** Devices: listing, streams, batch updates, transfers, labels and event history. */
export function disruptiveDeviceRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { store, canTransfer, guard, findProject, findDevice, splitMethod, parseDeviceName } = ctx;
  router.get(
    '/v2/projects/:project/devices',
    guard('api', 'device.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      let source: DeviceRecord[];
      if (req.params.project === '-') {
        const org = param(req, 'organization');
        if (!org) return dtError(400, 'organization is required when project is -');
        const orgId = lastSegment(org);
        if (!store.organizations.has(orgId)) return dtError(404);
        const only = new Set(params(req, 'projects', true).map(lastSegment));
        source = store
          .sortedProjects()
          .filter((p) => p.organizationId === orgId && (only.size === 0 || only.has(p.id)))
          .flatMap((p) => p.devices);
      } else {
        const project = findProject(req.params.project);
        if (!project) return dtError(404);
        source = project.devices;
      }
      const ids = new Set(params(req, 'device_ids', true).map(lastSegment));
      const types = params(req, 'device_types', true);
      const unknown = types.find((t) => !DEVICE_TYPES.includes(t as DeviceType));
      if (unknown) return dtError(400, `unknown device type ${unknown}`);
      const typeSet = new Set(types);
      const products = new Set(params(req, 'product_numbers', true));
      const labelFilters = params(req, 'label_filters').map((f) => {
        const eq = f.indexOf('=');
        // `key` and `key=` both mean "has the label, any value".
        return eq < 0 || eq === f.length - 1 ? { key: eq < 0 ? f : f.slice(0, eq) } : { key: f.slice(0, eq), value: f.slice(eq + 1) };
      });
      const query = param(req, 'query')?.toLowerCase();
      let devices = source;
      if (ids.size || typeSet.size || products.size || labelFilters.length || query) {
        devices = source.filter((d) => {
          if (ids.size && !ids.has(d.id)) return false;
          if (typeSet.size && !typeSet.has(d.type)) return false;
          if (products.size && !products.has(d.productNumber)) return false;
          for (const f of labelFilters) {
            if (!(f.key in d.labels)) return false;
            if (f.value !== undefined && d.labels[f.key] !== f.value) return false;
          }
          if (query) {
            const haystack = [d.id, d.type, d.productNumber, ...Object.keys(d.labels), ...Object.values(d.labels)].join('\n').toLowerCase();
            if (!haystack.includes(query)) return false;
          }
          return true;
        });
      }
      const orderBy = param(req, 'order_by');
      if (orderBy) devices = orderDevices(devices, orderBy);
      return offsetPage(devices, page, 'devices', (d) => store.deviceWire(d));
    }),
  );

  /** `devices:stream` of a project, or `{device}:stream` of one device (reference §7). */
  const openStream = (req: EmulatorRequest, projectId: string, deviceId?: string): EmulatorResponse => {
    const rawPing = param(req, 'ping_interval');
    const pingMs = rawPing === undefined ? undefined : parsePingInterval(rawPing);
    if (rawPing !== undefined && pingMs === undefined) return dtError(400, `invalid ping_interval ${rawPing}`);
    const types = params(req, 'device_types', true);
    const unknown = types.find((t) => !DEVICE_TYPES.includes(t as DeviceType));
    if (unknown) return dtError(400, `unknown device type ${unknown}`);
    const labelFilters = params(req, 'label_filters').map((f) => {
      const eq = f.indexOf('=');
      return eq < 0 || eq === f.length - 1 ? { key: eq < 0 ? f : f.slice(0, eq) } : { key: f.slice(0, eq), value: f.slice(eq + 1) };
    });
    return ctx.streams.answer(
      req,
      {
        projectId,
        deviceIds: new Set(deviceId ? [deviceId] : params(req, 'device_ids', true).map(lastSegment)),
        deviceTypes: new Set(types),
        productNumbers: new Set(params(req, 'product_numbers', true)),
        labelFilters,
        eventTypes: new Set(params(req, 'event_types', true)),
      },
      pingMs,
    );
  };

  router.get(
    '/v2/projects/:project/devices:stream',
    guard('api', 'device.read', (req) => (findProject(req.params.project) ? openStream(req, req.params.project) : dtError(404))),
  );

  router.post(
    '/v2/projects/:project/devices:batchUpdate',
    guard('api', 'device.update', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { devices, addLabels = {}, removeLabels = [] } = req.body;
      if (!isStringList(devices)) return dtError(400, 'devices must be a list of device resource names');
      if (!isStringMap(addLabels)) return dtError(400, 'addLabels must map label keys to string values');
      if (!isStringList(removeLabels)) return dtError(400, 'removeLabels must be a list of label keys');
      if (Object.keys(addLabels).length === 0 && removeLabels.length === 0) return dtError(400, 'one of addLabels or removeLabels is required');
      if (Object.keys(addLabels).some((k) => k.length === 0)) return dtError(400, 'label keys must not be empty');
      const batchErrors: DtBatchError[] = [];
      for (const name of devices) {
        const ref = parseDeviceName(name);
        const device = ref && (ref.projectId === project.id || ref.projectId === '-') ? findDevice(project.id, ref.deviceId) : undefined;
        if (!device) {
          batchErrors.push({ device: name, status: { code: 'NOT_FOUND', message: 'resource not found' } });
          continue;
        }
        const total = new Set([...Object.keys(device.labels).filter((k) => !removeLabels.includes(k)), ...Object.keys(addLabels)]).size;
        if (total > MAX_LABELS) {
          batchErrors.push({ device: name, status: { code: 'INVALID_ARGUMENT', message: 'Max labels reached for device.' } });
          continue;
        }
        store.changeLabels(device, addLabels, removeLabels);
      }
      return ok({ batchErrors });
    }),
  );

  router.post(
    '/v2/projects/:project/devices:transfer',
    guard('api', 'device.update', (req) => {
      if (!canTransfer) return dtError(403);
      const target = findProject(req.params.project);
      if (!target) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { devices } = req.body;
      if (!isStringList(devices)) return dtError(400, 'devices must be a list of device resource names');
      const transferredDevices: string[] = [];
      const transferErrors: DtBatchError[] = [];
      for (const name of devices) {
        const ref = parseDeviceName(name);
        const device = ref && findProject(ref.projectId) ? findDevice(ref.projectId, ref.deviceId) : undefined;
        if (!device) {
          transferErrors.push({ device: name, status: { code: 'NOT_FOUND', message: 'resource not found' } });
          continue;
        }
        store.moveDevice(device, target.id);
        transferredDevices.push(name);
      }
      return ok({ transferredDevices, transferErrors });
    }),
  );

  router.get(
    '/v2/projects/:project/devices/:device',
    guard('api', 'device.read', (req) => {
      const [id, method] = splitMethod(req.params.device);
      if (req.params.project !== '-' && !findProject(req.params.project)) return dtError(404);
      const device = findDevice(req.params.project, id);
      if (!device) return dtError(404);
      if (method === 'stream') return openStream(req, device.projectId, device.id);
      if (method !== undefined) return dtError(404);
      return ok(store.deviceWire(device));
    }),
  );

  // Single-label endpoints: listed by DT without shapes; `{key, value}` in and `{name, value}` out.
  const labelWire = (device: DeviceRecord, key: string) => ({ name: `projects/${device.projectId}/devices/${device.id}/labels/${key}`, value: device.labels[key] });
  router.post(
    '/v2/projects/:project/devices/:device/labels',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { key, value = '' } = req.body;
      if (typeof key !== 'string' || key.length === 0) return dtError(400, 'key is required');
      if (typeof value !== 'string') return dtError(400, 'value must be a string');
      if (key in device.labels) return dtError(409);
      if (Object.keys(device.labels).length >= MAX_LABELS) return dtError(400, 'Max labels reached for device.');
      store.changeLabels(device, { [key]: value }, []);
      return ok(labelWire(device, key));
    }),
  );
  router.patch(
    '/v2/projects/:project/devices/:device/labels/:label',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device || !(req.params.label in device.labels)) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { value } = req.body;
      if (typeof value !== 'string') return dtError(400, 'value must be a string');
      store.changeLabels(device, { [req.params.label]: value }, []);
      return ok(labelWire(device, req.params.label));
    }),
  );
  router.delete(
    '/v2/projects/:project/devices/:device/labels/:label',
    guard('api', 'device.update', (req) => {
      const device = findDevice(req.params.project, req.params.device);
      if (!device || !(req.params.label in device.labels)) return dtError(404);
      store.changeLabels(device, {}, [req.params.label]);
      return ok({});
    }),
  );

  router.get(
    '/v2/projects/:project/devices/:device/events',
    guard('api', 'device.read', (req) => {
      if (req.params.project !== '-' && !findProject(req.params.project)) return dtError(404);
      const device = findDevice(req.params.project, req.params.device);
      if (!device) return dtError(404);
      // The reference names no default for /events; 100 as for every other list, maximum 1000.
      const page = readPage(req, 100, 1000);
      if (!isPage(page)) return page;
      const types = params(req, 'event_types', true);
      const unknown = types.find((t) => !EVENT_TYPES.has(t));
      if (unknown) return dtError(400, `unknown event type ${unknown}`);
      const typeSet = types.length ? new Set(types) : undefined;
      const nowUs = store.nowMicros();
      const rawStart = param(req, 'start_time');
      const rawEnd = param(req, 'end_time');
      const startUs = rawStart ? parseRfc3339Micros(rawStart) : nowUs - 24 * 3_600_000_000;
      // Without end_time the range runs up to and including now: an event published this very microsecond is listed.
      const endUs = rawEnd ? parseRfc3339Micros(rawEnd) : nowUs + 1;
      if (Number.isNaN(startUs)) return dtError(400, 'start_time must be an RFC 3339 timestamp');
      if (Number.isNaN(endUs)) return dtError(400, 'end_time must be an RFC 3339 timestamp');
      if (startUs > endUs) return dtError(400, 'start_time must not be after end_time');
      if (ctx.olderHistoryStart === 'rejected' && startUs < nowUs - HISTORY_KEPT_US) return dtError(400, 'start_time is further back than the kept history');
      // Oldest first over [start_time, end_time); the token holds the history index to continue from.
      const upper = lowerBound(device.times, endUs);
      let i = Math.max(lowerBound(device.times, startUs), page.token.i ?? 0);
      const events = [];
      for (; i < upper && events.length < page.size; i++) {
        const event = device.events[i];
        if (!typeSet || typeSet.has(event.eventType)) events.push(event);
      }
      while (typeSet && i < upper && !typeSet.has(device.events[i].eventType)) i++;
      return ok({ events, nextPageToken: i < upper ? encodeToken({ i }) : '' });
    }),
  );
}
