import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../src/platform/index.js';
import type {
  AddedRecording,
  Page as ListPage,
  Recording,
  RecordingDetail,
  SyncReport,
} from '../../web/src/api/types.js';
import { formatHz } from '../../web/src/areas/recordings/format.js';
import {
  formatClockOffset,
  formatNanoseconds,
  formatPercent,
  formatPpm,
  formatScore,
  stampSourceOf,
  syncFailedTitle,
} from '../../web/src/areas/recordings/sync.js';
import { writeMcap } from '../support/mcap.js';
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

/** Pixels painted in the plots' blue (bars, the mean line, the min–max band). */
async function bluePixels(figure: Locator): Promise<number> {
  const canvas = figure.locator('canvas');
  await canvas.waitFor();
  return canvas.evaluate((element: PaintedCanvas) => {
    const context2d = element.getContext('2d');
    if (context2d === null) return 0;
    const { data } = context2d.getImageData(0, 0, element.width, element.height);
    let blue = 0;
    for (let i = 0; i < data.length; i += 4) {
      const [r = 0, g = 0, b = 0, a = 0] = data.subarray(i, i + 4);
      if (a > 0 && b > r + 80 && b > g + 50) blue += 1;
    }
    return blue;
  });
}

const second = 1_000_000_000n;
const start = 1_760_000_000n * second;

/**
 * A 10 s recording of a 10 Hz lidar and a 10 Hz camera with JSON messages carrying header
 * stamps. The camera stamps 3 ms after the lidar; with `outage` it records nothing from 3 s
 * to 8 s, so half the lidar sweeps find no camera frame within tolerance.
 */
async function twoSensorRecording(outage: boolean): Promise<Uint8Array> {
  const json = (stamp: bigint) =>
    new TextEncoder().encode(
      JSON.stringify({
        header: { stamp: { sec: Number(stamp / second), nsec: Number(stamp % second) } },
      }),
    );
  const schema = new TextEncoder().encode('{"type":"object"}');
  const messages = [];
  for (let i = 0n; i < 100n; i++) {
    const lidar = start + i * 100_000_000n;
    const camera = lidar + 3_000_000n;
    messages.push({ channel: 0, logTime: lidar + 1_000_000n, data: json(lidar) });
    if (outage && i >= 30n && i < 80n) continue;
    messages.push({ channel: 1, logTime: camera + 2_000_000n, data: json(camera) });
  }
  return writeMcap(
    [
      {
        topic: '/lidar/top',
        schemaName: 'sensor_msgs/PointCloud2',
        schemaEncoding: 'jsonschema',
        schema,
        messageEncoding: 'json',
      },
      {
        topic: '/camera/front',
        schemaName: 'sensor_msgs/Image',
        schemaEncoding: 'jsonschema',
        schema,
        messageEncoding: 'json',
      },
    ],
    messages,
  );
}

describe.skipIf(!browserAvailable('sync quality in Chromium'))('sync quality in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let page: Page;
  const ids = new Map<string, string>();

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  const api = async <T>(path: string, init: RequestInit = {}): Promise<T> => {
    const response = await fetch(server.url + path, {
      ...init,
      headers: { authorization: `Bearer ${server.adminToken}`, ...init.headers },
    });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  const ingest = async (name: string, bytes: Uint8Array): Promise<void> => {
    const added = await api<AddedRecording>(
      `/recordings?${new URLSearchParams({ name, team: 'fleet' }).toString()}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream' },
        body: Buffer.from(bytes),
      },
    );
    ids.set(name, added.recording.id);
  };

  const settled = async (name: string): Promise<Recording> => {
    const deadline = Date.now() + ingestTimeout;
    for (;;) {
      const { recording } = await api<RecordingDetail>(`/recordings/${ids.get(name) ?? ''}`);
      if (recording.status === 'ready') return recording;
      if (recording.status === 'rejected' || Date.now() > deadline)
        throw new Error(`${name} is ${recording.status}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  };

  const syncOf = (name: string): Promise<SyncReport> =>
    api<SyncReport>(`/recordings/${ids.get(name) ?? ''}/sync`);

  beforeAll(async () => {
    let drive: Awaited<ReturnType<typeof generatedRecording>>;
    let aligned: Uint8Array;
    let outage: Uint8Array;
    [ui, browser, drive, aligned, outage] = await Promise.all([
      buildUi(),
      launchBrowser(),
      generatedRecording({ seed: 21, seconds: 24 }),
      twoSensorRecording(false),
      twoSensorRecording(true),
    ]);
    server = await startTestServer({ listen: true, webRoot: ui.dir });
    await server.app.identity.createTeam(operatorPrincipal('e2e'), { name: 'fleet' });
    await ingest('drive-sync.mcap', drive.bytes);
    await ingest('aligned.mcap', aligned);
    await ingest('outage.mcap', outage);
    for (const name of ids.keys()) await settled(name);
    page = browser.context.pages()[0] ?? (await browser.context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Recordings', level: 1 }).waitFor();
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail')
      await shot(`failed-${test.task.name.replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await browser?.dispose();
    await server?.close();
    await ui?.dispose();
  });

  it('flags the recordings whose sync fails the threshold in the list', async () => {
    const listed = (await api<ListPage<Recording>>('/recordings')).items;
    // The camera outage fails the threshold and the aligned pair passes it: both cases are shown.
    expect(listed.find((r) => r.name === 'outage.mcap')?.sync?.passed).toBe(false);
    expect(listed.find((r) => r.name === 'aligned.mcap')?.sync?.passed).toBe(true);
    const table = page.getByRole('table', { name: 'Recordings' });
    for (const recording of listed) {
      const row = table.getByRole('row').filter({ hasText: recording.name });
      await row.getByRole('link', { name: recording.name }).waitFor();
      const badge = row.getByText('sync failed', { exact: true });
      const sync = recording.sync;
      expect(sync).not.toBeNull();
      if (sync === null) continue;
      expect(await badge.count()).toBe(sync.passed ? 0 : 1);
      if (!sync.passed) {
        const title = await badge.locator('xpath=..').getAttribute('title');
        expect(title).toBe(syncFailedTitle(sync.score));
        expect(title).toContain(formatScore((await syncOf(recording.name)).score));
      }
    }
    await shot('s01-list');
  });

  it("shows a recording's sync report with the API's figures for every sensor", async () => {
    const report = await syncOf('drive-sync.mcap');
    await page.getByRole('link', { name: 'drive-sync.mcap' }).click();
    await page.getByRole('heading', { name: 'drive-sync.mcap', level: 1 }).waitFor();
    const section = page.getByRole('region', { name: 'Synchronization' });
    const summary = section.getByLabel('Sync summary');
    await summary.waitFor();
    const summaryText = (await summary.textContent()) ?? '';
    expect(summaryText).toContain(report.reference);
    expect(summaryText).toContain(
      `${formatScore(report.score)} of 100, threshold ${formatScore(report.threshold)}`,
    );
    expect(summaryText).toContain(report.passed ? 'passed' : 'failed');

    const table = section.getByRole('table', { name: 'Sensor synchronization' });
    await table.waitFor();
    // textContent: innerText would carry the headers' CSS capitals.
    const headers = await table.locator('thead th').allTextContents();
    const column = (name: string): number => {
      const index = headers.indexOf(name);
      expect(index, `column ${name}`).toBeGreaterThanOrEqual(0);
      return index;
    };
    expect(await table.locator('tbody tr').count()).toBe(report.channels.length);
    expect(report.channels.length).toBeGreaterThan(2);
    for (const channel of report.channels) {
      const row = table
        .locator('tbody tr')
        .filter({ has: page.getByText(channel.name, { exact: true }) });
      const cells = await row.locator('td').allInnerTexts();
      const cell = (name: string): string => cells[column(name)]?.trim() ?? '';
      const { sync, clock, rate } = channel;
      if (sync === undefined) {
        expect(channel.name).toBe(report.reference);
        expect(cell('Sensor')).toContain('reference');
        expect(cell('|Δ| p50')).toBe('—');
      } else {
        expect(cell('Score')).toBe(formatScore(sync.score));
        expect(cell('|Δ| p50')).toBe(formatNanoseconds(sync.absDeltaNs.p50));
        expect(cell('|Δ| p95')).toBe(formatNanoseconds(sync.absDeltaNs.p95));
        expect(cell('|Δ| p99')).toBe(formatNanoseconds(sync.absDeltaNs.p99));
        expect(cell('|Δ| max')).toBe(formatNanoseconds(sync.absDeltaNs.max));
        expect(cell('Within tolerance')).toContain(formatPercent(sync.withinTolerance));
        expect(cell('Within tolerance')).toContain(`±${formatNanoseconds(sync.toleranceNs)}`);
      }
      expect(cell('Dropped')).toMatch(new RegExp(`^${rate.dropped.toLocaleString('en-US')}\\b`));
      expect(cell('Dropped')).toContain(`at ${formatHz(rate.nominalRateHz)} nominal`);
      expect(cell('Gaps')).toMatch(new RegExp(`^${rate.gaps.toLocaleString('en-US')}\\b`));
      expect(cell('Clock offset')).toBe(
        clock === undefined ? '—' : formatClockOffset(clock.offsetNs),
      );
      expect(cell('Drift')).toBe(clock === undefined ? '—' : formatPpm(clock.driftPpm));
      expect(cell('Jitter')).toBe(clock === undefined ? '—' : formatNanoseconds(clock.jitterNs));
      expect(cell('Stamps from')).toBe(stampSourceOf(channel).label);
    }
    await shot('s02-report');
  });

  it("draws each sensor's delta histogram and delta over time", async () => {
    const report = await syncOf('drive-sync.mcap');
    const section = page.getByRole('region', { name: 'Synchronization' });
    const measured = report.channels.filter((c) => c.sync !== undefined);
    expect(await section.getByRole('figure').count()).toBe(2 * measured.length);
    for (const channel of measured) {
      const against = `${channel.name} against ${report.reference}`;
      const histogram = section.getByRole('figure', {
        name: `Histogram of stamp deltas of ${against}`,
        exact: true,
      });
      const overTime = section.getByRole('figure', {
        name: `Stamp delta over time of ${against}`,
        exact: true,
      });
      await histogram.scrollIntoViewIfNeeded();
      expect(await bluePixels(histogram), `histogram of ${channel.name}`).toBeGreaterThan(400);
      expect(await bluePixels(overTime), `over time of ${channel.name}`).toBeGreaterThan(300);
    }
  });

  it('shows a passing report, and a sensor outage as a failing one', async () => {
    for (const [name, passed] of [
      ['aligned.mcap', true],
      ['outage.mcap', false],
    ] as const) {
      const report = await syncOf(name);
      expect(report.passed).toBe(passed);
      await page.goto(`${server.url}/#/recordings/${ids.get(name) ?? ''}`);
      await page.getByRole('heading', { name, level: 1 }).waitFor();
      const section = page.getByRole('region', { name: 'Synchronization' });
      const summary = section.getByLabel('Sync summary');
      await summary.waitFor();
      expect(await summary.getByText(passed ? 'passed' : 'failed', { exact: true }).count()).toBe(
        1,
      );
      expect(await summary.textContent()).toContain(`${formatScore(report.score)} of 100`);
      const camera = section
        .getByRole('table', { name: 'Sensor synchronization' })
        .locator('tbody tr')
        .filter({ hasText: '/camera/front' });
      expect(await camera.locator('td').nth(1).innerText()).toBe(
        formatScore(report.channels.find((c) => c.name === '/camera/front')?.sync?.score ?? NaN),
      );
      expect(await bluePixels(section.getByRole('figure').first())).toBeGreaterThan(400);
      await shot(`s03-${name}`);
    }
  });
});
