import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { SANDBOX_TEMPERATURE_DEVICES } from '../../apps/gateway/src/devices/sandbox-examples.js';
import { SANDBOX_LIVE_EVERY_MS } from '../../apps/gateway/src/sandbox/sandbox.js';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';
import { describeWith, findTool } from '../support/tools.js';

/**
 * Swagger UI in a real Chromium, used the way the README tells a person to use it: open /docs, click
 * Authorize, enter the sandbox key, "Try it out", Execute, and read the answer in the response panel.
 */

const CHROMIUM = findTool('chromium')!;
const SHOTS = resolve(process.cwd(), 'artifacts/swagger-ui');
const HARDWARIO_DEVICE = 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f';

describeWith('chromium')('Swagger UI at /docs in Chromium', () => {
  let gateway: RunningSandbox;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // Live, as `npm start` runs it: a device of each vendor with pushes reports every few seconds.
    gateway = await startSandboxGateway({ liveEveryMs: SANDBOX_LIVE_EVERY_MS });
    profile = mkdtempSync(join(tmpdir(), 'devicegate-chromium-'));
    // launchPersistentContext passes the fresh profile directory to Chromium as --user-data-dir.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
      viewport: { width: 1280, height: 1000 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    // Fail a step with Playwright's own message (which names the selector) well before Jest's timeout.
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => pageErrors.push(error.message));
    page.on('requestfailed', (request) => failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText}`));
  }, 40_000);

  afterAll(async () => {
    await context?.close();
    await gateway?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** The block of one operation, expanded and switched to "Try it out". */
  async function tryOut(operationId: string): Promise<Locator> {
    const block = page.locator(`.opblock[id$="-${operationId}"]`);
    await expect(block.count()).resolves.toBe(1);
    await block.locator('.opblock-summary').first().click();
    await block.locator('button.try-out__btn').click();
    await block.locator('button.execute').waitFor({ state: 'visible' });
    return block;
  }

  async function fill(block: Locator, parameter: string, value: string): Promise<void> {
    await block.locator(`tr[data-param-name="${parameter}"] input`).fill(value);
  }

  /**
   * Clicks Execute and reads the live response as Swagger UI shows it (status code, body text, the curl
   * line), then saves a screenshot of the response panel.
   */
  async function execute(block: Locator, screenshot: string): Promise<{ status: number; body: string; curl: string }> {
    const sent = page.waitForRequest((request) => request.url().startsWith(`${gateway.url}/v1/`));
    await block.locator('button.execute').click();
    await sent;
    const live = block.locator('.live-responses-table');
    await live.waitFor({ state: 'visible', timeout: 15_000 });
    const status = Number((await live.locator('tbody .response-col_status').first().innerText()).trim());
    const body = await live.locator('.response-col_description .highlight-code code').first().innerText();
    const curl = await block.locator('.curl-command').first().innerText();
    await block.locator('.responses-wrapper').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, screenshot) });
    return { status, body, curl };
  }

  it('loads the page with the operations and no script errors', async () => {
    const response = await page.goto(`${gateway.url}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(15);
    await expect(page.locator('.info .title').innerText()).resolves.toContain('devicegate');
    // One version: the spec's is the package's.
    const { version } = JSON.parse(readFileSync(resolve(process.cwd(), 'package.json'), 'utf8')) as { version: string };
    await expect(page.locator('.info .title .version').first().innerText()).resolves.toBe(` ${version} `);
    await page.screenshot({ path: join(SHOTS, '01-loaded.png') });
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it('accepts the sandbox key through Authorize', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor({ state: 'visible' });
    await dialog.getByLabel('auth-bearer-value').fill('sandbox');
    await dialog.locator('button[type="submit"]').filter({ hasText: 'Authorize' }).click();
    // Once the key is taken, the dialog says so, masks it and offers Logout instead of Authorize.
    await dialog.locator('button').filter({ hasText: 'Logout' }).waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SHOTS, '02-authorized.png') });
    await expect(dialog.locator('h6').filter({ hasText: 'Authorized' }).count()).resolves.toBe(1);
    await expect(dialog.locator('input').count()).resolves.toBe(0);
    await dialog.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
    // The padlock of the page-level button is shown locked now.
    await expect(page.locator('.auth-wrapper button.authorize').getAttribute('class')).resolves.toContain('locked');
  });

  it('runs listDevices and shows 200 with devices', async () => {
    const block = await tryOut('listDevices');
    await fill(block, 'limit', '5');
    await fill(block, 'connection_id', 'sandbox-hardwario');
    const { status, body, curl } = await execute(block, '03-list-devices.png');
    expect(curl).toContain('Authorization: Bearer sandbox');
    expect(status).toBe(200);
    const list = JSON.parse(body) as { object: string; data: Array<{ object: string; id: string }>; has_more: boolean };
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(5);
    expect(list.data[0]).toMatchObject({ object: 'device', id: HARDWARIO_DEVICE });
    expect(list.has_more).toBe(true);
  });

  it('runs getDevice with the example id as it stands and shows the device', async () => {
    const block = await tryOut('getDevice');
    await expect(block.locator('tr[data-param-name="device_id"] input').inputValue()).resolves.toBe(HARDWARIO_DEVICE);
    const { status, body } = await execute(block, '04-get-device.png');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ object: 'device', id: HARDWARIO_DEVICE, provider: 'hardwario', name: expect.any(String) });
  });

  it('runs getDeviceStatus with the example id as it stands', async () => {
    const block = await tryOut('getDeviceStatus');
    const { status, body } = await execute(block, '04b-get-device-status.png');
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ object: 'device_status', device_id: HARDWARIO_DEVICE });
  });

  it('runs listDeviceMessages with its examples as they stand, newest first as documented', async () => {
    const block = await tryOut('listDeviceMessages');
    const { status, body } = await execute(block, '04c-list-device-messages.png');
    expect(status).toBe(200);
    const list = JSON.parse(body) as { object: string; order: string; data: Array<{ object: string; device_id: string }> };
    expect(list).toMatchObject({ object: 'list', order: 'DESC' });
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((m) => m.object === 'message' && m.device_id === HARDWARIO_DEVICE)).toBe(true);
    // The documented example of a 200 answer is in the same order.
    await expect(block.locator('.responses-table .response[data-code="200"] .example, .responses-table tr[data-code="200"] .microlight').first().innerText()).resolves.toContain('"order": "DESC"');
  });

  it('checks limit=1 in the page itself, before sending anything', async () => {
    const block = page.locator('.opblock[id$="-listDevices"]');
    const requests: string[] = [];
    const onRequest = (request: { url(): string }) => requests.push(request.url());
    page.on('request', onRequest);
    await fill(block, 'limit', '1');
    await block.locator('button.execute').click();
    const input = block.locator('tr[data-param-name="limit"] input');
    // Swagger UI enforces the spec's `minimum: 2`: the field turns invalid (after its next render) and no call is made.
    await block.locator('tr[data-param-name="limit"] input.invalid').waitFor({ timeout: 30_000 });
    await expect(input.getAttribute('class')).resolves.toContain('invalid');
    await expect(input.getAttribute('title')).resolves.toContain('greater than or equal to 2');
    await input.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, '05-limit-checked-in-page.png') });
    page.off('request', onRequest);
    expect(requests.filter((url) => url.includes('/v1/'))).toEqual([]);
  });

  it('shows the validation_error of the gateway, naming the bad parameter', async () => {
    const block = page.locator('.opblock[id$="-listDevices"]');
    await fill(block, 'limit', '5');
    await fill(block, 'created_at__gte', 'yesterday');
    const { status, body } = await execute(block, '06-validation-error.png');
    expect(status).toBe(400);
    const error = JSON.parse(body) as { object: string; type: string; fields: Array<{ name: string }>; request_id: string };
    expect(error).toMatchObject({ object: 'error', type: 'validation_error' });
    expect(error.fields.map((f) => f.name)).toContain('created_at__gte');
    expect(error.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(pageErrors).toEqual([]);
  });

  it('filters listDevices by labels.site, as the page offers it', async () => {
    const block = page.locator('.opblock[id$="-listDevices"]');
    await block.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, '07-before-labels.png') });
    await fill(block, 'created_at__gte', '');
    await fill(block, 'labels.site', 'brno-hq');
    const { status, body } = await execute(block, '04d-labels-filter.png');
    expect(status).toBe(200);
    const list = JSON.parse(body) as { data: Array<{ labels: Record<string, string> }> };
    expect(list.data.length).toBeGreaterThan(0);
    expect(list.data.every((d) => d.labels.site === 'brno-hq')).toBe(true);
    await fill(block, 'labels.site', '');
  });

  /** Clicks Execute and waits until the response panel shows the answer the gateway gave (parsed), which it returns. */
  async function executeShown(block: Locator, screenshot: string): Promise<{ status: number; body: unknown }> {
    const responded = page.waitForResponse((response) => response.url().startsWith(`${gateway.url}/v1/`));
    await block.locator('button.execute').click();
    const response = await responded;
    const want = JSON.stringify(JSON.parse(await response.text()));
    const shown = block.locator('.live-responses-table .response-col_description .highlight-code code').first();
    for (let until = Date.now() + 15_000; ; ) {
      const text = await shown.innerText().catch(() => '');
      const parsed = ((): string | undefined => {
        try {
          return JSON.stringify(JSON.parse(text));
        } catch {
          return undefined;
        }
      })();
      if (parsed === want) break;
      if (Date.now() > until) throw new Error(`the response panel did not show the answer: ${text.slice(0, 200)}`);
      await page.waitForTimeout(100);
    }
    expect(Number((await block.locator('.live-responses-table tbody .response-col_status').first().innerText()).trim())).toBe(response.status());
    await block.locator('.responses-wrapper').first().scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, screenshot) });
    return { status: response.status(), body: JSON.parse(want) as unknown };
  }

  it(
    'shows a temperature series in listDeviceReadings for the example device of each vendor, newest first',
    async () => {
      const block = await tryOut('listDeviceReadings');
      await fill(block, 'name', 'temperature');
      await fill(block, 'limit', '20');
      const device = block.locator('tr[data-param-name="device_id"]');
      for (const [provider, id] of Object.entries(SANDBOX_TEMPERATURE_DEVICES)) {
        await device.locator('select').selectOption({ label: `Sandbox device (${provider})` });
        await expect(device.locator('input').inputValue()).resolves.toBe(id);
        // Izuma's history is the notifications recorded since the start, Blynk's the samples of its values: Execute again until the live ticker gave two.
        let readings: Array<{ object: string; device_id: string; name: string; native_name: string; unit: string | null; at: string; message_id: string | null }> = [];
        for (let until = Date.now() + 150_000; ; ) {
          const { status, body } = await executeShown(block, `08-readings-${provider}.png`);
          expect(status).toBe(200);
          readings = (body as { data: typeof readings }).data;
          if (readings.length >= 2 || Date.now() > until) break;
          await page.waitForTimeout(2000);
        }
        expect(readings.every((r) => r.object === 'reading' && r.device_id === id && r.name === 'temperature' && r.unit === 'Cel')).toBe(true);
        const times = readings.map((r) => Date.parse(r.at));
        // Newest first per sensor: readings follow their messages' order, and a HARDWARIO message carries two
        // temperatures (thermometer and hygrometer) measured at different times, so only each sensor's own times are monotonic.
        for (const sensor of new Set(readings.map((r) => r.native_name))) {
          const own = readings.filter((r) => r.native_name === sensor).map((r) => Date.parse(r.at));
          expect(own).toEqual([...own].sort((a, b) => b - a));
        }
        expect(readings.length).toBeGreaterThanOrEqual(2);
        expect(new Set(times).size).toBeGreaterThanOrEqual(2);
        // Sampled values are recorded as messages: the series is more than the one current value Blynk's API gives.
        if (provider === 'blynk') expect(readings.filter((r) => r.message_id !== null).length).toBeGreaterThanOrEqual(2);
      }
      expect(pageErrors).toEqual([]);
    },
    15 * 60_000,
  );
});
