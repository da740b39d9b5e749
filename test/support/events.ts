import type { Message } from '@devicegate/core';
import type { StoredWebhook } from '../../apps/gateway/src/realtime/event-log.js';

/**
 * A HARDWARIO uplink of connection `hw` as the event log takes it: `hw:<id>`, with a `native` vendor object
 * that the log must never keep. `fields` replaces any part (a larger `data` for volume tests).
 */
export const eventMessage = (id: string | number, fields: Partial<Message> = {}): Message => ({
  object: 'message',
  id: `hw:${id}`,
  device_id: 'hw:d',
  connection_id: 'hw',
  provider: 'hardwario',
  direction: 'uplink',
  type: 'data',
  native_type: 'data',
  created_at: '2024-04-17T11:08:27.917Z',
  device_time: null,
  data: { n: id },
  native: { secret: 'vendor object' },
  ...fields,
});

/** A webhook of `owner` matching every event; its URL is never called (port 1 of loopback). */
export const testWebhook = (id: string, owner = 'a', fields: Partial<StoredWebhook> = {}): StoredWebhook => ({
  id,
  owner,
  url: 'http://127.0.0.1:1/x',
  description: null,
  secret: 's',
  filterParams: {},
  filters: [],
  createdAt: 1,
  ...fields,
});
