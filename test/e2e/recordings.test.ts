import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../src/platform/index.js';
import type { Page as ListPage, Recording } from '../../web/src/api/types.js';
import { generatedRecording } from '../support/recordings.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserAvailable, buildUi, launchBrowser } from './browser.js';

/** Set to a directory to keep a screenshot of each step there (for looking at the UI). */
const screenshotDir = process.env.DRIVETRAIN_E2E_SCREENSHOTS;

/** Ingest of a generated recording takes a few seconds; a slow shared machine gets more. */
const ingestTimeout = 60_000;

/** The parts of a browser canvas the plot check reads (the test compiles without the DOM lib). */
interface PaintedCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

describe.skipIf(!browserAvailable('recordings in Chromium'))('recordings in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let files: string;
  let drive: Awaited<ReturnType<typeof generatedRecording>>;
  let drivePath: string;
  let brokenPath: string;

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(server.url + path, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    return (await response.json()) as T;
  };

  const recordingNamed = async (name: string): Promise<Recording> => {
    const found = await api<ListPage<Recording>>('/recordings');
    const recording = found.items.find((r) => r.name === name);
    if (recording === undefined) throw new Error(`no recording ${name}`);
    return recording;
  };

  beforeAll(async () => {
    [ui, browser, drive] = await Promise.all([
      buildUi(),
      launchBrowser(),
      generatedRecording({ seed: 11, seconds: 24 }),
    ]);
    server = await startTestServer({ listen: true, webRoot: ui.dir });
    await server.app.identity.createTeam(operatorPrincipal('e2e'), { name: 'fleet' });
    files = mkdtempSync(join(tmpdir(), 'drivetrain-e2e-recordings-'));
    drivePath = join(files, 'drive-e2e.mcap');
    writeFileSync(drivePath, drive.bytes);
    // An MCAP whose magic is right and whose records are not.
    brokenPath = join(files, 'broken.mcap');
    writeFileSync(
      brokenPath,
      Buffer.concat([Buffer.from('\x89MCAP0\r\n', 'binary'), Buffer.alloc(64, 0xff)]),
    );
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail')
      await shot(`failed-${test.task.name.replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await browser?.dispose();
    await server?.close();
    await ui?.dispose();
    if (files !== undefined) rmSync(files, { recursive: true, force: true });
  });

  it('signs in and shows that there are no recordings yet', async () => {
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Recordings', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No recordings yet' }).waitFor();
    await shot('r01-empty');
  });

  it('uploads two files through the file chooser and follows each to its outcome', async () => {
    await page.getByRole('link', { name: 'Upload recordings' }).first().click();
    await page.getByRole('heading', { name: 'Upload recordings', level: 1 }).waitFor();
    // Nothing chosen: the form says so and sends nothing.
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await page.getByText('Choose one or more files.').waitFor();

    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (await chooser).setFiles([drivePath, brokenPath]);
    const chosen = page.getByRole('list', { name: 'Chosen files' });
    await chosen.getByText('drive-e2e.mcap').waitFor();
    await chosen.getByText('broken.mcap').waitFor();
    await page.getByLabel('Team').selectOption({ label: 'fleet' });
    await page.getByLabel('Vehicle (optional)').fill('veh-e2e');
    await shot('r02-chosen');
    await page.getByRole('button', { name: 'Upload 2 files' }).click();

    const uploads = page.getByRole('table', { name: 'Uploads' });
    const good = uploads.getByRole('row').filter({ hasText: 'drive-e2e.mcap' });
    const bad = uploads.getByRole('row').filter({ hasText: 'broken.mcap' });
    await good.getByRole('link', { name: 'Open recording' }).waitFor();
    await shot('r03-uploading');
    await good.getByText('ready', { exact: true }).waitFor({ timeout: ingestTimeout });
    await bad.getByText('rejected', { exact: true }).waitFor({ timeout: ingestTimeout });
    await good.getByText(`${(drive.bytes.length / 1024 ** 2).toFixed(2)} MiB uploaded`).waitFor();
    await shot('r04-uploaded');

    const stored = await recordingNamed('drive-e2e.mcap');
    expect(stored).toMatchObject({ status: 'ready', vehicle: 'veh-e2e', size: drive.bytes.length });
    expect(stored.sha256).toBe(createHash('sha256').update(drive.bytes).digest('hex'));
    const rejected = await recordingNamed('broken.mcap');
    expect(rejected.status).toBe('rejected');
    expect(await bad.textContent()).toContain(rejected.error?.message);
  });

  it('says when a file was uploaded before', async () => {
    const chooser = page.waitForEvent('filechooser');
    await page.getByRole('button', { name: 'Choose files' }).click();
    await (await chooser).setFiles([drivePath]);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    const rows = page.getByRole('table', { name: 'Uploads' }).getByRole('row');
    const again = rows.filter({ hasText: 'duplicate' });
    await again.getByRole('link', { name: 'Already uploaded as drive-e2e.mcap' }).waitFor();
    expect((await api<ListPage<Recording>>('/recordings')).items).toHaveLength(2);
    await shot('r05-duplicate');
  });

  it('shows a recording with its channels, rate plot and segments', async () => {
    const recording = await recordingNamed('drive-e2e.mcap');
    await page
      .getByRole('table', { name: 'Uploads' })
      .getByRole('row')
      .filter({ hasText: 'drive-e2e.mcap' })
      .getByRole('link', { name: 'Open recording' })
      .click();
    await page.getByRole('heading', { name: 'drive-e2e.mcap', level: 1 }).waitFor();
    expect(page.url()).toContain(`#/recordings/${recording.id}`);

    const channels = page.getByRole('table', { name: 'Channels' });
    await channels.waitFor();
    expect(await channels.locator('tbody tr').count()).toBe(14);
    for (const generated of drive.generated.channels) {
      const row = channels.getByRole('row').filter({ hasText: generated.topic }).first();
      expect(await row.textContent()).toContain(generated.messageCount.toLocaleString('en-US'));
    }
    await channels.getByRole('row').filter({ hasText: 'Lidar' }).first().waitFor();

    const plot = page.getByRole('figure', { name: /Message rate per channel/ });
    const canvas = plot.locator('canvas');
    await canvas.waitFor();
    expect(await plot.locator('.u-legend .u-series').count()).toBe(15);
    // The lines are drawn: many pixels of the canvas are painted in the sensors' colours.
    const painted = await canvas.evaluate((element: PaintedCanvas) => {
      const context2d = element.getContext('2d');
      if (context2d === null) return 0;
      const { data } = context2d.getImageData(0, 0, element.width, element.height);
      let coloured = 0;
      for (let i = 0; i < data.length; i += 4) {
        const [r = 0, g = 0, b = 0, a = 0] = data.subarray(i, i + 4);
        if (a > 0 && Math.max(r, g, b) - Math.min(r, g, b) > 60) coloured += 1;
      }
      return coloured;
    });
    expect(painted).toBeGreaterThan(1000);

    const segments = page.getByRole('table', { name: 'Segments' });
    await segments.waitFor();
    expect(await segments.locator('tbody tr').count()).toBe(2);
    await segments.getByRole('link', { name: 'sensor:lidar' }).first().waitFor();
    await page.getByText(drive.plan.region.country, { exact: true }).first().waitFor();
    await shot('r06-recording');
  });

  it('downloads the file as it was uploaded', async () => {
    // Headless Chromium cannot answer a save dialog: take the path of browsers without one.
    await page.evaluate(() => {
      delete (globalThis as { showSaveFilePicker?: unknown }).showSaveFilePicker;
    });
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download' }).click();
    const saved = await (await download).path();
    expect(createHash('sha256').update(readFileSync(saved)).digest('hex')).toBe(
      createHash('sha256').update(drive.bytes).digest('hex'),
    );
  });

  it('searches the list by sensor and country, keeping the search in the URL', async () => {
    await page.getByRole('link', { name: 'All recordings' }).click();
    const table = page.getByRole('table', { name: 'Recordings' });
    await table.getByRole('link', { name: 'drive-e2e.mcap' }).waitFor();
    const rejectedRow = table.getByRole('row').filter({ hasText: 'broken.mcap' });
    const rejected = await recordingNamed('broken.mcap');
    await rejectedRow.getByText(rejected.error?.message ?? '').waitFor();
    await shot('r07-list');

    await page.getByLabel('Sensor').selectOption('lidar');
    await page.waitForURL(/sensor=lidar/);
    await table.getByRole('link', { name: 'drive-e2e.mcap' }).waitFor();
    await rejectedRow.waitFor({ state: 'detached' });
    expect(await table.locator('tbody tr').count()).toBe(1);

    await page.getByLabel('Country').fill(drive.plan.region.country.toLowerCase());
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(new RegExp(`country=${drive.plan.region.country}`));
    await table.getByRole('link', { name: 'drive-e2e.mcap' }).waitFor();
    await shot('r08-filtered');

    const elsewhere = drive.plan.region.country === 'JP' ? 'DE' : 'JP';
    await page.getByLabel('Country').fill(elsewhere);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'No recordings match this search' }).waitFor();

    // The search survives a reload, since it lives in the URL.
    await page.reload();
    await page.getByRole('heading', { name: 'No recordings match this search' }).waitFor();
    expect(await page.getByLabel('Country').inputValue()).toBe(elsewhere);
    expect(await page.getByLabel('Sensor').inputValue()).toBe('lidar');

    await page.getByRole('button', { name: 'Clear', exact: true }).click();
    await table.getByRole('link', { name: 'broken.mcap' }).waitFor();
    expect(page.url()).toMatch(/#\/recordings$/);
  });
});
