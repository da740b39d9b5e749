import type { EmulatorResponse, Router } from '@devicegate/emulators/kit';
import type { BlynkRoutes } from './blynk.routes.js';

/** The OAuth2 token endpoint: client credentials and refresh tokens. */
export function blynkOAuthRoutes(router: Router, deps: BlynkRoutes): void {
  const { tokens, clock } = deps;
  router.post('/oauth2/token', (req) => {
    deps.onTokenRequest();
    const params = new URLSearchParams(req.query);
    const type = String(req.headers['content-type'] ?? '');
    if (req.rawBody && (type.includes('application/x-www-form-urlencoded') || req.bodyInvalid)) {
      for (const [key, value] of new URLSearchParams(req.rawBody)) if (!params.has(key)) params.set(key, value);
    }
    const oauthError = (error: string, description: string): EmulatorResponse => ({ status: 400, body: { error, error_description: description }, headers: { 'cache-control': 'no-store' } });

    let clientId = params.get('client_id');
    let clientSecret = params.get('client_secret');
    const basic = /^Basic\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''));
    if (basic) {
      const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) {
        clientId = decodeURIComponent(decoded.slice(0, colon));
        clientSecret = decodeURIComponent(decoded.slice(colon + 1));
      }
    }
    const grantType = params.get('grant_type');
    if (!grantType) return oauthError('invalid_request', 'Missing grant_type parameter.');
    if (!clientId || !clientSecret) return oauthError('invalid_client', 'Client ID is not found or password is wrong.');
    const client = tokens.findClient(clientId, clientSecret);
    if (!client) return oauthError('invalid_client', 'Client ID is not found or password is wrong.');
    const now = clock();
    if (grantType === 'client_credentials') return { status: 200, body: tokens.issue(client, now), headers: { 'cache-control': 'no-store' } };
    if (grantType === 'refresh_token') {
      const refreshToken = params.get('refresh_token');
      if (!refreshToken) return oauthError('invalid_request', 'Missing refresh_token parameter.');
      const token = tokens.redeem(refreshToken, client, now);
      return token ? { status: 200, body: token, headers: { 'cache-control': 'no-store' } } : oauthError('invalid_grant', 'Refresh token is invalid, expired or already used.');
    }
    // `user_credentials` exists on the real service, but its parameters are not documented.
    return oauthError('unsupported_grant_type', `Grant type ${grantType} is not supported.`);
  });
}
