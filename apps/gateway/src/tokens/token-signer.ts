import { Inject, Injectable } from '@nestjs/common';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG, SCOPES, type ClientConfig, type GatewayConfig, type Scope } from '../config/config.types.js';

/** Every token starts with this, so a key resolver tells tokens from keys without trying both. */
export const TOKEN_PREFIX = 'dgt_';
export const MAX_TOKEN_TTL_SECONDS = 3600;

/** What a token grants, signed into it. */
export interface TokenGrant {
  client: string;
  scopes: Scope[];
  connections: string[];
  /** Epoch seconds. */
  expiresAt: number;
}

interface Payload {
  c: string;
  s: Scope[];
  n: string[];
  e: number;
}

/**
 * Short-lived bearer tokens that need no storage: `dgt_<payload>.<HMAC-SHA256 of it>`, both base64url,
 * the payload naming the minting client, its granted scopes and connections and the expiry. Any instance
 * with the same `server.token_secret` accepts a token another minted; without one each process signs
 * with a random secret of its own, so its tokens die with it. A token never grants more than its client
 * has now: scopes and connections removed from the configuration are removed from its tokens too.
 */
@Injectable()
export class TokenSigner {
  private readonly secret: Buffer;
  private readonly clients: Map<string, ClientConfig>;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.secret = config.server.tokenSecret ? Buffer.from(config.server.tokenSecret, 'utf8') : randomBytes(32);
    this.clients = new Map(config.clients.map((client) => [client.name, client]));
  }

  mint(grant: TokenGrant): string {
    const payload = Buffer.from(JSON.stringify({ c: grant.client, s: grant.scopes, n: grant.connections, e: grant.expiresAt } satisfies Payload)).toString('base64url');
    return `${TOKEN_PREFIX}${payload}.${this.sign(payload).toString('base64url')}`;
  }

  /** The client a valid, unexpired token acts as, narrowed to what it grants; undefined for anything else. */
  resolve(token: string, nowMs = Date.now()): ClientConfig | undefined {
    const dot = token.indexOf('.', TOKEN_PREFIX.length);
    if (!token.startsWith(TOKEN_PREFIX) || dot < 0) return undefined;
    const payload = token.slice(TOKEN_PREFIX.length, dot);
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const expected = this.sign(payload);
    if (signature.length !== expected.length || !timingSafeEqual(signature, expected)) return undefined;
    const grant = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Payload;
    const client = this.clients.get(grant.c);
    if (!client || grant.e * 1000 <= nowMs) return undefined;
    const all = client.connections.has('*');
    return {
      ...client,
      scopes: new Set(SCOPES.filter((scope) => grant.s.includes(scope) && client.scopes.has(scope))),
      connections: new Set(grant.n.filter((id) => all || client.connections.has(id))),
      tokenExpiresAt: grant.e * 1000,
    };
  }

  private sign(payload: string): Buffer {
    return createHmac('sha256', this.secret).update(payload).digest();
  }
}
