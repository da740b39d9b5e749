/**
 * The passthrough path can never leave a connection's base URL (API.md §4.9), whatever the encoding;
 * vendor credentials never reach a caller (§2.2); no answer carries a stack trace (§2.4).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';
import type { ProviderId } from '@devicegate/core';
import type { SandboxEmulator } from '../../apps/gateway/src/sandbox/sandbox.js';
import { AUTH, STACK_FRAME, errorBodyProblems, leakForms, secretsOf, sentCredentials, startTestGateway, type TestGateway } from './support.js';

const PROVIDERS: ProviderId[] = ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'];

let gw: TestGateway;
let pool: Pool;
let trap: Server;
let trapHits: string[] = [];
let trapHost = '';
const answers: Array<{ what: string; status: number; headers: string; text: string }> = [];

/** Sends a request exactly as written (no client-side normalisation of `..` or encodings). */
async function send(method: string, path: string, headers: Record<string, string> = AUTH, body?: string) {
  const res = await pool.request({ method: method as 'GET', path, headers, body });
  const text = await res.body.text();
  const flat = new Headers();
  for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) flat.set(key, Array.isArray(value) ? value.join(', ') : value);
  answers.push({ what: `${method} ${path}`, status: res.statusCode, headers: JSON.stringify([...flat]), text });
  return { status: res.statusCode, headers: flat, text };
}

beforeAll(async () => {
  // A server that no passthrough call may ever reach: the escapes below aim at it.
  trap = createServer((req, res) => {
    trapHits.push(`${req.method} ${req.url}`);
    res.end('trapped');
  });
  await new Promise<void>((resolve) => trap.listen(0, '127.0.0.1', resolve));
  trapHost = `127.0.0.1:${(trap.address() as AddressInfo).port}`;
  gw = await startTestGateway({ providers: PROVIDERS, connection: { rate_limit: 10_000, retries: 0 } });
  pool = new Pool(gw.url, { connections: 4 });
}, 30_000);

afterAll(async () => {
  await pool?.close();
  await gw?.close();
  await new Promise<void>((resolve) => trap?.close(() => resolve()));
});

/** The base URL's own path (`/v2` for DT, `/v1.0` for iottly, empty for the others): every vendor call must stay under it. */
const prefixOf = (emulator: SandboxEmulator) => new URL(emulator.baseUrl).pathname.replace(/\/+$/, '');

/** The emulator's requests other than token exchanges (DT's token URL lies outside its API base by design). */
const apiRequests = (emulator: SandboxEmulator) => {
  const tokenPath = typeof emulator.credentials.token_url === 'string' ? new URL(emulator.credentials.token_url).pathname : undefined;
  return emulator.server.requests().filter((r) => r.path !== tokenPath);
};

/** Escapes of the base URL in every spelling: each must be refused before any vendor call. */
function escapes(host: string): string[] {
  return [
    // dot segments
    '..', '../', '../x', '../../../etc/passwd', 'a/../../x', 'v2/../../x', './x', '.', 'a/./b', 'a/..', 'a/b/../../../x',
    // percent-encoded dots and slashes, in both cases and mixed with plain characters
    '%2e%2e', '%2E%2E/x', '%2e%2e%2fx', '%2E%2e%2Fx', '.%2e/x', '%2e./x', '..%2fx', '..%2Fx', 'a%2f..%2f..%2fx', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '%2e', '%2e/x',
    // double and triple encoding
    '%252e%252e', '%252e%252e%252fx', '%252E%252E/x', '..%252fx', '%25252e%25252e%25252fx', '%2525252e%2525252e',
    // backslashes
    '..\\x', '..%5cx', '%5c..%5cx', 'a\\..\\..\\x', '%255c..%255cx', '\\\\' + host + '\\x', '%5c%5c' + host,
    // another host
    '/' + host + '/x', '//' + host + '/x', '%2f' + host + '/x', '%2f%2f' + host + '/x', '%252f%252f' + host, '/%2f' + host,
    // absolute URLs and schemes, plain and encoded
    `http://${host}/x`, `HTTP://${host}/x`, `https://${host}/x`, `http:%2f%2f${host}/x`, `http%3a%2f%2f${host}/x`, `http%253a%252f%252f${host}/x`, `http:${host}`, `http:/${host}`,
    'javascript:alert(1)', 'file:///etc/passwd', 'data:text/plain,x', 'ftp://x', 'x-y+z.1:rest', `%68ttp://${host}/x`,
    // null bytes and control characters
    '%00', 'x%00/../..', '..%00/x', 'a%00', '%0d%0aX-Injected:%201', 'a%09b', '%7f',
    // overlong UTF-8 dots and slashes, and malformed encodings
    '%c0%ae%c0%ae/x', '%c0%ae%c0%ae%c0%afx', '%e0%80%ae%e0%80%ae/x', '%c0%2e%c0%2e/x', '%c1%9c', '%', '%zz', '%2', '%%32%65%%32%65/x',
  ];
}

describe.each(PROVIDERS)('passthrough of %s', (provider) => {
  let emulator: SandboxEmulator;
  const connection = `sandbox-${provider}`;
  const base = `/v1/connections/${connection}/passthrough/`;

  beforeAll(() => {
    emulator = gw.sandbox.emulators.find((e) => e.provider === provider)!;
  });

  it('works for an ordinary vendor path (the route is live, so the refusals below mean something)', async () => {
    const ordinary: Record<ProviderId, string> = {
      hardwario: `v2/spaces/${String(emulator.credentials.space_id)}/devices?limit=1`,
      disruptive: 'projects?page_size=1',
      iottly: `project/${String(emulator.credentials.project_id)}/devices/props`,
      izuma: 'v3/devices?limit=2',
      blynk: 'api/v1/organization/devices?page=0&size=1',
    };
    emulator.server.resetStats();
    const answer = await send('GET', base + ordinary[provider]);
    expect(answer.status).toBe(200);
    expect(emulator.server.requests().length).toBeGreaterThan(0);
    expect(apiRequests(emulator).length).toBeGreaterThan(0);
    for (const request of apiRequests(emulator)) expect(request.path.startsWith(`${prefixOf(emulator)}/`)).toBe(true);
  });

  it('refuses every escape of the base URL with 400 validation_error and calls nobody', async () => {
    emulator.server.resetStats();
    trapHits = [];
    const wrong: string[] = [];
    for (const escape of escapes(trapHost)) {
      for (const method of ['GET', 'DELETE']) {
        const answer = await send(method, base + escape);
        const body = JSON.parse(answer.text || '{}') as { type?: string; fields?: Array<{ name: string }> };
        const problems = errorBodyProblems(answer.status, answer.headers, answer.text);
        if (answer.status !== 400 || body.type !== 'validation_error' || problems.length > 0) wrong.push(`${method} ${escape} → ${answer.status} ${answer.text.slice(0, 200)}`);
      }
    }
    // Nothing left the gateway: neither the vendor nor the trap host saw a request.
    expect(emulator.server.requests().map((r) => `${r.method} ${r.path}`)).toEqual([]);
    expect(trapHits).toEqual([]);
    expect(wrong).toEqual([]);
  });

  it('keeps look-alike paths (full-width dots, `..;`, `...`) inside the base URL', async () => {
    emulator.server.resetStats();
    trapHits = [];
    for (const path of ['%EF%BC%8E%EF%BC%8E/x', '..;/x', '.../x', '..../x', 'a..b', '%2e%2e%2e/x', 'x/..%20/y', '@' + trapHost + '/x', 'x?next=//' + trapHost]) {
      const answer = await send('GET', base + path);
      expect(answer.status).toBeLessThan(500);
    }
    const prefix = prefixOf(emulator);
    const outside = apiRequests(emulator).filter((r) => !r.path.startsWith(`${prefix}/`) || r.path.split('/').some((s) => s === '..' || s === '.'));
    expect(outside.map((r) => r.path)).toEqual([]);
    expect(trapHits).toEqual([]);
  });
});

describe('credentials and stack traces', () => {
  it('no answer, error, operational endpoint or /metrics shows a vendor credential or a stack frame', async () => {
    // Errors of every kind, from the gateway and from the vendors.
    for (const emulator of gw.sandbox.emulators) {
      const id = `sandbox-${emulator.provider}`;
      await send('GET', `/v1/connections/${id}`);
      await send('GET', `/v1/devices/${id}:does-not-exist`);
      await send('GET', `/v1/connections/${id}/passthrough/does/not/exist`);
      await send('POST', `/v1/connections/${id}/passthrough/does-not-exist`, { ...AUTH, 'content-type': 'application/json' }, '{"a":1}');
      emulator.server.injectFault({ fault: { kind: 'status', status: 500, body: { message: `boom ${secretsOf(emulator).join(' ')} ${sentCredentials(emulator).join(' ')}` } }, times: 1 });
      await send('GET', `/v1/devices?provider=${emulator.provider}&limit=2`);
      emulator.server.injectFault({ fault: { kind: 'status', status: 401, body: { error: `token ${sentCredentials(emulator).join(' ')} rejected` } }, times: 3 });
      await send('GET', `/v1/devices?provider=${emulator.provider}&limit=2`);
      emulator.server.clearFaults();
      await send('GET', `/v1/devices?provider=${emulator.provider}&limit=2&include=native`);
    }
    await send('GET', '/v1/connections');
    await send('GET', '/v1/devices', {});
    await send('GET', '/v1/devices', { authorization: 'Bearer wrong' });
    await send('POST', '/v1/devices', { ...AUTH, 'content-type': 'application/json' }, '{bad json');
    await send('GET', '/nope');
    await send('GET', '/readyz');
    await send('GET', '/healthz');
    await send('GET', '/openapi.json');
    const metrics = await send('GET', '/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.text.length).toBeGreaterThan(100);

    const secrets = gw.sandbox.emulators.flatMap((e) => [...secretsOf(e), ...sentCredentials(e)]).filter((s) => s.length >= 6);
    expect(secrets.length).toBeGreaterThan(8);
    const leaks: string[] = [];
    const traces: string[] = [];
    for (const answer of answers) {
      const whole = `${answer.headers} ${answer.text}`;
      for (const secret of secrets) for (const form of leakForms(secret)) if (whole.includes(form)) leaks.push(`${answer.what} shows ${form.slice(0, 6)}…`);
      if (STACK_FRAME.test(answer.text) || /\n\s+at\s/.test(answer.text)) traces.push(`${answer.what} → ${answer.text.slice(0, 200)}`);
    }
    expect(leaks).toEqual([]);
    expect(traces).toEqual([]);
  });
});
