/** How deeply JSON bodies may nest: far beyond any vendor push or /v1 body, far below what costs the parser or the transformer. */
export const MAX_JSON_DEPTH = 64;

const OPEN_BRACE = 0x7b;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Follows the nesting of JSON text chunk by chunk, before anything is parsed, so a body nested too deep
 * is refused at the first chunk that shows it, not after a megabyte has been read and parsed. Brackets
 * inside strings do not count; strings are skipped with native searches. The text need not be valid
 * JSON: the parser judges that after.
 */
export class JsonDepthScanner {
  private depth = 0;
  private inString = false;
  /** The last chunk ended inside a string on a backslash: the next byte is escaped. */
  private escaped = false;

  constructor(private readonly max = MAX_JSON_DEPTH) {}

  /** Takes the next chunk; true once the text has nested deeper than the maximum. */
  push(bytes: Buffer): boolean {
    let i = 0;
    // The next quote and backslash at or after i (bytes.length when there is none), searched again only once passed.
    let quote = -1;
    let backslash = -1;
    const next = (byte: number, from: number) => {
      const at = bytes.indexOf(byte, from);
      return at < 0 ? bytes.length : at;
    };
    while (i < bytes.length) {
      if (this.inString) {
        if (this.escaped) {
          this.escaped = false;
          i++;
          continue;
        }
        if (quote < i) quote = next(QUOTE, i);
        if (backslash < i) backslash = next(BACKSLASH, i);
        if (backslash < quote) {
          i = backslash + 1;
          this.escaped = true;
          continue;
        }
        if (quote === bytes.length) return false;
        this.inString = false;
        i = quote + 1;
        continue;
      }
      const byte = bytes[i++];
      if (byte === QUOTE) this.inString = true;
      else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
        if (++this.depth > this.max) return true;
      } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) this.depth--;
    }
    return false;
  }
}

/** Whether the JSON text in `raw` nests objects and arrays deeper than `max`, found in one pass over the bytes. */
export function exceedsJsonDepth(raw: Buffer | string, max = MAX_JSON_DEPTH): boolean {
  return new JsonDepthScanner(max).push(typeof raw === 'string' ? Buffer.from(raw) : raw);
}
