import type { SeededRandom } from '@devicegate/emulators/kit';

const BASE32HEX = '0123456789abcdefghijklmnopqrstuv';

/**
 * An xid-shaped id (20 lowercase base32hex characters): 4 bytes of Unix seconds, then 8 random bytes.
 * DT ids follow this layout, which is why real ones start with `b`/`c` and sort roughly by creation time.
 */
export function xid(seconds: number, rng: SeededRandom): string {
  const bytes = new Uint8Array(12);
  const s = Math.floor(seconds) >>> 0;
  bytes[0] = (s >>> 24) & 0xff;
  bytes[1] = (s >>> 16) & 0xff;
  bytes[2] = (s >>> 8) & 0xff;
  bytes[3] = s & 0xff;
  // Two 32-bit draws fill the eight random bytes (fewer generator calls keep seeding of 10,000 devices fast).
  for (let i = 4; i < 12; i += 4) {
    const r = Math.floor(rng.next() * 4294967296);
    bytes[i] = r >>> 24;
    bytes[i + 1] = (r >>> 16) & 0xff;
    bytes[i + 2] = (r >>> 8) & 0xff;
    bytes[i + 3] = r & 0xff;
  }
  return encode(bytes);
}

/** Base32hex of 96 bits, padded with four zero bits to 20 characters, as xid encodes. */
function encode(bytes: Uint8Array): string {
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32HEX[(buffer >>> bits) & 0x1f];
    }
    buffer &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32HEX[(buffer << (5 - bits)) & 0x1f];
  return out;
}
