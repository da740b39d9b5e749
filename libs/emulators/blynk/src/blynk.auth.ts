import { randomBytes } from 'node:crypto';

/** An OAuth2 client registered in Blynk.Console (Developer Zone → OAuth2). */
export interface OAuthClient {
  clientId: string;
  clientSecret: string;
  orgId: number;
  /** Without the Platform API scope the client gets tokens but every API call answers 403. */
  platformApiScope: boolean;
}

export interface OAuth2TokenJson {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
}

export interface TokenGrant {
  client: OAuthClient;
  expiresAt: number;
}

export type BearerCheck = { ok: true; grant: TokenGrant } | { ok: false; reason: 'missing' | 'invalid' | 'expired' };

/** 40 characters of letters, digits, `-` and `_`, like the tokens in Blynk's examples. */
const opaqueToken = (): string => randomBytes(30).toString('base64url');

/** Issues and checks access tokens; refresh tokens are single-use, as Blynk documents. */
export class TokenIssuer {
  private readonly access = new Map<string, TokenGrant>();
  private readonly refresh = new Map<string, TokenGrant>();

  constructor(
    private readonly clients: readonly OAuthClient[],
    private readonly ttlSeconds: number,
  ) {}

  findClient(clientId: string, clientSecret: string): OAuthClient | undefined {
    return this.clients.find((c) => c.clientId === clientId && c.clientSecret === clientSecret);
  }

  issue(client: OAuthClient, now: number): OAuth2TokenJson {
    const expiresAt = now + this.ttlSeconds * 1000;
    const accessToken = opaqueToken();
    const refreshToken = opaqueToken();
    this.access.set(accessToken, { client, expiresAt });
    this.refresh.set(refreshToken, { client, expiresAt });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: this.ttlSeconds, refresh_token: refreshToken };
  }

  /** Spends a refresh token; undefined when it is unknown, used, expired or belongs to another client. */
  redeem(refreshToken: string, client: OAuthClient, now: number): OAuth2TokenJson | undefined {
    const grant = this.refresh.get(refreshToken);
    if (!grant || grant.client !== client) return undefined;
    this.refresh.delete(refreshToken);
    if (grant.expiresAt <= now) return undefined;
    return this.issue(client, now);
  }

  check(authorization: string | undefined, now: number): BearerCheck {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!match) return { ok: false, reason: 'missing' };
    const grant = this.access.get(match[1]);
    if (!grant) return { ok: false, reason: 'invalid' };
    if (grant.expiresAt <= now) {
      this.access.delete(match[1]);
      return { ok: false, reason: 'expired' };
    }
    return { ok: true, grant };
  }

  /** Makes every issued access and refresh token expired (for tests of re-authentication). */
  expireAll(): void {
    for (const grant of this.access.values()) grant.expiresAt = 0;
    for (const grant of this.refresh.values()) grant.expiresAt = 0;
  }

  revokeAll(): void {
    this.access.clear();
    this.refresh.clear();
  }
}

/** Blynk's documented limit: requests per minute per organization, counted in fixed one-minute windows. */
export class RateLimiter {
  private readonly windows = new Map<number, { start: number; count: number }>();

  constructor(private perMinute: number | false) {}

  set(perMinute: number | false): void {
    this.perMinute = perMinute;
    this.windows.clear();
  }

  /** Counts one request; false when it goes over the limit of the current window. */
  take(orgId: number, now: number): boolean {
    if (this.perMinute === false) return true;
    let window = this.windows.get(orgId);
    if (!window || now - window.start >= 60_000) {
      window = { start: now, count: 0 };
      this.windows.set(orgId, window);
    }
    window.count += 1;
    return window.count <= this.perMinute;
  }
}
