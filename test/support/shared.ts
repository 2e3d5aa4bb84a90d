import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, it } from 'vitest';

/**
 * The reference data folder (`DRIVETRAIN_SHARED`, e.g. `../shared`), resolved against the
 * project root, or undefined when the variable is unset or the folder is missing.
 */
export function sharedDir(): string | undefined {
  const configured = process.env.DRIVETRAIN_SHARED;
  if (configured === undefined || configured === '') return undefined;
  const dir = resolve(process.cwd(), configured);
  return existsSync(dir) ? dir : undefined;
}

/** Path of a file inside the reference data folder; only call inside a `describeShared` block. */
export function sharedPath(...parts: string[]): string {
  const dir = sharedDir();
  if (dir === undefined) throw new Error('DRIVETRAIN_SHARED is not set');
  return resolve(dir, ...parts);
}

const noticed = new Set<string>();

/**
 * A describe block for suites that read reference data. Without DRIVETRAIN_SHARED it is skipped
 * with a visible notice instead of failing, so `npm test` passes on a machine without the data.
 * The skipped suite shows as one todo, whatever its body declares.
 */
export function describeShared(name: string, body: () => void): void {
  if (sharedDir() !== undefined) {
    describe(name, body);
    return;
  }
  if (!noticed.has(name)) {
    noticed.add(name);
    console.warn(
      `[skipped] "${name}": set DRIVETRAIN_SHARED=../shared to run suites on reference data`,
    );
  }
  // The body is not even collected: it may read the reference data while declaring its tests.
  describe(name, () => {
    it.todo('runs with the reference data of DRIVETRAIN_SHARED');
  });
}
