import { pause, toUnifiedId, type CallContext, type Message, type PullSession, type PullSource, type PushSupport } from '@devicegate/core';
import { GatewayError, isGatewayError } from '@devicegate/errors';
import { datastreamReading, PROVIDER, toIso } from './blynk.mapper.js';
import type { BlynkDatastreamValue, BlynkDeviceFull } from './blynk.types.js';

/** How often a device's datastream values are sampled unless the connection says (`sample_interval_seconds`). */
export const DEFAULT_SAMPLE_INTERVAL_SECONDS = 60;
/**
 * The part of the connection's vendor budget (`rate_limit`) sampling may spend: the rest is left to callers.
 * With more devices than that allows per interval, devices take turns and each is sampled less often.
 */
export const SAMPLE_BUDGET_SHARE = 0.1;
/** Device reads of one round in flight at once. */
const SAMPLE_CONCURRENCY = 4;

/** What one sampled device reports: its datastream values that changed since the previous sample, with their units. */
export interface BlynkSampleBody {
  blynk_sample: {
    device_id: number;
    values: Array<BlynkDatastreamValue & { units: string | null }>;
  };
}

/** What the sampler reads of the connection. */
export interface SampledConnection {
  /** Ids of the connection's devices (every page of the device list). */
  deviceIds(ctx: CallContext): Promise<number[]>;
  /** A device with its current values and the units its template gives them; undefined when it is gone or no longer the connection's. */
  current(deviceId: number, ctx: CallContext): Promise<{ device: BlynkDeviceFull; units: ReadonlyMap<number, string> } | undefined>;
}

/**
 * Blynk pushes nothing and its data export allows 10 reads per device per day, so devicegate samples the current
 * datastream values itself (push mode `pull`): every interval it lists the connection's devices and reads each
 * device (`GET …/device`, one call), and delivers the values whose `updatedAt` moved since it last saw them.
 * The first sample of a device delivers its current values. What a device wrote between two samples and then
 * overwrote is never seen. What it has seen is kept across reconnects (a failed round resumes from it); ids of the
 * sampled changes are built from the vendor's own `updatedAt`, so a value sampled twice (another instance taking
 * over) is stored once.
 */
export class BlynkSampler implements PullSource {
  readonly description: string;
  /** Device id → datastream id → `updatedAt` of the value last delivered. */
  private readonly seen = new Map<number, Map<number, number>>();
  /** Where the next round's turn starts when a round cannot read every device. */
  private turn = 0;
  private readonly intervalMs: number;
  /** Device reads a round may make (list calls come on top, one per 1000 devices). */
  readonly readsPerRound: number;

  constructor(
    private readonly connection: SampledConnection,
    intervalSeconds: number,
    budget: { requests: number; windowMs: number },
  ) {
    this.intervalMs = intervalSeconds * 1000;
    this.readsPerRound = Math.max(1, Math.floor((budget.requests * SAMPLE_BUDGET_SHARE * this.intervalMs) / budget.windowMs));
    this.description = `Samples each device's current datastream values (\`GET /api/v1/organization/device\`) every ${intervalSeconds} s and records those whose \`updatedAt\` moved.`;
  }

  async hold(session: PullSession, ctx: CallContext): Promise<void> {
    let opened = false;
    while (!session.signal.aborted) {
      const startedAt = Date.now();
      const ids = await this.connection.deviceIds(ctx);
      if (!opened) {
        opened = true;
        session.opened();
      }
      const known = new Set(ids);
      for (const id of this.seen.keys()) if (!known.has(id)) this.seen.delete(id);
      const round = this.roundOf(ids);
      for (let i = 0; i < round.length && !session.signal.aborted; i += SAMPLE_CONCURRENCY) {
        await Promise.all(round.slice(i, i + SAMPLE_CONCURRENCY).map((id) => this.sample(id, session, ctx)));
      }
      session.seen(startedAt);
      await pause(Math.max(0, startedAt + this.intervalMs - Date.now()), session.signal);
    }
  }

  /** The devices this round reads: all of them, or the next `readsPerRound` in turn. */
  private roundOf(ids: readonly number[]): number[] {
    if (ids.length <= this.readsPerRound) return [...ids];
    const start = this.turn % ids.length;
    this.turn = start + this.readsPerRound;
    return Array.from({ length: this.readsPerRound }, (_, i) => ids[(start + i) % ids.length]);
  }

  private async sample(id: number, session: PullSession, ctx: CallContext): Promise<void> {
    let found: Awaited<ReturnType<SampledConnection['current']>>;
    try {
      found = await this.connection.current(id, ctx);
    } catch (error) {
      // Deleted since the list was read: nothing to sample.
      if (isGatewayError(error) && error.type === 'not_found') found = undefined;
      else throw error;
    }
    if (!found) return void this.seen.delete(id);
    const before = this.seen.get(id) ?? new Map<number, number>();
    const values: BlynkSampleBody['blynk_sample']['values'] = [];
    for (const item of found.device.dataStreamValues ?? []) {
      const at = item?.updatedAt;
      if (typeof item?.dataStreamId !== 'number' || typeof at !== 'number' || before.get(item.dataStreamId) === at) continue;
      if (!(typeof item.value === 'number' || typeof item.value === 'string')) continue;
      values.push({ ...item, units: found.units.get(item.dataStreamId) ?? null });
    }
    if (values.length === 0 || session.signal.aborted) return;
    const body: BlynkSampleBody = { blynk_sample: { device_id: id, values } };
    session.deliver(body);
    for (const value of values) before.set(value.dataStreamId, value.updatedAt as number);
    this.seen.set(id, before);
  }
}

const isSample = (body: unknown): body is BlynkSampleBody => {
  const sample = (body as Partial<BlynkSampleBody> | null)?.blynk_sample;
  return typeof sample === 'object' && sample !== null && Number.isInteger(sample.device_id) && Array.isArray(sample.values);
};

/**
 * The native id of a sampled change: the device, the datastream's pin and the vendor's `updatedAt`, so the
 * same value sampled again has the same id.
 */
const sampleId = (deviceId: number, item: BlynkDatastreamValue): string => `ds-${deviceId}-${item.pin}-${item.updatedAt}`;

/**
 * Sampled changes as Messages: one `data` message (`native_type` `datastream`) per changed value, received by
 * the cloud at its `updatedAt`, carrying one reading. Only the sampler delivers such bodies: Blynk pushes nothing
 * to `/v1/hooks`, so no push is ever proven (`pulledOnly`).
 */
export const blynkSamples: PushSupport = {
  authentication: 'Blynk pushes nothing; devicegate samples the values itself (push mode `pull`).',
  pulledOnly: true,
  verify: () => false,
  parse(body: unknown, connectionId: string): Message[] {
    if (!isSample(body)) throw GatewayError.validation([{ name: 'body', message: 'is not a Blynk datastream sample' }]);
    const { device_id: id, values } = body.blynk_sample;
    const deviceId = toUnifiedId(connectionId, String(id));
    return values.flatMap((item): Message[] => {
      const messageId = toUnifiedId(connectionId, sampleId(id, item));
      const reading = datastreamReading(item, { connectionId, provider: PROVIDER, deviceId, messageId }, typeof item.units === 'string' ? item.units : null);
      if (!reading) return [];
      return [
        {
          object: 'message',
          id: messageId,
          device_id: deviceId,
          connection_id: connectionId,
          provider: PROVIDER,
          direction: 'uplink',
          type: 'data',
          native_type: 'datastream',
          created_at: toIso(item.updatedAt) as string,
          device_time: null,
          data: { datastream_id: item.dataStreamId, pin: item.pin, label: item.dataStreamLabel ?? null, value: reading.value, units: reading.unit },
          readings: [reading],
        },
      ];
    });
  },
};
