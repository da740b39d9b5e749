import type { Command } from '@devicegate/core';
import { COMMAND_RETENTION_MS, MemoryCommandStore } from './command-store.js';

const command: Command = {
  object: 'command',
  id: 'iz:c-1',
  device_id: 'iz:d-1',
  name: 'GET',
  params: { uri: '/3303/0/5700' },
  status: 'queued',
  created_at: '2024-01-01T00:00:00.000Z',
  updated_at: '2024-01-01T00:00:00.000Z',
};
const outcome = {
  id: 'iz:c-1',
  status: 'delivered' as const,
  at: '2024-01-01T00:00:01.000Z',
  result: { status: 200, error: null, payload: '21.5', payload_b64: 'MjEuNQ==', content_type: 'text/plain' },
};

describe('MemoryCommandStore', () => {
  it('answers a recorded command with the outcome reported since', async () => {
    const store = new MemoryCommandStore();
    await store.record(command);
    expect(await store.get('iz:c-1')).toEqual(command);
    await store.settle(outcome);
    expect(await store.get('iz:c-1')).toEqual({ ...command, status: 'delivered', updated_at: outcome.at, result: outcome.result });
  });

  it('keeps an outcome that arrived before the send was recorded, and shows nothing of it alone', async () => {
    const store = new MemoryCommandStore();
    await store.settle(outcome);
    expect(await store.get('iz:c-1')).toBeUndefined();
    await store.record(command);
    expect(await store.get('iz:c-1')).toMatchObject({ status: 'delivered', result: { status: 200 } });
  });

  it('forgets commands after the retention', async () => {
    let now = 0;
    const store = new MemoryCommandStore(10, () => now);
    await store.record(command);
    now = COMMAND_RETENTION_MS - 1;
    expect(await store.get('iz:c-1')).toBeDefined();
    now = 2 * COMMAND_RETENTION_MS;
    expect(await store.get('iz:c-1')).toBeUndefined();
  });
});
