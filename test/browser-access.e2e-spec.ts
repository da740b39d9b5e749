import { get as httpGet, type IncomingMessage } from 'node:http';
import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { createApp } from '../apps/gateway/src/app.setup.js';
import { buildConfig } from '../apps/gateway/src/config/config.loader.js';
import { createLogger } from '../apps/gateway/src/ops/logger.js';
import { createProviderRegistry } from '../apps/gateway/src/providers.js';
import { sha256hex, startGateway, type RunningGateway } from './support/gateway-harness.js';

const SECRET = 'a-token-secret-shared-by-every-instance';

/** Opens `GET path` and resolves with the response once its head (and first bytes) arrive; the caller ends it. */
const openStream = (url: string, headers: Record<string, string> = {}) =>
  new Promise<{ res: IncomingMessage; first: string }>((resolve, reject) => {
    httpGet(url, { headers }, (res) => res.once('data', (chunk: Buffer) => resolve({ res, first: chunk.toString('utf8') }))).on('error', reject);
  });

/** API.md §2.7b over HTTP: CORS for the configured origins, and short-lived tokens. */
describe('browser access', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;
  let twin: RunningGateway;
  const logLines: string[] = [];
  let document: Record<string, unknown>;

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    const hw = (id: string) => ({ id, provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey } });
    document = {
      server: { cors: { origins: ['http://localhost:*', 'https://*.example.com'], max_age_seconds: 300 }, token_secret: SECRET, data_dir: ':memory:', webhook_allowed_hosts: ['127.0.0.1'] },
      clients: [
        { name: 'web', key_sha256: sha256hex('key-web'), scopes: ['read', 'write'], connections: ['*'] },
        { name: 'narrow', key_sha256: sha256hex('key-narrow'), scopes: ['read'], connections: ['hw'] },
      ],
      connections: [hw('hw'), hw('hw2')],
    };
    // The first instance logs, so the test can read its access lines.
    const providers = createProviderRegistry();
    const app = await createApp(buildConfig(document, providers, { PORT: '0' }), providers, { logger: createLogger('info', { write: (line: string) => logLines.push(line) }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    gw = { url: `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`, app, config: buildConfig(document, providers, { PORT: '0' }), close: () => app.close() };
    twin = await startGateway(document);
  });

  afterAll(async () => {
    await gw?.close();
    await twin?.close();
    await emulator?.close();
  });

  const mint = (key: string, body: Record<string, unknown>, url = gw.url) => request(url).post('/v1/tokens').set('Authorization', `Bearer ${key}`).send(body);

  describe('CORS', () => {
    it('answers the preflight of an allowed origin 204, without a key, cached for max_age_seconds', async () => {
      const res = await request(gw.url)
        .options('/v1/devices')
        .set('Origin', 'http://localhost:5173')
        .set('Access-Control-Request-Method', 'GET')
        .set('Access-Control-Request-Headers', 'authorization');
      expect(res.status).toBe(204);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
      expect(res.headers['access-control-allow-methods']).toContain('GET');
      expect(res.headers['access-control-allow-headers']).toMatch(/Authorization/);
      expect(res.headers['access-control-allow-headers']).toMatch(/Content-Type/);
      expect(res.headers['access-control-max-age']).toBe('300');
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
      expect(res.headers.vary).toContain('Origin');
    });

    it('lets an allowed origin read the answer and the headers a page needs', async () => {
      const res = await request(gw.url).get('/v1/devices?limit=2').set('Origin', 'https://app.example.com').set('Authorization', 'Bearer key-web');
      expect(res.status).toBe(200);
      expect(res.headers['access-control-allow-origin']).toBe('https://app.example.com');
      const exposed = String(res.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
      expect(exposed).toEqual(expect.arrayContaining(['x-request-id', 'server-timing', 'retry-after', 'age', 'cache-status']));
      expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    });

    it('gives errors the CORS headers too, so a page can read the error object', async () => {
      const res = await request(gw.url).get('/v1/devices').set('Origin', 'http://localhost:3001');
      expect(res.status).toBe(401);
      expect(res.headers['access-control-allow-origin']).toBe('http://localhost:3001');
    });

    it('gives another origin no CORS header, on the preflight or the request', async () => {
      const preflight = await request(gw.url).options('/v1/devices').set('Origin', 'https://evil.test').set('Access-Control-Request-Method', 'GET');
      expect(preflight.status).not.toBe(204);
      const get = await request(gw.url).get('/v1/devices').set('Origin', 'https://example.com').set('Authorization', 'Bearer key-web');
      expect(get.status).toBe(200);
      for (const res of [preflight, get]) {
        expect(Object.keys(res.headers).filter((name) => name.startsWith('access-control-'))).toEqual([]);
      }
    });
  });

  describe('short-lived tokens', () => {
    it('mints a token with at most the key\'s scopes and connections, usable as a bearer key', async () => {
      const minted = await mint('key-web', { ttl_seconds: 600, scopes: ['read'], connections: ['hw'] });
      expect(minted.status).toBe(201);
      expect(minted.body).toMatchObject({ object: 'token', scopes: ['read'], connections: ['hw'], token: expect.stringMatching(/^dgt_/) });
      const ttl = Date.parse(minted.body.expires_at) - Date.now();
      expect(ttl).toBeGreaterThan(590_000);
      expect(ttl).toBeLessThanOrEqual(600_000);
      const auth = `Bearer ${minted.body.token}`;
      const devices = await request(gw.url).get('/v1/devices?limit=2').set('Authorization', auth);
      expect(devices.status).toBe(200);
      expect(devices.body.data.map((d: { connection_id: string }) => d.connection_id)).toEqual(['hw', 'hw']);
      // Narrower than the key: hw2 is out of reach and write is not granted.
      await expect(request(gw.url).get('/v1/connections/hw2').set('Authorization', auth)).resolves.toMatchObject({ status: 404 });
      const write = await request(gw.url).post('/v1/webhooks').set('Authorization', auth).send({ url: 'http://127.0.0.1:9/x' });
      expect(write.status).toBe(403);
      expect(write.body.type).toBe('access_denied');
    });

    it('defaults to the key\'s own scopes and connections', async () => {
      const minted = await mint('key-narrow', {});
      expect(minted.status).toBe(201);
      expect(minted.body).toMatchObject({ scopes: ['read'], connections: ['hw'] });
      expect(Date.parse(minted.body.expires_at) - Date.now()).toBeLessThanOrEqual(900_000);
    });

    it('refuses more than the key has, and a ttl over an hour, naming the fields', async () => {
      const tooMuch = await mint('key-narrow', { scopes: ['read', 'write'], connections: ['hw', 'hw2', '*'] });
      expect(tooMuch.status).toBe(400);
      expect(tooMuch.body.type).toBe('validation_error');
      expect(tooMuch.body.fields.map((f: { name: string }) => f.name)).toEqual(['scopes[1]', 'connections[1]', 'connections[2]']);
      for (const body of [{ ttl_seconds: 3601 }, { ttl_seconds: 0 }, { ttl_seconds: 1.5 }, { scopes: ['admin'] }, { scopes: [] }, { connections: ['nope'] }, { lifetime: 5 }]) {
        const res = await mint('key-web', body);
        expect(res.status).toBe(400);
        expect(res.body.type).toBe('validation_error');
      }
      await expect(mint('key-web', { ttl_seconds: 3600 })).resolves.toMatchObject({ status: 201 });
    });

    it('does not let a token mint tokens', async () => {
      const { body } = await mint('key-web', { ttl_seconds: 60 });
      const res = await mint(body.token, { ttl_seconds: 60 });
      expect(res.status).toBe(403);
      expect(res.body.type).toBe('access_denied');
    });

    it('refuses a tampered, expired or foreign token', async () => {
      const { body } = await mint('key-web', { ttl_seconds: 1, scopes: ['read'] });
      const [payload, signature] = (body.token as string).slice(4).split('.');
      const widened = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), s: ['read', 'write'] })).toString('base64url');
      const tampered = await request(gw.url).get('/v1/devices').set('Authorization', `Bearer dgt_${widened}.${signature}`);
      expect(tampered.status).toBe(401);
      expect(tampered.body.type).toBe('invalid_apikey');
      // An instance with another secret (or none) does not know it.
      const stranger = await startGateway({ ...document, server: { data_dir: ':memory:' } });
      try {
        await expect(request(stranger.url).get('/v1/devices').set('Authorization', `Bearer ${body.token}`)).resolves.toMatchObject({ status: 401 });
      } finally {
        await stranger.close();
      }
      await new Promise((resolve) => setTimeout(resolve, Date.parse(body.expires_at) - Date.now() + 50));
      await expect(request(gw.url).get('/v1/devices').set('Authorization', `Bearer ${body.token}`)).resolves.toMatchObject({ status: 401 });
    });

    it('is accepted by every instance with the same token_secret, as the same client', async () => {
      const { body } = await mint('key-web', { ttl_seconds: 60 });
      const res = await request(twin.url).get('/v1/devices?limit=2').set('Authorization', `Bearer ${body.token}`);
      expect(res.status).toBe(200);
      // The twin's webhooks of client web are the key's webhooks: ownership follows the client.
      const created = await request(twin.url).post('/v1/webhooks').set('Authorization', `Bearer ${body.token}`).send({ url: 'http://127.0.0.1:9/hook' });
      expect(created.status).toBe(201);
      const listed = await request(twin.url).get('/v1/webhooks').set('Authorization', 'Bearer key-web');
      expect(listed.body.data.map((w: { id: string }) => w.id)).toContain(created.body.id);
    });

    it('opens /v1/events with ?access_token= and never logs the token', async () => {
      const { body } = await mint('key-web', { ttl_seconds: 60, scopes: ['read'] });
      const { res, first } = await openStream(`${gw.url}/v1/events?connection_id=hw&access_token=${body.token}`, { origin: 'http://localhost:5173' });
      try {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toContain('text/event-stream');
        expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
        expect(first).toContain('devicegate event stream');
      } finally {
        res.destroy();
      }
      // A stream that was opened is not access-logged until it ends; a refused one is, at once, with the value replaced.
      const forged = `${body.token.slice(0, -8)}AAAAAAAA`;
      await expect(request(gw.url).get(`/v1/events?access_token=${forged}&type=data`)).resolves.toMatchObject({ status: 401 });
      const line = logLines.find((l) => l.includes('"route":"/v1/events"'));
      expect(JSON.parse(line!)).toMatchObject({ url: '/v1/events?access_token=[redacted]&type=data', status: 401 });
      expect(logLines.join('\n')).not.toContain(body.token.slice(4, 40));
    });

    it('takes ?access_token= on /v1/events only, and only a token', async () => {
      const { body } = await mint('key-web', { ttl_seconds: 60 });
      const elsewhere = await request(gw.url).get(`/v1/devices?access_token=${body.token}`);
      expect(elsewhere.status).toBe(401);
      const key = await request(gw.url).get('/v1/events?access_token=key-web');
      expect(key.status).toBe(401);
      expect(key.body.type).toBe('invalid_auth');
      expect(logLines.join('\n')).not.toContain('key-web');
    });
  });
});
