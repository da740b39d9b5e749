import type { Router } from '@devicegate/emulators/kit';
import { dtError, isPage, lastSegment, offsetPage, ok, param, readPage, type DisruptiveRoutes } from './disruptive.routes.js';

/** Projects and their permissions. */
export function disruptiveProjectRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { store, permissions, guard, findProject } = ctx;
  router.get(
    '/v2/projects',
    guard('api', 'project.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const org = param(req, 'organization');
      const orgId = org ? lastSegment(org) : undefined;
      const query = param(req, 'query')?.toLowerCase();
      const projects = store.sortedProjects().filter((p) => {
        if (orgId && p.organizationId !== orgId) return false;
        if (!query) return true;
        const orgName = store.organizations.get(p.organizationId)?.displayName ?? '';
        return p.displayName.toLowerCase().includes(query) || orgName.toLowerCase().includes(query);
      });
      return offsetPage(projects, page, 'projects', (p) => store.projectWire(p));
    }),
  );
  router.get(
    '/v2/projects/:project',
    guard('api', 'project.read', (req) => {
      const project = findProject(req.params.project);
      return project ? ok(store.projectWire(project)) : dtError(404);
    }),
  );
  router.get(
    '/v2/projects/:project/permissions',
    guard('api', undefined, (req) => (findProject(req.params.project) ? ok({ permissions: [...permissions], nextPageToken: '' }) : dtError(404))),
  );
}
