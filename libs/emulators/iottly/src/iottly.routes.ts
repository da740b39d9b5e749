import type { EmulatorRequest, EmulatorResponse, Handler } from '@devicegate/emulators/kit';
import type { ProjectStore } from './iottly.store.js';
import type { IottlyDeviceProps, RecordedCommand, StoredMessage } from './iottly.types.js';

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

export const json = (status: number, body: unknown): EmulatorResponse => ({ status, body });
export const error = (status: number, message: string): EmulatorResponse => json(status, { error: message });

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
export function arg(req: EmulatorRequest, name: string): string | undefined {
  const values = req.query.getAll(name);
  return values.length === 0 ? undefined : values[values.length - 1].trim();
}

export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export type ProjectHandler = (req: EmulatorRequest, project: ProjectStore) => EmulatorResponse;

/** What every iottly resource's routes share: the context and the 2017 auth service's checks. */
export interface IottlyRoutes extends IottlyRouteContext {
  /** The project of the request's key, if any. */
  authenticate(req: EmulatorRequest): ProjectStore | undefined;
  unauthenticated(): EmulatorResponse;
  /** Route check (ObjectId), then the key (401), then the key's project (403). */
  inProject(handler: ProjectHandler): Handler;
  /** `inProject`, then the device of the path in that project; any other device is 403, as the reference says. */
  inDevice(handler: (req: EmulatorRequest, project: ProjectStore, device: IottlyDeviceProps) => EmulatorResponse): Handler;
}

export function iottlyRoutes(ctx: IottlyRouteContext): IottlyRoutes {
  const byKey = new Map<string, ProjectStore>();
  for (const project of ctx.projects) for (const key of project.apiKeys) byKey.set(key, project);

  const authenticate = (req: EmulatorRequest): ProjectStore | undefined => {
    const header = req.headers['authentication'];
    const value = Array.isArray(header) ? header[header.length - 1] : header;
    const match = value ? TOKEN_RE.exec(value) : null;
    return match ? byKey.get(match[1]) : undefined;
  };
  const unauthenticated = () => error(401, 'Client is not authenticated');
  const inProject: IottlyRoutes['inProject'] = (handler) => (req) => {
    if (!OBJECT_ID_RE.test(req.params.projectId)) return tornadoError(404);
    const project = authenticate(req);
    if (!project) return unauthenticated();
    if (project.info.id !== req.params.projectId.toLowerCase()) {
      return error(403, 'Client does not have permission for the specified project');
    }
    return handler(req, project);
  };
  return {
    ...ctx,
    authenticate,
    unauthenticated,
    inProject,
    inDevice: (handler) =>
      inProject((req, project) => {
        const device = project.devices.get(req.params.deviceId);
        return device ? handler(req, project, device) : error(403, 'Client does not have permission for the specified device');
      }),
  };
}
