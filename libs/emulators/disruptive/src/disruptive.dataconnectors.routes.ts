import type { Router } from '@devicegate/emulators/kit';
import { EVENT_TYPES } from './disruptive.events.js';
import { dtError, isPage, isRecord, isStringList, isStringMap, offsetPage, ok, param, readPage, type DisruptiveRoutes } from './disruptive.routes.js';
import type { DataConnectorStatus, DataConnectorType, DtDataConnector } from './disruptive.types.js';

/** Data connectors (their pushes are delivered by the emulator, not here). */
export function disruptiveDataConnectorRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { store, guard, findProject, splitMethod } = ctx;
  const connectorTypes: readonly DataConnectorType[] = ['HTTP_PUSH', 'AZURE_SERVICE_BUS', 'AZURE_EVENT_HUB', 'GOOGLE_CLOUD_PUBSUB', 'AWS_SQS'];
  const configKey: Record<DataConnectorType, keyof DtDataConnector> = {
    HTTP_PUSH: 'httpConfig',
    AZURE_SERVICE_BUS: 'azureServiceBusConfig',
    AZURE_EVENT_HUB: 'azureEventHubConfig',
    GOOGLE_CLOUD_PUBSUB: 'pubsubConfig',
    AWS_SQS: 'awsSqsConfig',
  };

  /** Checks and applies connector fields; `fields` limits which ones (update_mask), undefined = all present. */
  const applyConnector = (target: DtDataConnector, body: Record<string, unknown>, fields?: Set<string>): string | undefined => {
    const wants = (field: string) => (fields ? fields.has(field) : body[field] !== undefined);
    if (wants('displayName')) {
      if (typeof body.displayName !== 'string') return 'displayName must be a string';
      target.displayName = body.displayName;
    }
    if (wants('status')) {
      if (body.status !== 'ACTIVE' && body.status !== 'USER_DISABLED') return 'status must be ACTIVE or USER_DISABLED';
      target.status = body.status as DataConnectorStatus;
    }
    if (wants('events')) {
      const events = body.events ?? [];
      if (!isStringList(events) || events.some((e) => !EVENT_TYPES.has(e))) return 'events must be a list of event types';
      target.events = [...events];
    }
    if (wants('labels')) {
      const labels = body.labels ?? [];
      if (!isStringList(labels)) return 'labels must be a list of label keys';
      target.labels = [...labels];
    }
    if (target.type === 'HTTP_PUSH') {
      const given = body.httpConfig;
      if (given !== undefined && !isRecord(given)) return 'httpConfig must be an object';
      const http = given ?? {};
      const config = target.httpConfig ?? { url: '', signatureSecret: '', headers: {} };
      const wantsHttp = (sub: string) => (fields ? fields.has('httpConfig') || fields.has(`httpConfig.${sub}`) : http[sub] !== undefined);
      if (wantsHttp('url')) {
        if (typeof http.url !== 'string') return 'httpConfig.url is required';
        let url: URL;
        try {
          url = new URL(http.url);
        } catch {
          return 'httpConfig.url must be a URL';
        }
        // DT demands HTTPS; plain HTTP is let through for loopback receivers so local tests can listen.
        const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
        if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return 'httpConfig.url must use https';
        config.url = http.url;
      }
      if (wantsHttp('signatureSecret')) {
        if (typeof (http.signatureSecret ?? '') !== 'string') return 'httpConfig.signatureSecret must be a string';
        config.signatureSecret = (http.signatureSecret as string | undefined) ?? '';
      }
      if (wantsHttp('headers')) {
        const headers = http.headers ?? {};
        if (!isStringMap(headers)) return 'httpConfig.headers must map names to string values';
        config.headers = { ...headers };
      }
      if (!config.url) return 'httpConfig.url is required';
      target.httpConfig = config;
    } else {
      const key = configKey[target.type];
      if (wants(key)) {
        if (!isRecord(body[key])) return `${key} must be an object`;
        (target as unknown as Record<string, unknown>)[key] = structuredClone(body[key]);
      }
      if (!isRecord(target[key])) return `${key} is required`;
    }
    return undefined;
  };

  router.get(
    '/v2/projects/:project/dataconnectors',
    guard('api', 'dataconnector.read', (req) => {
      if (!findProject(req.params.project)) return dtError(404);
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const list = [...store.connectors.values()].filter((c) => c.projectId === req.params.project).sort((a, b) => (a.id < b.id ? -1 : 1));
      return offsetPage(list, page, 'dataConnectors', (c) => structuredClone(c.resource));
    }),
  );
  router.post(
    '/v2/projects/:project/dataconnectors',
    guard('api', 'dataconnector.create', (req) => {
      if (!findProject(req.params.project)) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      const type = req.body.type;
      if (!connectorTypes.includes(type as DataConnectorType)) return dtError(400, `type must be one of ${connectorTypes.join(', ')}`);
      const id = store.newId();
      const resource: DtDataConnector = {
        name: `projects/${req.params.project}/dataconnectors/${id}`,
        displayName: '',
        type: type as DataConnectorType,
        status: 'ACTIVE',
        events: [],
        labels: [],
      };
      const problem = applyConnector(resource, req.body);
      if (problem) return dtError(400, problem);
      store.connectors.set(id, { id, projectId: req.params.project, resource, metrics: { successCount: 0, errorCount: 0, latency99p: '0s' } });
      return ok(structuredClone(resource));
    }),
  );

  const findConnector = (projectId: string, id: string) => {
    const connector = store.connectors.get(id);
    return connector && connector.projectId === projectId ? connector : undefined;
  };

  router.get(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.read', (req) => {
      const [id, method] = splitMethod(req.params.dc);
      const connector = findConnector(req.params.project, id);
      if (!connector) return dtError(404);
      if (method === 'metrics') return ok({ metrics: { ...connector.metrics } });
      if (method !== undefined) return dtError(404);
      return ok(structuredClone(connector.resource));
    }),
  );
  router.post(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.update', (req) => {
      const [id, method] = splitMethod(req.params.dc);
      const connector = findConnector(req.params.project, id);
      if (!connector || method !== 'sync') return dtError(404);
      store.sync(connector);
      return ok({});
    }),
  );
  router.patch(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.update', (req) => {
      const connector = findConnector(req.params.project, req.params.dc);
      if (!connector) return dtError(404);
      if (req.bodyInvalid || !isRecord(req.body)) return dtError(400, 'body must be a JSON object');
      if (req.body.type !== undefined && req.body.type !== connector.resource.type) return dtError(400, 'type cannot be changed');
      const mask = param(req, 'update_mask');
      let fields: Set<string> | undefined;
      if (mask) {
        const allowed = ['displayName', 'status', 'events', 'labels', 'httpConfig', 'httpConfig.url', 'httpConfig.signatureSecret', 'httpConfig.headers', configKey[connector.resource.type]];
        fields = new Set(mask.split(',').map((f) => f.trim()));
        const bad = [...fields].find((f) => !allowed.includes(f));
        if (bad) return dtError(400, `unknown update_mask field ${bad}`);
      }
      // Validate on a copy so a rejected update leaves the connector untouched.
      const draft = structuredClone(connector.resource);
      const problem = applyConnector(draft, req.body, fields);
      if (problem) return dtError(400, problem);
      connector.resource = draft;
      return ok(structuredClone(draft));
    }),
  );
  router.delete(
    '/v2/projects/:project/dataconnectors/:dc',
    guard('api', 'dataconnector.delete', (req) => {
      const connector = findConnector(req.params.project, req.params.dc);
      if (!connector) return dtError(404);
      store.connectors.delete(connector.id);
      return ok({});
    }),
  );
}
