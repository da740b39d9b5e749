import type { Router } from '@devicegate/emulators/kit';
import { PayloadError, PRODUCT_NUMBERS } from './disruptive.events.js';
import { dtError, isPage, isRecord, isStringMap, offsetPage, ok, readPage, type DisruptiveRoutes } from './disruptive.routes.js';
import { DisruptiveStore, type DeviceRecord } from './disruptive.store.js';
import { DEVICE_TYPES, type DeviceType } from './disruptive.types.js';

/** The Emulator API (the emulator host in production): emulated devices and their published events. */
export function disruptiveEmulatorApiRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { store, guard, findProject, splitMethod } = ctx;
  const findEmulated = (projectId: string, deviceId: string) => {
    const device = store.devices.get(deviceId);
    return device && device.emulated && device.projectId === projectId ? device : undefined;
  };

  router.get(
    '/emulator/v2/projects/:project/devices',
    guard('emulator', 'emulator.read', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      return offsetPage(
        project.devices.filter((d) => d.emulated),
        page,
        'devices',
        (d) => store.emulatedDeviceWire(d),
      );
    }),
  );
  router.post(
    '/emulator/v2/projects/:project/devices',
    guard('emulator', 'emulator.create', (req) => {
      const project = findProject(req.params.project);
      if (!project) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { type, labels = {} } = req.body;
      if (!DEVICE_TYPES.includes(type as DeviceType)) return dtError(400, `type must be one of ${DEVICE_TYPES.join(', ')}`);
      if (!isStringMap(labels)) return dtError(400, 'labels must map keys to string values');
      const deviceType = type as DeviceType;
      const id = `emu${store.newId()}`;
      const device: DeviceRecord = {
        id,
        projectId: project.id,
        name: `projects/${project.id}/devices/${id}`,
        type: deviceType,
        productNumber: PRODUCT_NUMBERS[deviceType],
        labels: { ...labels, 'virtual-sensor': '' },
        reported: DisruptiveStore.emptyReported(deviceType),
        events: [],
        times: [],
        emulated: true,
      };
      store.addDevice(device);
      return ok(store.emulatedDeviceWire(device));
    }),
  );
  router.get(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.read', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      return device ? ok(store.emulatedDeviceWire(device)) : dtError(404);
    }),
  );
  router.put(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.update', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      if (!device) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const { labels = {}, type } = req.body;
      if (type !== undefined && type !== device.type) return dtError(400, 'type cannot be changed');
      if (!isStringMap(labels)) return dtError(400, 'labels must map keys to string values');
      const next = { ...labels, 'virtual-sensor': '' };
      store.changeLabels(
        device,
        next,
        Object.keys(device.labels).filter((k) => !(k in next)),
      );
      return ok(store.emulatedDeviceWire(device));
    }),
  );
  router.delete(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.delete', (req) => {
      const device = findEmulated(req.params.project, req.params.device);
      if (!device) return dtError(404);
      store.removeDevice(device);
      return ok({});
    }),
  );
  router.post(
    '/emulator/v2/projects/:project/devices/:device',
    guard('emulator', 'emulator.update', (req) => {
      const [id, method] = splitMethod(req.params.device);
      const device = findEmulated(req.params.project, id);
      if (!device || method !== 'publish') return dtError(404);
      if (req.bodyInvalid) return dtError(400, 'body must be JSON');
      try {
        store.publish(device, req.body);
      } catch (error) {
        if (error instanceof PayloadError) return dtError(400, error.message);
        throw error;
      }
      // The answer is ignored by DT's clients but must be JSON.
      return ok({});
    }),
  );
}
