/** What a vendor answer says about its rate limit; each part only when a header states it. */
export interface RateLimitState {
  /** Calls left in the current window. */
  remaining?: number;
  /** ms until the window's calls are back. */
  resetInMs?: number;
  /** ms the vendor asks callers to wait (`Retry-After`). */
  retryAfterMs?: number;
}

/** A reset larger than this is a point in time (epoch seconds), not a number of seconds from now. */
const EPOCH_SECONDS_FROM = 1e9;
/** …and larger than this, epoch milliseconds. */
const EPOCH_MS_FROM = 1e12;

const count = (value: string | undefined): number | undefined => {
  // A list ("0, 5;w=60") states the window that applies first.
  const n = Number(value?.split(/[,;]/)[0].trim());
  return value !== undefined && Number.isFinite(n) && n >= 0 ? n : undefined;
};

/** `Retry-After`: seconds, or an HTTP date. */
function retryAfterMs(value: string | undefined, now: number): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? seconds * 1000 : undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** A reset is seconds from now, epoch seconds or epoch ms, told apart by size. */
function resetMs(value: number | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  if (value >= EPOCH_MS_FROM) return Math.max(0, value - now);
  if (value >= EPOCH_SECONDS_FROM) return Math.max(0, value * 1000 - now);
  return value * 1000;
}

/** The parameters of a structured field item: `limit=100, remaining=5, reset=30` or `"default";r=5;t=30`. */
function params(value: string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const part of value?.split(/[,;]/) ?? []) {
    const [key, raw] = part.split('=').map((s) => s.trim().toLowerCase());
    const n = Number(raw);
    if (key && raw !== undefined && Number.isFinite(n) && !out.has(key)) out.set(key, n);
  }
  return out;
}

/**
 * Reads the rate-limit headers in use: `Retry-After`; `X-RateLimit-Remaining/-Reset` (the reset as
 * seconds, epoch seconds or epoch ms); the IETF drafts' `RateLimit-Remaining/-Reset`, their combined
 * `RateLimit: limit=…, remaining=…, reset=…` and its later form `RateLimit: "…";r=…;t=…`. No vendor
 * devicegate speaks documents any of them; they are read so that a vendor which sends them is followed.
 */
export function readRateLimitHeaders(headers: Record<string, string>, now: number): RateLimitState {
  const combined = params(headers['ratelimit']);
  const remaining = count(headers['x-ratelimit-remaining']) ?? count(headers['ratelimit-remaining']) ?? combined.get('remaining') ?? combined.get('r');
  const reset = resetMs(count(headers['x-ratelimit-reset']) ?? count(headers['ratelimit-reset']) ?? combined.get('reset') ?? combined.get('t'), now);
  const state: RateLimitState = {};
  if (remaining !== undefined) state.remaining = remaining;
  if (reset !== undefined) state.resetInMs = reset;
  const retry = retryAfterMs(headers['retry-after'], now);
  if (retry !== undefined) state.retryAfterMs = retry;
  return state;
}

/**
 * How long a connection should send nothing, after an answer with this status and these headers: after a
 * 429, its `Retry-After` or else the window's reset; after any other answer that reports the window's
 * calls spent (remaining 0), until the reset, since the next call could only be refused. Undefined when
 * the headers do not say.
 */
export function rateLimitPauseMs(status: number, headers: Record<string, string>, now: number): number | undefined {
  // Most answers carry none of these headers: they cost three lookups.
  if (status !== 429 && headers['x-ratelimit-remaining'] === undefined && headers['ratelimit-remaining'] === undefined && headers['ratelimit'] === undefined) return undefined;
  const state = readRateLimitHeaders(headers, now);
  if (status === 429) return state.retryAfterMs ?? state.resetInMs;
  if (state.remaining === 0) return state.resetInMs ?? state.retryAfterMs;
  return undefined;
}
