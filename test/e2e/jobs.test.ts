import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { operatorPrincipal } from '../../src/platform/index.js';
import type { CostReport, Explanation, Job, JobDetail } from '../../src/compute/index.js';
import type { Page as ListPage } from '../../web/src/api/types.js';
import { nodeJob, waitFor, writeTestComputeConfig } from '../support/compute.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserAvailable, buildUi, launchBrowser } from './browser.js';

/** Set to a directory to keep a screenshot of each step there (for looking at the UI). */
const screenshotDir = process.env.DRIVETRAIN_E2E_SCREENSHOTS;

/**
 * Four CPU slots shared by two teams of one cohort: lidar owns one and may borrow, camera owns
 * three. A lidar job for two slots waits while camera uses its three. The price is high so that
 * jobs of a few seconds cost whole cents.
 */
const computeConfig = `apiVersion: drivetrain.io/v1
kind: ComputeConfig
currency: EUR
accelerators:
  - { name: cpu, vendor: cpu, resource: cpu }
clusters:
  - { name: local, region: local }
flavors:
  - name: local-cpu
    cluster: local
    accelerator: cpu
    capacity: { nodes: 1, acceleratorsPerNode: 4 }
    prices: { onDemand: 500 }
priorities:
  - { name: low, value: 0 }
  - { name: high, value: 1000 }
cohorts:
  - { name: perception }
teams:
  - name: lidar
    cohort: perception
    quotas:
      - flavor: local-cpu
        resources: { cpu: { nominal: 1 } }
  - name: camera
    cohort: perception
    quotas:
      - flavor: local-cpu
        resources: { cpu: { nominal: 3 } }
`;

/** The parts of a browser canvas the plot check reads (the test compiles without the DOM lib). */
interface PaintedCanvas {
  readonly width: number;
  readonly height: number;
  getContext(kind: '2d'): {
    getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
  } | null;
}

/** Money as the pages show it. */
const money = (value: number, currency: string) => `${value.toFixed(2)} ${currency}`;

describe.skipIf(!browserAvailable('jobs and cost in Chromium'))('jobs and cost in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let files: string;
  let release: string;
  let talker: Job;
  let waiting: Job;
  let blocker: Job;

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  const api = async <T>(path: string, method = 'GET', body?: unknown): Promise<T> => {
    const response = await fetch(server.url + path, {
      method,
      headers: {
        authorization: `Bearer ${server.adminToken}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (!response.ok)
      throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  const untilState = (id: string, states: readonly string[]) =>
    waitFor(`${id} to reach ${states.join('/')}`, async () => {
      const job = await api<JobDetail>(`/jobs/${id}`);
      return states.includes(job.state) ? job : undefined;
    });

  const logOf = (attempt: number) => page.getByRole('log', { name: `Log of attempt ${attempt}` });
  /** The log's lines without the metric lines, as the page shows them. */
  const shownLog = async () =>
    ((await logOf(1).textContent()) ?? '')
      .split('\n')
      .filter((l) => l !== '' && !l.startsWith('##'));

  /** Coloured pixels on the canvas of a plot: its lines are drawn when there are many. */
  const paintedPixels = (figureName: string | RegExp) =>
    page
      .getByRole('figure', { name: figureName })
      .locator('canvas')
      .evaluate((element: PaintedCanvas) => {
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

  beforeAll(async () => {
    files = mkdtempSync(join(tmpdir(), 'drivetrain-e2e-jobs-'));
    release = join(files, 'release');
    [ui, browser] = await Promise.all([buildUi(), launchBrowser()]);
    server = await startTestServer({
      listen: true,
      webRoot: ui.dir,
      env: {
        DRIVETRAIN_COMPUTE_CONFIG: writeTestComputeConfig(computeConfig),
        DRIVETRAIN_JOB_GRACE_MS: '300',
      },
    });
    const system = operatorPrincipal('e2e');
    await server.app.identity.createTeam(system, { name: 'lidar' });
    await server.app.identity.createTeam(system, { name: 'camera' });
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(15_000);
    await page.goto(server.url);
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { level: 1 }).first().waitFor();
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

  it('follows a running job: live log, metric plot, state timeline and artifacts', async () => {
    // Five steps, then it waits for the test to release it, then five more and an artifact.
    const script = [
      "const fs = require('fs');",
      'const step = (s) => {',
      "  console.log('training step ' + s);",
      "  console.log('##drivetrain metric ' + JSON.stringify({ step: s, name: 'loss', value: 2 / s }));",
      '};',
      'for (let s = 1; s <= 5; s++) step(s);',
      'const wait = setInterval(() => {',
      `  if (!fs.existsSync(${JSON.stringify(release)})) return;`,
      '  clearInterval(wait);',
      '  for (let s = 6; s <= 10; s++) step(s);',
      "  fs.writeFileSync(process.env.DRIVETRAIN_OUTPUTS + '/model.bin', Buffer.alloc(2048, 1));",
      "  console.log('done');",
      '}, 100);',
    ].join('\n');
    talker = await api<Job>('/jobs', 'POST', {
      name: 'talker',
      team: 'lidar',
      resources: { accelerator: 'cpu', count: 1 },
      command: nodeJob(script),
    });
    await page.goto(`${server.url}/#/jobs/${talker.id}`);
    await page.getByRole('heading', { name: 'talker', level: 1 }).waitFor();

    // The first lines arrive while the job still runs: the log is followed live.
    const log = logOf(1);
    await log.getByText('training step 5').waitFor();
    expect((await api<JobDetail>(`/jobs/${talker.id}`)).state).toBe('running');
    expect(await shownLog()).not.toContain('training step 6');
    await page.getByText('Live: new lines appear as the job writes them.').waitFor();
    await page.getByRole('figure', { name: 'loss per step' }).locator('canvas').waitFor();
    await shot('j01-running');

    writeFileSync(release, '');
    await log.getByText('done').waitFor();
    const finished = await untilState(talker.id, ['succeeded']);
    await page.getByText('The attempt has ended.').waitFor();
    const expectedLines = [
      ...Array.from({ length: 10 }, (_, i) => `training step ${i + 1}`),
      'done',
    ];
    expect(await shownLog()).toEqual(expectedLines);

    // The page follows the job to its end: every metric point, the timeline, the artifact.
    const plot = page.getByRole('figure', { name: 'loss per step' });
    await page.getByText('10 points, last at step 10: 0.2').waitFor();
    expect(await paintedPixels('loss per step')).toBeGreaterThan(300);
    expect(await plot.locator('.u-legend .u-series').count()).toBe(2);

    // The timeline lists each transition at the time the API gives for it.
    const timeline = page.getByRole('list', { name: 'State timeline' });
    expect(finished.events.map((e) => e.to)).toEqual([
      'pending',
      'admitted',
      'running',
      'succeeded',
    ]);
    await timeline.getByText('succeeded').waitFor();
    const items = timeline.getByRole('listitem');
    expect(await items.count()).toBe(finished.events.length);
    for (const [i, event] of finished.events.entries()) {
      expect(await items.nth(i).textContent()).toContain(event.to);
      expect(await items.nth(i).locator('time').getAttribute('datetime')).toBe(event.at);
      expect(finished.times[event.to as keyof typeof finished.times]).toBe(event.at);
    }

    const artifacts = page.getByRole('table', { name: 'Artifacts' });
    expect(finished.artifacts).toEqual([
      { attempt: 1, path: 'model.bin', size: 2048, sha256: expect.any(String) as string },
    ]);
    const artifactRow = artifacts.getByRole('row').filter({ hasText: 'model.bin' });
    await artifactRow.getByText('2048 bytes').waitFor();
    await shot('j02-finished');

    // After a reload the whole stored log is read back, and the plot drawn again.
    await page.reload();
    await page.getByRole('heading', { name: 'talker', level: 1 }).waitFor();
    await page.getByText('The attempt has ended.').waitFor();
    expect(await shownLog()).toEqual(expectedLines);
    await page.getByText('10 points, last at step 10: 0.2').waitFor();
    expect(await paintedPixels('loss per step')).toBeGreaterThan(300);

    // The artifact downloads as the job wrote it.
    const download = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Download model.bin of attempt 1' }).click();
    const saved = await (await download).path();
    expect(readFileSync(saved)).toEqual(Buffer.alloc(2048, 1));
  });

  it('explains why a job waits as the API does, and cancels it from its page', async () => {
    blocker = await api<Job>('/jobs', 'POST', {
      name: 'blocker',
      team: 'camera',
      resources: { accelerator: 'cpu', count: 3 },
      command: nodeJob('setTimeout(() => {}, 120000)'),
    });
    await untilState(blocker.id, ['running']);
    waiting = await api<Job>('/jobs', 'POST', {
      name: 'waiting',
      team: 'lidar',
      resources: { accelerator: 'cpu', count: 2 },
      command: nodeJob('0'),
    });
    await page.goto(`${server.url}/#/jobs/${waiting.id}`);
    await page.getByRole('heading', { name: 'waiting', level: 1 }).waitFor();
    const why = page.getByRole('region', { name: 'Why it waits' });
    const explanation = await api<Explanation>(`/jobs/${waiting.id}/explain`);
    expect(explanation.decision.kind).toBe('pending');
    expect(explanation.mustFinish).toEqual([blocker.id]);
    expect(explanation.wouldBorrow).toEqual([
      { flavor: 'local-cpu', resource: 'cpu', amount: 1000 },
    ]);

    const summary = `Position ${explanation.position} in queue ${explanation.clusterQueue} (cohort ${explanation.cohort ?? ''})`;
    await why.getByText(summary).waitFor();
    if (explanation.decision.kind === 'pending') {
      await why.getByText(explanation.decision.reason.message).waitFor();
      await why.getByText(explanation.decision.reason.code, { exact: true }).waitFor();
    }
    const quota = why.getByRole('table', { name: 'Quota per flavor' });
    const cells = async (n: number) =>
      (await quota.locator('tbody tr').nth(n).locator('td').allTextContents()).map((c) => c.trim());
    expect(await quota.locator('tbody tr').count()).toBe(explanation.findings.length);
    for (const [n, f] of explanation.findings.entries()) {
      const cores = (milli: number) => String(milli / 1000);
      expect(await cells(n)).toEqual([
        f.flavor,
        f.resource,
        cores(f.requested),
        cores(f.nominal),
        cores(f.used),
        cores(f.available),
        f.wouldBorrow > 0 ? cores(f.wouldBorrow) : '—',
      ]);
    }
    await why.getByRole('link', { name: blocker.id }).waitFor();
    await shot('j03-waiting');

    const cancel = page.getByRole('button', { name: 'Cancel', exact: true });
    await cancel.click();
    await page.getByRole('button', { name: 'Cancel job' }).click();
    await page.getByRole('heading', { name: 'waiting', level: 1 }).waitFor();
    await why.waitFor({ state: 'detached' });
    await untilState(waiting.id, ['cancelled']);
    await page.locator('.page-header').getByText('cancelled', { exact: true }).waitFor();
    expect(await cancel.count()).toBe(0);
    const timeline = page.getByRole('list', { name: 'State timeline' });
    await timeline.getByText('cancelled').waitFor();
    await page.getByText('The job reported no metrics.').waitFor();
    await shot('j04-cancelled');
  });

  it('lists the jobs with their states and filters them by state', async () => {
    await page.goto(`${server.url}/#/jobs`);
    const table = page.getByRole('table', { name: 'Jobs' });
    const row = (name: string) => table.getByRole('row').filter({ hasText: name });
    await row('talker').getByText('succeeded', { exact: true }).waitFor();
    await row('waiting').getByText('cancelled', { exact: true }).waitFor();
    await row('blocker').getByText('running', { exact: true }).waitFor();
    const listed = await api<ListPage<Job>>('/jobs');
    expect(await table.locator('tbody tr').count()).toBe(listed.items.length);
    await shot('j05-list');

    await page.getByLabel('State').selectOption('cancelled');
    await row('talker').waitFor({ state: 'detached' });
    await row('waiting').waitFor();
    expect(await table.locator('tbody tr').count()).toBe(1);

    await page.getByLabel('State').selectOption('succeeded');
    await row('talker').waitFor();
    await row('waiting').waitFor({ state: 'detached' });

    await page.getByRole('link', { name: 'talker' }).click();
    await page.getByRole('heading', { name: 'talker', level: 1 }).waitFor();
    expect(page.url()).toContain(`#/jobs/${talker.id}`);
  });

  it('shows the cost totals of the period as the cost report gives them', async () => {
    await api<Job>(`/jobs/${blocker.id}/cancel`, 'POST');
    await untilState(blocker.id, ['cancelled']);
    const request = page.waitForRequest((r) => r.url().includes('/cost/report?'));
    await page.goto(`${server.url}/#/cost`);
    await page.getByRole('heading', { name: 'Cost', level: 1 }).waitFor();
    const asked = new URL((await request).url());
    const from = asked.searchParams.get('from') ?? '';
    const to = asked.searchParams.get('to') ?? '';
    expect(Date.parse(to)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(to) - Date.parse(from)).toBe(7 * 86_400_000);
    const report = await api<CostReport>(
      `/cost/report?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}&by=team`,
    );
    const totals = page.getByRole('region', { name: 'Totals' });
    await totals.locator('dd').first().waitFor();
    const period = totals.locator('time');
    expect([
      await period.nth(0).getAttribute('datetime'),
      await period.nth(1).getAttribute('datetime'),
    ]).toEqual([from, to]);
    const terms = await totals.locator('dt').allTextContents();
    const values = await totals.locator('dd').allTextContents();
    expect(Object.fromEntries(terms.map((t, i) => [t, values[i]]))).toEqual({
      Capacity: money(report.assetCost, report.currency),
      'Allocated to jobs': money(report.allocationCost, report.currency),
      Idle: money(report.idleCost, report.currency),
      'Idle vs allocated': `${report.idlePercent.toFixed(1)} %`,
    });
    expect(report.allocationCost).toBeGreaterThan(0);
    expect(report.rows.map((r) => r.key)).toEqual(expect.arrayContaining(['lidar', 'camera']));
    const byTeam = page.getByRole('table', { name: 'Cost by team' });
    for (const r of report.rows) {
      const name = r.key === '__idle__' ? 'idle capacity' : r.key;
      const shown = byTeam.getByRole('row').filter({ hasText: name });
      expect(await shown.getByRole('cell').last().textContent()).toBe(
        money(r.totalCost, report.currency),
      );
    }
    expect(await paintedPixels('Cost per team over time')).toBeGreaterThan(100);
    await shot('j06-cost');
  });
});
