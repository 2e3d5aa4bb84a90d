import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../src/platform/index.js';
import type {
  ContractCheck,
  DataProduct,
  Page as ListPage,
  ProductRecording,
  Recording,
  SearchHit,
  Track,
} from '../../web/src/api/types.js';
import { generatedRecording } from '../support/recordings.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserAvailable, buildUi, launchBrowser } from './browser.js';

/** Set to a directory to keep a screenshot of each step there (for looking at the UI). */
const screenshotDir = process.env.DRIVETRAIN_E2E_SCREENSHOTS;

/** Ingest of a generated recording takes a few seconds; a slow shared machine gets more. */
const ingestTimeout = 90_000;

const productName = 'lidar-drives';
const query = 'sensors has lidar';
const brokenQuery = 'sensors has lidar and';

/** The parts of an SVG path element the map check reads (the test compiles without the DOM lib). */
interface DrawnPath {
  getAttribute(name: string): string | null;
  querySelector(selector: string): { textContent: string | null } | null;
}

describe.skipIf(!browserAvailable('data products in Chromium'))('data products in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  const names = ['drive-madrid.mcap', 'drive-jonkoping.mcap'];

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const response = await fetch(server.url + path, {
      method,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return (await response.json()) as T;
  };

  const waitUntilIngested = async (): Promise<void> => {
    const deadline = Date.now() + ingestTimeout;
    for (;;) {
      const { items } = await api<ListPage<Recording>>('GET', '/recordings');
      if (items.every((r) => r.status === 'ready' || r.status === 'rejected')) {
        expect(items.map((r) => r.status)).toEqual(['ready', 'ready']);
        return;
      }
      if (Date.now() > deadline) throw new Error('the recordings were not ingested in time');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  };

  beforeAll(async () => {
    const drives = Promise.all([
      generatedRecording({ seed: 11, seconds: 24, vehicle: 0 }),
      generatedRecording({ seed: 11, seconds: 24, vehicle: 1 }),
    ]);
    [ui, browser] = await Promise.all([buildUi(), launchBrowser()]);
    server = await startTestServer({ listen: true, webRoot: ui.dir });
    const operator = operatorPrincipal('e2e');
    await server.app.identity.createTeam(operator, { name: 'fleet' });
    await server.app.identity.createTeam(operator, { name: 'planning' });
    for (const [index, drive] of (await drives).entries()) {
      const response = await fetch(
        `${server.url}/recordings?name=${names[index]}&team=fleet&vehicle=veh-${index}`,
        {
          method: 'POST',
          headers: {
            authorization: `Bearer ${server.adminToken}`,
            'content-type': 'application/octet-stream',
          },
          body: drive.bytes,
        },
      );
      expect(response.status).toBe(201);
    }
    await waitUntilIngested();
    await api('POST', '/domains', {
      name: 'perception',
      ownerTeam: 'fleet',
      description: 'Sensor data for perception training',
    });
    // Service levels the generated drives cannot meet: they are old and have no sync report.
    const created = await api<DataProduct>('POST', '/products', {
      name: productName,
      domain: 'perception',
      ownerTeam: 'fleet',
      description: 'Every drive with a lidar, for 3D detection.',
      classification: 'confidential',
      personalData: ['faces', 'license-plates'],
      residency: 'eu',
      rule: { sensors: ['lidar'] },
      slos: { requiredSensors: ['lidar', 'camera'], minSyncScore: 99, maxAgeHours: 1 },
    });
    expect(created.name).toBe(productName);

    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Recordings', level: 1 }).waitFor();
    // Building the UI, generating two drives and ingesting them takes minutes on a busy machine.
  }, 300_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail')
      await shot(`failed-${test.task.name.replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await browser?.dispose();
    await server?.close();
    await ui?.dispose();
  });

  it('lists the product with its quality status and failing checks as the API reports them', async () => {
    const product = await api<DataProduct>('GET', `/products/${productName}`);
    expect(product.quality.status).toBe('failing');
    const failing = [...new Set(product.quality.failures.map((f) => f.check))];
    expect(failing.length).toBeGreaterThan(0);

    await page.getByRole('link', { name: 'Data products' }).click();
    await page.getByRole('heading', { name: 'Data products', level: 1 }).waitFor();
    const row = page
      .getByRole('table', { name: 'Data products' })
      .getByRole('row')
      .filter({ has: page.getByRole('link', { name: productName }) });
    await row.waitFor();
    const cells = await row.getByRole('cell').allTextContents();
    expect(cells[1]).toBe('perception');
    expect(cells[2]).toBe('fleet');
    expect(cells[3]).toContain('confidential');
    expect(cells[3]).toContain('Personal data: faces, license-plates');
    expect(cells[4]).toBe('eu');
    expect(cells[5]).toContain('failing');
    const shown = await row
      .getByRole('list', { name: `Failing checks of ${productName}` })
      .getByRole('listitem')
      .allTextContents();
    expect(shown).toEqual(failing);
    expect(cells[6]).toBe(String(product.recordingCount));
    await shot('c01-products');
  });

  it('shows the product page with its rule, recordings and contract checks', async () => {
    const product = await api<DataProduct>('GET', `/products/${productName}`);
    const recordings = await api<ListPage<ProductRecording>>(
      'GET',
      `/products/${product.id}/recordings`,
    );
    const checks = await api<{ items: ContractCheck[] }>(
      'GET',
      `/products/${product.id}/checks?limit=200`,
    );
    await page.getByRole('link', { name: productName }).click();
    await page.getByRole('heading', { name: productName, level: 1 }).waitFor();
    await page.getByText('Every drive with a lidar, for 3D detection.').waitFor();
    expect(await page.getByRole('definition').filter({ hasText: 'has lidar' }).count()).toBe(1);
    await page.getByRole('definition').filter({ hasText: 'at least 99' }).waitFor();

    const recordingTable = page.getByRole('table', { name: 'Recordings' });
    await recordingTable.waitFor();
    expect(recordings.items.map((r) => r.name).sort()).toEqual([...names].sort());
    expect(await recordingTable.locator('tbody tr').count()).toBe(recordings.items.length);
    for (const recording of recordings.items)
      await recordingTable.getByRole('link', { name: recording.name }).waitFor();

    const checkTable = page.getByRole('table', { name: 'Contract checks' });
    await checkTable.waitFor();
    const rows = checkTable.locator('tbody tr');
    expect(await rows.count()).toBe(checks.items.length);
    for (const [index, check] of checks.items.entries()) {
      const cells = await rows.nth(index).getByRole('cell').allTextContents();
      expect(cells[0]).toBe(check.check);
      expect(cells[1]).toBe(check.passed ? 'pass' : 'fail');
      expect(cells[3]).toBe(check.detail);
    }
    await shot('c02-product');
  });

  it('grants and revokes access, and shows why a grant is refused', async () => {
    const grants = page.getByRole('table', { name: 'Access grants' });
    const team = page.getByLabel('Team to grant read access');
    await page.getByText('No other team may read this product.').waitFor();

    await team.fill('planning');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    await grants.getByRole('cell', { name: 'planning' }).waitFor();
    const granted = await api<DataProduct>('GET', `/products/${productName}`);
    expect(granted.grants.map((g) => g.teamName)).toEqual(['planning']);

    // The owner team needs no grant: the API refuses it with a problem+json document.
    const refusal = await fetch(`${server.url}/products/${productName}/grants/fleet`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(refusal.status).toBe(400);
    const problem = (await refusal.json()) as { detail: string };
    await team.fill('fleet');
    await page.getByRole('button', { name: 'Grant', exact: true }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'The grant was refused' });
    await alert.getByText(problem.detail).waitFor();
    await shot('c03-grant-refused');

    const revoke = grants.getByRole('button', { name: 'Revoke' });
    await revoke.click();
    await grants.getByRole('button', { name: "Revoke planning's access" }).click();
    await page.getByText('No other team may read this product.').waitFor();
    expect((await api<DataProduct>('GET', `/products/${productName}`)).grants).toEqual([]);
  });

  it('downloads the ODCS contract the API exports', async () => {
    const response = await fetch(`${server.url}/products/${productName}/contract`, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    const exported = await response.text();
    expect(exported).toContain(productName);
    const download = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download ODCS contract' }).click();
    const file = await download;
    expect(file.suggestedFilename()).toBe(`${productName}.odcs.yaml`);
    expect(readFileSync(await file.path(), 'utf8')).toBe(exported);
  });

  it('finds the segments the API finds for the same query and maps their tracks', async () => {
    const found = await api<ListPage<SearchHit>>('POST', '/search', { query, limit: 25 });
    expect(found.items.length).toBeGreaterThan(0);
    const recordingIds = [...new Set(found.items.map((h) => h.recordingId))];
    const tracks = await api<{ items: Track[] }>(
      'GET',
      `/search/tracks?recordings=${recordingIds.join(',')}`,
    );
    const recordings = await api<ListPage<Recording>>('GET', '/recordings');
    const nameOf = (id: string): string => recordings.items.find((r) => r.id === id)?.name ?? id;

    await page.getByRole('link', { name: 'All data products' }).click();
    await page.getByRole('link', { name: 'Search scenarios' }).click();
    await page.getByRole('heading', { name: 'Scenario search', level: 1 }).waitFor();
    await page.getByLabel('Scenario query').fill(query);
    await page.getByRole('button', { name: 'Search', exact: true }).click();

    const results = page.getByRole('table', { name: 'Matching segments' });
    await results.waitFor();
    const rows = results.locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(found.items.length);
    for (const [index, hit] of found.items.entries()) {
      const cells = await rows.nth(index).getByRole('cell').allTextContents();
      expect(cells[0]).toBe(`${nameOf(hit.recordingId)}segment ${hit.seq + 1}`);
      for (const tag of hit.matchedTags) expect(cells[4]).toContain(tag);
    }

    const map = page.getByRole('figure', { name: 'Map of result tracks' });
    await map.waitFor();
    const paths = map.locator('path.dp-track');
    expect(await paths.count()).toBe(recordingIds.length);
    const drawn = await paths.evaluateAll((elements: DrawnPath[]) =>
      elements.map((element) => ({
        recording: element.getAttribute('data-recording'),
        points: (element.getAttribute('d') ?? '')
          .split(/[ML]/)
          .filter((part: string) => part.trim() !== '').length,
        title: element.querySelector('title')?.textContent ?? '',
      })),
    );
    for (const track of tracks.items) {
      const path = drawn.find((d) => d.recording === track.recordingId);
      expect(path, `a path for ${track.recordingId}`).toBeDefined();
      expect(path?.points).toBe(Math.max(2, track.points.length));
      expect(path?.title).toContain(nameOf(track.recordingId));
    }
    await shot('c04-search');
    // Lines of the graticule carry labels with a hemisphere.
    expect(
      await map
        .locator('.dp-graticule text')
        .filter({ hasText: /°[NS]$/ })
        .count(),
    ).toBeGreaterThan(1);
    expect(
      await map
        .locator('.dp-graticule text')
        .filter({ hasText: /°[EW]$/ })
        .count(),
    ).toBeGreaterThan(1);
  });

  it('points at where a broken query stops parsing', async () => {
    const response = await fetch(`${server.url}/search`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ query: brokenQuery }),
    });
    expect(response.status).toBe(400);
    const problem = (await response.json()) as {
      detail: string;
      column: number;
      expected: string[];
    };
    await page.getByLabel('Scenario query').fill(brokenQuery);
    await page.getByRole('button', { name: 'Search', exact: true }).click();
    const error = page.getByRole('alert', { name: 'Query error' });
    await error.getByText(problem.detail).waitFor();
    await shot('c05-query-error');
    const text = (await error.textContent()) ?? '';
    expect(text).toContain(`At column ${problem.column}`);
    for (const token of problem.expected) expect(text).toContain(token);
    expect(await error.locator('mark').getAttribute('title')).toBe(`column ${problem.column}`);
    expect(await page.getByRole('table', { name: 'Matching segments' }).count()).toBe(0);
  });
});
