import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type BrowserContext, type Locator, type Page } from 'playwright-core';
import { startSandboxGateway, type RunningSandbox } from '../support/gateway-harness.js';

/**
 * Swagger UI in a real Chromium, used the way the README tells a person to use it: open /docs, click
 * Authorize, enter the sandbox key, "Try it out", Execute, and read the answer in the response panel.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = resolve(process.cwd(), 'artifacts/swagger-ui');
const HARDWARIO_DEVICE = 'sandbox-hardwario:018e2ca2-0740-75dc-949f-37519117437f';

describe('Swagger UI at /docs in Chromium', () => {
  let gateway: RunningSandbox;
  let context: BrowserContext;
  let page: Page;
  let profile: string;
  const pageErrors: string[] = [];
  const failedRequests: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install -y chromium)`);
    mkdirSync(SHOTS, { recursive: true });
    gateway = await startSandboxGateway();
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
    page.setDefaultTimeout(8_000);
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

  /** Clicks Execute and reads the live response: status code and body text as Swagger UI shows them. */
  async function execute(block: Locator): Promise<{ status: number; body: string; curl: string }> {
    await block.locator('button.execute').click();
    const live = block.locator('.live-responses-table');
    await live.waitFor({ state: 'visible', timeout: 15_000 });
    const status = Number((await live.locator('tbody .response-col_status').first().innerText()).trim());
    const body = await live.locator('.response-col_description .highlight-code').first().innerText();
    const curl = await block.locator('.curl-command').first().innerText();
    return { status, body, curl };
  }

  it('loads the page with the operations and no script errors', async () => {
    const response = await page.goto(`${gateway.url}/docs`);
    expect(response?.status()).toBe(200);
    await page.locator('.opblock').first().waitFor({ timeout: 15_000 });
    expect(await page.locator('.opblock').count()).toBeGreaterThanOrEqual(15);
    await expect(page.locator('.info .title').innerText()).resolves.toContain('devicegate');
    await page.screenshot({ path: join(SHOTS, '01-loaded.png') });
    expect(pageErrors).toEqual([]);
    expect(failedRequests).toEqual([]);
  });

  it('accepts the sandbox key through Authorize', async () => {
    await page.locator('.auth-wrapper button.authorize').click();
    const dialog = page.locator('.dialog-ux .modal-ux');
    await dialog.waitFor({ state: 'visible' });
    await dialog.locator('input').first().fill('sandbox');
    await dialog.locator('button.authorize').click();
    // Once authorized, the dialog offers Logout instead of Authorize.
    await dialog.locator('button.btn-done, button.logout').first().waitFor({ state: 'visible' });
    await page.screenshot({ path: join(SHOTS, '02-authorized.png') });
    await expect(dialog.locator('button.logout').count()).resolves.toBe(1);
    await dialog.locator('button.btn-done').click();
    await dialog.waitFor({ state: 'detached' });
    // The padlock of the page-level button is shown locked now.
    await expect(page.locator('.auth-wrapper button.authorize').getAttribute('class')).resolves.toContain('locked');
  });

  it('runs listDevices and shows 200 with devices', async () => {
    const block = await tryOut('listDevices');
    await fill(block, 'limit', '5');
    await fill(block, 'connection_id', 'sandbox-hardwario');
    const { status, body, curl } = await execute(block);
    await block.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SHOTS, '03-list-devices.png'), fullPage: true });
    expect(curl).toContain('Authorization: Bearer sandbox');
    expect(status).toBe(200);
    const list = JSON.parse(body) as { object: string; data: Array<{ object: string; id: string }>; has_more: boolean };
    expect(list.object).toBe('list');
    expect(list.data).toHaveLength(5);
    expect(list.data[0]).toMatchObject({ object: 'device', id: HARDWARIO_DEVICE });
    expect(list.has_more).toBe(true);
  });

  it('runs getDevice with a real device id and shows the device', async () => {
    const block = await tryOut('getDevice');
    await fill(block, 'device_id', HARDWARIO_DEVICE);
    const { status, body } = await execute(block);
    await page.screenshot({ path: join(SHOTS, '04-get-device.png'), fullPage: true });
    expect(status).toBe(200);
    expect(JSON.parse(body)).toMatchObject({ object: 'device', id: HARDWARIO_DEVICE, provider: 'hardwario', name: expect.any(String) });
  });

  it('shows a validation_error naming the bad parameter', async () => {
    const block = page.locator('.opblock[id$="-listDevices"]');
    await fill(block, 'limit', '1');
    const { status, body } = await execute(block);
    await page.screenshot({ path: join(SHOTS, '05-validation-error.png'), fullPage: true });
    expect(status).toBe(400);
    const error = JSON.parse(body) as { object: string; type: string; fields: Array<{ name: string }>; request_id: string };
    expect(error).toMatchObject({ object: 'error', type: 'validation_error' });
    expect(error.fields.map((f) => f.name)).toContain('limit');
    expect(error.request_id).toMatch(/^[0-9a-f]{32}$/);
    expect(pageErrors).toEqual([]);
  });
});
