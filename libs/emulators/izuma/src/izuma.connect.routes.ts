import type { Router } from '@devicegate/emulators/kit';
import type { IzumaRoutes } from './izuma.routes.js';
import { inspectRequest } from './izuma.spec-validator.js';

/** Device Management Connect (`/v2`): device requests, resources and the notification channels. */
export function izumaConnectRoutes(router: Router, routes: IzumaRoutes): void {
  const { connect, authed } = routes;
  router
    .post(
      '/v2/device-requests/:deviceId/?',
      authed((req, ctx) => {
        const inspection = inspectRequest(req.method, req.path, req.query, req.rawBody);
        const bodyIssues = inspection.issues.some((issue) => issue.location === 'body');
        return connect.submit(ctx.apiKey, req.params.deviceId, req.query, req.body, req.bodyInvalid, bodyIssues);
      }),
    )
    .get(
      '/v2/endpoints/:deviceId',
      authed((req) => connect.endpointResources(req.params.deviceId)),
    )
    .get(
      '/v2/notification/pull',
      authed((_req, ctx) => connect.pull(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/pull',
      authed((_req, ctx) => connect.deletePull(ctx.apiKey)),
    )
    .get(
      '/v2/notification/channel',
      authed((_req, ctx) => connect.channelInfo(ctx.apiKey)),
    )
    .put(
      '/v2/notification/callback',
      authed((req, ctx) => (req.bodyInvalid ? { status: 400, body: 'Malformed JSON' } : connect.registerCallback(ctx.apiKey, req.body))),
    )
    .get(
      '/v2/notification/callback',
      authed((_req, ctx) => connect.callbackInfo(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/callback',
      authed((_req, ctx) => connect.deleteCallback(ctx.apiKey)),
    )
    .put(
      '/v2/notification/websocket',
      authed((req, ctx) => (req.bodyInvalid ? { status: 400, body: 'Malformed JSON' } : connect.registerWebsocket(ctx.apiKey, req.body))),
    )
    .get(
      '/v2/notification/websocket',
      authed((_req, ctx) => connect.websocketInfo(ctx.apiKey)),
    )
    .delete(
      '/v2/notification/websocket',
      authed((_req, ctx) => connect.deleteWebsocket(ctx.apiKey)),
    )
    // Reached only without an upgrade: the reference's 426.
    .get('/v2/notification/websocket-connect', () => ({ status: 426, body: 'Upgrade required' }));
}
