import { canDatabase } from './can.js';
import { Random } from './random.js';
import type { Rig, RigSensor } from './rig.js';

/**
 * The sample stream of one clocked source, one sample at a time, in log-time order. All times
 * are nanoseconds relative to the recording's reference start (log time 0), exact integers
 * held in doubles (exact up to 104 days).
 */
export interface SampleCursor {
  readonly sensor: RigSensor;
  /** The sensor's frame counter of the current sample; gaps are dropped samples. */
  readonly sequence: number;
  /** True capture (or, for CAN, reception) time on the reference clock. */
  readonly captureNs: number;
  /** Header stamp, on the sensor's clock. */
  readonly stampNs: number;
  /** Log time: when the logger received the message. */
  readonly logNs: number;
  /** For the CAN source: index in `canDatabase` of the current frame, else -1. */
  readonly canIndex: number;
  /** For the CAN source: the frame's rolling counter (0..15), else 0. */
  readonly canCount: number;
  /** Advances to the next sample; false once the next sample would be logged at or after the end. */
  next(): boolean;
}

/** Earliest capture time worth simulating: anything earlier is logged before time 0. */
function earliestCapture(sensor: RigSensor): number {
  return -(sensor.clock.latencyMinNs + 30 * sensor.clock.latencyMeanNs);
}

function quantize(value: number, resolution: number): number {
  return Math.round(value / resolution) * resolution;
}

/** Drop decisions: independent drops plus bursts of consecutive drops. */
class DropModel {
  #burstLeft = 0;
  constructor(
    private readonly sensor: RigSensor,
    private readonly random: Random,
  ) {}

  dropped(): boolean {
    const { dropRate, burstRate, burstMeanLength } = this.sensor.clock;
    if (this.#burstLeft > 0) {
      this.#burstLeft--;
      return true;
    }
    if (burstRate > 0 && this.random.chance(burstRate)) {
      this.#burstLeft = Math.round(this.random.exponential(Math.max(burstMeanLength - 1, 0)));
      return true;
    }
    return this.random.chance(dropRate);
  }
}

/** A free-running periodic sensor (cameras, lidar, radars, IMU, GNSS); see `ClockModel`. */
class PeriodicCursor implements SampleCursor {
  sequence = 0;
  captureNs = 0;
  stampNs = 0;
  logNs = 0;
  readonly canIndex = -1;
  readonly canCount = 0;
  readonly #random: Random;
  readonly #drops: DropModel;
  readonly #scale: number;
  readonly #firstK: number;
  readonly #firstSequence: number;
  #k: number;
  #previousLog = -Infinity;

  constructor(
    readonly sensor: RigSensor,
    seed: number,
    vehicleId: string,
    private readonly durationNs: number,
  ) {
    this.#random = Random.derive(seed, 'timing', vehicleId, sensor.id);
    this.#drops = new DropModel(sensor, this.#random);
    const { offsetNs, driftPpm, phaseNs, periodNs } = sensor.clock;
    this.#scale = 1 + driftPpm * 1e-6;
    const firstClock = earliestCapture(sensor) * this.#scale + offsetNs;
    this.#firstK = Math.ceil((firstClock - phaseNs) / periodNs);
    this.#k = this.#firstK - 1;
    // the sensor has been running since before the recording started
    this.#firstSequence = 1000 + this.#random.int(100_000);
  }

  next(): boolean {
    const {
      offsetNs,
      phaseNs,
      periodNs,
      stampJitterNs,
      stampResolutionNs,
      latencyMinNs,
      latencyMeanNs,
    } = this.sensor.clock;
    const random = this.#random;
    for (;;) {
      const k = ++this.#k;
      const clockReading = phaseNs + k * periodNs;
      const capture = (clockReading - offsetNs) / this.#scale;
      if (capture + latencyMinNs >= this.durationNs) return false;
      const jitter = random.normal() * stampJitterNs;
      const latency = latencyMinNs + random.exponential(latencyMeanNs);
      if (this.#drops.dropped()) continue;
      const log = Math.max(Math.round(capture + latency), this.#previousLog);
      if (log >= this.durationNs) return false;
      this.#previousLog = log;
      if (log < 0) continue;
      this.sequence = this.#firstSequence + (k - this.#firstK);
      this.captureNs = capture;
      this.stampNs = quantize(clockReading + jitter, stampResolutionNs);
      this.logNs = log;
      return true;
    }
  }
}

/** Nominal bit time of one 8-byte classic CAN frame at 500 kbit/s, with typical stuffing. */
const frameDurationNs = 250_000;
/** The CAN interface hands frames to the host once per USB poll. */
const usbPollNs = 1_000_000;

/**
 * The logger's CAN interface: every message of `canDatabase` is sent by its ECU on its own
 * drifting schedule, frames queue on the shared bus (one at a time), the interface stamps each at
 * end of frame with its own clock, and delivers them to the host in USB poll batches.
 */
class CanCursor implements SampleCursor {
  sequence = 0;
  captureNs = 0;
  stampNs = 0;
  logNs = 0;
  canIndex = -1;
  canCount = 0;
  readonly #random: Random;
  readonly #drops: DropModel;
  readonly #scale: number;
  /** Next scheduled transmission (reference clock) and period of each message. */
  readonly #due: Float64Array;
  readonly #period: Float64Array;
  readonly #counts: Uint8Array;
  /** Min-heap of message indexes ordered by due time. */
  readonly #heap: Int32Array;
  readonly #usbPhase: number;
  #busFreeAt = -Infinity;
  #previousLog = -Infinity;
  #sequence: number;

  constructor(
    readonly sensor: RigSensor,
    seed: number,
    vehicleId: string,
    private readonly durationNs: number,
  ) {
    this.#random = Random.derive(seed, 'timing', vehicleId, sensor.id);
    this.#drops = new DropModel(sensor, this.#random);
    this.#scale = 1 + sensor.clock.driftPpm * 1e-6;
    const n = canDatabase.length;
    this.#due = new Float64Array(n);
    this.#period = new Float64Array(n);
    this.#counts = new Uint8Array(n);
    this.#heap = new Int32Array(n);
    const start = earliestCapture(sensor);
    canDatabase.forEach((message, i) => {
      const ecuDrift = 1 + this.#random.range(-50, 50) * 1e-6;
      this.#period[i] = (message.periodMs * 1e6) / ecuDrift;
      this.#due[i] = start + this.#random.range(0, message.periodMs * 1e6);
      this.#counts[i] = this.#random.int(16);
      this.#heap[i] = i;
    });
    for (let i = (n >> 1) - 1; i >= 0; i--) this.#siftDown(i);
    this.#usbPhase = this.#random.range(0, usbPollNs);
    this.#sequence = this.#random.int(1_000_000);
  }

  #siftDown(from: number): void {
    const heap = this.#heap;
    const due = this.#due;
    const n = heap.length;
    let i = from;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) return;
      const right = left + 1;
      let smallest = left;
      if (right < n && due[heap[right]!]! < due[heap[left]!]!) smallest = right;
      if (due[heap[smallest]!]! >= due[heap[i]!]!) return;
      const swap = heap[i]!;
      heap[i] = heap[smallest]!;
      heap[smallest] = swap;
      i = smallest;
    }
  }

  next(): boolean {
    const { offsetNs, stampResolutionNs, latencyMinNs, latencyMeanNs } = this.sensor.clock;
    const random = this.#random;
    for (;;) {
      const index = this.#heap[0]!;
      const scheduled = this.#due[index]!;
      // task scheduling jitter of the sending ECU, not accumulated into its schedule
      const queued = scheduled + Math.abs(random.normal()) * 40_000;
      this.#due[index] = scheduled + this.#period[index]!;
      this.#siftDown(0);
      const count = this.#counts[index]!;
      this.#counts[index] = (count + 1) & 0xf;

      const endOfFrame = Math.max(queued, this.#busFreeAt) + frameDurationNs;
      this.#busFreeAt = endOfFrame;
      if (endOfFrame + latencyMinNs >= this.durationNs) return false;
      const handedOver =
        Math.ceil((endOfFrame + latencyMinNs - this.#usbPhase) / usbPollNs) * usbPollNs +
        this.#usbPhase;
      const latencyExtra = random.exponential(latencyMeanNs);
      if (this.#drops.dropped()) continue;
      const log = Math.max(Math.round(handedOver + latencyExtra), this.#previousLog);
      if (log >= this.durationNs) return false;
      this.#previousLog = log;
      const sequence = this.#sequence++;
      if (log < 0) continue;
      this.sequence = sequence;
      this.captureNs = endOfFrame;
      this.stampNs = quantize(endOfFrame * this.#scale + offsetNs, stampResolutionNs);
      this.logNs = log;
      this.canIndex = index;
      this.canCount = count;
      return true;
    }
  }
}

/** Opens the sample stream of one source of a rig over `[0, durationNs)` of log time. */
export function openCursor(rig: Rig, sensor: RigSensor, durationNs: number): SampleCursor {
  return sensor.kind === 'can'
    ? new CanCursor(sensor, rig.seed, rig.vehicleId, durationNs)
    : new PeriodicCursor(sensor, rig.seed, rig.vehicleId, durationNs);
}

/** Every sample of one source: parallel arrays, times relative to the recording start. */
export interface SensorTimeline {
  readonly sensorId: string;
  readonly topic: string;
  readonly count: number;
  readonly sequence: Uint32Array;
  readonly captureNs: Float64Array;
  readonly stampNs: Float64Array;
  readonly logNs: Float64Array;
}

/**
 * The (log time, stamp) sequences of the rig's sources over `durationNs`, exactly as the
 * generator writes them into a recording of this rig, without building any message. Pure and
 * cheap enough for the sync benchmark to take an hour of the rig from it.
 */
export function rigTimeline(
  rig: Rig,
  durationNs: number,
  sensorIds?: readonly string[],
): SensorTimeline[] {
  const sensors =
    sensorIds === undefined ? rig.sensors : rig.sensors.filter((s) => sensorIds.includes(s.id));
  return sensors.map((sensor) => {
    const cursor = openCursor(rig, sensor, durationNs);
    let capacity = Math.ceil((durationNs / 1e9) * sensor.rateHz * 1.01) + 16;
    let sequence = new Uint32Array(capacity);
    let capture = new Float64Array(capacity);
    let stamp = new Float64Array(capacity);
    let log = new Float64Array(capacity);
    let count = 0;
    while (cursor.next()) {
      if (count === capacity) {
        capacity *= 2;
        const grow = <T extends Uint32Array | Float64Array>(old: T, fresh: T): T => {
          fresh.set(old);
          return fresh;
        };
        sequence = grow(sequence, new Uint32Array(capacity));
        capture = grow(capture, new Float64Array(capacity));
        stamp = grow(stamp, new Float64Array(capacity));
        log = grow(log, new Float64Array(capacity));
      }
      sequence[count] = cursor.sequence;
      capture[count] = cursor.captureNs;
      stamp[count] = cursor.stampNs;
      log[count] = cursor.logNs;
      count++;
    }
    return {
      sensorId: sensor.id,
      topic: sensor.topic,
      count,
      sequence: sequence.subarray(0, count),
      captureNs: capture.subarray(0, count),
      stampNs: stamp.subarray(0, count),
      logNs: log.subarray(0, count),
    };
  });
}
