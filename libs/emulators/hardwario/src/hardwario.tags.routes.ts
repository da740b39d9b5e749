import type { Router } from '@devicegate/emulators/kit';
import { fail, fastifyError, notFoundText } from './hardwario.errors.js';
import { guard, pageAfterId, SPACE, type CloudContext } from './hardwario.routes.js';
import type { TagRecord } from './hardwario.store.js';
import { bodyColor, bodyEnum, bodyName, bodyObject, requireField } from './hardwario.validate.js';

/** Tags, which scope connectors to devices. */
export function hardwarioTagRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  const findTag = (id: string): TagRecord => {
    const tag = store.tags.get(id.toLowerCase());
    if (!tag) fail(notFoundText());
    return tag as TagRecord;
  };
  const tagNameTaken = (name: string, except?: string) => [...store.tags.values()].some((t) => t.name === name && t.id !== except);

  router.get(`${SPACE}/tags/?`, guard(ctx, (req) => ({ status: 200, body: pageAfterId([...store.tags.values()], req.query).map((t) => store.renderTag(t)) })));
  router.post(
    `${SPACE}/tags/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'name');
      const name = bodyName(body) as string;
      const color = bodyColor(body) ?? '#009cfa';
      const accessType = bodyEnum(body, 'access_type', ['write', 'read'] as const) ?? 'write';
      if (tagNameTaken(name)) return fastifyError(409, `Tag with name ${name} already exists`);
      const createdMs = ctx.now();
      const tag: TagRecord = { id: ctx.newId(createdMs), name, color, accessType, createdMs };
      store.tags.set(tag.id, tag);
      return { status: 201, body: store.renderTag(tag) };
    }),
  );
  router.get(`${SPACE}/tags/:tagId`, guard(ctx, (req) => ({ status: 200, body: store.renderTag(findTag(req.params.tagId)) })));
  router.put(
    `${SPACE}/tags/:tagId`,
    guard(ctx, (req) => {
      const tag = findTag(req.params.tagId);
      const body = bodyObject(req.body, req.bodyInvalid);
      const name = bodyName(body);
      const color = bodyColor(body);
      const accessType = bodyEnum(body, 'access_type', ['write', 'read'] as const);
      if (name !== undefined && tagNameTaken(name, tag.id)) return fastifyError(409, `Tag with name ${name} already exists`);
      if (name !== undefined) tag.name = name;
      if (color !== undefined) tag.color = color;
      if (accessType !== undefined) tag.accessType = accessType;
      return { status: 200, body: store.renderTag(tag) };
    }),
  );
  router.delete(
    `${SPACE}/tags/:tagId`,
    guard(ctx, (req) => {
      findTag(req.params.tagId);
      store.removeTag(req.params.tagId.toLowerCase());
      return { status: 204 };
    }),
  );
}
