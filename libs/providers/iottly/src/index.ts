import { capabilitiesOf, type ProviderDefinition } from '@devicegate/core';
import { IottlyConnection, type IottlySettings } from './iottly.provider.js';
import { iottlyPush } from './iottly.push.js';

export { IottlyConnection, MESSAGE_PAGE_MAX, type IottlySettings } from './iottly.provider.js';
export { AUTH_HEADER } from './iottly.client.js';
export { iottlyPush, parseIottlyPush, verifyIottlyPush } from './iottly.push.js';

/**
 * iottly v1.0: one connection is one project, reached with a project API key sent as
 * `Authentication: bearer <key>` (not `Authorization`).
 *
 * Connection keys: `project_id` (required, the 24-hex project id), `credentials.api_key` (required).
 * Licenses, the message history API and ping have no unified form: passthrough reaches them.
 */
export const iottlyProvider: ProviderDefinition<IottlySettings> = {
  id: 'iottly',
  displayName: 'iottly v1.0',
  defaultBaseUrl: 'https://api.cloud.iottly.com/v1.0',
  // No limit is documented (§2 of the reference; iottly/iottly.github.io `_dev/api/reference.md` lists no
  // 429), so 10 requests per second is a modest assumption for one project's key. Should the vendor answer
  // 429 or send rate-limit headers reporting the window spent, the connection pauses (http-client `rateLimitPauseMs`).
  defaultRateLimit: { requests: 10, windowMs: 1000 },
  // The license token a device is paired with (vendors/iottly.md, devices props).
  secretNativeFields: ['token'],
  connectionSchema: {
    type: 'object',
    required: ['project_id', 'credentials'],
    additionalProperties: false,
    properties: {
      project_id: {
        type: 'string',
        pattern: '^[0-9a-fA-F]{24}$',
        description: 'The project (a 24-hex MongoDB ObjectId) the API key belongs to.',
      },
      credentials: {
        type: 'object',
        required: ['api_key'],
        additionalProperties: false,
        properties: {
          api_key: { type: 'string', minLength: 1, description: 'API key of the project (console: Manage API keys), sent as `Authentication: bearer <key>`.' },
        },
      },
    },
  },
  capabilities: capabilitiesOf(IottlyConnection),
  push: iottlyPush,
  create: (connection, deps) => new IottlyConnection(connection, deps.http),
};
