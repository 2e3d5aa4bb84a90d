import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { McapStreamReader } from '@mcap/core';
import { loadDecompressHandlers } from '@mcap/support';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cli } from '../../../test/support/cli.js';
import type { GenerateReport } from './generate.js';

describe('drivetrain generate', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'drivetrain-generate-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const base = ['--minutes', '0.02', '--camera-size', '48x32', '--lidar', '8x128'];

  it('writes the fleet and reports every file with its size, messages and sha256', async () => {
    const run = await cli(
      ['--json', 'generate', '--out', 'fleet', '--vehicles', '2', '--seed', '5', ...base],
      {
        cwd: dir,
      },
    );
    expect(run.exitCode, run.stderr).toBe(0);
    const report = run.json<GenerateReport>();
    expect(report).toMatchObject({
      out: join(dir, 'fleet'),
      seed: 5,
      compression: 'zstd',
      summary: true,
    });
    expect(report.files).toHaveLength(2);
    expect((await readdir(join(dir, 'fleet'))).sort()).toEqual(
      report.files.map((f) => f.path.split('/').pop()).sort(),
    );
    for (const file of report.files) {
      const bytes = await readFile(file.path);
      expect(bytes.byteLength).toBe(file.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(file.sha256);
      expect(file.durationS).toBeCloseTo(1.2, 6);
      expect(file.messages).toBeGreaterThan(2000);
    }
    expect(report.totalBytes).toBe(report.files[0]!.bytes + report.files[1]!.bytes);

    const again = await cli(
      ['--json', 'generate', '--out', 'again', '--vehicles', '2', '--seed', '5', ...base],
      {
        cwd: dir,
      },
    );
    expect(again.json<GenerateReport>().files.map((f) => f.sha256)).toEqual(
      report.files.map((f) => f.sha256),
    );
  });

  it('writes a streamed-only file with --no-summary and honours --compression', async () => {
    const sizes: Record<string, number> = {};
    for (const compression of ['lz4', 'none']) {
      const run = await cli([
        '--json',
        'generate',
        '--out',
        join(dir, compression),
        '--no-summary',
        '--compression',
        compression,
        ...base,
      ]);
      expect(run.exitCode, run.stderr).toBe(0);
      const [file] = run.json<GenerateReport>().files;
      expect(file!.messages).toBeGreaterThan(2000);
      const reader = new McapStreamReader({ decompressHandlers: await loadDecompressHandlers() });
      reader.append(await readFile(file!.path));
      const types = new Map<string, number>();
      for (let record = reader.nextRecord(); record !== undefined; record = reader.nextRecord()) {
        types.set(record.type, (types.get(record.type) ?? 0) + 1);
      }
      expect(types.get('Message')).toBe(file!.messages);
      expect(types.has('Footer')).toBe(true);
      expect(types.has('MessageIndex')).toBe(false);
      expect(types.has('ChunkIndex')).toBe(false);
      expect(types.has('Statistics')).toBe(false);
      sizes[compression] = file!.bytes;
    }
    // same messages; CAN and IMU messages compress well even when images do not
    expect(sizes.lz4).toBeLessThan(sizes.none! * 0.9);
  });

  it('prints a table for people', async () => {
    const run = await cli(['generate', '--out', dir, ...base]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/FILE\s+VEHICLE\s+PLACE\s+WEATHER\s+LIGHT\s+SIZE\s+MESSAGES/);
    expect(run.stdout).toMatch(/1 recording\(s\), [\d.]+ MB, \d+ messages in [\d.]+ s/);
  });

  it('rejects bad arguments with exit code 3 naming the option, writing nothing', async () => {
    const cases: [string[], string][] = [
      [['--vehicles', '0'], 'vehicles'],
      [['--vehicles', 'two'], 'vehicles'],
      [['--minutes', '-1'], 'minutes'],
      [['--seed', '4294967296'], 'seed'],
      [['--compression', 'gzip'], 'compression'],
      [['--camera-format', 'png'], 'camera-format'],
      [['--camera-size', '640'], 'camera-size'],
      [['--camera-size', '4x4'], 'camera-size'],
      [['--lidar', '0x1024'], 'lidar'],
    ];
    for (const [args, field] of cases) {
      const run = await cli(['--json', 'generate', '--out', join(dir, 'bad'), ...args]);
      expect(run.exitCode, args.join(' ')).toBe(3);
      expect(run.json<{ error: { code: string; field: string } }>().error).toMatchObject({
        code: 'invalid_input',
        field,
      });
    }
    const missing = await cli(['--json', 'generate']);
    expect(missing.exitCode).toBe(3);
    expect(await readdir(dir)).toEqual([]);
  });
});
