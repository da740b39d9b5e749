/**
 * A client program written against the types that openapi-typescript generates from openapi.yaml, calling
 * devicegate through openapi-fetch. It is type checked (strict) and then run with the gateway's address:
 *   node generated/out/client-calls.mjs http://127.0.0.1:3000
 * and prints what each call answered as one JSON object.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi.js';

type Device = components['schemas']['Device'];
type Command = components['schemas']['Command'];
type ApiError = components['schemas']['Error'];

const baseUrl = process.argv[2];
if (!baseUrl) throw new Error('usage: client-calls.mjs <gateway base URL>');

const client = createClient<paths>({ baseUrl, headers: { Authorization: 'Bearer sandbox' } });

// A page of the HARDWARIO sandbox devices.
const list = await client.GET('/v1/devices', { params: { query: { connection_id: 'sandbox-hardwario', limit: 3, include: 'total_count' } } });
if (!list.data) throw new Error(`listDevices answered ${list.response.status}`);
const devices: Device[] = list.data.data;
const first = devices[0];
if (!first) throw new Error('listDevices answered no devices');

// One device by its id.
const one = await client.GET('/v1/devices/{device_id}', { params: { path: { device_id: first.id } } });
if (!one.data) throw new Error(`getDevice answered ${one.response.status}`);
const fetched: Device = one.data;

// Rename it.
const renamed = await client.PATCH('/v1/devices/{device_id}', {
  params: { path: { device_id: first.id } },
  body: { name: 'renamed-by-typed-client', labels: { checked_by: 'typed-client' } },
});
if (!renamed.data) throw new Error(`updateDevice answered ${renamed.response.status}`);
const updated: Device = renamed.data;

// A HARDWARIO downlink with a JSON object.
const sent = await client.POST('/v1/devices/{device_id}/commands', {
  params: { path: { device_id: first.id } },
  body: { name: 'downlink', params: { relay: true, setpoint: 21.5 } },
});
if (!sent.data) throw new Error(`sendDeviceCommand answered ${sent.response.status}`);
const command: Command = sent.data;

// An id that does not exist: the error object, typed.
const missing = await client.GET('/v1/devices/{device_id}', {
  params: { path: { device_id: 'sandbox-hardwario:00000000-0000-7000-8000-000000000000' } },
});
const notFound: ApiError | undefined = missing.error;

console.log(
  JSON.stringify({
    list: { status: list.response.status, ids: devices.map((d) => d.id), total_count: list.data.total_count ?? null, has_more: list.data.has_more },
    get: { status: one.response.status, id: fetched.id, name: fetched.name, provider: fetched.provider },
    update: { status: renamed.response.status, id: updated.id, name: updated.name, labels: updated.labels },
    command: { status: sent.response.status, id: command.id, device_id: command.device_id, name: command.name, params: command.params, state: command.status },
    error: { status: missing.response.status, data: missing.data ?? null, body: notFound ?? null },
  }),
);
