import type { Router } from '@devicegate/emulators/kit';
import type { DeviceRecord, DeviceState } from './izuma.model.js';
import { v3Error, type IzumaRoutes } from './izuma.routes.js';
import { EVENT_TYPES, resourcesFor } from './izuma.seed.js';

/** The device directory (`/v3/devices`), with Device Echo. */
export function izumaDeviceRoutes(router: Router, routes: IzumaRoutes): void {
  const { store, connect, checked, authed, deviceNotFound, listDevices, applyDeviceUpdate } = routes;
  router
    .get('/v3/devices/?', authed((req, ctx) => listDevices(req, ctx)))
    .post(
      '/v3/devices/?',
      checked((req, ctx, inspection) => {
        const body = inspection.body as Record<string, unknown>;
        const endpointName = typeof body.endpoint_name === 'string' ? body.endpoint_name : '';
        // Which fields are unique is not documented; the endpoint name is the one a certificate pins [inferred].
        if (endpointName && store.sortedDevices.some((device) => device.endpointName === endpointName)) {
          return v3Error(409, 'duplicate', 'Unique-constrained fields are used by other resources.', ctx.requestId, [{ name: 'endpoint_name', message: 'A device with this endpoint_name already exists.' }]);
        }
        const ms = Date.now();
        const device: DeviceRecord = {
          id: store.newId(ms),
          createdMs: ms,
          updatedMs: ms,
          name: '',
          description: '',
          endpointName,
          endpointType: '',
          deviceClass: typeof body.device_class === 'string' ? body.device_class : '',
          state: (body.state as DeviceState | undefined) ?? 'unenrolled',
          executionMode: (body.device_execution_mode as 0 | 1 | 5 | undefined) ?? 0,
          hostGateway: '',
          serialNumber: typeof body.serial_number === 'string' ? body.serial_number : '',
          vendorId: typeof body.vendor_id === 'string' ? body.vendor_id : '',
          caId: '',
          deviceKey: '',
          firmwareChecksum: '',
          issuerFingerprint: typeof body.issuer_fingerprint === 'string' ? body.issuer_fingerprint : null,
          customAttributes: {},
          componentAttributes: {},
          groups: [],
          bootstrapExpirationDate: typeof body.bootstrap_expiration_date === 'string' ? body.bootstrap_expiration_date : null,
          connectorExpirationDate: typeof body.connector_expiration_date === 'string' ? body.connector_expiration_date : null,
          autoUpdate: false,
          mechanism: body.mechanism === 'direct' ? 'direct' : 'connector',
          deployment: typeof body.deployment === 'string' ? body.deployment : '',
          manifest: typeof body.manifest === 'string' ? body.manifest : '',
          mechanismUrl: typeof body.mechanism_url === 'string' ? body.mechanism_url : '',
          netId: '',
          model: 'thermo',
          queueMode: false,
        };
        applyDeviceUpdate(device, body);
        store.addDevice(device);
        store.addEvent({ deviceId: device.id, at: ms, eventType: EVENT_TYPES.created, description: 'Device record created', stateChange: true });
        return { status: 201, body: store.deviceView(device) };
      }),
    )
    .get(
      '/v3/devices/:id/?',
      checked((req, ctx) => {
        const device = store.devices.get(req.params.id);
        return device ? { status: 200, body: store.deviceView(device) } : deviceNotFound(ctx);
      }),
    )
    .get(
      '/v3/devices/:id/echo',
      checked((req, ctx) => {
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        device.resources ??= resourcesFor(device);
        // Device Echo stores the auto-observable and subscribed resources as the reported state.
        const reported = [...device.resources.values()].filter((r) => r.reportedMs !== undefined);
        if (reported.length === 0) return v3Error(404, 'not_found', 'Device not found from Device Echo.', ctx.requestId);
        const iso = (ms: number) => new Date(ms).toISOString();
        return {
          status: 200,
          body: {
            object: 'device-echo',
            // The spec's EchoDevice requires `id` beside `device_id`.
            id: device.id,
            device_id: device.id,
            endpoint_name: device.endpointName,
            created_at: iso(device.createdMs),
            updated_at: iso(Math.max(...reported.map((r) => r.reportedMs!))),
            last_reported_at: iso(Math.max(...reported.map((r) => r.reportedMs!))),
            resources: reported.map((r) => ({
              resource_path: r.path,
              subscribed: true,
              reported: { value: Buffer.from(r.value).toString('base64'), content_type: r.ct, reported_at: iso(r.reportedMs!) },
            })),
          },
        };
      }),
    )
    .put(
      '/v3/devices/:id/?',
      checked((req, ctx, inspection) => {
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        const changed = applyDeviceUpdate(device, inspection.body as Record<string, unknown>);
        const ms = Date.now();
        store.touch(device, ms);
        if (changed.length > 0) {
          store.addEvent({ deviceId: device.id, at: ms, eventType: EVENT_TYPES.updated, description: `Device record updated: ${changed.join(', ')}`, data: { fields: changed.join(',') } });
        }
        return { status: 200, body: store.deviceView(device) };
      }),
    )
    .delete(
      '/v3/devices/:id/?',
      checked((req, ctx) => {
        const device = store.devices.get(req.params.id);
        if (!device) return deviceNotFound(ctx);
        if (device.executionMode === 5) return v3Error(400, 'bad_request', 'Devices with a production certificate cannot be deleted.', ctx.requestId);
        connect.dropQueued(device.id, 'DEVICE_REMOVED_REGISTRATION');
        store.removeDevice(device);
        return { status: 204 };
      }),
    );
}
