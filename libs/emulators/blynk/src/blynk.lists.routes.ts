import type { Router } from '@devicegate/emulators/kit';
import { blynkError, intParam, isResponse, pageOf, paging, parseBoolean, userNotFound, V1, type BlynkRoutes } from './blynk.routes.js';
import type { StoredDevice } from './blynk.types.js';

const MAX_QUERY_LENGTH = 255;

const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

type SortKey = (d: StoredDevice) => number | string;

/** Lists: devices, organizations and users. */
export function blynkListRoutes(router: Router, deps: BlynkRoutes): void {
  const { store, clock, api, scopeOrg, userByEmail, summary } = deps;
  router.get(
    `${V1}/devices`,
    api((req, ctx) => {
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const includeSub = parseBoolean(req.query.get('includeSubOrgDevices'));
      if (includeSub === null) return blynkError(400, 'includeSubOrgDevices should be true or false.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const orgs = includeSub ? store.orgTree(orgId) : new Set([orgId]);
      return pageOf(store.devicesOf(orgs), p, summary);
    }),
  );

  const ownerOf = (d: StoredDevice) => (d.ownerUserId !== null ? store.users.get(d.ownerUserId) : undefined);
  const SORT_KEYS: Record<string, SortKey> = {
    deviceid: (d) => d.id,
    id: (d) => d.id,
    name: (d) => d.name.toLowerCase(),
    authtoken: (d) => d.token,
    token: (d) => d.token,
    ownerid: (d) => d.ownerUserId ?? -1,
    owneruserid: (d) => d.ownerUserId ?? -1,
    deviceownername: (d) => ownerOf(d)?.name.toLowerCase() ?? '',
    deviceowner: (d) => ownerOf(d)?.email ?? '',
    // Devices here are activated by their first owner, so "Activated By" sorts like the owner e-mail.
    activatedby: (d) => ownerOf(d)?.email ?? '',
    lastreportedat: (d) => Math.max(d.connectTime, d.disconnectTime, d.lastReceivedEventAt),
    activatedat: (d) => d.activatedAt,
    model: (d) => d.hardwareInfo?.boardType ?? '',
    templatename: (d) => d.template.name.toLowerCase(),
    templateid: (d) => d.template.id,
    firmwareversion: (d) => d.hardwareInfo?.version ?? '',
    organizationid: (d) => d.orgId,
    orgid: (d) => d.orgId,
    status: (d) => (d.connected ? 'online' : 'offline'),
  };

  router.get(
    `${V1}/search/devices`,
    api((req, ctx) => {
      const query = req.query.get('query');
      if (query === null || query.trim() === '') return blynkError(400, 'Search query is required.');
      if (query.length > MAX_QUERY_LENGTH) return blynkError(400, `Search query should be up to ${MAX_QUERY_LENGTH} symbols.`);
      const sortByRaw = req.query.get('sortBy');
      const sortKey = sortByRaw ? SORT_KEYS[sortByRaw.replace(/[\s_]/g, '').toLowerCase()] : undefined;
      if (sortByRaw && !sortKey) return blynkError(400, `Sorting by '${sortByRaw}' is not supported.`);
      const order = (req.query.get('sortOrder') ?? 'ASC').toUpperCase();
      if (order !== 'ASC' && order !== 'DESC') return blynkError(400, 'sortOrder should be ASC or DESC.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      // The query is matched against device names, case-insensitively, across the caller's
      // organization and its sub-organizations (there is no orgId parameter).
      const needle = query.trim().toLowerCase();
      const hits = store.devicesOf(ctx.tree).filter((d) => d.name.toLowerCase().includes(needle));
      const key = sortKey ?? SORT_KEYS.id;
      const sign = order === 'DESC' ? -1 : 1;
      hits.sort((a, b) => {
        const ka = key(a);
        const kb = key(b);
        const c = ka < kb ? -1 : ka > kb ? 1 : 0;
        return c !== 0 ? sign * c : a.id - b.id;
      });
      return pageOf(hits, p, summary);
    }),
  );

  router.get(
    `${V1}/device/by-owner`,
    api((req, ctx) => {
      const email = req.query.get('ownerEmail');
      if (!email || !EMAIL_PATTERN.test(email)) return blynkError(400, 'Invalid owner email.');
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const user = userByEmail(email, ctx);
      if (!user) return userNotFound();
      // The owner's devices within the organization and the organizations below it.
      const owned = store.devicesOf(store.orgTree(orgId)).filter((d) => d.ownerUserId === user.id);
      return pageOf(owned, p, summary);
    }),
  );

  router.get(
    `${V1}/device/by-user-org`,
    api((req, ctx) => {
      const email = req.query.get('userEmail');
      if (!email || !EMAIL_PATTERN.test(email)) return blynkError(400, 'Invalid user email.');
      const p = paging(req.query);
      if (isResponse(p)) return p;
      const user = userByEmail(email, ctx);
      // This operation documents no 404, so an unknown user is a bad request.
      if (!user) return blynkError(400, "User is not found or you don't have access to him.");
      return pageOf(store.devicesOf(new Set([user.orgId])), p, summary);
    }),
  );

  router.get(
    `${V1}/device/last-activated`,
    api((req, ctx) => {
      const orgId = scopeOrg(req, ctx);
      if (isResponse(orgId)) return orgId;
      const minutesRaw = intParam(req.query, 'minutes');
      if (minutesRaw !== undefined && Number.isNaN(minutesRaw)) return blynkError(400, 'Invalid minutes value.');
      // The legacy page allows 1..60 and the current one lists no 400 here, so the window is clamped.
      const minutes = Math.min(60, Math.max(1, minutesRaw ?? 5));
      const since = clock() - minutes * 60_000;
      const recent = store
        .devicesOf(new Set([orgId]))
        .filter((d) => d.activatedAt >= since)
        .sort((a, b) => b.activatedAt - a.activatedAt || a.id - b.id);
      return { status: 200, body: recent.map((d) => store.activated(d)) };
    }),
  );
}
