import type { Router } from '@devicegate/emulators/kit';
import { API_PREFIX, error, json, type IottlyRoutes } from './iottly.routes.js';

/** The project itself: ping, inspect and its license tokens. */
export function iottlyProjectRoutes(router: Router, routes: IottlyRoutes): void {
  router.get(`${API_PREFIX}/project/ping`, (req) => (routes.authenticate(req) ? json(200, { status: 'pong' }) : routes.unauthenticated()));

  router.get(
    `${API_PREFIX}/project/:projectId/inspect`,
    routes.inProject((_req, { info }) =>
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
    routes.inProject((_req, project) => {
      const body: Record<string, unknown> = {};
      for (const token of project.licenses.keys()) body[token] = project.licenseEntry(token);
      return json(200, body);
    }),
  );

  // One license: the reference leaves the shape open; the same map with a single entry is the
  // likelier form. A token of another project (or none) is treated like a foreign device: 403.
  router.get(
    `${API_PREFIX}/project/:projectId/license/:licenseId`,
    routes.inProject((req, project) => {
      const entry = project.licenseEntry(req.params.licenseId);
      if (!entry) return error(403, 'Client does not have permission for the specified license');
      return json(200, { [req.params.licenseId]: entry });
    }),
  );
}
