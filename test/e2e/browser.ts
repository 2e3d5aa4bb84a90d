import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { build } from 'vite';

/** Debian's Chromium; `.ci/run` installs the `chromium` package when it is missing. */
export const chromiumPath = '/usr/bin/chromium';

/**
 * Whether the browser suites can run. Without Chromium they are skipped with a notice, except
 * in CI (`CI=true`), where a missing browser is a broken setup and fails the run.
 */
export function browserAvailable(suite: string): boolean {
  if (existsSync(chromiumPath)) return true;
  if (process.env.CI === 'true') {
    throw new Error(`${chromiumPath} is missing in CI; .ci/run must install the chromium package`);
  }
  console.warn(`[skipped] "${suite}": ${chromiumPath} is missing (apt-get install -y chromium)`);
  return false;
}

const viteConfig = fileURLToPath(new URL('../../web/vite.config.ts', import.meta.url));

/** Builds the web UI from source into a fresh directory, so a test never drives a stale bundle. */
export async function buildUi(): Promise<{ dir: string; dispose(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'drivetrain-web-'));
  await build({
    configFile: viteConfig,
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true, sourcemap: false },
  });
  return { dir, dispose: () => rm(dir, { recursive: true, force: true }) };
}

/** Headless Chromium with a fresh profile and nothing running in the background. */
export async function launchBrowser(): Promise<{
  context: BrowserContext;
  dispose(): Promise<void>;
}> {
  const profile = await mkdtemp(join(tmpdir(), 'drivetrain-chromium-'));
  // A persistent context is how Playwright takes a profile directory (--user-data-dir).
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: chromiumPath,
    headless: true,
    viewport: { width: 1360, height: 860 },
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--no-first-run',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    async dispose() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
