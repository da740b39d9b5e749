import request from 'supertest';
import { startHardwarioEmulator, type HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { sha256hex, startGateway, type RunningGateway } from './support/gateway-harness.js';

/** API.md §2.7b over HTTP: CORS for the configured origins. */
describe('browser access', () => {
  let emulator: HardwarioEmulator;
  let gw: RunningGateway;

  beforeAll(async () => {
    emulator = await startHardwarioEmulator();
    gw = await startGateway({
      server: { cors: { origins: ['http://localhost:*', 'https://*.example.com'], max_age_seconds: 300 } },
      clients: [{ name: 'web', key_sha256: sha256hex('key-web'), scopes: ['read', 'write'], connections: ['*'] }],
      connections: [{ id: 'hw', provider: 'hardwario', base_url: emulator.baseUrl, space_id: emulator.spaceId, credentials: { api_key: emulator.credentials.apiKey } }],
    });
  });

  afterAll(async () => {
    await gw?.close();
    await emulator?.close();
  });

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
});
