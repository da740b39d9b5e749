import { capabilitiesOf, type ProviderDefinition } from '@devicegate/core';
import { IzumaConnection } from './izuma.provider.js';
import { izumaPush } from './izuma.push.js';

export { IzumaConnection } from './izuma.provider.js';
export { izumaPush, parseIzumaAsyncResponses, parseIzumaPush, verifyIzumaPush } from './izuma.push.js';

/**
 * Izuma Device Management (ex Pelion / Mbed Cloud): the account of an access key, its Device Directory,
 * device events as messages and Connect device requests as commands.
 */
export const izumaProvider: ProviderDefinition = {
  id: 'izuma',
  displayName: 'Izuma Device Management',
  defaultBaseUrl: 'https://api.us-east-1.mbedcloud.com',
  // No request-rate limit is documented (reference §3.9, §8: the API pages name 429 only for subscriptions,
  // device requests and the WebSocket handshake, and the mbed-cloud-sdk clients handle none); this budget
  // only keeps devicegate polite. A 429 or rate-limit headers reporting the window spent pause the
  // connection (http-client `rateLimitPauseMs`).
  defaultRateLimit: { requests: 20, windowMs: 1000 },
  connectionSchema: {
    type: 'object',
    required: ['credentials'],
    additionalProperties: false,
    properties: {
      credentials: {
        type: 'object',
        required: ['api_key'],
        additionalProperties: false,
        properties: {
          api_key: { type: 'string', pattern: '^ak_\\S+$', description: 'An Izuma access key (or legacy API key), `ak_…`.' },
        },
      },
    },
  },
  capabilities: capabilitiesOf(IzumaConnection),
  push: izumaPush,
  pullable: true,
  create: (connection, deps) => new IzumaConnection(connection, deps),
};
