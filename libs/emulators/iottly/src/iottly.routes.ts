import { parseIsoUtc, Router, type EmulatorRequest, type EmulatorResponse } from '@devicegate/emulators/kit';
import { matchesFilter, parseFilter, QueryError, type MongoValue } from './iottly.query.js';
import { lowerBound, toHistoryMessage, toMongoDocument, toPaginatedMessage, type ProjectStore } from './iottly.store.js';
import type { MessageType, MessageTypeDefinition, RecordedCommand, StoredMessage } from './iottly.types.js';

/** API version prefix; the vendor's proxy maps `/v1.0/` onto the core service's routes. */
export const API_PREFIX = '/v1.0';

export interface IottlyRouteContext {
  projects: readonly ProjectStore[];
  /** The emulator clock (epoch ms). */
  clock(): number;
  /** Stores a message the way a device upload would. */
  addMessage(project: ProjectStore, message: Omit<StoredMessage, 'oid'>): StoredMessage;
  /** Accepted commands, oldest first. */
  commands: RecordedCommand[];
  /** Whether a connected device answers an `echo` command with an ECHO message. */
  echoReplies: boolean;
  /** How `p` of the paginated messages API counts (see IottlyEmulatorOptions.paging). */
  paging: PageNumbering;
}

/** The number of the first page, and (when it is 1) what `p=0` gets. */
export interface PageNumbering {
  base: 0 | 1;
  zero?: 'rejected' | 'empty' | 'first';
}

const json = (status: number, body: unknown): EmulatorResponse => ({ status, body });
const error = (status: number, message: string): EmulatorResponse => json(status, { error: message });

/**
 * Unknown paths and methods get Tornado's default error pages (the vendor's API server is a Tornado
 * app): routing happens before any handler, so these come before the auth check.
 */
export const tornadoError = (status: 404 | 405): EmulatorResponse => {
  const reason = status === 404 ? 'Not Found' : 'Method Not Allowed';
  return {
    status,
    body: `<html><title>${status}: ${reason}</title><body>${status}: ${reason}</body></html>`,
    headers: { 'content-type': 'text/html; charset=UTF-8' },
  };
};

/** The 2017 auth service's header check: case-insensitive `bearer`, one space, exactly 32 characters. */
const TOKEN_RE = /^bearer (.{32})$/i;

/** Project ids in routes are ObjectIds; anything else never matched a route. */
const OBJECT_ID_RE = /^[0-9a-fA-F]{24}$/;

/** Tornado's `get_argument`: the last value, whitespace stripped; undefined when absent. */
function arg(req: EmulatorRequest, name: string): string | undefined {
  const values = req.query.getAll(name);
  return values.length === 0 ? undefined : values[values.length - 1].trim();
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Strict ISO-8601 date or date-time; a value without a zone is UTC, like the response strings. */
const ISO_RE = /^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)?(?:Z|[+-]\d{2}:?\d{2})?$/i;

function parseTime(value: string): number {
  if (!ISO_RE.test(value)) return Number.NaN;
  let text = value.replace(' ', 'T');
  if (/^\d{4}-\d{2}-\d{2}$/.test(text)) text += 'T00:00:00';
  return parseIsoUtc(text);
}

/** The prefix the console puts before every keyword: spaces become `_`, commas and dots go. */
export const commandPrefix = (cmdType: string) => cmdType.replace(/ /g, '_').replace(/[,.]/g, '');

/**
 * What the device receives: the command's template (fixed values, `<a|b>` placeholders for choices)
 * with each dotted key applied one level per dot; null and "" leave the placeholder, as in 2017.
 */
function renderCommand(def: MessageTypeDefinition, values: Record<string, unknown>): Record<string, unknown> {
  const inner: Record<string, unknown> = {};
  for (const [keyword, kw] of Object.entries(def.keywords)) {
    inner[keyword] = kw.type === 'FixedValue' ? (kw.value ?? '') : kw.type === 'MultipleChoice' ? `<${(kw.listvalues ?? []).join('|')}>` : `<${keyword}>`;
  }
  const prefix = commandPrefix(def.type);
  for (const [key, value] of Object.entries(values)) {
    if (value === null || value === '') continue;
    const path = key.slice(prefix.length + 1).split('.');
    let node = inner;
    for (const segment of path.slice(0, -1)) {
      if (!isObject(node[segment])) node[segment] = {};
      node = node[segment] as Record<string, unknown>;
    }
    node[path[path.length - 1]] = structuredClone(value);
  }
  return { [def.type]: inner };
}

export function buildRouter(ctx: IottlyRouteContext): Router {
  const byKey = new Map<string, ProjectStore>();
  for (const project of ctx.projects) for (const key of project.apiKeys) byKey.set(key, project);

  const authenticate = (req: EmulatorRequest): ProjectStore | undefined => {
    const header = req.headers['authentication'];
    const value = Array.isArray(header) ? header[header.length - 1] : header;
    const match = value ? TOKEN_RE.exec(value) : null;
    return match ? byKey.get(match[1]) : undefined;
  };

  const unauthenticated = () => error(401, 'Client is not authenticated');

  type ProjectHandler = (req: EmulatorRequest, project: ProjectStore) => EmulatorResponse;

  /** Route check (ObjectId), then the key (401), then the key's project (403). */
  const inProject =
    (handler: ProjectHandler) =>
    (req: EmulatorRequest): EmulatorResponse => {
      if (!OBJECT_ID_RE.test(req.params.projectId)) return tornadoError(404);
      const project = authenticate(req);
      if (!project) return unauthenticated();
      if (project.info.id !== req.params.projectId.toLowerCase()) {
        return error(403, 'Client does not have permission for the specified project');
      }
      return handler(req, project);
    };

  const noDevice = () => error(403, 'Client does not have permission for the specified device');

  const listDevices: ProjectHandler = (_req, project) => {
    const devices = [...project.devices.values()].map((d) => ({ ...d }));
    return json(200, { count: devices.length, errors: null, devices });
  };

  const router = new Router();

  router.get(`${API_PREFIX}/project/ping`, (req) => (authenticate(req) ? json(200, { status: 'pong' }) : unauthenticated()));

  router.get(
    `${API_PREFIX}/project/:projectId/inspect`,
    inProject((_req, { info }) =>
      json(200, {
        id: info.id,
        name: info.name,
        projectgetagenturl: `https://api.cloud.iottly.com/v1.0/project/${info.id}/getagent`,
        agentfile: `iottlyagent_${info.agentVersion}_linux_${info.agentArch}.tar.gz`,
        agentapihost: 'api.cloud.iottly.com',
        board: info.board,
      }),
    ),
  );

  router.get(
    `${API_PREFIX}/project/:projectId/license/?`,
    inProject((_req, project) => {
      const body: Record<string, unknown> = {};
      for (const token of project.licenses.keys()) body[token] = project.licenseEntry(token);
      return json(200, body);
    }),
  );

  // One license: the reference leaves the shape open; the same map with a single entry is the
  // likelier form. A token of another project (or none) is treated like a foreign device: 403.
  router.get(
    `${API_PREFIX}/project/:projectId/license/:licenseId`,
    inProject((req, project) => {
      const entry = project.licenseEntry(req.params.licenseId);
      if (!entry) return error(403, 'Client does not have permission for the specified license');
      return json(200, { [req.params.licenseId]: entry });
    }),
  );

  router.get(`${API_PREFIX}/project/:projectId/devices/props`, inProject(listDevices));
  // The unmerged draft of the device-properties docs listed devices at `devices`; accepted too.
  router.get(`${API_PREFIX}/project/:projectId/devices`, inProject(listDevices));

  router.get(
    `${API_PREFIX}/project/:projectId/device/:deviceId/props`,
    inProject((req, project) => {
      const device = project.devices.get(req.params.deviceId);
      return device ? json(200, { ...device }) : noDevice();
    }),
  );

  router.put(
    `${API_PREFIX}/project/:projectId/device/:deviceId/props`,
    inProject((req, project) => {
      const device = project.devices.get(req.params.deviceId);
      if (!device) return noDevice();
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

  router.post(
    `${API_PREFIX}/project/:projectId/device/:deviceId/command`,
    inProject((req, project) => {
      const device = project.devices.get(req.params.deviceId);
      if (!device) return noDevice();
      if (req.bodyInvalid || !isObject(req.body)) return error(400, 'request body must be a JSON object');
      const { cmd_type: cmdType, values } = req.body;
      if (typeof cmdType !== 'string' || cmdType === '') return error(400, 'cmd_type is required');
      const def = project.messageType(cmdType);
      if (!def || def.direction !== 'command') return error(400, `cmd_type '${cmdType}' is not a command declared in the project`);
      if (!isObject(values)) return error(400, 'values must be a JSON object');
      const prefix = `${commandPrefix(cmdType)}.`;
      for (const key of Object.keys(values)) {
        if (!key.startsWith(prefix) || key.length === prefix.length) {
          return error(400, `invalid key '${key}': command options must be prefixed by '${prefix}'`);
        }
        const keyword = key.slice(prefix.length).split('.')[0];
        if (!(keyword in def.keywords)) return error(400, `invalid key '${key}': '${keyword}' is not a keyword of ${cmdType}`);
      }
      const now = ctx.clock();
      const delivered = renderCommand(def, values);
      ctx.commands.push({ projectId: project.info.id, deviceId: device.ID, cmdType, values: structuredClone(values), delivered, receivedAt: now });
      if (ctx.echoReplies && cmdType === 'echo' && device.operatingstatus === 'connected') {
        // A connected device's echo handler answers at once; the reply is an ordinary device message.
        ctx.addMessage(project, {
          from: device.ID,
          to: project.info.id,
          timestamp: now + 40,
          devicetimestamp: Math.floor(now / 1000) * 1000,
          type: 'userdefined',
          payload: { ECHO: delivered },
        });
      }
      return json(200, { status: 200 });
    }),
  );

  router.get(
    `${API_PREFIX}/project/:projectId/messages/:deviceId`,
    inProject((req, project) => {
      const device = project.devices.get(req.params.deviceId);
      if (!device) return noDevice();
      const rawNum = arg(req, 'numMessages');
      let limit = 10;
      if (rawNum !== undefined && rawNum !== '') {
        if (!/^\d+$/.test(rawNum) || Number(rawNum) < 1 || Number(rawNum) > 100) {
          return error(400, 'numMessages must be an integer between 1 and 100');
        }
        limit = Number(rawNum);
      }
      let filter: { [key: string]: MongoValue } | undefined;
      const rawQuery = arg(req, 'queryJson');
      if (rawQuery) {
        try {
          filter = parseFilter(rawQuery);
        } catch (e) {
          return error(400, (e as Error).message);
        }
      }
      // The caller's filter is ANDed with the fixed project/device scope, so it can narrow, never widen.
      const list = project.messages.get(device.ID)?.all ?? [];
      const picked: StoredMessage[] = [];
      try {
        for (let i = list.length - 1; i >= 0 && picked.length < limit; i--) {
          if (!filter || matchesFilter(toMongoDocument(list[i]), filter)) picked.push(list[i]);
        }
      } catch (e) {
        if (e instanceof QueryError) return error(400, e.message);
        throw e;
      }
      // Newest N, listed oldest first (sort desc, limit, reverse).
      picked.reverse();
      return json(200, { status: 200, messages: picked.map(toHistoryMessage) });
    }),
  );

  router.get(
    `${API_PREFIX}/project/:projectId/device/:deviceId/messages/paginated`,
    inProject((req, project) => {
      const invalid = (detail: string) => error(400, `Invalid custom query: ${detail}`);
      const int = (name: string, fallback: number, min: number, max: number): number | string => {
        const raw = arg(req, name);
        if (raw === undefined) return fallback;
        if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) return `${name} must be an integer between ${min} and ${max}`;
        return Number(raw);
      };
      // The docs do not say where pages start: 1 by default (the reference's inference), 0 by option.
      const { base, zero = 'rejected' } = ctx.paging;
      const lowest = base === 1 && zero !== 'rejected' ? 0 : base;
      let page = int('p', base, lowest, Number.MAX_SAFE_INTEGER);
      if (typeof page === 'string') return invalid(page);
      if (page < base) {
        if (zero === 'empty') return error(404, 'No messages retrieved with the specified parameters');
        page = base;
      }
      const size = int('l', 50, 1, 100);
      if (typeof size === 'string') return invalid(size);
      const type = arg(req, 'type') ?? 'all';
      if (type !== 'all' && type !== 'userdefined' && type !== 'iottlyagent') return invalid('type must be one of all, userdefined, iottlyagent');
      const sort = arg(req, 'sort') ?? 'desc';
      if (sort !== 'asc' && sort !== 'desc') return invalid('sort must be asc or desc');
      const bound = (name: string): number | undefined | string => {
        const raw = arg(req, name);
        if (raw === undefined) return undefined;
        const ms = parseTime(raw);
        return Number.isNaN(ms) ? `${name} must be an ISO-8601 timestamp` : ms;
      };
      const from = bound('from');
      if (typeof from === 'string') return invalid(from);
      const to = bound('to');
      if (typeof to === 'string') return invalid(to);

      // No device check here: the query simply finds no messages for a device outside the project,
      // which this API reports as 404 like any other empty result.
      const list = project.messages.get(req.params.deviceId)?.list(type as MessageType | 'all') ?? [];
      const lo = from === undefined ? 0 : lowerBound(list, from);
      const hi = to === undefined ? list.length : Math.max(lo, lowerBound(list, to));
      const offset = (page - base) * size;
      const items: StoredMessage[] = [];
      if (sort === 'asc') {
        for (let i = lo + offset; i < hi && items.length < size; i++) items.push(list[i]);
      } else {
        for (let i = hi - 1 - offset; i >= lo && items.length < size; i--) items.push(list[i]);
      }
      if (items.length === 0) return error(404, 'No messages retrieved with the specified parameters');
      return json(200, { messages: items.map(toPaginatedMessage) });
    }),
  );

  return router;
}
