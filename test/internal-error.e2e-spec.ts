import request from 'supertest';
import { ProviderRegistry, capabilitiesOf, type ProviderConnection, type ProviderDefinition } from '@devicegate/core';
import { createApp } from '../apps/gateway/src/app.setup.js';
import { buildConfig } from '../apps/gateway/src/config/config.loader.js';
import { sha256hex } from './support/gateway-harness.js';

/** A connection whose code has a fault: the gateway must answer 500 with the error object and nothing more. */
const broken: ProviderConnection = {
  projects: { plan: () => ({ order: 'ASC', exactTotal: false }), fetchPage: async () => ({ items: [], next: null }) },
  devices: { plan: () => ({ order: 'ASC', exactTotal: false }), fetchPage: async () => ({ items: [], next: null }) },
  messages: () => ({ plan: () => ({ order: 'DESC', exactTotal: false }), fetchPage: async () => ({ items: [], next: null }) }),
  getProject: async () => {
    throw new Error('unused');
  },
  getDevice: async () => {
    const record = undefined as unknown as { name: string };
    return { name: record.name } as never;
  },
  getDeviceStatus: async () => {
    throw new Error('unused');
  },
  authHeaders: async () => ({ 'x-secret': 'secret-value' }),
};

const faulty: ProviderDefinition = {
  id: 'hardwario',
  displayName: 'Faulty',
  defaultBaseUrl: 'http://127.0.0.1:9',
  defaultRateLimit: { requests: 10, windowMs: 1000 },
  connectionSchema: { type: 'object' },
  capabilities: capabilitiesOf(broken),
  create: () => broken,
};

describe('a fault inside devicegate', () => {
  it('answers 500 internal_server_error with the request id and no stack trace', async () => {
    const registry = new ProviderRegistry([faulty]);
    const config = buildConfig(
      { clients: [{ name: 'k', key_sha256: sha256hex('k'), scopes: ['read'] }], connections: [{ id: 'broken', provider: 'hardwario' }] },
      registry,
      { PORT: '0' },
    );
    const app = await createApp(config, registry, { logger: false });
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const url = `http://127.0.0.1:${(app.getHttpServer().address() as { port: number }).port}`;
      const res = await request(url).get('/v1/devices/broken:1').set('Authorization', 'Bearer k');
      expect(res.status).toBe(500);
      expect(res.body).toEqual({
        object: 'error',
        code: 500,
        type: 'internal_server_error',
        message: 'An internal error occurred.',
        request_id: res.headers['x-request-id'],
        retryable: false,
      });
      expect((await request(url).get('/healthz')).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});
