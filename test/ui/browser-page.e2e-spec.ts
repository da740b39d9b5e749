import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { HardwarioEmulator } from '@devicegate/emulators/hardwario';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';
import { describeWith, findTool } from '../support/tools.js';

/**
 * The README's browser page, taken from README.md itself so the two cannot drift, served from an origin
 * of its own (another loopback port) and run in Chromium against a sandbox gateway: the device list
 * comes through CORS with a token from POST /v1/tokens, live events through EventSource.
 */

const CHROMIUM = findTool('chromium')!;

function readmePage(): string {
  const readme = readFileSync(resolve(process.cwd(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Browsers\n'));
  const block = /```html\n([\s\S]*?)```/.exec(section);
  if (!block) throw new Error('README.md has no html block under "## Browsers"');
  return block[1];
}

describeWith('chromium')('the README browser page in Chromium, from another origin', () => {
  let gateway: RunningSandbox;
  let site: Server;
  let siteUrl: string;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    gateway = await startSandboxGateway();
    const html = readmePage();
    site = createServer((_, res) => res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html));
    await new Promise<void>((done) => site.listen(0, '127.0.0.1', done));
    siteUrl = `http://127.0.0.1:${(site.address() as { port: number }).port}`;
    profile = mkdtempSync(join(tmpdir(), 'devicegate-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
  }, 40_000);

  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    await new Promise((done) => site?.close(done));
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  it('lists the devices and shows a live event, with a read-only token', async () => {
    const minted = await fetch(`${gateway.url}/v1/tokens`, {
      method: 'POST',
      headers: { authorization: 'Bearer sandbox', 'content-type': 'application/json' },
      body: JSON.stringify({ ttl_seconds: 300, scopes: ['read'] }),
    });
    expect(minted.status).toBe(201);
    const { token } = (await minted.json()) as { token: string };
    expect(siteUrl).not.toBe(gateway.url);

    const stream = page.waitForResponse((response) => response.url().startsWith(`${gateway.url}/v1/events?`));
    await page.goto(`${siteUrl}/page.html#gateway=${encodeURIComponent(gateway.url)}&token=${encodeURIComponent(token)}`);
    const devices = page.locator('#devices li');
    await devices.nth(19).waitFor();
    await expect(devices.count()).resolves.toBe(20);
    await expect(devices.first().innerText()).resolves.toMatch(/^.+ \((\w+), sandbox-\1:\S+\)$/);
    const opened = await stream;
    expect(opened.status()).toBe(200);
    expect(opened.headers()['access-control-allow-origin']).toBe(siteUrl);

    const hw = gateway.sandbox.emulators.find((e) => e.provider === 'hardwario')!.server as unknown as HardwarioEmulator;
    const deviceId = hw.demoDeviceIds()[0];
    hw.addUplink(deviceId, { thermometer: { temperature: 21.875 } });
    const shown = page.locator('#events li').filter({ hasText: '21.875' });
    await shown.waitFor({ timeout: 10_000 });
    await expect(shown.first().innerText()).resolves.toContain(`sandbox-hardwario:${deviceId}`);
    expect(pageErrors).toEqual([]);
  }, 60_000);
});
