import type { EmulatorResponse, Router } from '@devicegate/emulators/kit';
import { fail, notFoundText, validationError } from './hardwario.errors.js';
import { checkTagsExist, DEFAULT_RETRY_DELAYS, guard, pageAfterId, SPACE, type CloudContext } from './hardwario.routes.js';
import type { ConnectorRecord } from './hardwario.store.js';
import { CONNECTOR_TRIGGERS, type ConnectorTrigger } from './hardwario.types.js';
import { bodyEnum, bodyIntArray, bodyName, bodyObject, bodyString, bodyTagIds, requireField, type JsonObject } from './hardwario.validate.js';

const DEFAULT_TRANSFORMATION =
  'function main(job) {\n  let body = job.message.body;\n  return {\n    "method": "POST",\n    "url": "https://example.com/hook",\n    "header": { "Content-Type": "application/json" },\n    "data": body\n  };\n}';

/** Connectors, which forward messages of tagged devices. */
export function hardwarioConnectorRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  const findConnector = (id: string): ConnectorRecord => {
    const connector = store.connectors.get(id.toLowerCase());
    if (!connector) fail(notFoundText());
    return connector as ConnectorRecord;
  };
  const connectorFields = (body: JsonObject) => {
    const triggers = body.triggers;
    if (triggers !== undefined && (!Array.isArray(triggers) || !triggers.every((t) => (CONNECTOR_TRIGGERS as readonly unknown[]).includes(t)))) {
      fail(validationError('body/triggers must be array of data, session, config, stats, codec'));
    }
    const tagIds = bodyTagIds(body);
    checkTagsExist(store, tagIds);
    const timeout = body.timeout;
    if (timeout !== undefined && (!Number.isInteger(timeout) || (timeout as number) < 0)) fail(validationError('body/timeout must be integer >= 0'));
    return {
      name: bodyName(body),
      type: bodyEnum(body, 'type', ['webhook'] as const),
      direction: bodyEnum(body, 'direction', ['up', 'down'] as const),
      state: bodyEnum(body, 'state', ['enabled', 'disabled'] as const),
      triggers: triggers as ConnectorTrigger[] | undefined,
      tagIds,
      transformation: bodyString(body, 'transformation') ?? undefined,
      retryDelays: bodyIntArray(body, 'retry_delays'),
      timeout: timeout as number | undefined,
    };
  };
  const updateConnector = (connector: ConnectorRecord, body: JsonObject): EmulatorResponse => {
    const f = connectorFields(body);
    if (f.name !== undefined) connector.name = f.name;
    if (f.direction !== undefined) connector.direction = f.direction;
    if (f.state !== undefined) connector.state = f.state;
    if (f.triggers !== undefined) connector.triggers = [...new Set(f.triggers)];
    if (f.tagIds !== undefined) connector.tagIds = f.tagIds;
    if (f.transformation !== undefined) connector.transformation = f.transformation;
    if (f.retryDelays !== undefined) connector.retryDelays = f.retryDelays;
    if (f.timeout !== undefined) connector.timeout = f.timeout;
    return { status: 200, body: store.renderConnector(connector) };
  };

  router.get(`${SPACE}/connectors/?`, guard(ctx, (req) => ({ status: 200, body: pageAfterId([...store.connectors.values()], req.query).map((c) => store.renderConnector(c)) })));
  router.post(
    `${SPACE}/connectors/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'name');
      const f = connectorFields(body);
      const createdMs = ctx.now();
      const connector: ConnectorRecord = {
        id: ctx.newId(createdMs),
        name: f.name as string,
        direction: f.direction ?? 'up',
        state: f.state ?? 'enabled',
        triggers: f.triggers ? [...new Set(f.triggers)] : ['data'],
        tagIds: f.tagIds ?? [],
        transformation: f.transformation ?? DEFAULT_TRANSFORMATION,
        retryDelays: f.retryDelays ?? [...DEFAULT_RETRY_DELAYS],
        timeout: f.timeout ?? 0,
        createdMs,
      };
      store.connectors.set(connector.id, connector);
      return { status: 201, body: store.renderConnector(connector) };
    }),
  );
  router.get(`${SPACE}/connectors/:connectorId`, guard(ctx, (req) => ({ status: 200, body: store.renderConnector(findConnector(req.params.connectorId)) })));
  router.put(`${SPACE}/connectors/:connectorId`, guard(ctx, (req) => updateConnector(findConnector(req.params.connectorId), bodyObject(req.body, req.bodyInvalid))));
  // HARDWARIO's .NET client PUTs to the collection with the id in the body; accept that form too.
  router.put(
    `${SPACE}/connectors/?`,
    guard(ctx, (req) => {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'id');
      if (typeof body.id !== 'string') fail(validationError('body/id must be string'));
      return updateConnector(findConnector(body.id as string), body);
    }),
  );
  router.delete(
    `${SPACE}/connectors/:connectorId`,
    guard(ctx, (req) => {
      findConnector(req.params.connectorId);
      store.connectors.delete(req.params.connectorId.toLowerCase());
      return { status: 204 };
    }),
  );
}
