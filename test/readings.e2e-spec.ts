import type { HardwarioEmulator } from '@devicegate/emulators/hardwario';
import type { IottlyEmulator } from '@devicegate/emulators/iottly';
import type { IzumaEmulator } from '@devicegate/emulators/izuma';
import { pageThrough, startSandboxGateway, type ListPageBody, type RunningSandbox } from './support/gateway-harness.js';
import { openEventStream, type SseClient, type SseEvent } from './realtime/support.js';

interface Reading {
  object: string;
  id: string;
  device_id: string;
  name: string;
  native_name: string;
  value: unknown;
  unit: string | null;
  at: string;
  message_id: string | null;
}

/** A device with temperature sensors of each sandbox connection (the ids the Swagger UI examples use). */
const DEVICES: Record<string, { id: string; unit: string | null }> = {
  hardwario: { id: 'sandbox-hardwario:018e3c67-c4b3-7538-83cb-00dddca059da', unit: 'Cel' },
  disruptive: { id: 'sandbox-disruptive:c9cgt47tg3o1jb8oesn0', unit: 'Cel' },
  // iottly payloads carry no units: the sandbox connection declares them (readings.units).
  iottly: { id: 'sandbox-iottly:6948feff-b0d0-4d1f-843a-564fde84651b', unit: 'Cel' },
  izuma: { id: 'sandbox-izuma:018ab7c55ce10000000000010010bdec', unit: 'Cel' },
  // Blynk: the unit the template defines for the datastream (Celsius).
  blynk: { id: 'sandbox-blynk:1001', unit: 'Cel' },
};

describe('readings in the sandbox: one shape for every vendor', () => {
  let gw: RunningSandbox;
  const get = async <T = ListPageBody>(path: string, query: Record<string, string> = {}) => {
    const res = await fetch(`${gw.url}${path}?${new URLSearchParams(query)}`, { headers: { authorization: 'Bearer sandbox' } });
    return { status: res.status, body: (await res.json()) as T };
  };

  beforeAll(async () => {
    gw = await startSandboxGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  for (const [provider, device] of Object.entries(DEVICES)) {
    it(`${provider}: the status shows the latest temperature with its unit, and the readings list pages newest first, exactly`, async () => {
      const status = await get<{ readings: Reading[] }>(`/v1/devices/${device.id}/status`);
      expect(status.status).toBe(200);
      const temperature = status.body.readings.find((r) => r.name === 'temperature');
      expect(temperature).toMatchObject({ object: 'reading', device_id: device.id, unit: device.unit });
      expect(typeof temperature!.value).toBe('number');
      expect(new Set(status.body.readings.map((r) => r.name)).size).toBe(status.body.readings.length);

      const since = new Date(Date.parse(temperature!.at) - 3 * 86_400_000).toISOString();
      const path = `/v1/devices/${device.id}/readings`;
      const whole = await get<ListPageBody<Reading>>(path, { name: 'temperature', at__gte: since, limit: '1000' });
      expect(whole.status).toBe(200);
      const series = whole.body.data;
      expect(series.length).toBeGreaterThan(0);
      expect(series.every((r) => r.name === 'temperature' && Date.parse(r.at) >= Date.parse(since) && r.unit === device.unit)).toBe(true);
      // The status's latest value is in the series (DT reads it from `reported`, Izuma from Device Echo, whose time
      // of a value its notification may give a moment later: by value and time, not id).
      expect(series.some((r) => r.value === temperature!.value && Math.abs(Date.parse(r.at) - Date.parse(temperature!.at)) <= 1000)).toBe(true);
      const reference = series.map((r) => r.id);
      expect(new Set(reference).size).toBe(reference.length);
      for (const limit of [2, 3, 7]) {
        expect(await pageThrough((q) => get(path, q), { name: 'temperature', at__gte: since, limit: String(limit) })).toEqual(reference);
      }
      if (provider === 'hardwario' || provider === 'disruptive' || provider === 'iottly') {
        // A history: many values, newest first by the time of the messages they came from.
        expect(series.length).toBeGreaterThan(20);
        const asc = await get<ListPageBody<Reading>>(path, { name: 'temperature', at__gte: since, limit: '1000', order: 'ASC' });
        expect(asc.body.data.map((r) => r.id)).toEqual([...reference].reverse());
        expect(Date.parse(series[0].at)).toBeGreaterThan(Date.parse(series[series.length - 1].at));
      }
    });
  }

  it('offers a sandbox device of each vendor in Swagger UI\'s "Try it out" of listDeviceReadings, HARDWARIO first', async () => {
    const spec = (await (await fetch(`${gw.url}/openapi.json`)).json()) as { paths: Record<string, { get: { parameters: Array<{ name: string; examples?: Record<string, { value: string }> }> } }> };
    const param = spec.paths['/v1/devices/{device_id}/readings'].get.parameters.find((p) => p.name === 'device_id')!;
    const values = Object.values(param.examples!).map((e) => e.value);
    expect(values).toEqual(Object.values(DEVICES).map((d) => d.id));
  });

  it('include=readings fills the latest readings where the vendor lists them with the devices, null elsewhere', async () => {
    const list = await get<ListPageBody<{ provider: string; readings: Reading[] | null }>>('/v1/devices', { include: 'readings', limit: '1000' });
    expect(list.status).toBe(200);
    for (const device of list.body.data) {
      if (device.provider === 'disruptive') expect(Array.isArray(device.readings)).toBe(true);
      else expect(device.readings).toBeNull();
    }
    expect(list.body.data.some((d) => d.readings?.some((r) => r.name === 'temperature'))).toBe(true);
    const single = await get<{ readings: Reading[] | null; native?: unknown }>(`/v1/devices/${DEVICES.blynk.id}`, { include: 'native' });
    expect(single.body.readings?.some((r) => r.name === 'temperature')).toBe(true);
    expect(single.body.native).toMatchObject({ id: 1001 });
    expect((await get(`/v1/devices/${DEVICES.blynk.id}`, { include: 'readings' })).status).toBe(400);
    const plain = await get<ListPageBody>('/v1/devices', { limit: '5' });
    expect(plain.body.data.every((d) => !('readings' in d))).toBe(true);
    const messages = await get<ListPageBody>(`/v1/devices/${DEVICES.hardwario.id}/messages`, { limit: '5' });
    expect(messages.body.data.every((m) => !('readings' in m))).toBe(true);
  });

  it('iottly: the units the connection declares fill those its payloads do not name, in the status, the readings and pushed events; the rest stay null', async () => {
    const status = await get<{ readings: Reading[] }>(`/v1/devices/${DEVICES.iottly.id}/status`);
    const units = Object.fromEntries(status.body.readings.map((r) => [r.native_name, r.unit]));
    expect(Object.values(units)).toContain('Cel');
    const page = await get<ListPageBody<Reading>>(`/v1/devices/${DEVICES.iottly.id}/readings`, { limit: '100' });
    expect(page.body.data.filter((r) => r.name === 'temperature').every((r) => r.unit === 'Cel')).toBe(true);
    expect(page.body.data.some((r) => r.name === 'humidity' && r.unit === '%')).toBe(true);
    // A value nobody declared keeps no unit: no guess.
    const lab = await get<ListPageBody<Reading>>('/v1/devices', { connection_id: 'sandbox-iottly', limit: '100' });
    const labReadings = await Promise.all(
      (lab.body.data as Array<{ id: string }>).map(async (d) => (await get<ListPageBody<Reading>>(`/v1/devices/${d.id}/readings`, { native_name: 'cpu.load', limit: '2' })).body.data),
    );
    const loads = labReadings.flat();
    expect(loads.length).toBeGreaterThan(0);
    expect(loads.every((r) => r.unit === null)).toBe(true);
  });

  it('filters readings by native_name and answers an unknown filter with validation_error', async () => {
    const path = `/v1/devices/${DEVICES.hardwario.id}/readings`;
    const page = await get<ListPageBody<Reading>>(path, { native_name__in: 'thermometer.temperature,system.voltage_rest', limit: '20' });
    expect(page.body.data.length).toBe(20);
    expect(new Set(page.body.data.map((r) => r.native_name))).toEqual(new Set(['thermometer.temperature', 'system.voltage_rest']));
    expect((await get(path, { value: '3' })).status).toBe(400);
    expect((await get(path, { at: '2024-01-01T00:00:00Z' })).status).toBe(400);
  });

  describe('pushed events', () => {
    let sse: SseClient;
    beforeAll(async () => {
      sse = await openEventStream(`${gw.url}/v1/events`, 'sandbox');
    });
    afterAll(() => sse?.close());
    const emulator = <T>(provider: string): T => gw.sandbox.emulators.find((e) => e.provider === provider)!.server as unknown as T;

    it('carry the readings of the message they deliver (HARDWARIO uplink, Izuma resource notification)', async () => {
      const hw = emulator<HardwarioEmulator>('hardwario');
      const uplink = hw.addUplink(hw.demoDeviceIds()[0], { thermometer: { temperature: 23.25 } });
      const event = await sse.next((e) => e.data.id === `sandbox-hardwario:${uplink.id}`, 3000);
      const readings = (event.data.data as { readings: Reading[] }).readings;
      expect(readings).toEqual([expect.objectContaining({ name: 'temperature', native_name: 'thermometer.temperature', value: 23.25, unit: 'Cel', message_id: `sandbox-hardwario:${uplink.id}` })]);

      const izuma = emulator<IzumaEmulator>('izuma');
      const deviceId = DEVICES.izuma.id.split(':')[1];
      izuma.notifyResource(deviceId, '/3303/0/5700', '4.75');
      const notified = await sse.next((e) => (e.data.data as { device_id: string; native_type: string }).device_id === DEVICES.izuma.id && (e.data.data as { native_type: string }).native_type === 'notification', 3000);
      expect((notified.data.data as { readings: Reading[] }).readings).toEqual([expect.objectContaining({ name: 'temperature', native_name: '/3303/0/5700', value: 4.75, unit: 'Cel' })]);

      // iottly names no unit: the one the connection declares comes with the pushed reading.
      const iottly = emulator<IottlyEmulator>('iottly');
      iottly.addMessage(DEVICES.iottly.id.split(':')[1], { payload: { weather: { temperature: 19.75 } } });
      const carried = (e: SseEvent) => ((e.data.data as { readings?: Reading[] }).readings ?? []).some((r) => r.device_id === DEVICES.iottly.id && r.value === 19.75);
      const pushed = await sse.next(carried, 5000);
      expect((pushed.data.data as { readings: Reading[] }).readings).toContainEqual(expect.objectContaining({ name: 'temperature', value: 19.75, unit: 'Cel' }));

      // Device Echo now reports the new value: the status shows it.
      const status = await get<{ readings: Reading[]; last_seen_at: string | null }>(`/v1/devices/${DEVICES.izuma.id}/status`);
      expect(status.body.readings.find((r) => r.name === 'temperature')?.value).toBe(4.75);
      expect(status.body.last_seen_at).not.toBeNull();
    });

    it('make an Izuma readings history: the recorded notifications newest first, paged exactly, merged with Device Echo', async () => {
      const izuma = emulator<IzumaEmulator>('izuma');
      const deviceId = DEVICES.izuma.id.split(':')[1];
      const isOurs = (e: SseEvent) => {
        const message = e.data.data as { device_id: string; data: { value?: string } };
        return message.device_id === DEVICES.izuma.id && message.data.value === '3.75';
      };
      const start = new Date(Date.now() - 1000).toISOString();
      izuma.notifyResource(deviceId, '/3303/0/5700', '3.25');
      izuma.notifyResource(deviceId, '/3303/0/5700', '3.75');
      const last = await sse.next(isOurs, 5000);
      const path = `/v1/devices/${DEVICES.izuma.id}/readings`;
      const whole = await get<ListPageBody<Reading>>(path, { name: 'temperature', at__gte: start, limit: '1000' });
      expect(whole.status).toBe(200);
      const series = whole.body.data;
      // The live ticker may add values of its own in between: ours are there, in the order they were measured.
      const ours = series.filter((r) => r.value === 3.25 || r.value === 3.75);
      expect(ours.map((r) => r.value)).toEqual([3.75, 3.25]);
      expect(ours[0]).toMatchObject({ message_id: last.data.id, unit: 'Cel', native_name: '/3303/0/5700' });
      expect(ours[1].message_id).not.toBeNull();
      expect(series.map((r) => r.at)).toEqual(series.map((r) => r.at).sort().reverse());
      const reference = series.map((r) => r.id);
      expect(await pageThrough((q) => get(path, q), { name: 'temperature', at__gte: start, limit: '2' })).toEqual(reference);
      // Device Echo's latest value is the last notification's: listed once.
      const all = await get<ListPageBody<Reading>>(path, { name: 'temperature', limit: '1000' });
      expect(all.body.data.filter((r) => r.message_id === null && r.value === 3.75)).toEqual([]);
    });
  });
});
