/**
 * `npm run bench:sync`: one hour of the generated sensor rig through the sync policies, each
 * against its peer in the same run:
 * - `approximate` vs ROS 1 message_filters' C++ ApproximateTime on 9 streams (6 cameras 30 Hz,
 *   lidar 10 Hz, 2 radars 20 Hz — the C++ policy takes at most 9);
 * - `slop` vs ROS 1's Python ApproximateTimeSynchronizer on the same 9 streams;
 * - `reference` alone on all 13 sensors (plus 2 radars, IMU 100 Hz interpolated, GNSS 10 Hz).
 * Prints messages/s, the ratios, peak memory (RSS of the process running each, input
 * included) and whether the sets are identical.
 *
 * The stamps come from the generator's rig clock model (drops, bursts, stamp jitter, transport
 * latency) with the sensor clocks synchronized, as on a PTP-disciplined rig: each stamp has its
 * sensor's true offset and drift removed, so the streams line up within their jitter and the
 * policies have sets to find. SYNC_BENCH_MINUTES shortens the recording (default 60).
 *
 * Each measurement runs in its own process: ours as `bench/sync.ts --worker POLICY DIR`, the
 * peers through their harnesses in test/peers (g++ and Debian's python3-message-filters).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRig, rigTimeline } from '../src/recordings/index.js';
import {
  ApproximatePolicy,
  ReferencePolicy,
  SlopPolicy,
  feedOrder,
  type SyncEngine,
} from '../src/sync/index.js';
import {
  peersMissing,
  runApproximatePeerTimed,
  runSlopPeerTimed,
  type PeerResult,
} from '../test/peers/peers.js';

const minutes = Number(process.env.SYNC_BENCH_MINUTES ?? 60);
const start = 1_714_000_000_000_000_000n;
const queueSize = 10;
const slopNs = 50_000_000;
const nineStreams = [
  'camera_front',
  'camera_front_left',
  'camera_front_right',
  'camera_rear',
  'camera_rear_left',
  'camera_rear_right',
  'lidar_top',
  'radar_front_left',
  'radar_front_right',
];
const allStreams = [...nineStreams, 'radar_rear_left', 'radar_rear_right', 'imu', 'gnss'];
const ms = 1e6;
/** Reference policy: lidar sweeps; tolerance per sensor about half its period; IMU interpolated. */
const referenceTolerances: Record<string, number> = {
  camera: 20 * ms,
  radar: 30 * ms,
  imu: 10 * ms,
  gnss: 60 * ms,
};

interface Input {
  readonly names: string[];
  readonly stamps: Float64Array[];
  readonly logs: Float64Array[];
}

/** The rig's streams over the run, with each sensor's clock offset and drift removed. */
function generate(): Input {
  const rig = createRig(2024, 'bench-vehicle');
  const timelines = rigTimeline(rig, minutes * 60e9, allStreams);
  timelines.sort((a, b) => allStreams.indexOf(a.sensorId) - allStreams.indexOf(b.sensorId));
  return {
    names: timelines.map((t) => t.sensorId),
    stamps: timelines.map((t) => {
      const clock = rig.sensors.find((s) => s.id === t.sensorId)!.clock;
      return t.stampNs.map((stamp, i) =>
        Math.round(stamp - clock.offsetNs - clock.driftPpm * 1e-6 * t.captureNs[i]!),
      );
    }),
    logs: timelines.map((t) => t.logNs.slice()),
  };
}

function save(input: Input, dir: string): void {
  writeFileSync(join(dir, 'names.json'), JSON.stringify(input.names));
  input.names.forEach((_, s) => {
    writeFileSync(join(dir, `stamps-${s}.bin`), input.stamps[s]!);
    writeFileSync(join(dir, `logs-${s}.bin`), input.logs[s]!);
  });
}

function load(dir: string): Input {
  const names = JSON.parse(readFileSync(join(dir, 'names.json'), 'utf8')) as string[];
  const floats = (file: string): Float64Array => {
    const bytes = readFileSync(join(dir, file));
    return new Float64Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 8);
  };
  return {
    names,
    stamps: names.map((_, s) => floats(`stamps-${s}.bin`)),
    logs: names.map((_, s) => floats(`logs-${s}.bin`)),
  };
}

function stampsDocument(input: Input, count: number): string {
  return JSON.stringify({
    streams: input.names.slice(0, count).map((name, s) => ({
      name,
      messages: Array.from(input.stamps[s]!, (stamp, i) => ({
        stamp: (start + BigInt(stamp)).toString(),
        logTime: (start + BigInt(input.logs[s]![i]!)).toString(),
      })),
    })),
  });
}

interface WorkerResult {
  readonly messages: number;
  /** Best of the rounds, and the first (cold: the JIT compiler still warming up). */
  readonly elapsedNs: number;
  readonly coldNs: number;
  readonly maxRssKb: number;
  readonly sets: string[][];
}

const rounds = 5;

/** Runs one of our policies over the saved input, best of five rounds, and reports. */
function worker(policy: string, dir: string): void {
  const full = load(dir);
  const count =
    policy === 'reference' || policy === 'idle' ? full.names.length : nineStreams.length;
  const input: Input = {
    names: full.names.slice(0, count),
    stamps: full.stamps.slice(0, count),
    logs: full.logs.slice(0, count),
  };
  const order = feedOrder(input.logs);
  const n = order.streams.length;
  const streams = new Int32Array(n);
  const stamps = new Float64Array(n);
  const ids = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = order.streams[k]!;
    const m = order.messages[k]!;
    streams[k] = s;
    stamps[k] = input.stamps[s]![m]!;
    ids[k] = m;
  }
  let output = new Float64Array(1 << 20);
  let used = 0;
  const sink = (set: Float64Array): void => {
    if (used + set.length > output.length) {
      const grown = new Float64Array(output.length * 2);
      grown.set(output);
      output = grown;
    }
    output.set(set, used);
    used += set.length;
  };
  const create = (): SyncEngine => {
    switch (policy) {
      case 'approximate':
        return new ApproximatePolicy(count, { queueSize }, sink);
      case 'slop':
        return new SlopPolicy(count, { queueSize, slopNs }, sink);
      default:
        return new ReferencePolicy(
          count,
          {
            reference: input.names.indexOf('lidar_top'),
            tolerancesNs: input.names.map((name) => referenceTolerances[name.split('_')[0]!] ?? 0),
            modes: input.names.map((name) => (name === 'imu' ? 'interpolate' : 'nearest')),
          },
          (sample) => sink(sample.ids),
        );
    }
  };
  let best = Infinity;
  let cold = 0;
  for (let round = 0; round < (policy === 'idle' ? 0 : rounds); round++) {
    used = 0;
    const engine = create();
    const begin = process.hrtime.bigint();
    for (let k = 0; k < n; k++) engine.push(streams[k]!, stamps[k]!, ids[k]!);
    engine.finish();
    const elapsed = Number(process.hrtime.bigint() - begin);
    if (round === 0) cold = elapsed;
    best = Math.min(best, elapsed);
  }
  const sets: string[][] = [];
  for (let i = 0; i < used; i += count) {
    sets.push(
      Array.from(output.subarray(i, i + count), (id, s) =>
        (start + BigInt(input.stamps[s]![id]!)).toString(),
      ),
    );
  }
  const result: WorkerResult = {
    messages: n,
    elapsedNs: best,
    coldNs: cold,
    maxRssKb: process.resourceUsage().maxRSS,
    sets,
  };
  writeFileSync(join(dir, `ours-${policy}.json`), JSON.stringify(result));
}

function runWorker(policy: string, dir: string): WorkerResult {
  const self = fileURLToPath(import.meta.url);
  const result = spawnSync(process.execPath, ['--import', 'tsx', self, '--worker', policy, dir], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`worker for ${policy} failed`);
  return JSON.parse(readFileSync(join(dir, `ours-${policy}.json`), 'utf8')) as WorkerResult;
}

function identical(ours: readonly string[][], theirs: PeerResult): string {
  const a = JSON.stringify(ours);
  const b = JSON.stringify(theirs.sets.map((set) => set.map(String)));
  return a === b ? 'identical' : `DIFFERENT (${ours.length} vs ${theirs.sets.length} sets)`;
}

const rate = (messages: number, ns: number): number => messages / (ns / 1e9);
const mps = (value: number): string => `${(value / 1e6).toFixed(3)} M msg/s`;
const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;

interface Figures {
  messages: number;
  messagesPerSecond: number;
  coldMessagesPerSecond: number;
  sets: number;
  maxRssKb: number;
  maxRssAboveIdleKb: number;
}

/** Our figures: best and first-round rate, peak RSS and its excess over a worker that runs nothing. */
function figures(label: string, result: WorkerResult, idle: WorkerResult): Figures {
  const out: Figures = {
    messages: result.messages,
    messagesPerSecond: rate(result.messages, result.elapsedNs),
    coldMessagesPerSecond: rate(result.messages, result.coldNs),
    sets: result.sets.length,
    maxRssKb: result.maxRssKb,
    maxRssAboveIdleKb: result.maxRssKb - idle.maxRssKb,
  };
  console.log(
    `\n${label}: ours ${mps(out.messagesPerSecond)} (first round ${mps(out.coldMessagesPerSecond)}), ${out.sets} sets, peak RSS ${mb(out.maxRssKb)} (${mb(out.maxRssAboveIdleKb)} above an idle worker)`,
  );
  return out;
}

function main(): void {
  const missing = peersMissing();
  const dir = mkdtempSync(join(tmpdir(), 'drivetrain-bench-sync-'));
  try {
    console.log(`sync bench: ${minutes} min of the generated rig, queue size ${queueSize}`);
    const input = generate();
    save(input, dir);
    input.names.forEach((name, s) =>
      console.log(`  ${name.padEnd(18)} ${String(input.stamps[s]!.length).padStart(8)} messages`),
    );
    const document = stampsDocument(input, nineStreams.length);
    const idle = runWorker('idle', dir);
    const summary: Record<string, unknown> = {
      minutes,
      queueSize,
      idleWorkerMaxRssKb: idle.maxRssKb,
    };

    const approximate = runWorker('approximate', dir);
    const ourApproximate = figures('approximate (9 streams)', approximate, idle);
    summary.approximate = ourApproximate;
    if (missing.approximate.length === 0) {
      const params = { queueSize, agePenalty: 0.1, lowerBounds: nineStreams.map(() => 0n) };
      let peer = runApproximatePeerTimed(document, params);
      for (let round = 1; round < 3; round++) {
        const again = runApproximatePeerTimed(document, params);
        if (again.elapsedNs! < peer.elapsedNs!) peer = again;
      }
      const peerRate = rate(approximate.messages, peer.elapsedNs!);
      const ratio = ourApproximate.messagesPerSecond / peerRate;
      const same = identical(approximate.sets, peer);
      console.log(
        `  C++ ApproximateTime ${mps(peerRate)} (best of 3), peak RSS ${mb(peer.maxRssKb!)}; ours/C++ ${ratio.toFixed(2)}x; sets ${same}`,
      );
      summary.approximatePeer = {
        messagesPerSecond: peerRate,
        ratio,
        maxRssKb: peer.maxRssKb,
        sets: same,
      };
    } else {
      console.log(`  C++ peer skipped: needs ${missing.approximate.join(', ')}`);
    }

    const slop = runWorker('slop', dir);
    const ourSlop = figures(`slop (9 streams, slop ${slopNs / 1e6} ms)`, slop, idle);
    summary.slop = ourSlop;
    if (missing.slop.length === 0) {
      const peer = runSlopPeerTimed(document, { queueSize, slop: BigInt(slopNs) });
      const peerRate = rate(slop.messages, peer.elapsedNs!);
      const ratio = ourSlop.messagesPerSecond / peerRate;
      const same = identical(slop.sets, peer);
      console.log(
        `  Python ApproximateTimeSynchronizer ${mps(peerRate)}, peak RSS ${mb(peer.maxRssKb!)}; ours/Python ${ratio.toFixed(1)}x; sets ${same}`,
      );
      summary.slopPeer = {
        messagesPerSecond: peerRate,
        ratio,
        maxRssKb: peer.maxRssKb,
        sets: same,
      };
    } else {
      console.log(`  Python peer skipped: needs ${missing.slop.join(', ')}`);
    }

    const reference = runWorker('reference', dir);
    summary.reference = figures(
      'reference (13 sensors, lidar reference, IMU interpolated; sets = complete samples)',
      reference,
      idle,
    );
    console.log(`\n${JSON.stringify(summary)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--worker') worker(process.argv[3]!, process.argv[4]!);
else main();
