import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../../test/support/cli.js';

let dir: string;
let stamps: string;

const doc = {
  streams: [
    {
      name: 'cam',
      messages: [
        { stamp: '1700000000000000000', logTime: '1700000000030000000' },
        { stamp: '1700000000033000000', logTime: '1700000000063000000' },
        { stamp: '1700000000066000000', logTime: '1700000000096000000' },
        { stamp: '1700000000100000000', logTime: '1700000000130000000' },
      ],
    },
    {
      name: 'lidar',
      messages: [
        { stamp: '1700000000001000000', logTime: '1700000000110000000' },
        { stamp: '1700000000101000000', logTime: '1700000000210000000' },
      ],
    },
  ],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'drivetrain-sync-cli-'));
  stamps = join(dir, 'stamps.json');
  writeFileSync(stamps, JSON.stringify(doc));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('drivetrain sync --stamps', () => {
  it('prints the reference policy sets as JSON, null for missing streams of kept samples', async () => {
    const run = await cli([
      'sync',
      '--stamps',
      stamps,
      '--policy',
      'reference',
      '--reference',
      'lidar',
      '--tolerance-ms',
      'cam=2',
      '--keep-incomplete',
      '--json',
    ]);
    expect(run.exitCode, run.stderr).toBe(0);
    expect(run.json()).toEqual({
      sets: [
        ['1700000000000000000', '1700000000001000000'],
        ['1700000000100000000', '1700000000101000000'],
      ],
    });
    const strict = await cli([
      'sync',
      '--stamps',
      stamps,
      '--policy',
      'reference',
      '--reference',
      'cam',
      '--tolerance-ms',
      '1.5',
      '--keep-incomplete',
      '--json',
    ]);
    expect(strict.json<{ sets: unknown[][] }>().sets).toEqual([
      ['1700000000000000000', '1700000000001000000'],
      ['1700000000033000000', null],
      ['1700000000066000000', null],
      ['1700000000100000000', '1700000000101000000'],
    ]);
  });

  it('runs the approximate and slop policies with their parameters', async () => {
    const approximate = await cli([
      'sync',
      '--stamps',
      stamps,
      '--policy',
      'approximate',
      '--queue-size',
      '3',
      '--age-penalty',
      '0.5',
      '--max-interval-ms',
      '5',
      '--lower-bound-ms',
      'cam=30,lidar=90',
      '--json',
    ]);
    expect(approximate.exitCode, approximate.stderr).toBe(0);
    expect(approximate.json<{ sets: string[][] }>().sets[0]).toEqual([
      '1700000000000000000',
      '1700000000001000000',
    ]);
    const slop = await cli([
      'sync',
      '--stamps',
      stamps,
      '--policy',
      'slop',
      '--slop-ms',
      '2',
      '--json',
    ]);
    expect(slop.json()).toEqual({
      sets: [
        ['1700000000000000000', '1700000000001000000'],
        ['1700000000100000000', '1700000000101000000'],
      ],
    });
  });

  it('renders sets for people', async () => {
    const run = await cli(['sync', '--stamps', stamps, '--policy', 'slop', '--slop-ms', '2']);
    expect(run.stdout).toMatch(/^2 sets over 2 streams \(cam, lidar\)/);
  });

  it.each([
    [['--policy', 'nope'], /--policy must be one of approximate, slop, reference/],
    [['--policy', 'slop'], /needs --slop-ms/],
    [['--policy', 'reference'], /needs --reference/],
    [
      ['--policy', 'slop', '--slop-ms', '1', '--age-penalty', '1'],
      /--age-penalty does not apply to the slop policy/,
    ],
    [['--policy', 'approximate', '--queue-size', '0'], /--queue-size must be a positive integer/],
    [['--policy', 'approximate', '--lower-bound-ms', 'radar=3'], /no stream named "radar"/],
    [
      ['--policy', 'reference', '--reference', 'cam', '--tolerance-ms', 'lidar=abc'],
      /milliseconds/,
    ],
  ])('rejects %j with exit code 3', async (args, message) => {
    const run = await cli(['sync', '--stamps', stamps, ...args]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(message);
  });

  it('names the file and the field of a bad document', async () => {
    const bad = join(dir, 'bad.json');
    writeFileSync(
      bad,
      JSON.stringify({ streams: [{ name: 'a', messages: [{ stamp: '-3', logTime: '0' }] }] }),
    );
    const run = await cli([
      'sync',
      '--stamps',
      bad,
      '--policy',
      'slop',
      '--slop-ms',
      '1',
      '--json',
    ]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toMatch(/streams\[0\]\.messages\[0\]\.stamp: -3 is before 1970/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{"streams": [');
    const notJson = await cli(['sync', '--stamps', broken, '--policy', 'slop', '--slop-ms', '1']);
    expect(notJson.stderr).toMatch(/broken\.json: not JSON/);
    const missing = await cli([
      'sync',
      '--stamps',
      join(dir, 'nope.json'),
      '--policy',
      'slop',
      '--slop-ms',
      '1',
    ]);
    expect(missing.exitCode).toBe(6);
  });
});
