import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GatewayError } from '@devicegate/errors';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';
import { TOKEN_PREFIX, TokenSigner } from '../tokens/token-signer.js';

/**
 * Finds the client whose key hashes to the configured SHA-256. Every configured hash is compared,
 * in constant time, so the time taken says nothing about which key came close.
 */
export function findClient(clients: readonly ClientConfig[], key: string): ClientConfig | undefined {
  const digest = createHash('sha256').update(key, 'utf8').digest();
  let found: ClientConfig | undefined;
  for (const client of clients) {
    if (timingSafeEqual(digest, client.keySha256) && !found) found = client;
  }
  return found;
}

/** RFC 6750 `Authorization: Bearer <b64token>`; the scheme is case-insensitive. */
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** Keys recently matched; only keys that matched are kept, so unknown keys always take the constant-time path. */
const KNOWN_KEYS_MAX = 1000;

/** The configured client keys, with the keys seen recently remembered so a request costs one map lookup. */
@Injectable()
export class ClientKeys {
  private readonly known = new Map<string, ClientConfig>();

  constructor(
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    private readonly tokens: TokenSigner,
  ) {}

  /** The client an `Authorization` header names: 401 `invalid_auth` when it is not a bearer key, `invalid_apikey` when no client has the key. */
  authenticate(authorization: string | undefined): ClientConfig {
    const match = BEARER.exec(authorization ?? '');
    if (!match) throw new GatewayError('invalid_auth', 'An Authorization header of the form "Bearer <key>" is required.');
    const client = this.find(match[1]);
    if (!client) throw new GatewayError('invalid_apikey');
    return client;
  }

  /** The client of a configured key, or of a valid short-lived token (narrowed to what it grants). */
  find(key: string): ClientConfig | undefined {
    if (key.startsWith(TOKEN_PREFIX)) return this.tokens.resolve(key);
    const cached = this.known.get(key);
    if (cached) return cached;
    const client = findClient(this.config.clients, key);
    if (!client) return undefined;
    if (this.known.size >= KNOWN_KEYS_MAX) this.known.clear();
    this.known.set(key, client);
    return client;
  }
}
