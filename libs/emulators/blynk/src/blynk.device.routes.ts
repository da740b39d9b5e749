import type { Router } from '@devicegate/emulators/kit';
import {
  blynkError,
  intField,
  invalidBody,
  isResponse,
  nameProblem,
  NO_CONTENT,
  objectBody,
  orgNotFound,
  parseBoolean,
  userNotFound,
  V1,
  type BlynkRoutes,
} from './blynk.routes.js';

/** One device: read, rename, delete, create. */
export function blynkDeviceRoutes(router: Router, deps: BlynkRoutes): void {
  const { store, clock, api, queryDevice } = deps;
  router.get(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.full(device) };
    }),
  );

  router.get(
    `${V1}/device/baseInfo`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      return isResponse(device) ? device : { status: 200, body: store.baseInfo(device) };
    }),
  );

  router.put(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      const body = objectBody(req);
      if (!body) return invalidBody();
      const problem = nameProblem(body.name);
      if (problem) return blynkError(400, problem);
      device.name = body.name as string;
      return { status: 200, body: store.summary(device) };
    }),
  );

  router.delete(
    `${V1}/device`,
    api((req, ctx) => {
      const device = queryDevice(req, ctx);
      if (isResponse(device)) return device;
      store.deleteDevice(device);
      return NO_CONTENT;
    }),
  );

  router.post(
    `${V1}/device/create`,
    api((req, ctx) => {
      const body = objectBody(req);
      if (!body) return invalidBody();
      const baseOnly = parseBoolean(req.query.get('baseInfo'));
      if (baseOnly === null) return blynkError(400, 'baseInfo should be true or false.');
      if (typeof body.templateId !== 'string' || body.templateId.trim() === '') return blynkError(400, 'Template ID is required.');
      const problem = nameProblem(body.name);
      if (problem) return blynkError(400, problem);
      let orgId = ctx.orgId;
      if (body.orgId !== undefined && body.orgId !== null) {
        const wanted = intField(body.orgId);
        if (wanted === undefined) return invalidBody();
        if (!ctx.tree.has(wanted) || !store.orgs.has(wanted)) return orgNotFound();
        orgId = wanted;
      }
      const template = store.templatesByPublicId.get(body.templateId);
      // Templates are made in an organization and used by it and the organizations below it.
      if (!template || !store.orgTree(template.orgId).has(orgId)) return blynkError(404, 'Template is not found.');
      let ownerUserId: number | null = null;
      if (body.ownerId !== undefined && body.ownerId !== null) {
        const wanted = intField(body.ownerId);
        if (wanted === undefined) return invalidBody();
        const user = store.users.get(wanted);
        if (!user || !ctx.tree.has(user.orgId)) return userNotFound();
        ownerUserId = user.id;
      }
      const device = store.createDevice({ name: body.name as string, template, orgId, ownerUserId, now: clock() });
      return { status: 201, body: baseOnly ? store.baseInfo(device) : store.full(device) };
    }),
  );
}
