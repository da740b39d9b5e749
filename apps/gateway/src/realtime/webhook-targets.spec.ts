import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '@devicegate/http-client';
import { addressKind, allowedHostProblem, WebhookTargets, type Resolver } from './webhook-targets.js';

const resolverOf =
  (table: Record<string, string[]>): Resolver =>
  (hostname, _options, callback) => {
    const found = table[hostname];
    if (!found) return callback(Object.assign(new Error(`no such host ${hostname}`), { code: 'ENOTFOUND' }), []);
    callback(
      null,
      found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
    );
  };

function lookup(targets: WebhookTargets, hostname: string, all: boolean): Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }> {
  return new Promise((resolve) => targets.lookup(hostname, { all }, (error, address) => resolve({ error, address })));
}

describe('webhook targets', () => {
  it.each([
    ['169.254.169.254', 'link-local'],
    ['0.0.0.0', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['100.100.100.200', 'shared address space'],
    ['127.0.0.1', 'loopback'],
    ['10.1.2.3', 'private'],
    ['172.31.0.1', 'private'],
    ['192.168.1.20', 'private'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['fe80::1', 'link-local'],
    ['ff02::1', 'multicast'],
    ['fd00:ec2::254', 'private'],
    ['fd12:3456::1', 'private'],
    // IPv6 spellings of IPv4 addresses are judged as the IPv4 address they reach.
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:a9fe:a9fe', 'link-local'],
    ['64:ff9b::a9fe:a9fe', 'link-local'],
    ['64:ff9b::7f00:1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::a9fe:a9fe', 'link-local'],
    ['2002:a9fe:a9fe::1', 'link-local'],
    ['2002:0a00:0001::', 'private'],
    ['64:ff9b:1::a00:1', 'private'],
    ['93.184.216.34', undefined],
    ['2606:4700::1111', undefined],
    ['::ffff:5db8:d822', undefined],
    ['64:ff9b::5db8:d822', undefined],
  ])('address %s is %s', (ip, kind) => {
    expect(addressKind(ip)).toBe(kind);
  });

  it('by default accepts public hosts only, however the address is spelled', () => {
    const targets = new WebhookTargets(undefined);
    for (const url of [
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:a9fe:a9fe]/latest/meta-data',
      'http://[64:ff9b::a9fe:a9fe]/latest/meta-data',
      'http://[::ffff:169.254.169.254]/latest/meta-data',
      'http://[fe80::1]:8080/x',
      'http://127.0.0.1:9000/hook',
      'http://2130706433/hook',
      'http://0x7f.1/hook',
      'http://[::1]/hook',
      'http://[::ffff:127.0.0.1]/hook',
      'http://10.0.0.1/hook',
      'http://localhost:8080/hook',
      'http://a.localhost/hook',
    ]) {
      expect([url, targets.refusal(url)]).toEqual([url, expect.stringMatching(/only public addresses are accepted/)]);
    }
    expect(targets.refusal('http://metadata.google.internal/computeMetadata/v1')).toContain('metadata service');
    expect(targets.refusal('file:///etc/passwd')).toContain('http or https');
    expect(targets.refusal('https://hooks.example.com/devicegate')).toBeUndefined();
    expect(targets.refusal('https://93.184.216.34/devicegate')).toBeUndefined();
  });

  it('with a list, allows only the hosts it names, trusts names listed exactly and the addresses of listed networks', () => {
    const targets = new WebhookTargets(['hooks.example.com', '*.internal.example', '169.254.10.10', '10.0.0.0/8', 'fd00::/8']);
    expect(targets.refusal('https://hooks.example.com/x')).toBeUndefined();
    expect(targets.refusal('https://a.b.internal.example/x')).toBeUndefined();
    expect(targets.refusal('https://internal.example/x')).toContain('not in server.webhook_allowed_hosts');
    expect(targets.refusal('https://other.example.com/x')).toContain('not in server.webhook_allowed_hosts');
    expect(targets.refusal('https://93.184.216.34/x')).toContain('not in server.webhook_allowed_hosts');
    expect(targets.refusal('http://169.254.10.10/x')).toBeUndefined();
    expect(targets.refusal('http://[::ffff:169.254.10.10]/x')).toBeUndefined();
    expect(targets.refusal('http://169.254.169.254/x')).toContain('link-local');
    expect(targets.refusal('http://10.20.30.40/x')).toBeUndefined();
    expect(targets.refusal('http://[fd00::5]/x')).toBeUndefined();
    expect(targets.refusal('http://192.168.0.1/x')).toContain('private');
    // `*` adds every public host; loopback is still refused unless listed.
    const sandbox = new WebhookTargets(['*', 'localhost', '127.0.0.0/8', '::1']);
    expect(sandbox.refusal('https://hooks.example.com/x')).toBeUndefined();
    expect(sandbox.refusal('http://127.0.0.1:8080/x')).toBeUndefined();
    expect(sandbox.refusal('http://localhost:8080/x')).toBeUndefined();
    expect(sandbox.refusal('http://[::1]:8080/x')).toBeUndefined();
    expect(sandbox.refusal('http://10.0.0.1/x')).toContain('private');
  });

  it.each([['*'], ['hooks.example.com'], ['*.example.com'], ['127.0.0.1'], ['10.0.0.0/8'], ['fd00::/8'], ['::1']])('accepts %s as an allowed host', (entry) => {
    expect(allowedHostProblem(entry)).toBeUndefined();
  });

  it.each([['10.0.0.0/33'], ['fd00::/129'], ['10.0.0.0/x'], ['https://x']])('refuses %s as an allowed host', (entry) => {
    expect(allowedHostProblem(entry)).toContain('CIDR');
  });

  it('never resolves a delivery to a refused address', async () => {
    const resolve = resolverOf({ 'mixed.test': ['169.254.169.254', '10.0.0.5', '93.184.216.34'], 'meta.test': ['169.254.169.254'], 'mapped.test': ['::ffff:169.254.169.254'], 'ok.test': ['93.184.216.34'] });
    const targets = new WebhookTargets(undefined, resolve);
    expect(await lookup(targets, 'mixed.test', true)).toEqual({ error: null, address: [{ address: '93.184.216.34', family: 4 }] });
    expect(await lookup(targets, 'ok.test', false)).toEqual({ error: null, address: '93.184.216.34' });
    expect((await lookup(targets, 'meta.test', false)).error?.code).toBe('EADDRNOTAVAIL');
    expect((await lookup(targets, 'mapped.test', false)).error?.code).toBe('EADDRNOTAVAIL');
    expect((await lookup(targets, 'missing.test', false)).error?.code).toBe('ENOTFOUND');
    // A host the operator listed exactly is trusted wherever it points; a listed network, for any name.
    expect(await lookup(new WebhookTargets(['meta.test'], resolve), 'meta.test', true)).toEqual({ error: null, address: [{ address: '169.254.169.254', family: 4 }] });
    expect(await lookup(new WebhookTargets(['*', '10.0.0.0/8'], resolve), 'mixed.test', true)).toEqual({
      error: null,
      address: [
        { address: '10.0.0.5', family: 4 },
        { address: '93.184.216.34', family: 4 },
      ],
    });
  });

  it('refuses at creation a name that resolves only to refused addresses', async () => {
    const resolve = resolverOf({ 'meta.test': ['169.254.169.254'], 'ok.test': ['93.184.216.34'] });
    const targets = new WebhookTargets(undefined, resolve);
    expect(await targets.check('http://meta.test/x')).toContain('resolves only to addresses that are not public');
    expect(await targets.check('http://ok.test/x')).toBeUndefined();
    // Not resolvable yet: accepted, and checked again at every delivery.
    expect(await targets.check('http://missing.test/x')).toBeUndefined();
    expect(await targets.check('http://[::ffff:a9fe:a9fe]/x')).toContain('link-local');
  });

  it('is what the delivery sockets resolve with: a name pointing at a blocked address is never connected to', async () => {
    const server = createServer((_req, res) => res.end('{}')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const ctx = { requestId: 'r', recordUpstream: () => undefined };
    const client = (targets: WebhookTargets) => new HttpClient({ baseUrl: 'http://unused.invalid', timeoutMs: 2000, retries: 0, connectionId: 'webhooks', provider: 'webhook', lookup: targets.lookup });
    const allowed = client(new WebhookTargets(['*', '127.0.0.0/8'], resolverOf({ 'receiver.test': ['127.0.0.1'] })));
    const smuggled = client(new WebhookTargets(['*', '127.0.0.0/8'], resolverOf({ 'receiver.test': ['169.254.169.254'] })));
    try {
      expect((await allowed.request({ method: 'POST', path: `http://receiver.test:${port}/hook`, body: '{}' }, ctx)).status).toBe(200);
      await expect(smuggled.request({ method: 'POST', path: `http://receiver.test:${port}/hook`, body: '{}' }, ctx)).rejects.toMatchObject({ type: 'upstream_unavailable', message: expect.stringContaining('EADDRNOTAVAIL') });
    } finally {
      server.close();
      await allowed.close();
      await smuggled.close();
    }
  });
});
