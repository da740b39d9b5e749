/**
 * Thousands of generated malformed requests against a sandbox gateway over HTTP: odd query strings,
 * ids, bodies and headers. None may answer 5xx, and every non-2xx answer must be the error object of
 * API.md §2.4.
 */
import fc from 'fast-check';
import { Pool } from 'undici';
import type { ProviderId } from '@devicegate/core';
import { AUTH, KEY, errorBodyProblems, startTestGateway, type TestGateway } from './support.js';

const RUNS = 5_200;
const SEED = Number(process.env.FUZZ_SEED ?? 20_240_417);

interface FuzzRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
}

let gw: TestGateway;
let pool: Pool;
/** Per provider: a real device id and a real project id, so that generated requests also reach the vendors. */
const real: Record<string, { device: string; project: string }> = {};
const PROVIDERS: ProviderId[] = ['hardwario', 'disruptive', 'iottly', 'izuma', 'blynk'];

beforeAll(async () => {
  // Generated keys fail by the hundred from one address; the per-address limit has its own test (caller-boundaries).
  gw = await startTestGateway({ providers: PROVIDERS, connection: { rate_limit: 100_000 }, server: { failed_auth_limit: { per_second: 100_000, burst: 100_000 } } });
  pool = new Pool(gw.url, { connections: 8, pipelining: 1, keepAliveTimeout: 30_000 });
  for (const provider of PROVIDERS) {
    const devices = (await (await fetch(`${gw.url}/v1/devices?provider=${provider}&limit=2`, { headers: AUTH })).json()) as { data: Array<{ id: string; project_id: string }> };
    real[provider] = { device: devices.data[0].id, project: devices.data[0].project_id };
  }
}, 30_000);

afterAll(async () => {
  await pool?.close();
  await gw?.close();
});

// ── generators ────────────────────────────────────────────────────────────────

/** Percent-encodes what undici refuses in a request line, leaving every other byte as generated. */
const raw = (text: string) => text.replace(/[^\u0021-\u007e]/gu, (c) => encodeURIComponent(c)).replace(/#/g, '%23');

const oddText = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.string({ unit: 'grapheme', maxLength: 8 }),
  fc.constantFrom('', ' ', '%', '%%', '%zz', '%00', '%c0%ae', '%ff%fe', '..', '../..', '%2e%2e%2f', '\\', '//', '?', '&', '=', '+', ';', '"', "'", '<script>', '${x}', '{{x}}', '*', '-', ':', '::', 'null', 'undefined', 'NaN', 'true', '[]', '{}', '__proto__', 'constructor', 'a'.repeat(3000)),
  fc.constantFrom('1e309', '-1', '0', '1.5', '9007199254740993', '99999999999999999999999', '0x10', '1_000', '-0', 'Infinity', '2024-13-45T99:99:99Z', '2024-04-17', '1713312000'),
);

const connectionPart = fc.oneof(
  fc.constantFrom(...PROVIDERS.map((p) => `sandbox-${p}`)),
  fc.constantFrom('sandbox-unknown', 'SANDBOX-HARDWARIO', 'a', '', 'x'.repeat(40)),
  oddText,
);

/** Ids: real ones, real connections with junk native parts, junk throughout; in several encodings. */
const idArb = fc
  .tuple(
    fc.oneof(
      fc.constantFrom(...PROVIDERS).map((p) => ({ kind: 'real' as const, p })),
      fc.tuple(connectionPart, fc.oneof(oddText, fc.constantFrom('1', '0', '-1', '99999999999', 'ffffffffffffffffffffffffffffffff', '018e2ca2-0740-75dc-949f-000000000000', 'c0000000000000000000', 'dev ice', 'a:b:c'))).map(([c, n]) => ({ kind: 'made' as const, id: `${c}:${n}` })),
      oddText.map((id) => ({ kind: 'made' as const, id })),
    ),
    fc.constantFrom('encode', 'raw', 'double'),
  )
  .map(([choice, encoding]) => {
    const id = choice.kind === 'real' ? real[choice.p]?.device ?? 'sandbox-hardwario:x' : choice.id;
    if (encoding === 'encode') return encodeURIComponent(id);
    if (encoding === 'double') return encodeURIComponent(encodeURIComponent(id));
    return raw(id);
  });

const FIELDS = ['id', 'connection_id', 'provider', 'project_id', 'name', 'type', 'serial_number', 'online', 'created_at', 'updated_at', 'last_seen_at', 'tags', 'labels.room', 'labels.', 'labels', 'kind', 'direction', 'native_type'];
const OPS = ['', '__eq', '__neq', '__in', '__nin', '__lte', '__gte', '__lt', '__like', '__', '___in', '__IN'];
const queryKey = fc.oneof(
  fc.constantFrom('limit', 'after', 'order', 'include', 'partial', 'fields', 'expand', 'q', 'page', 'offset'),
  fc.tuple(fc.constantFrom(...FIELDS), fc.constantFrom(...OPS)).map(([f, o]) => f + o),
  oddText,
);
const queryValue = fc.oneof(
  oddText,
  fc.constantFrom('ASC', 'DESC', 'asc', 'total_count', 'native', 'total_count,native,bogus', 'true', 'false', 'yes', '1', '0', '2', '1000', '1001', '-5', 'sandbox-hardwario', 'hardwario,disruptive', ',,,', 'a,b,', 'sandbox-hardwario:'),
  fc.array(fc.constantFrom('a', 'b', 'sandbox-blynk', '1', ''), { maxLength: 5 }).map((items) => items.join(',')),
);
const queryArb = fc
  .array(fc.tuple(queryKey, queryValue, fc.constantFrom('encode', 'raw', 'bare')), { maxLength: 6 })
  .map((pairs) =>
    pairs
      .map(([k, v, how]) => (how === 'bare' ? raw(k) : how === 'encode' ? `${encodeURIComponent(k)}=${encodeURIComponent(v)}` : `${raw(k)}=${raw(v)}`))
      .join('&'),
  );

/** JSON values of every odd kind: wrong types, huge numbers, deep nesting, arrays. */
const junkJson: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom(null, true, false, 0, -1, 1e308, -1e308, 2 ** 53 + 1, 1.5, '', 'x', '\u0000', 'é'.repeat(10), 'a'.repeat(5000)),
    fc.string({ maxLength: 20 }),
    fc.double(),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.dictionary(fc.oneof(fc.constantFrom('connection_id', 'project_id', 'name', 'type', 'labels', 'tags', 'params', 'serial_number', 'owner_user_id', '__proto__', 'constructor'), fc.string({ maxLength: 8 })), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const deepNest = fc.integer({ min: 50, max: 3000 }).map((depth) => '['.repeat(depth) + ']'.repeat(depth));

const bodyArb = fc.oneof(
  junkJson.map((v) => JSON.stringify(v) ?? 'null'),
  fc.record({ connection_id: connectionPart, name: fc.oneof(oddText, junkJson), labels: junkJson, tags: junkJson, params: junkJson, type: junkJson }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ name: fc.oneof(oddText, junkJson), params: junkJson }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.record({ project_id: fc.oneof(idArb, junkJson), owner_user_id: junkJson }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
  fc.constantFrom('{', '{"a":', '[1,2', '{"name": undefined}', "{'name': 'x'}", 'NaN', '{"a":1}garbage', '\u0000', '', ' ', '{"a":1e99999}', '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"x":1}}}'),
  fc.string({ maxLength: 200 }),
  deepNest,
);

const contentType = fc.constantFrom(
  'application/json',
  'application/json; charset=utf-8',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/problem+json',
  'application/x-www-form-urlencoded',
  'text/plain',
  'text/html',
  'multipart/form-data; boundary=x',
  'application/octet-stream',
  'application/json, text/plain',
  '',
  ';;;',
  'json',
);

const authArb = fc.oneof(
  { weight: 8, arbitrary: fc.constant(`Bearer ${KEY}`) },
  { weight: 1, arbitrary: fc.constantFrom(`bearer ${KEY}`, `Bearer  ${KEY}`, `Bearer ${KEY} extra`, 'Bearer', 'Bearer ', `Basic ${Buffer.from(`${KEY}:`).toString('base64')}`, KEY, 'Bearer sandbox', `Bearer ${KEY}\t`, 'Token x', '') },
  { weight: 1, arbitrary: fc.string({ maxLength: 40 }).map((s) => `Bearer ${raw(s)}`) },
);

const requestIdArb = fc.oneof(fc.constant(undefined), fc.constantFrom('abc', 'a'.repeat(32), 'a'.repeat(33), '../../etc', 'id with space', '<x>', '', '-', '.'), fc.string({ maxLength: 40 }).map(raw));

const routeArb = fc.oneof(
  fc.tuple(fc.constantFrom('GET', 'GET', 'GET', 'HEAD', 'DELETE', 'PUT', 'OPTIONS'), fc.constantFrom('/v1/devices', '/v1/projects', '/v1/connections')).map(([m, p]) => ({ method: m, path: p, hasBody: false })),
  fc.tuple(fc.constantFrom('GET', 'GET', 'PATCH', 'DELETE', 'POST'), idArb, fc.constantFrom('', '/status', '/messages', '/commands', '/transfer', '/commands/x', '/', '/unknown')).map(([m, id, rest]) => ({ method: m, path: `/v1/devices/${id}${rest}`, hasBody: m !== 'GET' && m !== 'DELETE' })),
  fc.tuple(idArb).map(([id]) => ({ method: 'GET', path: `/v1/projects/${id}`, hasBody: false })),
  fc.tuple(connectionPart).map(([c]) => ({ method: 'GET', path: `/v1/connections/${raw(c)}`, hasBody: false })),
  fc.tuple(fc.constantFrom('POST', 'POST', 'PATCH', 'PUT')).map(([m]) => ({ method: m, path: '/v1/devices', hasBody: true })),
  fc.tuple(idArb, fc.constantFrom('POST', 'GET')).map(([id, m]) => ({ method: m, path: `/v1/devices/${id}/commands${m === 'GET' ? `/${id}` : ''}`, hasBody: m === 'POST' })),
  fc.tuple(fc.constantFrom('/v1', '/v1/', '/v1//devices', '/v1/devices/', '/V1/devices', '/v2/devices', '/v1/devices;x', '/v1/devices%2f', '/%2e%2e/v1/devices', '/v1/./devices')).map(([p]) => ({ method: 'GET', path: p, hasBody: false })),
);

const requestArb: fc.Arbitrary<FuzzRequest> = fc
  .record({
    route: routeArb,
    query: fc.option(queryArb, { nil: undefined }),
    body: bodyArb,
    sendBody: fc.boolean(),
    contentType: fc.option(contentType, { nil: undefined }),
    auth: fc.option(authArb, { nil: undefined, freq: 20 }),
    requestId: requestIdArb,
    accept: fc.option(fc.constantFrom('application/json', 'text/html', '*/*', 'application/xml', ''), { nil: undefined }),
    idempotencyKey: fc.option(process.env.FUZZ_NO_IDEM ? fc.constant('ok') : fc.oneof(fc.string({ maxLength: 10 }).map(raw), fc.constant('k'.repeat(300))), { nil: undefined, freq: 8 }),
  })
  .map((r) => {
    const headers: Record<string, string> = {};
    if (r.auth !== undefined) headers.authorization = r.auth;
    if (r.requestId !== undefined) headers['x-request-id'] = r.requestId;
    if (r.accept !== undefined) headers.accept = r.accept;
    if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey;
    const withBody = r.route.hasBody || r.sendBody;
    if (withBody && r.contentType !== undefined) headers['content-type'] = r.contentType;
    else if (withBody) headers['content-type'] = 'application/json';
    const path = r.query === undefined ? r.route.path : `${r.route.path}?${r.query}`;
    return { method: r.route.method, path, headers, body: withBody && r.route.method !== 'GET' && r.route.method !== 'HEAD' ? r.body : undefined };
  });

// ── the property ──────────────────────────────────────────────────────────────

/** What is wrong with the answer to one request (empty when it keeps the contract). */
async function check(req: FuzzRequest): Promise<string[]> {
  const res = await pool.request({ method: req.method as 'GET', path: req.path, headers: req.headers, body: req.body, headersTimeout: 15_000, bodyTimeout: 15_000 });
  const text = await res.body.text();
  const headers = new Headers();
  for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) headers.set(key, Array.isArray(value) ? value.join(', ') : value);
  const problems: string[] = [];
  // 501 not_supported is the contract's answer for an operation a provider lacks (API.md §4.4), not a fault.
  const notSupported = res.statusCode === 501 && /"type":"not_supported"/.test(text);
  if (res.statusCode >= 500 && !notSupported) problems.push(`answered ${res.statusCode}`);
  if (!headers.get('x-request-id')) problems.push('no X-Request-ID');
  if (res.statusCode >= 300 && req.method !== 'HEAD') problems.push(...errorBodyProblems(res.statusCode, headers, text));
  return problems.length === 0 ? [] : [`${req.method} ${req.path} ${JSON.stringify(req.headers)} ${req.body === undefined ? '' : req.body.slice(0, 300)} → ${res.statusCode} ${text.slice(0, 300)}: ${problems.join('; ')}`];
}

describe('malformed requests', () => {
  it(`${RUNS} generated requests: never 5xx, every error is the contract's error object`, async () => {
    const started = Date.now();
    const statuses = new Map<number, number>();
    let sent = 0;
    const collected: string[] = [];
    const countingCheck = async (req: FuzzRequest) => {
      const problems = await check(req);
      sent += 1;
      return problems;
    };
    // One request per run, so that a failure shrinks to the smallest request that shows it.
    await fc.assert(
      fc.asyncProperty(requestArb, async (req) => {
        const problems = await countingCheck(req);
        // FUZZ_COLLECT=1 lists every failing request instead of stopping at (and shrinking) the first.
        if (process.env.FUZZ_COLLECT) collected.push(...problems);
        else if (problems.length > 0) throw new Error(problems.join('\n'));
      }),
      // No time limit: every run is made however busy the machine is, and the count below checks it.
      { numRuns: RUNS, seed: SEED },
    );
    expect(collected).toEqual([]);
    const seconds = (Date.now() - started) / 1000;
    // The run really sent what it claims and reached deep enough to see varied answers.
    expect(sent).toBeGreaterThanOrEqual(RUNS);
    const status = await pool.request({ method: 'GET', path: '/metrics' });
    const metrics = await status.body.text();
    for (const line of metrics.split('\n')) {
      const match = /status="(\d{3})"\}\s+(\d+)/.exec(line);
      if (match) statuses.set(Number(match[1]), (statuses.get(Number(match[1])) ?? 0) + Number(match[2]));
    }
    expect([...statuses.keys()].filter((s) => s >= 500 && s !== 501)).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(50);
    expect(statuses.get(404) ?? 0).toBeGreaterThan(50);
    console.log(`malformed requests: ${sent} sent in ${seconds.toFixed(1)} s; answers by status ${JSON.stringify(Object.fromEntries(statuses))}`);
  }, 600_000);
});
