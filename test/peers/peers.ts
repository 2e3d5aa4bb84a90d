/**
 * The ROS 1 peers of the `approximate` and `slop` policies, run as child processes: the C++
 * ApproximateTime policy through `approximate_time.cpp` (compiled with g++ on first use into a
 * cache directory) and the Python ApproximateTimeSynchronizer through
 * `approximate_time_synchronizer.py` under Debian's /usr/bin/python3.
 *
 * They need the Debian packages libmessage-filters-dev and python3-message-filters;
 * `peersMissing()` says what is absent so suites can skip with a visible notice.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { formatStampsDocument, type StampSet, type StampStream } from '../../src/sync/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const cppSource = join(here, 'approximate_time.cpp');
const pythonScript = join(here, 'approximate_time_synchronizer.py');

/** Debian's interpreter: the peer must be the packaged module, not whatever python is on PATH. */
export const debianPython = '/usr/bin/python3';

/** The Debian packages the peers come from. */
export const peerPackages = ['libmessage-filters-dev', 'python3-message-filters'] as const;

/** What is missing to run the C++ and the Python peer; empty when both can run. */
export function peersMissing(): { approximate: string[]; slop: string[] } {
  const approximate: string[] = [];
  if (!existsSync('/usr/include/message_filters/sync_policies/approximate_time.h')) {
    approximate.push('libmessage-filters-dev');
  }
  if (spawnSync('g++', ['--version']).status !== 0) approximate.push('g++');
  const slop: string[] = [];
  if (!existsSync(debianPython)) slop.push(debianPython);
  else if (spawnSync(debianPython, ['-c', 'import message_filters, rospy']).status !== 0) {
    slop.push('python3-message-filters');
  }
  return { approximate, slop };
}

/** Compiles the C++ harness once per source version; returns the binary's path. */
export function approximatePeerBinary(): string {
  const source = readFileSync(cppSource);
  const hash = createHash('sha256').update(source).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), 'drivetrain-sync-peers');
  const binary = join(dir, `approximate_time-${hash}`);
  if (existsSync(binary)) return binary;
  mkdirSync(dir, { recursive: true });
  const partial = `${binary}.${process.pid}.partial`;
  const result = spawnSync(
    'g++',
    [
      '-std=c++17',
      '-O2',
      '-o',
      partial,
      cppSource,
      '-lmessage_filters',
      '-lroscpp',
      '-lrostime',
      '-lrosconsole',
      '-lroscpp_serialization',
      '-lboost_thread',
      '-lpthread',
    ],
    { encoding: 'utf8' },
  );
  if (result.status !== 0) {
    throw new Error(`compiling the C++ peer failed:\n${result.stderr}`);
  }
  // Concurrent test workers may compile too; rename is atomic, the last one wins.
  renameSync(partial, binary);
  return binary;
}

/** Parameters of the C++ peer, in its units. */
export interface ApproximatePeerParams {
  readonly queueSize: number;
  /** Undefined for ros::DURATION_MAX. */
  readonly maxInterval?: bigint;
  readonly agePenalty: number;
  /** One per stream. */
  readonly lowerBounds: readonly bigint[];
}

/** Parameters of the Python peer. */
export interface SlopPeerParams {
  readonly queueSize: number;
  readonly slop: bigint;
}

/** Output of one peer run. */
export interface PeerResult {
  readonly sets: StampSet[];
  /** With timing: the feed loop's time and the process's peak resident memory. */
  readonly elapsedNs?: number;
  readonly maxRssKb?: number;
}

function parseResult(line: string): PeerResult {
  const parsed = JSON.parse(line) as {
    sets?: string[][];
    elapsedNs?: number;
    maxRssKb?: number;
    error?: string;
  };
  if (parsed.error !== undefined || parsed.sets === undefined) {
    throw new Error(`peer failed: ${parsed.error ?? line}`);
  }
  return {
    sets: parsed.sets.map((set) => set.map((stamp) => BigInt(stamp))),
    ...(parsed.elapsedNs === undefined ? {} : { elapsedNs: parsed.elapsedNs }),
    ...(parsed.maxRssKb === undefined ? {} : { maxRssKb: parsed.maxRssKb }),
  };
}

function approximateArgs(params: ApproximatePeerParams): string[] {
  return [
    String(params.queueSize),
    params.maxInterval === undefined ? 'none' : params.maxInterval.toString(),
    String(params.agePenalty),
    params.lowerBounds.map(String).join(','),
  ];
}

/**
 * A long-running peer process in batch mode: one case per request, answered in order. Saves
 * the interpreter's start-up (over a second for rospy) on every generated input.
 */
class BatchPeer {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(command: string, args: readonly string[]) {
    this.child = spawn(command, [...args, '--batch'], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-4000);
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => this.waiting.shift()?.(line));
    this.child.on('exit', (code) => {
      for (const resolve of this.waiting.splice(0)) {
        resolve(JSON.stringify({ error: `peer exited with ${code}: ${this.stderr}` }));
      }
    });
  }

  async run(args: readonly string[], streams: readonly StampStream[]): Promise<PeerResult> {
    const line = await new Promise<string>((resolve) => {
      this.waiting.push(resolve);
      this.child.stdin.write(`${args.join(' ')}\n${formatStampsDocument(streams)}\n`);
    });
    return parseResult(line);
  }

  close(): void {
    this.child.stdin.end();
    this.lines.close();
  }
}

/** The C++ peer in batch mode. */
export class ApproximatePeer {
  private readonly batch = new BatchPeer(approximatePeerBinary(), []);

  run(streams: readonly StampStream[], params: ApproximatePeerParams): Promise<PeerResult> {
    return this.batch.run(approximateArgs(params), streams);
  }

  close(): void {
    this.batch.close();
  }
}

/** The Python peer in batch mode. */
export class SlopPeer {
  private readonly batch = new BatchPeer(debianPython, [pythonScript]);

  run(streams: readonly StampStream[], params: SlopPeerParams): Promise<PeerResult> {
    return this.batch.run([String(params.queueSize), params.slop.toString()], streams);
  }

  close(): void {
    this.batch.close();
  }
}

/** Runs the C++ peer once on a stamps document given as text, with its own timing of the feed loop. */
export function runApproximatePeerTimed(
  document: string,
  params: ApproximatePeerParams,
): PeerResult {
  const result = spawnSync(approximatePeerBinary(), [...approximateArgs(params), '--timing'], {
    input: document,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  if (result.status !== 0) throw new Error(`C++ peer failed: ${result.stderr}`);
  return parseResult(result.stdout);
}

/** Runs the Python peer once on a stamps document given as text, with its own timing of the feed loop. */
export function runSlopPeerTimed(document: string, params: SlopPeerParams): PeerResult {
  const result = spawnSync(
    debianPython,
    [pythonScript, String(params.queueSize), params.slop.toString(), '--timing'],
    { input: document, encoding: 'utf8', maxBuffer: 1 << 30 },
  );
  if (result.status !== 0) throw new Error(`Python peer failed: ${result.stderr}`);
  return parseResult(result.stdout);
}
