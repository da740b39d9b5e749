import { capabilitiesOf, type ProviderDefinition } from '@devicegate/core';
import { DEFAULT_ONLINE_WINDOW_S, HardwarioConnection, type HardwarioSettings } from './hardwario.provider.js';
import { hardwarioPush } from './hardwario.push.js';

export { HardwarioConnection, DEFAULT_ONLINE_WINDOW_S, type HardwarioSettings } from './hardwario.provider.js';
export { hardwarioPush, parseHardwarioPush, verifyHardwarioPush } from './hardwario.push.js';

/**
 * HARDWARIO Cloud v2: one connection is one space, reached with a space-scoped API key (`X-Api-Key`).
 *
 * Connection keys: `space_id` (required), `credentials.api_key` (required), `online_window` (optional,
 * seconds a device counts as online after its last uplink; default 3600).
 */
export const hardwarioProvider: ProviderDefinition<HardwarioSettings> = {
  id: 'hardwario',
  displayName: 'HARDWARIO Cloud v2',
  defaultBaseUrl: 'https://api.hardwario.cloud',
  // No limit is documented (§7.3; docs.hardwario.com/cloud/cloud-v2/api names none); HARDWARIO's own client
  // (hardwario/hio-dotnet `hio-dotnet.APIs.HioCloudv2/HioCloudDriver.cs`) pauses 500 ms between pages "to
  // prevent API rate limiting", so a modest 10 per second is assumed for an account's interactive use. An
  // assumption either way: a vendor 429, or rate-limit headers reporting the window spent, pause the
  // connection (http-client `rateLimitPauseMs`).
  defaultRateLimit: { requests: 10, windowMs: 1000 },
  // The claim token and the PSK a device may carry (vendors/hardwario.md, devices).
  secretNativeFields: ['token', 'secret'],
  connectionSchema: {
    type: 'object',
    required: ['space_id', 'credentials'],
    properties: {
      space_id: { type: 'string', minLength: 1, description: 'The space (UUID) the API key belongs to.' },
      online_window: {
        type: 'integer',
        minimum: 1,
        maximum: 31_536_000,
        default: DEFAULT_ONLINE_WINDOW_S,
        description: 'Seconds after the last uplink during which a device counts as online.',
      },
      credentials: {
        type: 'object',
        required: ['api_key'],
        properties: { api_key: { type: 'string', minLength: 1, description: 'API key of the space (sent as X-Api-Key).' } },
        additionalProperties: false,
      },
    },
  },
  capabilities: capabilitiesOf(HardwarioConnection),
  push: hardwarioPush,
  create: (connection, deps) => new HardwarioConnection(connection, deps.http),
};
