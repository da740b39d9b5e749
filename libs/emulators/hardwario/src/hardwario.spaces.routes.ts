import type { Router } from '@devicegate/emulators/kit';
import { guard, pageAfterId, SPACE, type CloudContext } from './hardwario.routes.js';

/** The credential's space. */
export function hardwarioSpaceRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  router.get('/v2/spaces/?', guard(ctx, (req) => ({ status: 200, body: pageAfterId([store.space], req.query) })));
  router.get(SPACE, guard(ctx, () => ({ status: 200, body: store.space })));
}
