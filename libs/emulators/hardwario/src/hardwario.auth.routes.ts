import type { Router } from '@devicegate/emulators/kit';
import { fastifyError, HttpFailure } from './hardwario.errors.js';
import type { CloudContext } from './hardwario.routes.js';
import { bodyObject, requireField } from './hardwario.validate.js';

/** Login for a bearer token (the console's way in). */
export function hardwarioAuthRoutes(router: Router, ctx: CloudContext): void {
  const { store } = ctx;
  router.post('/v2/auth/login', (req) => {
    try {
      const body = bodyObject(req.body, req.bodyInvalid);
      requireField(body, 'email');
      requireField(body, 'password');
      if (body.email !== ctx.credentials.email || body.password !== ctx.credentials.password) return fastifyError(401, 'Invalid email or password');
      const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const iat = Math.floor(ctx.now() / 1000);
      const token = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64({ sub: store.space.owner_id, email: ctx.credentials.email, iat, exp: iat + 86_400 })}.${ctx.newId(ctx.now()).replace(/-/g, '')}`;
      ctx.issuedTokens.add(token);
      return { status: 200, body: { access_token: token } };
    } catch (error) {
      if (error instanceof HttpFailure) return error.response;
      throw error;
    }
  });
}
