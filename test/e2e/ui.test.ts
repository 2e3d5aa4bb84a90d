import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TaskWorker, type TaskContext } from '../../src/platform/index.js';
import type {
  AuditVerification,
  Page as ListPage,
  Team,
  TeamSummary,
  Token,
  User,
} from '../../web/src/api/types.js';
import { startTestServer, type TestServer } from '../support/server.js';
import { browserAvailable, buildUi, launchBrowser } from './browser.js';

/** Set to a directory to keep a screenshot of each step there (for looking at the UI). */
const screenshotDir = process.env.DRIVETRAIN_E2E_SCREENSHOTS;

/** A task kind only this suite runs: it reports progress when the test says so. */
const steppedKind = 'e2e.stepped';

/** A task whose progress the test moves forward step by step. */
class SteppedTask {
  private release: (() => void) | undefined;
  private context: TaskContext | undefined;
  private markStarted: (() => void) | undefined;
  /** Resolves once a worker runs the task. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  readonly handler = async (_payload: unknown, context: TaskContext): Promise<unknown> => {
    this.context = context;
    this.markStarted?.();
    await new Promise<void>((resolve) => (this.release = resolve));
    return { steps: 10 };
  };

  progress(done: number, message: string): void {
    this.context?.progress(done, 10, message);
  }

  finish(): void {
    this.release?.();
  }
}

describe.skipIf(!browserAvailable('web UI in Chromium'))('web UI in Chromium', () => {
  let server: TestServer;
  let ui: Awaited<ReturnType<typeof buildUi>>;
  let browser: Awaited<ReturnType<typeof launchBrowser>>;
  let context: BrowserContext;
  let page: Page;
  let worker: TaskWorker;
  const stepped = new SteppedTask();

  const shot = async (name: string): Promise<void> => {
    if (screenshotDir === undefined) return;
    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
  };

  /** Calls the API directly, to check what the UI did or to learn what the server says. */
  const api = async <T>(
    path: string,
    token = server.adminToken,
  ): Promise<{ status: number; body: T }> => {
    const response = await fetch(server.url + path, {
      headers: { authorization: `Bearer ${token}` },
    });
    return { status: response.status, body: (await response.json()) as T };
  };

  beforeAll(async () => {
    [ui, browser] = await Promise.all([buildUi(), launchBrowser()]);
    server = await startTestServer({ listen: true, webRoot: ui.dir });
    worker = new TaskWorker(
      server.app.store,
      server.app.tasks,
      new Map([[steppedKind, stepped.handler]]),
      {
        pollMs: 20,
        progressIntervalMs: 0,
      },
    );
    worker.start();
    context = browser.context;
    page = context.pages()[0] ?? (await context.newPage());
    page.setDefaultTimeout(10_000);
    await page.goto(server.url);
  });

  afterEach(async (test) => {
    if (test.task.result?.state === 'fail')
      await shot(`failed-${test.task.name.replace(/\W+/g, '-')}`);
  });

  afterAll(async () => {
    stepped.finish();
    await worker?.stop();
    await browser?.dispose();
    await server?.close();
    await ui?.dispose();
  });

  it('refuses a bad token and shows the server’s reason', async () => {
    await page.getByLabel('API token').fill('dt_not-a-real-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const alert = page.getByRole('alert').filter({ hasText: 'Sign-in failed' });
    await alert.waitFor();
    const told = await api<{ detail: string }>('/me', 'dt_not-a-real-token');
    expect(told.status).toBe(401);
    expect(await alert.textContent()).toContain(told.body.detail);
    await shot('01-sign-in-failed');
  });

  it('asks for a token before sending anything', async () => {
    await page.getByLabel('API token').fill('');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Paste an API token.').waitFor();
  });

  it('signs in with the first-start admin token and shows every area', async () => {
    await page.getByLabel('API token').fill(server.adminToken);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-user').waitFor();
    expect(await page.getByTestId('signed-in-user').textContent()).toBe('admin');
    const nav = page.getByRole('navigation', { name: 'Areas' });
    const labels = await nav.getByRole('link').allTextContents();
    expect(labels).toEqual([
      'Recordings',
      'Data products',
      'Datasets',
      'Jobs',
      'Models',
      'Safety',
      'Edge',
      'Tasks',
      'Cost',
      'Admin',
    ]);
    await page.getByRole('heading', { name: 'Recordings', level: 1 }).waitFor();
    await page.getByRole('heading', { name: 'No recordings yet' }).waitFor();
    expect(page.url()).toMatch(/#\/recordings$/);
    await shot('02-recordings-empty');
  });

  it('keeps the session over a reload of the tab', async () => {
    await page.reload();
    await page.getByTestId('signed-in-user').waitFor();
  });

  it('names a bad team name at the field and sends nothing', async () => {
    await page
      .getByRole('navigation', { name: 'Areas' })
      .getByRole('link', { name: 'Admin' })
      .click();
    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('heading', { name: 'No teams yet' }).waitFor();
    await page.getByLabel('Team name').fill('Perception Team');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByText('Use lowercase letters only.').waitFor();
    expect(await page.getByLabel('Team name').getAttribute('aria-invalid')).toBe('true');
    expect((await api<ListPage<TeamSummary>>('/teams')).body.items).toEqual([]);
    await shot('03-team-validation');
  });

  it('creates a team and lists it', async () => {
    await page.getByLabel('Team name').fill('perception');
    await page.getByLabel('Description (optional)').fill('camera and lidar perception');
    await page.getByRole('button', { name: 'Create team' }).click();
    const teams = page.getByRole('table', { name: 'Teams' });
    await teams.getByRole('cell', { name: 'perception', exact: true }).waitFor();
    await teams.getByRole('cell', { name: 'camera and lidar perception' }).waitFor();
    const stored = (await api<ListPage<TeamSummary>>('/teams')).body.items;
    expect(stored.map((t) => t.name)).toEqual(['perception']);
    await shot('04-team-created');
  });

  it('shows the server’s refusal of a duplicate team name', async () => {
    await page.getByLabel('Team name').fill('perception');
    await page.getByRole('button', { name: 'Create team' }).click();
    await page.getByRole('alert').filter({ hasText: "team 'perception' already exists" }).waitFor();
    await shot('05-team-conflict');
  });

  it('creates a user and adds it to the team with a role, then changes the role', async () => {
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ada');
    await page.getByLabel('Email (optional)').fill('ada@example.com');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page
      .getByRole('table', { name: 'Users' })
      .getByRole('cell', { name: 'ada', exact: true })
      .waitFor();

    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('link', { name: 'perception' }).click();
    await page.getByLabel('User').selectOption({ label: 'ada (ada@example.com)' });
    await page.getByLabel('Role', { exact: true }).selectOption('engineer');
    await page.getByRole('button', { name: 'Add member' }).click();
    const members = page.getByRole('table', { name: 'Members' });
    await members.getByRole('cell', { name: 'ada', exact: true }).waitFor();
    await members.getByLabel('Role of ada').selectOption('data-steward');
    const teamId = (await api<ListPage<TeamSummary>>('/teams')).body.items[0]?.id ?? '';
    await expect
      .poll(async () => (await api<Team>(`/teams/${teamId}`)).body.members)
      .toMatchObject([{ userName: 'ada', role: 'data-steward' }]);
    await shot('06-team-members');
  });

  it('issues a token, shows its secret once, and lists it', async () => {
    await page.getByRole('link', { name: 'Tokens' }).click();
    await page.getByLabel('Token name').fill('ci-pipeline');
    await page.getByRole('button', { name: 'Issue token' }).click();
    const secret = await page.getByLabel('Token secret').textContent();
    expect(secret).toMatch(/^dt_/);
    await page
      .getByRole('table', { name: 'Tokens' })
      .getByRole('cell', { name: 'ci-pipeline' })
      .waitFor();
    const me = await api<User>('/me', secret ?? '');
    expect(me.body.name).toBe('admin');
    await shot('07-token-issued');
  });

  it('revokes a token after asking once more', async () => {
    const row = page.getByRole('row').filter({ hasText: 'ci-pipeline' });
    await row.getByRole('button', { name: 'Revoke' }).click();
    await row.getByRole('button', { name: 'Revoke ci-pipeline' }).click();
    await row.getByText('revoked').waitFor();
    const tokens = (await api<ListPage<Token>>('/tokens')).body.items;
    expect(tokens.find((t) => t.name === 'ci-pipeline')?.revokedAt).not.toBeNull();
  });

  it('removes a member, and disables and re-enables a user', async () => {
    await page.getByRole('link', { name: 'Teams' }).click();
    await page.getByRole('link', { name: 'perception' }).click();
    await page.getByRole('button', { name: 'Remove' }).click();
    await page.getByRole('button', { name: 'Remove ada' }).click();
    await page.getByRole('heading', { name: 'No members yet' }).waitFor();

    await page.getByRole('link', { name: 'Users' }).click();
    const ada = page.getByRole('row').filter({ hasText: 'ada@example.com' });
    await ada.getByRole('button', { name: 'Disable' }).click();
    await ada.getByRole('button', { name: 'Disable ada' }).click();
    await ada.getByText('disabled').waitFor();
    await page.getByText('User ada is disabled.').waitFor();
    const users = (await api<ListPage<User>>('/users')).body.items;
    expect(users.find((u) => u.name === 'ada')?.disabledAt).not.toBeNull();
    await ada.getByRole('button', { name: 'Enable' }).click();
    await ada.getByText('active').waitFor();
  });

  it('verifies the audit chain', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page
      .getByRole('table', { name: 'Audit entries' })
      .getByRole('cell', { name: 'team.create' })
      .waitFor();
    await page.getByRole('button', { name: 'Verify chain' }).click();
    await page.getByText('The audit chain is intact').waitFor();
    const verified = (await api<AuditVerification>('/audit/verify')).body;
    expect(await page.getByText(`All ${verified.entries} entries match their hashes`).count()).toBe(
      1,
    );
    await shot('08-audit');
  });

  it('shows a task’s progress live as the worker reports it', async () => {
    const task = await server.app.tasks.enqueue({
      kind: steppedKind,
      payload: {},
      createdBy: 'user:e2e',
    });
    await stepped.started;
    await page
      .getByRole('navigation', { name: 'Areas' })
      .getByRole('link', { name: 'Tasks' })
      .click();
    const row = page.getByRole('row').filter({ hasText: task.id });
    await row.getByText('running').waitFor();
    stepped.progress(3, 'decoding lidar');
    await row.locator('[role=progressbar][aria-valuetext="3 of 10, decoding lidar"]').waitFor();
    await shot('09-task-running');
    stepped.progress(7, 'indexing');
    await row.getByText('70 %').waitFor();
    stepped.finish();
    await row.getByText('succeeded').waitFor();
  });

  it('ends the session when its token is revoked, and says why', async () => {
    const issued = await fetch(`${server.url}/tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${server.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'short-lived' }),
    }).then((r) => r.json() as Promise<{ id: string; secret: string }>);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').fill(issued.secret);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByTestId('signed-in-user').waitFor();
    await fetch(`${server.url}/tokens/${issued.id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${server.adminToken}` },
    });
    // The page's lists refresh on their own and may meet the revocation first, which takes the
    // navigation away; going to another area by its address makes a request in either case.
    await page.evaluate("window.location.hash = '#/admin'");
    await page.getByText('Your session ended: invalid or expired token').waitFor();
    expect(await page.getByLabel('API token').isVisible()).toBe(true);
    await shot('10-session-ended');
  });
});
