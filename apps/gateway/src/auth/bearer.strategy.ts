import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { createHash, timingSafeEqual } from 'node:crypto';
import { GATEWAY_CONFIG, type ClientConfig, type GatewayConfig } from '../config/config.types.js';

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

@Injectable()
export class BearerStrategy extends PassportStrategy(Strategy, 'bearer') {
  constructor(@Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig) {
    super();
  }

  validate(token: string): ClientConfig | false {
    return findClient(this.config.clients, token) ?? false;
  }
}
