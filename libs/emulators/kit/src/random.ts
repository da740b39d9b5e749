// Seeding draws millions of numbers for 10,000 devices, and under Jest every global lookup (`Math`, …)
// goes through a vm context: the functions are bound once here.
const { imul, floor } = Math;
const HEX = '0123456789abcdef';

/** A small deterministic PRNG (mulberry32), so every start seeds the same demo data. */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** A float in [0, 1). */
  next(): number {
    const s = (this.state = (this.state + 0x6d2b79f5) | 0);
    let t = imul(s ^ (s >>> 15), s | 1);
    t ^= t + imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + floor(this.next() * (max - min + 1));
  }

  /** A float in [min, max) rounded to `digits` decimals. */
  float(min: number, max: number, digits = 2): number {
    const f = 10 ** digits;
    return floor((min + this.next() * (max - min)) * f + 0.5) / f;
  }

  pick<T>(items: readonly T[]): T {
    return items[floor(this.next() * items.length)];
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  /** `length` lowercase hex characters, eight per draw. */
  hex(length: number): string {
    let out = '';
    while (out.length < length) out += floor(this.next() * 4294967296).toString(16).padStart(8, '0');
    return out.length === length ? out : out.slice(0, length);
  }

  /** `length` characters drawn from `alphabet`. */
  chars(length: number, alphabet: string): string {
    let out = '';
    for (let i = 0; i < length; i++) out += alphabet[floor(this.next() * alphabet.length)];
    return out;
  }

  /** A random (version 4 shaped) UUID drawn from this generator. */
  uuid4(): string {
    const h = this.hex(32);
    const variant = HEX[(HEX.indexOf(h[16]) & 0x3) | 0x8];
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20)}`;
  }

  /** A UUIDv7 whose timestamp is `ms` (epoch milliseconds); the random part comes from this generator. */
  uuid7(ms: number): string {
    const time = floor(ms).toString(16).padStart(12, '0');
    const r = this.hex(20);
    const variant = HEX[(HEX.indexOf(r[4]) & 0x3) | 0x8];
    return `${time.slice(0, 8)}-${time.slice(8, 12)}-7${r.slice(0, 3)}-${variant}${r.slice(5, 8)}-${r.slice(8, 20)}`;
  }
}
