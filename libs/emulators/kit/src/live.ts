/** A running ticker of a live emulator. */
export interface Ticker {
  close(): void;
}

/**
 * Makes an emulated cloud live: `report` runs every `everyMs` with a running count (from 0), so a
 * cloud can let its devices take turns reporting through its own "new message → push" path, as real
 * devices do without anyone asking. The timer never keeps the process alive, and a report that
 * throws (a device deleted meanwhile) skips that turn only.
 */
export function startTicker(everyMs: number, report: (tick: number) => void): Ticker {
  let tick = 0;
  const timer = setInterval(() => {
    try {
      report(tick++);
    } catch {
      // The next turn goes to the next device.
    }
  }, everyMs);
  timer.unref();
  return { close: () => clearInterval(timer) };
}

/** One device's turn in a live emulator. */
export interface LiveTurn {
  /** Its place among the reporters. */
  index: number;
  /** Which of its own reports this is, from 1. */
  round: number;
  /** Where it stands on the slow wave values drift along: the same at every start, offset per device so they do not move in step. */
  phase: number;
}

/**
 * Devices take turns reporting, one every `everyMs`. `seed` draws what a device reports from (its
 * latest seeded value) on its first turn only, so the drift stays around the seeded value however long
 * the emulator runs; a device without one (undefined) skips its turns. Off (undefined) when `everyMs` is
 * unset or no device can report; `reporters` is only asked when on, as it may scan 10,000 devices.
 */
export function startLive<R, S>(
  everyMs: number | undefined,
  reporters: () => readonly R[],
  seed: (reporter: R) => S | undefined,
  report: (reporter: R, seeded: S, turn: LiveTurn) => void,
): Ticker | undefined {
  const devices = everyMs ? reporters() : [];
  if (!everyMs || devices.length === 0) return undefined;
  const seeds = new Map<R, S | undefined>();
  return startTicker(everyMs, (tick) => {
    const index = tick % devices.length;
    const reporter = devices[index];
    if (!seeds.has(reporter)) seeds.set(reporter, seed(reporter));
    const seeded = seeds.get(reporter);
    if (seeded !== undefined) report(reporter, seeded, { index, round: Math.floor(tick / devices.length) + 1, phase: tick / devices.length / 6 + index });
  });
}

/** A seeded value a few tenths off at `phase` of its wave, rounded to `digits`. */
export const drift = (value: number, phase: number, digits = 2): number => Math.round((value + 0.4 * Math.sin(phase)) * 10 ** digits) / 10 ** digits;

/**
 * A seeded payload as a device reports it again on its `turn`-th live report: temperatures drift a few tenths
 * around their seeded values (a slow wave, the same at every start) and battery values drain a little each
 * turn (never below 80 % of the seeded value); other values are sent as seeded. `timestamp` leaves (epoch
 * seconds) move by `shiftSeconds`, so the device's own clock reads the new report's time.
 */
export function livePayload<T>(payload: T, turn: number, shiftSeconds = 0): T {
  const walk = (value: unknown, path: string): unknown => {
    if (Array.isArray(value)) return value.map((item) => walk(item, path));
    if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, walk(item, `${path}.${key.toLowerCase()}`)]));
    if (typeof value !== 'number' || !Number.isFinite(value)) return value;
    const key = path.slice(path.lastIndexOf('.') + 1);
    if (key === 'timestamp') return value + shiftSeconds;
    if (/temp/.test(path)) return drift(value, turn / 6);
    if (/batt|voltage/.test(path)) return Math.round(Math.max(value * 0.8, value * (1 - 0.0005 * turn)) * 1000) / 1000;
    return value;
  };
  return walk(payload, '') as T;
}
