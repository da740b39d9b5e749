import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
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
