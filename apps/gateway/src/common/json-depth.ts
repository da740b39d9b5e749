/** How deeply JSON bodies may nest: far beyond any vendor push or /v1 body, far below what costs the parser or the transformer. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Whether the JSON text in `raw` nests objects and arrays deeper than `max`, found in one pass over the
 * bytes before anything is parsed: a megabyte of `[[[[…` costs a scan, not a parse and a recursive walk.
 * Brackets inside strings do not count. The text need not be valid JSON: the parser judges that after.
 */
export function exceedsJsonDepth(raw: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) depth--;
  }
  return false;
}
