import { capabilitiesOf, type ProviderDefinition } from '@devicegate/core';
import { DEFAULT_TOKEN_URL } from './disruptive.client.js';
import { DisruptiveConnection, type DisruptiveSettings } from './disruptive.provider.js';
import { disruptivePush, DT_PUSH_ISSUER } from './disruptive.push.js';

export { DisruptiveConnection, type DisruptiveSettings } from './disruptive.provider.js';
export { DEFAULT_TOKEN_URL } from './disruptive.client.js';
export { disruptivePush, parseDisruptivePush, verifyDisruptivePush } from './disruptive.push.js';

const nonEmpty = { type: 'string', minLength: 1 };

/**
 * Disruptive Technologies (DT Studio) REST API v2: projects the service account sees (optionally one
 * organization's), their sensors and Cloud Connectors, and the devices' event history.
 */
export const disruptiveProvider: ProviderDefinition<DisruptiveSettings> = {
  id: 'disruptive',
  displayName: 'Disruptive Technologies',
  defaultBaseUrl: 'https://api.disruptive-technologies.com/v2',
  // Documented: 25 requests per 5 seconds (§3.7).
  defaultRateLimit: { requests: 25, windowMs: 5_000 },
  connectionSchema: {
    type: 'object',
    properties: {
      organization_id: { ...nonEmpty, description: 'Organization id (bare or `organizations/<id>`); without it, every project the account sees. Required with `push`: DT signs the pushes of every organization with the same keys.' },
      token_url: { type: 'string', pattern: '^https?://', description: `OAuth2 token endpoint (default ${DEFAULT_TOKEN_URL}).` },
      push_issuer: { type: 'string', pattern: '^https?://', description: `Issuer of the data connectors' \`Dt-Asymmetric-Signature\` (default ${DT_PUSH_ISSUER}).` },
      auth: { enum: ['oauth2', 'basic'], description: 'OAuth2 JWT-bearer exchange (default) or HTTP Basic.' },
      credentials: {
        type: 'object',
        properties: { key_id: nonEmpty, secret: nonEmpty, email: nonEmpty },
        required: ['key_id', 'secret'],
        additionalProperties: false,
      },
    },
    required: ['credentials'],
    additionalProperties: false,
    // The JWT's issuer is the service account's e-mail, so OAuth2 (the default) needs it.
    if: { properties: { auth: { const: 'basic' } }, required: ['auth'] },
    then: {},
    else: { properties: { credentials: { required: ['email'] } } },
  },
  // API.md §4 for DT: sensors are claimed in DT Studio, cannot be deleted through the API and take no commands.
  capabilities: capabilitiesOf(DisruptiveConnection),
  push: disruptivePush,
  pullable: true,
  create: (connection, deps) => new DisruptiveConnection(connection, deps),
};
