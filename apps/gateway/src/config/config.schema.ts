import { CONNECTION_ID_PATTERN, PROVIDER_IDS } from '@devicegate/core';
import { SCOPES } from './config.types.js';

/** The common part of the configuration file (API.md §5); each provider adds the schema of its own connection keys. */
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['connections'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      properties: {
        port: { type: 'integer', minimum: 0, maximum: 65535 },
        host: { type: 'string', minLength: 1 },
        rate_limit: {
          type: 'object',
          additionalProperties: false,
          required: ['per_second'],
          properties: {
            per_second: { type: 'number', exclusiveMinimum: 0 },
            burst: { type: 'integer', minimum: 1 },
          },
        },
        redis_url: { type: 'string' },
        data_dir: { type: 'string', minLength: 1 },
        event_retention_hours: { type: 'number', exclusiveMinimum: 0, maximum: 87600 },
        expose_names: { type: 'boolean' },
        failed_auth_limit: {
          type: 'object',
          additionalProperties: false,
          required: ['per_second', 'burst'],
          properties: {
            per_second: { type: 'number', exclusiveMinimum: 0 },
            burst: { type: 'integer', minimum: 1 },
          },
        },
        webhook_allowed_hosts: { type: 'array', items: { type: 'string', pattern: '^(\\*|(\\*\\.)?[A-Za-z0-9._:-]+(/\\d{1,3})?)$' } },
        token_secret: { type: 'string', minLength: 32 },
        cors: {
          type: 'object',
          additionalProperties: false,
          required: ['origins'],
          properties: {
            origins: { type: 'array', items: { type: 'string', pattern: '^(\\*|([Hh][Tt][Tt][Pp][Ss]?://)?(\\*\\.)?[A-Za-z0-9.-]+(:([0-9]{1,5}|\\*))?)$' } },
            max_age_seconds: { type: 'integer', minimum: 0, maximum: 86400 },
          },
        },
        max_event_streams: { type: 'integer', minimum: 1, maximum: 100000 },
        max_event_streams_per_key: { type: 'integer', minimum: 1, maximum: 100000 },
        max_webhooks_per_key: { type: 'integer', minimum: 1, maximum: 100000 },
        max_pending_deliveries: { type: 'integer', minimum: 1, maximum: 100000000 },
        refused_hooks_per_minute: { type: 'integer', minimum: 1, maximum: 1000000 },
        shutdown_timeout_seconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 },
      },
    },
    clients: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'key_sha256', 'scopes'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 100 },
          key_sha256: { type: 'string', pattern: '^[0-9a-fA-F]{64}$' },
          scopes: { type: 'array', minItems: 1, uniqueItems: true, items: { enum: [...SCOPES] } },
          connections: { type: 'array', items: { type: 'string', minLength: 1 } },
        },
      },
    },
    connections: {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'provider'],
        properties: {
          id: { type: 'string', pattern: CONNECTION_ID_PATTERN.source },
          provider: { enum: [...PROVIDER_IDS] },
          display_name: { type: 'string', minLength: 1, maxLength: 200 },
          base_url: { type: 'string', pattern: '^https?://[^\\s]+$' },
          timeout_ms: { type: 'integer', minimum: 100, maximum: 300000 },
          retries: { type: 'integer', minimum: 0, maximum: 10 },
          circuit: {
            type: 'object',
            additionalProperties: false,
            properties: { failure_threshold: { type: 'integer', minimum: 1, maximum: 1000 }, open_seconds: { type: 'number', exclusiveMinimum: 0, maximum: 3600 } },
          },
          cache: {
            type: 'object',
            additionalProperties: false,
            properties: { ttl_seconds: { type: 'number', minimum: 0, maximum: 3600 } },
          },
          readings: {
            type: 'object',
            additionalProperties: false,
            required: ['units'],
            properties: {
              // Native name or common name → UCUM code (`Cel`, `%`, `[ppm]`, `kW.h` …): one token, no spaces.
              units: { type: 'object', maxProperties: 1000, propertyNames: { minLength: 1, maxLength: 200 }, additionalProperties: { type: 'string', pattern: '^\\S{1,40}$' } },
            },
          },
          push: {
            type: 'object',
            additionalProperties: false,
            properties: { secret: { type: 'string', minLength: 8 }, mode: { enum: ['push', 'pull'] } },
          },
          rate_limit: {
            oneOf: [
              { type: 'number', exclusiveMinimum: 0 },
              {
                type: 'object',
                additionalProperties: false,
                required: ['requests', 'per_seconds'],
                properties: { requests: { type: 'integer', minimum: 1 }, per_seconds: { type: 'number', exclusiveMinimum: 0 } },
              },
            ],
          },
        },
      },
    },
  },
} as const;

export const COMMON_CONNECTION_KEYS = new Set(['id', 'provider', 'display_name', 'base_url', 'timeout_ms', 'retries', 'rate_limit', 'circuit', 'cache', 'readings', 'push']);
