/** Shapes shared by the benchmark's parent process and its children. */

export interface EmulatorSetSpec {
  providers: string[];
  latencyMs?: number;
  deviceCount?: number;
  /** The vendors' own documented rate limits on (default off). */
  vendorRateLimits?: boolean;
  /** Events published to one DT device (its `busyDeviceId`). */
  dtEvents?: number;
}

export interface StartedEmulatorInfo {
  provider: string;
  /** The root the vendor paths hang off (what a connection's `base_url` is). */
  baseUrl: string;
  /** Provider-specific connection keys for the gateway configuration. */
  connection: Record<string, unknown>;
  /** Headers a vendor client sends (HARDWARIO only). */
  vendorHeaders?: Record<string, string>;
  spaceId?: string;
  sampleDeviceId?: string;
  /** Devices the single-device rows read in turn (HARDWARIO only). */
  rotationDeviceIds?: string[];
  /** A DT device with `dtEvents` events. */
  busyDeviceId?: string;
  deviceCount?: number;
}

export interface EmulatorSetInfo {
  pid: number;
  emulators: Array<StartedEmulatorInfo & { statsUrl: string }>;
}
