import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { operatorPrincipal } from '../../src/platform/index.js';
import type {
  DatasetCard,
  DatasetDiff,
  DatasetVersion,
  LineageGraph,
} from '../../web/src/api/dataset-types.js';
import type { Page as ListPage } from '../../web/src/api/types.js';
import { ingestGeneratedFleet } from '../support/fleet.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserAvailable, buildUi, launchBrowser } from './browser.js';

/** Set to a directory to keep a screenshot of each step there (for looking at the UI). */
const screenshotDir = process.env.DRIVETRAIN_E2E_SCREENSHOTS;

/** A build over the generated fleet takes seconds; a slow shared machine gets more. */
const buildTimeout = 180_000;

/** The definition of the integration suite: requirements that pass (lidar) and fail (XX). */
const definition = (rateHz: number) => ({
  name: 'lidar-front',
  description: 'Lidar sweeps with the front camera and radar.',
  query: 'sensors has lidar',
  sync: {
    reference: 'lidar',
    streams: {
      lidar: { sensor: 'lidar' },
      front: { sensor: 'camera', topic: '/sensors/camera/front/image*' },
      radar: { sensor: 'radar', topic: '*front_left*' },
    },
    required: ['lidar', 'front'],
    toleranceMs: { front: 30, radar: 40 },
  },
  split: { by: 'recording', fractions: { train: 0.5, val: 0.25, test: 0.25 }, seed: 'a' },
  sampling: { rateHz },
  requirements: [
    { tag: 'night', minPercent: 10 },
    { tag: 'sensor:lidar', minPercent: 100 },
    { countries: ['DE', 'FR', 'XX'] },
  ],
});

const count = (n: number): string => n.toLocaleString('en-US');

/** `--success` and `--danger` of web/src/ui/ui.css, as the browser reports a computed fill. */
const successColour = 'rgb(26, 127, 55)';
const dangerColour = 'rgb(180, 35, 24)';

/** The part of a browser window the colour check uses (the test compiles without the DOM lib). */
interface Styled {
  getComputedStyle(element: unknown): { readonly fill: string };
}

describe.skipIf(!browserAvailable('datasets in Chromium'))('datasets in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let recordings: string[];
  /** Version ids in the order the UI built them: 2 samples a second, then 1. */
  const built: string[] = [];

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(server.url + path, {
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    expect(response.status, path).toBe(200);
    return (await response.json()) as T;
  };

  /** The text of the `<dd>` that follows the `<dt>` named `term` in a region. */
  const detail = (region: Locator, term: string): Promise<string> =>
    region
      .locator('dt', { hasText: new RegExp(`^${term}$`) })
      .locator('xpath=following-sibling::dd[1]')
      .innerText();

  const openVersion = async (id: string): Promise<void> => {
    await page.goto(`${server.url}/#/datasets/${id}`);
    await page.getByRole('heading', { name: 'lidar-front', level: 1 }).waitFor();
  };

  beforeAll(async () => {
    [ui, browser] = await Promise.all([buildUi(), launchBrowser()]);
    server = await startTestServer({ listen: true, webRoot: ui.dir });
    const admin = operatorPrincipal('e2e');
    const team = await server.app.identity.createTeam(admin, { name: 'perception' });
    recordings = await ingestGeneratedFleet(server.app, admin, team.id, {
      seed: 11,
      vehicles: 2,
      seconds: 30,
    });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
  }, 600_000);

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail')
      await shot(`failed-${test.task.name.replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    await browser?.dispose();
    await server?.close();
    await ui?.dispose();
  });

  it('signs in and shows that there are no dataset versions yet', async () => {
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('link', { name: 'Datasets' }).click();
    await page.getByRole('heading', { name: 'Datasets', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No dataset versions yet' }).waitFor();
    await shot('d01-empty');
  });

  it('checks a definition and names the path of what is wrong', async () => {
    await page.getByRole('link', { name: 'Build a dataset' }).first().click();
    await page.getByRole('heading', { name: 'Build a dataset', level: 1 }).waitFor();
    const text = page.getByLabel('Definition (YAML or JSON)');
    const wrong = { ...definition(2), split: { by: 'sample' } };
    await text.fill(stringify(wrong));
    await page.getByRole('button', { name: 'Check' }).click();
    const problem = page.getByRole('alert').filter({ hasText: 'The definition has a problem' });
    await problem.getByText('definition.split.by', { exact: true }).waitFor();
    expect(await problem.innerText()).toContain('splitting by sample leaks');

    await text.fill(stringify(definition(2)));
    await page.getByRole('button', { name: 'Check' }).click();
    await page.getByText('The definition is valid.').waitFor();
    const checked = page.getByRole('region', { name: 'Checked definition' });
    expect(await detail(checked, 'Sampling')).toBe('at most 2 samples per second of recording');
    expect(await detail(checked, 'Query')).toBe('sensors has lidar');
    await shot('d02-checked');
  });

  it('builds two versions through the form, following each build to its version', async () => {
    for (const rateHz of [2, 1]) {
      await page.goto(`${server.url}/#/datasets/build`);
      await page.getByLabel('Definition (YAML or JSON)').fill(stringify(definition(rateHz)));
      await page.getByRole('button', { name: 'Build', exact: true }).click();
      const progress = page.getByRole('region', { name: 'Build progress' });
      const open = progress.getByRole('link', { name: /^Open version dsv_/ });
      await open.waitFor({ timeout: buildTimeout });
      await shot(`d03-built-${rateHz}`);
      await open.click();
      await page.getByRole('heading', { name: 'lidar-front', level: 1 }).waitFor();
      const id = /#\/datasets\/(dsv_[0-9a-f]+)$/.exec(page.url())?.[1];
      expect(id).toBeDefined();
      const card = await api<DatasetCard>(`/datasets/${id}`);
      expect(card.definition.sampleRateHz).toBe(rateHz);
      built.push(card.id);
    }
    expect(new Set(built).size).toBe(2);
  });

  it('lists both versions with their counts, splits and requirement status', async () => {
    await page.getByRole('link', { name: 'All dataset versions' }).click();
    const table = page.getByRole('table', { name: 'Dataset versions' });
    await table.waitFor();
    const listed = await api<ListPage<DatasetVersion>>('/datasets');
    expect(listed.items.map((v) => v.id).sort()).toEqual([...built].sort());
    expect(await table.locator('tbody tr').count()).toBe(2);
    for (const version of listed.items) {
      const row = table.getByRole('row').filter({ has: page.locator(`a[title="${version.id}"]`) });
      const text = await row.innerText();
      expect(text).toContain('lidar-front');
      expect(text).toContain(count(version.samples));
      for (const [split, n] of Object.entries(version.splits))
        expect(text).toContain(`${split} ${count(n)}`);
      const failing = version.coverage.filter((c) => !c.pass);
      expect(failing.length).toBeGreaterThan(0);
      expect(text).toContain(`${failing.length} of ${version.coverage.length} fail`);
      for (const c of failing) expect(text).toContain(c.attribute);
    }
    await shot('d04-list');
  });

  it('shows the card with the numbers the API gives', async () => {
    const card = await api<DatasetCard>(`/datasets/${built[0]}`);
    await openVersion(card.id);
    const summary = page.getByRole('region', { name: 'Summary' });
    expect(await detail(summary, 'Samples')).toBe(count(card.samples));
    expect(await detail(summary, 'Recordings')).toBe(count(card.recordings));
    expect(await detail(summary, 'Segments')).toBe(count(card.segments));
    expect(card.recordings).toBe(recordings.length);

    const splits = page.getByRole('table', { name: 'Samples per split' });
    for (const [split, n] of Object.entries(card.splits)) {
      const row = splits
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: split, exact: true }) });
      expect(await row.getByRole('cell').nth(1).innerText()).toBe(count(n));
    }
    const independence = page.getByRole('table', { name: 'Split independence' });
    for (const check of card.independence) {
      const row = independence
        .getByRole('row')
        .filter({ has: page.getByRole('cell', { name: check.key, exact: true }) });
      expect(await row.innerText()).toContain(
        check.pass
          ? check.enforced || check.shared === 0
            ? 'independent'
            : 'shared, allowed'
          : 'not independent',
      );
    }

    const definitionCard = page.getByRole('region', { name: 'Definition' });
    expect(await detail(definitionCard, 'Query')).toBe(card.definition.query);
    expect(
      await definitionCard.getByRole('table', { name: 'Streams' }).locator('tbody tr').count(),
    ).toBe(3);
    await definitionCard.getByText('Definition as YAML').click();
    const yaml = await definitionCard.getByLabel('Definition as YAML').innerText();
    expect(yaml).toContain('rateHz: 2');
    expect(yaml).toContain('query: sensors has lidar');
    await shot('d05-card');
  });

  it('draws the coverage chart with each requirement passing or failing as the API says', async () => {
    const card = await api<DatasetCard>(`/datasets/${built[0]}`);
    const chart = page.getByRole('figure', { name: 'Coverage of the data requirements' });
    await chart.waitFor();
    const rows = chart.getByRole('listitem');
    expect(await rows.count()).toBe(card.coverage.length);
    expect(card.coverage.some((c) => c.pass)).toBe(true);
    expect(card.coverage.some((c) => !c.pass)).toBe(true);
    for (const [i, c] of card.coverage.entries()) {
      const row = rows.nth(i);
      expect(await row.getAttribute('data-attribute')).toBe(c.attribute);
      expect(await row.getAttribute('data-outcome')).toBe(c.pass ? 'pass' : 'fail');
      expect(await row.getAttribute('aria-label')).toMatch(c.pass ? /passes$/ : /fails$/);
      // The bar is drawn to the achieved value and in the outcome's colour.
      const bar = row.locator('.coverage-bar');
      const track = row.locator('.coverage-track');
      const barBox = (await bar.boundingBox())!;
      const trackBox = (await track.boundingBox())!;
      if (c.unit === 'percent')
        expect(barBox.width / trackBox.width).toBeCloseTo(c.actual / 100, 2);
      const fill = await bar.evaluate(
        (element) => (globalThis as unknown as Styled).getComputedStyle(element).fill,
      );
      expect(fill).toBe(c.pass ? successColour : dangerColour);
      expect(await row.locator('.coverage-outcome').textContent()).toBe(c.pass ? 'pass' : 'fail');
    }
    await chart.scrollIntoViewIfNeeded();
    await shot('d06-coverage');
  });

  it('downloads the coverage JSON as the API serves it', async () => {
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Coverage (JSON)' }).click();
    const saved = await (await download).path();
    const served = await api<unknown>(`/datasets/${built[0]}/coverage`);
    expect(JSON.parse(readFileSync(saved, 'utf8'))).toEqual(served);
  });

  it('compares two versions by samples added and removed and coverage change', async () => {
    const [denser, sparser] = built as [string, string];
    await openVersion(sparser);
    await page.getByLabel('Compare with').selectOption(denser);
    const changes = page.getByRole('region', { name: 'Changes' });
    await changes.waitFor();
    const diff = await api<DatasetDiff>(`/datasets/${denser}/diff/${sparser}`);
    expect(diff.removed).toBeGreaterThan(0);
    expect((await detail(changes, 'Added')).startsWith(`${count(diff.added)} `)).toBe(true);
    expect((await detail(changes, 'Removed')).startsWith(`${count(diff.removed)} `)).toBe(true);
    expect(await detail(changes, 'Unchanged')).toBe(count(diff.unchanged));
    const coverage = changes.getByRole('table', { name: 'Coverage changes' });
    expect(await coverage.locator('tbody tr').count()).toBe(diff.coverage.length);
    const night = diff.coverage.find((c) => c.attribute === 'night')!;
    const row = coverage
      .getByRole('row')
      .filter({ has: page.getByRole('cell', { name: 'night', exact: true }) });
    const cells = await row.getByRole('cell').allInnerTexts();
    expect(cells[1]).toBe(`${night.before} %`);
    expect(cells[2]).toBe(`${night.after} %`);
    await shot('d07-diff');
  });

  it('draws the lineage graph with the recordings the version came from, linked', async () => {
    const id = built[0]!;
    await openVersion(id);
    const graph = page.getByRole('figure', { name: 'Lineage' });
    await graph.waitFor();
    const lineage = await api<LineageGraph>(
      `/lineage?node=${encodeURIComponent(`datasets/${id}`)}&direction=upstream&depth=2`,
    );
    const upstream = lineage.nodes
      .filter((n) => n.name.startsWith('recordings/'))
      .map((n) => n.name.slice('recordings/'.length));
    expect(upstream.sort()).toEqual([...recordings].sort());
    const links = graph.getByRole('link', { name: /^recording / });
    expect(await links.count()).toBe(recordings.length);
    for (const recording of recordings) {
      const link = graph.getByRole('link', { name: `recording ${recording}` });
      expect(await link.getAttribute('href')).toBe(`#/recordings/${recording}`);
      expect(await link.getAttribute('data-depth')).toBe('-2');
    }
    await graph.getByRole('img', { name: /^dataset build lidar-front/ }).waitFor();
    await graph.getByRole('link', { name: /\(this version\)$/ }).waitFor();
    await graph.scrollIntoViewIfNeeded();
    await shot('d08-lineage');
    await graph.getByRole('link', { name: `recording ${recordings[0]}` }).click();
    await page.waitForURL(`**/#/recordings/${recordings[0]}`);
    await page.getByRole('table', { name: 'Channels' }).waitFor();
  });
});
