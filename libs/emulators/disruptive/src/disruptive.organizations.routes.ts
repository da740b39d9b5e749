import type { Router } from '@devicegate/emulators/kit';
import { dtError, isPage, offsetPage, ok, readPage, type DisruptiveRoutes } from './disruptive.routes.js';

/** Organizations and their permissions. */
export function disruptiveOrganizationRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { store, permissions, guard } = ctx;
  router.get(
    '/v2/organizations',
    guard('api', 'organization.read', (req) => {
      const page = readPage(req, 100, 100);
      if (!isPage(page)) return page;
      const orgs = [...store.organizations.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
      return offsetPage(orgs, page, 'organizations', (o) => store.organizationWire(o));
    }),
  );
  router.get(
    '/v2/organizations/:org',
    guard('api', 'organization.read', (req) => {
      const org = store.organizations.get(req.params.org);
      return org ? ok(store.organizationWire(org)) : dtError(404);
    }),
  );
  router.get(
    '/v2/organizations/:org/permissions',
    guard('api', undefined, (req) => (store.organizations.has(req.params.org) ? ok({ permissions: [...permissions], nextPageToken: '' }) : dtError(404))),
  );
}
