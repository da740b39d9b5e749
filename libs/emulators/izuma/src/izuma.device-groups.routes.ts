import type { Router } from '@devicegate/emulators/kit';
import type { GroupRecord } from './izuma.model.js';
import { isPage, parsePage, v3Error, validationError, type IzumaRoutes } from './izuma.routes.js';
import { buildMatcher, paginate } from './izuma.store.js';
import { groupView } from './izuma.views.js';

/** Device groups and their members (`/v3/device-groups`). */
export function izumaDeviceGroupRoutes(router: Router, routes: IzumaRoutes): void {
  const { store, checked, authed, groupNotFound, listDevices } = routes;
  router
    .get(
      '/v3/device-groups/?',
      checked((req, ctx, inspection) => {
        const page = parsePage(req.query);
        if (!isPage(page)) return validationError(ctx.requestId, [page]);
        const match = buildMatcher(inspection.filters, inspection.operation?.itemProperties ?? {}, (group: GroupRecord, field, key) =>
          key !== undefined ? (field === 'custom_attributes' ? group.customAttributes[key] : undefined) : groupView(group)[field],
        );
        return { status: 200, body: paginate(store.sortedGroups, page, match, groupView) };
      }),
    )
    .post(
      '/v3/device-groups/?',
      checked((req, ctx, inspection) => {
        const body = inspection.body as Record<string, unknown>;
        if (typeof body.name !== 'string' || body.name === '') return validationError(ctx.requestId, [{ name: 'name', message: 'This field is required.' }]);
        if (store.sortedGroups.some((group) => group.name === body.name)) return v3Error(409, 'duplicate', 'Group name already exists.', ctx.requestId, [{ name: 'name', message: 'A group with this name already exists.' }]);
        const ms = Date.now();
        const group: GroupRecord = {
          id: store.newId(ms),
          name: body.name,
          description: typeof body.description === 'string' ? body.description : '',
          customAttributes: { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) },
          createdMs: ms,
          updatedMs: ms,
          members: new Set(),
        };
        store.addGroup(group);
        return { status: 201, body: groupView(group) };
      }),
    )
    .get(
      '/v3/device-groups/:groupId/?',
      checked((req, ctx) => {
        const group = store.groups.get(req.params.groupId);
        return group ? { status: 200, body: groupView(group) } : groupNotFound(ctx);
      }),
    )
    .put(
      '/v3/device-groups/:groupId/?',
      checked((req, ctx, inspection) => {
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        const body = inspection.body as Record<string, unknown>;
        if (typeof body.name === 'string' && body.name !== group.name && store.sortedGroups.some((other) => other.name === body.name)) {
          return v3Error(409, 'duplicate', 'Group name already exists.', ctx.requestId, [{ name: 'name', message: 'A group with this name already exists.' }]);
        }
        if (typeof body.name === 'string') group.name = body.name;
        if (typeof body.description === 'string') group.description = body.description;
        if ('custom_attributes' in body) group.customAttributes = { ...((body.custom_attributes as Record<string, string> | undefined) ?? {}) };
        group.updatedMs = Date.now();
        return { status: 200, body: groupView(group) };
      }),
    )
    .delete(
      '/v3/device-groups/:groupId/?',
      checked((req, ctx) => {
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        store.removeGroup(group);
        return { status: 204 };
      }),
    )
    .get(
      '/v3/device-groups/:groupId/devices/?',
      authed((req, ctx) => {
        const group = store.groups.get(req.params.groupId);
        return group ? listDevices(req, ctx, group) : groupNotFound(ctx);
      }),
    );
  for (const action of ['add', 'remove'] as const) {
    router.post(
      `/v3/device-groups/:groupId/devices/${action}/?`,
      checked((req, ctx, inspection) => {
        const group = store.groups.get(req.params.groupId);
        if (!group) return groupNotFound(ctx);
        const device = store.devices.get(String((inspection.body as Record<string, unknown>).device_id));
        if (!device) return validationError(ctx.requestId, [{ name: 'device_id', message: 'Device not found.' }]);
        if (action === 'add') store.addMember(group, device);
        else store.removeMember(group, device);
        group.updatedMs = Date.now();
        return { status: 204 };
      }),
    );
  }
}
