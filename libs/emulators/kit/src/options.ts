import type { EmulatorListenOptions, EmulatorServer } from './server.js';

/** What every vendor emulator takes besides its own options. */
export interface EmulatorOptions extends EmulatorListenOptions {
  /** Epoch ms the seeded history ends at; the emulator clock runs on from it. Default `Date.now()`. */
  now?: number;
  /** Devices to seed; default the vendor's demo set. Devices past the demo set carry no history. */
  deviceCount?: number;
  /** When set, a device reports by itself every this many ms (devices take turns); default off. */
  liveEveryMs?: number;
}

/** The listening part of a vendor's options, for `startEmulatorServer`. */
export const listenOptions = ({ port, host, latencyMs }: EmulatorListenOptions): EmulatorListenOptions => ({ port, host, latencyMs });

/** How many devices to seed: a whole number, at least `min`, the demo set when unset. */
export const seedCount = (deviceCount: number | undefined, demo: number, min = 0): number => Math.max(min, Math.floor(deviceCount ?? demo));

/**
 * A clock that starts at `anchor` and runs in real time, so seeded history ends just before "now" for
 * any anchor a test picks, and what happens later is later.
 */
export function runningClock(anchor = Date.now()): () => number {
  const startedAt = Date.now();
  return () => anchor + (Date.now() - startedAt);
}

/**
 * The emulator with what runs beside its server (ticker, push senders, sockets): `close` stops those
 * first, so nothing fires into a closed server.
 */
export function closingWith<T extends EmulatorServer>(server: T, ...parts: Array<{ close(): unknown } | undefined>): T {
  return {
    ...server,
    close: async () => {
      for (const part of parts) await part?.close();
      await server.close();
    },
  };
}
