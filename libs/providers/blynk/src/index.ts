import { capabilitiesOf, type ProviderDefinition } from '@devicegate/core';
import { BlynkConnection, type BlynkSettings } from './blynk.provider.js';
import { parseOrgId } from './blynk.mapper.js';
import { blynkSamples, DEFAULT_SAMPLE_INTERVAL_SECONDS } from './blynk.sample.js';

export { BlynkConnection, BLYNK_PAGE_MAX, type BlynkSettings } from './blynk.provider.js';
export { DEFAULT_SAMPLE_INTERVAL_SECONDS, SAMPLE_BUDGET_SHARE, type BlynkSampleBody } from './blynk.sample.js';

/**
 * Blynk.Cloud Platform API (Devices): one connection is one organization (optionally with its
 * sub-organizations), reached with OAuth2 client credentials (`POST /oauth2/token`, HTTP Basic).
 *
 * Connection keys: `org_id` (required, integer or numeric string), `include_sub_orgs` (optional, default
 * false: also list the devices of sub-organizations and show those organizations as projects),
 * `sample_interval_seconds` (optional, default 60: how often push mode `pull` samples datastream values),
 * `credentials.client_id` and `credentials.client_secret` (required).
 *
 * Blynk pushes nothing; with `push: {mode: pull}` devicegate samples each device's current datastream values and
 * records the changes as events (`BlynkSampler`), which gives Blynk devices a readings history and real-time events.
 */
export const blynkProvider: ProviderDefinition<BlynkSettings> = {
  id: 'blynk',
  displayName: 'Blynk.Cloud',
  defaultBaseUrl: 'https://blynk.cloud',
  // 10,000 requests per minute per organization (blynkkk/docs `blynk.cloud/platform-https-api/README.md`,
  // reference §3). The vendor counts per organization, so connections of one organization on one Blynk server
  // share one budget (budgetAccount): the organization is the configured `org_id`, which is the OAuth2 client's own.
  defaultRateLimit: { requests: 10_000, windowMs: 60_000 },
  budgetAccount: (connection) => `blynk:${new URL(connection.base_url).host}:org:${parseOrgId(connection.settings.org_id) ?? String(connection.settings.org_id)}`,
  // The device auth token, unmasked in every device object (vendors/blynk.md §3).
  secretNativeFields: ['token'],
  push: blynkSamples,
  pullable: true,
  connectionSchema: {
    type: 'object',
    required: ['org_id', 'credentials'],
    properties: {
      org_id: {
        description: 'The organization the OAuth2 client belongs to (its devices form the connection).',
        anyOf: [
          { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
          { type: 'string', pattern: '^[1-9][0-9]{0,9}$' },
        ],
      },
      include_sub_orgs: {
        type: 'boolean',
        default: false,
        description: 'Also include the devices of sub-organizations, and those organizations as projects.',
      },
      sample_interval_seconds: {
        type: 'integer',
        minimum: 1,
        maximum: 86_400,
        default: DEFAULT_SAMPLE_INTERVAL_SECONDS,
        description: 'With push mode pull: how often each device\'s datastream values are sampled (at most a tenth of rate_limit is spent on it).',
      },
      credentials: {
        type: 'object',
        required: ['client_id', 'client_secret'],
        properties: {
          client_id: { type: 'string', minLength: 1, description: 'OAuth2 client id (Blynk.Console → Developer Zone → OAuth2).' },
          client_secret: { type: 'string', minLength: 1, description: 'OAuth2 client secret.' },
        },
        additionalProperties: false,
      },
    },
  },
  capabilities: capabilitiesOf(BlynkConnection),
  create: (connection, deps) => new BlynkConnection(connection, deps.http),
};
