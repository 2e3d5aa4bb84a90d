/**
 * `npm run bench:ingest`: recording ingest on a ≥ 2 GB generated drive, against the targets of
 * the ingest issue, all measured in the same run:
 *
 * - ours, unindexed: the `recordings.ingest` task on the file without a summary section, already
 *   in a local object store (open by range, one full analysis pass with timelines to scratch,
 *   timelines stored, sync report, rows saved), in a child process of its own so that its peak
 *   RSS is the task's; MB/s = file size / wall time of the task;
 * - the peer: @mcap/core's `McapStreamReader` with `validateCrcs: true` reading the same file from
 *   disk in 8 MiB blocks into one reused buffer (`append` copies what it keeps), every record
 *   pulled out;
 * - the raw read throughput of that file (8 MiB positioned reads into one buffer, nothing else);
 * - ours, indexed: the same task on the file with a summary section, which catalogues it from the
 *   summary and message indexes alone: bytes read / file size, and its time.
 *
 * Targets: unindexed ingest ≥ 1.0× the peer, indexed ingest reads ≤ 2 %, peak RSS ≤ 300 MB.
 *
 * The two files are generated once (same plan, raw camera frames) and cached under
 * `.bench/ingest/` (git-ignored), keyed by the generator options, as a local object store and a
 * SQLite database in which both recordings wait, queued, for their ingest; the files the peer
 * reads are hard links to the stored objects. Every round ingests into a fresh copy of that
 * database. Environment: INGEST_BENCH_MB (target size, default 2048 MiB),
 * INGEST_BENCH_COMPRESSION (none, lz4 or zstd; default none), INGEST_BENCH_ROUNDS (default 3),
 * INGEST_BENCH_NODE_ARGS (extra node flags for the ingest child, e.g.
 * `--cpu-prof --cpu-prof-dir=.bench/prof`), INGEST_BENCH_CLEAN=1 to remove the cache afterwards.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createReadStream,
  existsSync,
  linkSync,
  mkdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { open, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { McapStreamReader } from '@mcap/core';
import { build } from 'esbuild';
import { loadDecompressHandlers } from '@mcap/support';
import {
  IdentityService,
  createLogger,
  openLocalObjectStore,
  openSqliteStore,
  operatorPrincipal,
  platformMigrations,
  TaskQueue,
} from '../src/platform/index.js';
import { blobName } from '../src/platform/objects/layout.js';
import {
  generateRecording,
  ingestTaskKind,
  planFleet,
  recordingsMigrations,
  RecordingsService,
  writeRecordingFile,
  type GenerateOptions,
} from '../src/recordings/index.js';
import { median } from './support/median.js';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)), '.bench', 'ingest');
const BLOCK = 8 << 20;
const MB = 1e6;

/** Wall-clock and CPU (user + system) milliseconds since the call. */
function stopwatch(): () => { wall: number; cpu: number } {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  return () => {
    const used = process.cpuUsage(cpu);
    return { wall: performance.now() - wall, cpu: (used.user + used.system) / 1000 };
  };
}

/** Peak resident set of this process in bytes (VmHWM; maxRSS where /proc is missing). */
async function peakRss(): Promise<number> {
  try {
    const status = await readFile('/proc/self/status', 'utf8');
    const kb = /^VmHWM:\s+(\d+) kB/m.exec(status)?.[1];
    if (kb !== undefined) return Number(kb) * 1024;
  } catch {
    // not Linux
  }
  return process.resourceUsage().maxRSS * 1024;
}

const migrations = [...platformMigrations, ...recordingsMigrations];

/** What one ingest child measured. */
interface IngestRun {
  readonly wall: number;
  readonly cpu: number;
  /** VmHWM of the child before the task (after opening the store) and at its end. */
  readonly rssBefore: number;
  readonly peakRss: number;
  readonly status: string;
  readonly bytesRead: number;
  readonly messages: number;
}

/**
 * The child: opens the store and object store as a worker process does, runs the ingest task of
 * one recording and prints what it measured as one JSON line.
 */
async function child(home: string, objectsDir: string, recordingId: string): Promise<void> {
  const store = openSqliteStore(join(home, 'drivetrain.db'));
  await store.migrate(migrations);
  const objects = await openLocalObjectStore(objectsDir);
  const tasks = new TaskQueue(store);
  const recordings = new RecordingsService({
    store,
    objects,
    tasks,
    log: createLogger('warn'),
    scratchDir: join(home, 'scratch'),
  });
  const before = await recordings.get(recordingId);
  if (before.taskId === null) throw new Error(`recording ${recordingId} has no ingest task`);
  const task = await tasks.get(before.taskId);
  const handler = recordings.taskHandlers()[ingestTaskKind];
  if (handler === undefined) throw new Error('no ingest handler');
  const rssBefore = await peakRss();
  const stop = stopwatch();
  const result = (await handler(
    { recordingId },
    { task, signal: new AbortController().signal, progress: () => undefined },
  )) as { status: string; bytesRead?: number };
  const time = stop();
  const peak = await peakRss();
  const after = await recordings.get(recordingId);
  await objects.close();
  await store.close();
  const run: IngestRun = {
    ...time,
    rssBefore,
    peakRss: peak,
    status: result.status,
    bytesRead: after.bytesRead,
    messages: after.messageCount ?? 0,
  };
  process.stdout.write(`${JSON.stringify(run)}\n`);
}

/**
 * This file compiled to plain JavaScript (npm packages left as imports), as a worker process
 * runs compiled code: run through the TypeScript loader, the child would carry the loader's own
 * memory (about 60 MB) in its peak RSS.
 */
const childScript = join(root, 'child.mjs');

async function compileChild(): Promise<void> {
  mkdirSync(root, { recursive: true });
  await build({
    entryPoints: [fileURLToPath(import.meta.url)],
    outfile: childScript,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: true,
    logLevel: 'warning',
  });
}

/** Runs the ingest of `recordingId` in a child process on a fresh copy of the template database. */
async function ingestInChild(
  template: string,
  objectsDir: string,
  recordingId: string,
): Promise<IngestRun> {
  const home = join(root, `run-${process.pid}-${Date.now()}`);
  mkdirSync(home, { recursive: true });
  try {
    copyFileSync(join(template, 'drivetrain.db'), join(home, 'drivetrain.db'));
    const extra = (process.env.INGEST_BENCH_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
    const out = await new Promise<string>((resolvePromise, reject) => {
      const proc = spawn(
        process.execPath,
        [...extra, '--enable-source-maps', childScript, 'child', home, objectsDir, recordingId],
        { stdio: ['ignore', 'pipe', 'inherit'] },
      );
      let stdout = '';
      proc.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
      proc.on('error', reject);
      proc.on('exit', (code) =>
        code === 0 ? resolvePromise(stdout) : reject(new Error(`ingest child exited ${code}`)),
      );
    });
    const line = out.trim().split('\n').at(-1) ?? '';
    return JSON.parse(line) as IngestRun;
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

/**
 * @mcap/core's stream reader with CRC validation, fed 8 MiB blocks read from disk. `append`
 * copies the bytes it keeps, so one read buffer serves every block: a fresh one per read would
 * charge the peer for allocation and garbage collection it does not need.
 */
async function peer(
  path: string,
): Promise<{ wall: number; cpu: number; messages: number; bytes: number }> {
  const decompressHandlers = await loadDecompressHandlers();
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const reader = new McapStreamReader({ validateCrcs: true, decompressHandlers });
  let messages = 0;
  let bytes = 0;
  const block = new Uint8Array(BLOCK);
  const stop = stopwatch();
  for (let offset = 0; offset < size; offset += BLOCK) {
    const buffer = block.subarray(0, Math.min(BLOCK, size - offset));
    await handle.read(buffer, 0, buffer.byteLength, offset);
    reader.append(buffer);
    for (let record; (record = reader.nextRecord());) {
      if (record.type === 'Message') {
        messages += 1;
        bytes += record.data.byteLength;
      }
    }
  }
  const time = stop();
  await handle.close();
  if (!reader.done()) throw new Error(`the peer did not reach the end of ${path}`);
  return { ...time, messages, bytes };
}

/** Reading the file in 8 MiB positioned reads into one buffer, and nothing else. */
async function rawRead(path: string): Promise<{ wall: number; cpu: number }> {
  const handle = await open(path, 'r');
  const { size } = await handle.stat();
  const block = new Uint8Array(BLOCK);
  const stop = stopwatch();
  for (let offset = 0; offset < size; offset += BLOCK) {
    const buffer = block.subarray(0, Math.min(BLOCK, size - offset));
    await handle.read(buffer, 0, buffer.byteLength, offset);
  }
  const time = stop();
  await handle.close();
  return time;
}

interface Prepared {
  readonly streamedPath: string;
  readonly indexedPath: string;
  readonly template: string;
  readonly objectsDir: string;
  readonly streamedId: string;
  readonly indexedId: string;
  readonly seconds: number;
}

/** Generates (or finds cached) both files and the stored copy of each, queued for ingest. */
async function prepare(targetBytes: number, options: GenerateOptions): Promise<Prepared> {
  const key = createHash('sha256')
    .update(JSON.stringify({ targetBytes, options, version: 1 }))
    .digest('hex')
    .slice(0, 12);
  const dir = join(root, key);
  mkdirSync(dir, { recursive: true });
  const streamedPath = join(dir, 'streamed.mcap');
  const indexedPath = join(dir, 'indexed.mcap');
  const template = join(dir, 'home');
  const objectsDir = join(dir, 'objects');
  const manifestPath = join(dir, 'prepared.json');
  if (existsSync(manifestPath)) {
    return JSON.parse(await readFile(manifestPath, 'utf8')) as Prepared;
  }
  // A short pilot gives the bytes per second of drive, hence the length for the target size.
  const [pilotPlan] = planFleet({ seed: 2026, vehicles: 1, minutes: 2 / 60 });
  let pilotBytes = 0;
  await generateRecording(
    pilotPlan!,
    { write: (bytes) => Promise.resolve(void (pilotBytes += bytes.byteLength)) },
    { ...options, summary: false },
  );
  const seconds = Math.ceil((targetBytes / (pilotBytes / 2)) * 1.04);
  const [plan] = planFleet({ seed: 2026, vehicles: 1, minutes: seconds / 60 });
  for (const [path, summary] of [
    [streamedPath, false],
    [indexedPath, true],
  ] as const) {
    const started = performance.now();
    console.log(`generating ${path} (${seconds} s of drive, summary ${summary}) ...`);
    await writeRecordingFile(path, plan!, { ...options, summary });
    const size = statSync(path).size;
    console.log(
      `  ${(size / MB).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
    if (size < targetBytes) throw new Error(`${path} is ${size} bytes, below the target`);
  }

  rmSync(template, { recursive: true, force: true });
  rmSync(objectsDir, { recursive: true, force: true });
  const store = openSqliteStore(join(template, 'drivetrain.db'));
  await store.migrate(migrations);
  const objects = await openLocalObjectStore(objectsDir);
  const tasks = new TaskQueue(store);
  const recordings = new RecordingsService({
    store,
    objects,
    tasks,
    log: createLogger('warn'),
    scratchDir: join(template, 'scratch'),
  });
  const operator = operatorPrincipal('bench');
  const team = await new IdentityService(store).createTeam(operator, { name: 'bench' });
  const ids: string[] = [];
  for (const path of [streamedPath, indexedPath]) {
    const { recording } = await recordings.add(operator, {
      name: path.endsWith('streamed.mcap') ? 'streamed.mcap' : 'indexed.mcap',
      teamId: team.id,
      body: createReadStream(path, { highWaterMark: 4 << 20 }),
    });
    ids.push(recording.id);
    // One copy on disk: the peer reads the stored object itself.
    rmSync(path);
    linkSync(join(objectsDir, blobName(recording.sha256)), path);
  }
  await objects.close();
  await store.close();
  const prepared: Prepared = {
    streamedPath,
    indexedPath,
    template,
    objectsDir,
    streamedId: ids[0]!,
    indexedId: ids[1]!,
    seconds,
  };
  await writeFile(manifestPath, JSON.stringify(prepared));
  return prepared;
}

async function main(): Promise<void> {
  const targetMiB = Number(process.env.INGEST_BENCH_MB ?? 2048);
  const compression = (process.env.INGEST_BENCH_COMPRESSION ?? 'none') as 'none' | 'lz4' | 'zstd';
  const rounds = Number(process.env.INGEST_BENCH_ROUNDS ?? 3);
  const options: GenerateOptions = { compression, cameraFormat: 'raw' };
  const load = loadavg();
  console.log(
    `machine: ${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.versions.node}, load average at start ${load.map((l) => l.toFixed(2)).join(' ')}`,
  );
  const prepared = await prepare(targetMiB * 2 ** 20, options);
  await compileChild();
  const size = statSync(prepared.streamedPath).size;
  const indexedSize = statSync(prepared.indexedPath).size;
  console.log(
    `files: ${prepared.seconds} s of drive, raw camera frames, compression ${compression}; without summary ${(size / MB).toFixed(0)} MB, with summary ${(indexedSize / MB).toFixed(0)} MB`,
  );

  const runs = {
    raw: [] as { wall: number; cpu: number }[],
    peer: [] as { wall: number; cpu: number; messages: number }[],
    ours: [] as IngestRun[],
    indexed: [] as IngestRun[],
  };
  for (let round = 0; round < rounds; round += 1) {
    const raw = await rawRead(prepared.streamedPath);
    const p = await peer(prepared.streamedPath);
    const ours = await ingestInChild(prepared.template, prepared.objectsDir, prepared.streamedId);
    const indexed = await ingestInChild(prepared.template, prepared.objectsDir, prepared.indexedId);
    if (ours.status !== 'ready') throw new Error(`unindexed ingest ended ${ours.status}`);
    if (indexed.status !== 'catalogued') throw new Error(`indexed ingest ended ${indexed.status}`);
    if (ours.messages !== p.messages) {
      throw new Error(`ingest counted ${ours.messages} messages, the peer ${p.messages}`);
    }
    runs.raw.push(raw);
    runs.peer.push(p);
    runs.ours.push(ours);
    runs.indexed.push(indexed);
    console.log(
      `round ${round + 1}: raw ${(size / MB / (raw.wall / 1000)).toFixed(0)} MB/s, peer ${(size / MB / (p.wall / 1000)).toFixed(0)} MB/s, ingest ${(size / MB / (ours.wall / 1000)).toFixed(0)} MB/s (peak RSS ${(ours.peakRss / 2 ** 20).toFixed(0)} MiB), catalogue ${indexed.wall.toFixed(0)} ms; load ${loadavg()[0]!.toFixed(2)}`,
    );
  }

  const rate = (ms: number) => size / MB / (ms / 1000);
  const raw = median(runs.raw.map((r) => r.wall));
  const rawCpu = median(runs.raw.map((r) => r.cpu));
  const peerWall = median(runs.peer.map((r) => r.wall));
  const peerCpu = median(runs.peer.map((r) => r.cpu));
  const oursWall = median(runs.ours.map((r) => r.wall));
  const oursCpu = median(runs.ours.map((r) => r.cpu));
  const peak = Math.max(...runs.ours.map((r) => r.peakRss), ...runs.indexed.map((r) => r.peakRss));
  const baseline = median(runs.ours.map((r) => r.rssBefore));
  const bytesRead = median(runs.indexed.map((r) => r.bytesRead));
  const catalogueMs = median(runs.indexed.map((r) => r.wall));
  const share = bytesRead / indexedSize;
  const messages = runs.peer[0]?.messages ?? 0;
  const ratio = peerWall / oursWall;
  const yes = (ok: boolean) => (ok ? 'met' : 'NOT met');

  console.log(
    `\nmedians of ${rounds} rounds; ${messages.toLocaleString('en')} messages; load average at end ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const rows: [string, string, string, string][] = [
    ['measure', 'figure', 'per CPU-second', 'target'],
    [
      'raw read of the unindexed file',
      `${rate(raw).toFixed(0)} MB/s`,
      `${rate(rawCpu).toFixed(0)} MB/s`,
      '',
    ],
    [
      'peer: McapStreamReader, CRCs checked',
      `${rate(peerWall).toFixed(0)} MB/s`,
      `${rate(peerCpu).toFixed(0)} MB/s`,
      '',
    ],
    [
      'ingest, unindexed (full analysis)',
      `${rate(oursWall).toFixed(0)} MB/s (${(oursWall / 1000).toFixed(1)} s)`,
      `${rate(oursCpu).toFixed(0)} MB/s`,
      '',
    ],
    [
      'ratio ingest / peer',
      `${ratio.toFixed(2)}x wall`,
      `${(peerCpu / oursCpu).toFixed(2)}x CPU`,
      `≥ 1.0x: ${yes(ratio >= 1)}`,
    ],
    [
      'ingest, indexed (catalogue): bytes read',
      `${(bytesRead / MB).toFixed(1)} MB = ${(share * 100).toFixed(2)} % (${catalogueMs.toFixed(0)} ms)`,
      '',
      `≤ 2 %: ${yes(share <= 0.02)}`,
    ],
    [
      'peak RSS of an ingest process',
      `${(peak / 2 ** 20).toFixed(0)} MiB (${(baseline / 2 ** 20).toFixed(0)} MiB before the task)`,
      '',
      `≤ 300 MB: ${yes(peak <= 300 * MB)}`,
    ],
  ];
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('  '));
  if (process.env.INGEST_BENCH_CLEAN === '1') rmSync(root, { recursive: true, force: true });
}

if (process.argv[2] === 'child') {
  await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
} else {
  await main();
}
