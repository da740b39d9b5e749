import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** A service-account key the emulator accepts. */
export interface ServiceAccountKey {
  keyId: string;
  secret: string;
  email: string;
  enableBasicAuth: boolean;
}

/** The real identity service's token URL; assertions addressed to it are accepted too (see `audienceMatches`). */
export const DT_TOKEN_URL = 'https://identity.disruptive-technologies.com/oauth2/token';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

/** A failed token exchange, answered in the OAuth2 (RFC 6749 §5.2) error form. */
export class TokenError extends Error {
  constructor(
    readonly code: 'invalid_request' | 'unsupported_grant_type' | 'invalid_grant' | 'invalid_client',
    message: string,
  ) {
    super(message);
  }
}

const b64urlJson = (part: string): Record<string, unknown> | undefined => {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
};

/** Issues and checks access tokens; the JWT-bearer exchange and Basic auth both end in a key id. */
export class TokenService {
  private readonly tokens = new Map<string, { keyId: string; expiresAt: number }>();
  private requests = 0;

  constructor(
    private readonly keys: readonly ServiceAccountKey[],
    private readonly ttlSeconds: number,
    private readonly audiences: () => readonly string[],
  ) {}

  requestCount(): number {
    return this.requests;
  }

  expireAll(): void {
    this.tokens.clear();
  }

  /** Handles the token endpoint's form body; returns the wire answer or throws TokenError. */
  exchange(form: URLSearchParams | undefined): { access_token: string; token_type: 'Bearer'; expires_in: number } {
    this.requests += 1;
    if (!form) throw new TokenError('invalid_request', 'body must be application/x-www-form-urlencoded');
    const grant = form.get('grant_type');
    const assertion = form.get('assertion');
    if (!grant) throw new TokenError('invalid_request', 'grant_type is required');
    if (grant !== JWT_BEARER_GRANT) throw new TokenError('unsupported_grant_type', `grant_type must be ${JWT_BEARER_GRANT}`);
    if (!assertion) throw new TokenError('invalid_request', 'assertion is required');
    const key = this.verifyAssertion(assertion);
    const token = randomBytes(32).toString('base64url');
    this.tokens.set(token, { keyId: key.keyId, expiresAt: Date.now() + this.ttlSeconds * 1000 });
    return { access_token: token, token_type: 'Bearer', expires_in: Math.ceil(this.ttlSeconds) };
  }

  private verifyAssertion(jwt: string): ServiceAccountKey {
    const parts = jwt.split('.');
    if (parts.length !== 3) throw new TokenError('invalid_grant', 'assertion is not a JWT');
    const header = b64urlJson(parts[0]);
    const claims = b64urlJson(parts[1]);
    if (!header || !claims) throw new TokenError('invalid_grant', 'assertion is not a JWT');
    if (header.alg !== 'HS256') throw new TokenError('invalid_grant', 'assertion must be signed with HS256');
    const key = this.keys.find((k) => k.keyId === header.kid);
    if (!key) throw new TokenError('invalid_grant', 'unknown key id (kid)');
    const expected = createHmac('sha256', key.secret).update(`${parts[0]}.${parts[1]}`).digest();
    const given = Buffer.from(parts[2], 'base64url');
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw new TokenError('invalid_grant', 'assertion signature does not verify');
    if (claims.iss !== key.email) throw new TokenError('invalid_grant', 'iss must be the service account email');
    const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
    if (!aud.some((a) => typeof a === 'string' && this.audienceMatches(a))) throw new TokenError('invalid_grant', 'aud must be the token endpoint URL');
    const { iat, exp } = claims;
    if (typeof iat !== 'number' || typeof exp !== 'number') throw new TokenError('invalid_grant', 'iat and exp are required');
    const nowS = Date.now() / 1000;
    // A minute of clock skew is tolerated on iat; some clients back-date it a few seconds on purpose.
    if (iat > nowS + 60) throw new TokenError('invalid_grant', 'iat is in the future');
    if (exp <= nowS) throw new TokenError('invalid_grant', 'assertion has expired');
    if (exp - iat > 3600) throw new TokenError('invalid_grant', 'exp must be at most one hour after iat');
    return key;
  }

  /**
   * The emulator's own token URL and the real identity URL are both accepted as `aud`: clients that
   * keep DT's fixed audience while posting to the emulator then still work.
   */
  private audienceMatches(aud: string): boolean {
    if (aud === DT_TOKEN_URL || this.audiences().includes(aud)) return true;
    try {
      const url = new URL(aud);
      return this.audiences().some((own) => {
        const o = new URL(own);
        const loopback = (h: string) => h === 'localhost' || h === '127.0.0.1' || h === '[::1]';
        return url.pathname === o.pathname && url.port === o.port && loopback(url.hostname) && loopback(o.hostname);
      });
    } catch {
      return false;
    }
  }

  /** The key id behind an Authorization header, or undefined when it is missing, wrong or expired. */
  authenticate(header: string | undefined): ServiceAccountKey | undefined {
    if (!header) return undefined;
    const space = header.indexOf(' ');
    if (space < 0) return undefined;
    const scheme = header.slice(0, space).toLowerCase();
    const value = header.slice(space + 1).trim();
    if (scheme === 'bearer') {
      const entry = this.tokens.get(value);
      if (!entry) return undefined;
      if (entry.expiresAt <= Date.now()) {
        this.tokens.delete(value);
        return undefined;
      }
      return this.keys.find((k) => k.keyId === entry.keyId);
    }
    if (scheme === 'basic') {
      const decoded = Buffer.from(value, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return undefined;
      const keyId = decoded.slice(0, colon);
      const secret = decoded.slice(colon + 1);
      const key = this.keys.find((k) => k.keyId === keyId);
      if (!key || !key.enableBasicAuth) return undefined;
      const a = Buffer.from(secret);
      const b = Buffer.from(key.secret);
      return a.length === b.length && timingSafeEqual(a, b) ? key : undefined;
    }
    return undefined;
  }
}

export interface RateLimit {
  requests: number;
  windowMs: number;
}

/**
 * A sliding-window limiter (the reference: 25 requests per 5 s, bursts allowed). Only admitted
 * requests are counted, so a client that honours Retry-After gets through after waiting.
 */
export class RateLimiter {
  private readonly windows = new Map<string, number[]>();

  constructor(private readonly limit: RateLimit) {}

  /** Admits the request (undefined) or returns the seconds to wait. */
  take(key: string, now = Date.now()): number | undefined {
    let times = this.windows.get(key);
    if (!times) {
      times = [];
      this.windows.set(key, times);
    }
    const cutoff = now - this.limit.windowMs;
    let drop = 0;
    while (drop < times.length && times[drop] <= cutoff) drop += 1;
    if (drop > 0) times.splice(0, drop);
    if (times.length >= this.limit.requests) return Math.max(1, Math.ceil((times[0] + this.limit.windowMs - now) / 1000));
    times.push(now);
    return undefined;
  }

  reset(): void {
    this.windows.clear();
  }
}
