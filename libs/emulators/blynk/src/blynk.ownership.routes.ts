import type { EmulatorResponse, Router } from '@devicegate/emulators/kit';
import { blynkError, intField, isResponse, NO_CONTENT, objectBody, userNotFound, V1, type BlynkRoutes, type CallContext } from './blynk.routes.js';
import type { StoredDevice } from './blynk.types.js';

/** Ownership: moving a device to another user or organization. */
export function blynkOwnershipRoutes(router: Router, deps: BlynkRoutes): void {
  const { store, api, findDevice, queryDevice } = deps;
  const toOwner = (device: StoredDevice, userId: number, ctx: CallContext): EmulatorResponse => {
    const user = store.users.get(userId);
    if (!user || !ctx.tree.has(user.orgId)) return userNotFound();
    if (device.ownerUserId === user.id) return blynkError(400, "Can't transfer to the same owner");
    if (!user.activated) return blynkError(400, "New owner's account is not activated.");
    // Without an explicit organization the device follows its new owner into the owner's organization.
    if (device.orgId !== user.orgId) store.moveDevice(device, user.orgId);
    device.ownerUserId = user.id;
    return NO_CONTENT;
  };

  const toOrganization = (device: StoredDevice, orgId: number, ctx: CallContext): EmulatorResponse => {
    if (!ctx.tree.has(orgId) || !store.orgs.has(orgId)) return blynkError(404, "Destination organization is not found or you don't have access to it.");
    if (device.orgId === orgId) return NO_CONTENT;
    store.moveDevice(device, orgId);
    // An owner must be a user of the device's organization; one who is not loses the device.
    const owner = device.ownerUserId !== null ? store.users.get(device.ownerUserId) : undefined;
    if (owner && owner.orgId !== orgId) device.ownerUserId = null;
    return NO_CONTENT;
  };

  router.post(
    `${V1}/device/transfer/to-owner`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newUserId = intField(body?.newUserId);
      if (!body || deviceId === undefined || newUserId === undefined) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      return isResponse(device) ? device : toOwner(device, newUserId, ctx);
    }),
  );

  router.post(
    `${V1}/device/transfer/to-organization`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newOrgId = intField(body?.newOrgId);
      if (!body || deviceId === undefined || newOrgId === undefined) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      return isResponse(device) ? device : toOrganization(device, newOrgId, ctx);
    }),
  );

  // The older combined endpoint: `newUserId` wins over `newOrgId` when both are given.
  router.post(
    `${V1}/device/transfer`,
    api((req, ctx) => {
      const body = objectBody(req);
      const deviceId = intField(body?.deviceId);
      const newUserId = intField(body?.newUserId);
      const newOrgId = intField(body?.newOrgId);
      if (!body || deviceId === undefined || (newUserId === undefined && newOrgId === undefined)) return blynkError(400, 'Invalid request body.');
      const device = findDevice(deviceId, ctx);
      if (isResponse(device)) return device;
      return newUserId !== undefined ? toOwner(device, newUserId, ctx) : toOrganization(device, newOrgId as number, ctx);
    }),
  );

  router.delete(
    `${V1}/device/owner`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      device.ownerUserId = null;
      return NO_CONTENT;
    }),
  );

  router.delete(
    `${V1}/device/clear`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      device.values.clear();
      device.timeline = [];
      device.logs = [];
      device.lastReceivedEventAt = 0;
      return NO_CONTENT;
    }),
  );
}
