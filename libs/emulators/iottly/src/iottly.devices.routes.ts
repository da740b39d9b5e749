import type { Router } from '@devicegate/emulators/kit';
import { API_PREFIX, error, isObject, json, type IottlyRoutes, type ProjectHandler } from './iottly.routes.js';

/** Devices: the list and one device's properties. */
export function iottlyDeviceRoutes(router: Router, routes: IottlyRoutes): void {
  const listDevices: ProjectHandler = (_req, project) => {
    const devices = [...project.devices.values()].map((d) => ({ ...d }));
    return json(200, { count: devices.length, errors: null, devices });
  };

  router.get(`${API_PREFIX}/project/:projectId/devices/props`, routes.inProject(listDevices));
  // The unmerged draft of the device-properties docs listed devices at `devices`; accepted too.
  router.get(`${API_PREFIX}/project/:projectId/devices`, routes.inProject(listDevices));

  router.get(
    `${API_PREFIX}/project/:projectId/device/:deviceId/props`,
    routes.inDevice((_req, _project, device) => json(200, { ...device })),
  );

  router.put(
    `${API_PREFIX}/project/:projectId/device/:deviceId/props`,
    routes.inDevice((req, project, device) => {
      if (req.bodyInvalid || !isObject(req.body)) return error(400, 'request body must be a JSON object');
      // Only `name` is documented as editable; anything else is refused rather than silently dropped.
      const extra = Object.keys(req.body).filter((k) => k !== 'name');
      if (extra.length > 0) return error(400, `property not editable: ${extra.join(', ')}`);
      const name = req.body.name;
      if (typeof name !== 'string' || name.trim() === '') return error(400, 'name must be a non-empty string');
      device.name = name;
      return json(200, { ...device });
    }),
  );
}
