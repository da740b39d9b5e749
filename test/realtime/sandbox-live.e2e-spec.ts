import { startHardwarioEmulator } from '@devicegate/emulators/hardwario';
import { SANDBOX_LIVE_EVERY_MS } from '../../apps/gateway/src/sandbox/sandbox.js';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';
import { openEventStream, type SseClient } from './support.js';

/** The sandbox as `npm start` runs it is live: devices report by themselves through their vendor's push. */
describe('a live sandbox', () => {
  let gw: RunningSandbox;
  let sse: SseClient;

  beforeAll(async () => {
    gw = await startSandboxGateway({ liveEveryMs: SANDBOX_LIVE_EVERY_MS });
    sse = await openEventStream(`${gw.url}/v1/events`, 'sandbox');
  });

  afterAll(async () => {
    sse?.close();
    await gw?.close();
  });

  // The limits are generous: they catch a sandbox that stays silent, not a slow machine.
  it('emits events by itself, from more than one vendor', async () => {
    const first = await sse.next(() => true, 60_000);
    expect(first.event).toBe('message.created');
    // Every vendor with push ticks at the same pace, so a second vendor follows within one more period.
    const other = await sse.next((e) => e.data.connection_id !== first.data.connection_id, 60_000);
    expect(other.data).toMatchObject({ object: 'event', type: 'message.created' });
    expect((other.data.data as { direction: string }).direction).toBe('uplink');
  }, 150_000);
});

describe('an emulator ticker', () => {
  it('is off by default and stops when the emulator closes', async () => {
    const quiet = await startHardwarioEmulator();
    const id = quiet.demoDeviceIds()[0];
    const before = quiet.messagesOf(id).length;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(quiet.messagesOf(id).length).toBe(before);
    await quiet.close();

    const live = await startHardwarioEmulator({ liveEveryMs: 20 });
    const count = () => live.demoDeviceIds().reduce((sum, device) => sum + live.messagesOf(device).length, 0);
    const start = count();
    for (let waited = 0; count() === start && waited < 30_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(count()).toBeGreaterThan(start);
    await live.close();
    const atClose = count();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(count()).toBe(atClose);
  }, 60_000);
});
