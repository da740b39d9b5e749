import type { Router } from '@devicegate/emulators/kit';
import { TokenError } from './disruptive.auth.js';
import { ok, type DisruptiveRoutes } from './disruptive.routes.js';

/** The OAuth2 token endpoint (the identity host in production). */
export function disruptiveOAuthRoutes(router: Router, ctx: DisruptiveRoutes): void {
  const { tokens } = ctx;
  router.post('/oauth2/token', (req) => {
    // Form body only: DT ignores query parameters here.
    const isForm = String(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
    try {
      return ok(tokens.exchange(isForm ? new URLSearchParams(req.rawBody) : undefined));
    } catch (error) {
      // Documented only as "HTTP 400"; the body follows the OAuth2 error form a token endpoint uses.
      if (error instanceof TokenError) return { status: 400, body: { error: error.code, error_description: error.message } };
      throw error;
    }
  });
}
