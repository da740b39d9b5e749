/**
 * Calls that break the generated types on purpose. Every line marked `wrong:` must be reported by the
 * compiler (with the error code named after it) and no other line may be: the check that proves the
 * type check of client-calls.mts can fail.
 */
import createClient from 'openapi-fetch';
import type { components, paths } from './generated/openapi.js';

const client = createClient<paths>({ baseUrl: 'http://127.0.0.1:1' });

export async function wrongCalls(): Promise<void> {
  await client.GET('/v1/gadgets'); // wrong: TS2554 (no such path, so no overload fits)
  await client.GET('/v1/devices', { params: { query: { limit: 'fifty' } } }); // wrong: TS2322 (limit is a number)
  await client.GET('/v1/devices/{device_id}', { params: { path: { id: 'x' } } }); // wrong: TS2353 (the path parameter is device_id)
  await client.PATCH('/v1/devices/{device_id}', { params: { path: { device_id: 'x' } }, body: { name: 42 } }); // wrong: TS2322 (name is a string)
  await client.POST('/v1/devices/{device_id}/commands', { params: { path: { device_id: 'x' } }, body: { params: {} } }); // wrong: TS2322 (name is required)
  const listed = await client.GET('/v1/devices');
  const count: string | undefined = listed.data?.total_count; // wrong: TS2322 (total_count is a number)
  const error: components['schemas']['Error'] | undefined = listed.error;
  const kind: number | undefined = error?.type; // wrong: TS2322 (type is a string)
  void count;
  void kind;
}
