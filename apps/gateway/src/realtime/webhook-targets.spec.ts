import type { LookupAddress } from 'node:dns';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from '@devicegate/http-client';
import { blockedAddress, WebhookTargets, type Resolver } from './webhook-targets.js';

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
    ['169.254.169.254', true],
    ['0.0.0.0', true],
    ['224.0.0.1', true],
    ['255.255.255.255', true],
    ['100.100.100.200', true],
    ['::', true],
    ['fe80::1', true],
    ['ff02::1', true],
    ['fd00:ec2::254', true],
    ['::ffff:169.254.169.254', true],
    ['127.0.0.1', false],
    ['10.1.2.3', false],
    ['192.168.1.20', false],
    ['::1', false],
    ['fd12:3456::1', false],
    ['93.184.216.34', false],
  ])('address %s blocked: %s', (ip, blocked) => {
    expect(blockedAddress(ip)).toBe(blocked);
  });

  it('refuses metadata services and blocked addresses, and allows the rest without a list', () => {
    const targets = new WebhookTargets(undefined);
    expect(targets.refusal('http://169.254.169.254/latest/meta-data')).toContain('169.254.169.254');
    expect(targets.refusal('http://[fe80::1]:8080/x')).toContain('fe80::1');
    expect(targets.refusal('http://metadata.google.internal/computeMetadata/v1')).toContain('metadata service');
    expect(targets.refusal('http://127.0.0.1:9000/hook')).toBeUndefined();
    expect(targets.refusal('https://hooks.example.com/devicegate')).toBeUndefined();
  });

  it('with a list, allows only the hosts it names, and trusts a host it names exactly', () => {
    const targets = new WebhookTargets(['hooks.example.com', '*.internal.example', '169.254.10.10']);
    expect(targets.refusal('https://hooks.example.com/x')).toBeUndefined();
    expect(targets.refusal('https://a.b.internal.example/x')).toBeUndefined();
    expect(targets.refusal('https://internal.example/x')).toContain('not in server.webhook_allowed_hosts');
    expect(targets.refusal('https://other.example.com/x')).toContain('not in server.webhook_allowed_hosts');
    expect(targets.refusal('http://169.254.10.10/x')).toBeUndefined();
  });

  it('never resolves a delivery to a blocked address', async () => {
    const resolve = resolverOf({ 'mixed.test': ['169.254.169.254', '10.0.0.5'], 'meta.test': ['169.254.169.254'], 'ok.test': ['192.0.2.10'] });
    const targets = new WebhookTargets(undefined, resolve);
    expect(await lookup(targets, 'mixed.test', true)).toEqual({ error: null, address: [{ address: '10.0.0.5', family: 4 }] });
    expect(await lookup(targets, 'ok.test', false)).toEqual({ error: null, address: '192.0.2.10' });
    const refused = await lookup(targets, 'meta.test', false);
    expect(refused.error?.code).toBe('EADDRNOTAVAIL');
    expect((await lookup(targets, 'missing.test', false)).error?.code).toBe('ENOTFOUND');
    // A host the operator listed exactly is trusted wherever it points.
    expect(await lookup(new WebhookTargets(['meta.test'], resolve), 'meta.test', true)).toEqual({ error: null, address: [{ address: '169.254.169.254', family: 4 }] });
  });

  it('is what the delivery sockets resolve with: a name pointing at a blocked address is never connected to', async () => {
    const server = createServer((_req, res) => res.end('{}')).listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    const { port } = server.address() as AddressInfo;
    const ctx = { requestId: 'r', recordUpstream: () => undefined };
    const client = (targets: WebhookTargets) => new HttpClient({ baseUrl: 'http://unused.invalid', timeoutMs: 2000, retries: 0, connectionId: 'webhooks', provider: 'webhook', lookup: targets.lookup });
    const allowed = client(new WebhookTargets(undefined, resolverOf({ 'receiver.test': ['127.0.0.1'] })));
    const smuggled = client(new WebhookTargets(undefined, resolverOf({ 'receiver.test': ['169.254.169.254'] })));
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
