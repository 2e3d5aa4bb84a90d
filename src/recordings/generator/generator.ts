import { McapWriter, type IWritable } from '@mcap/core';
import { InvalidInput } from '../../platform/index.js';
import type { MessageWriter } from '@foxglove/rosmsg2-serialization';
import { BulkCdrWriter } from './bulk.js';
import { cameraFramePool, type FramePool } from './camera.js';
import { canDatabase, encodeCanFrame, vehicleDbc, type CanEnvironment } from './can.js';
import { chunkCompressor, type ChunkCompression } from './compression.js';
import type { RecordingPlan } from './fleet.js';
import { GnssModel, ImuModel, type RosHeader } from './inertial.js';
import { LidarScanner, lidarPointFields, lidarPointStep } from './lidar.js';
import { RadarModel } from './radar.js';
import { Random } from './random.js';
import {
  createRig,
  type CameraFormat,
  type ClockModel,
  type GnssTimeScale,
  type Rig,
  type RigSensor,
  type SensorKind,
} from './rig.js';
import { RouteSimulator, emptyVehicleState, type VehicleState } from './route.js';
import { ros2SchemaText, ros2Writer, type Ros2SchemaName } from './schemas.js';
import { openCursor, type SampleCursor } from './timeline.js';

/**
 * Where generated MCAP bytes go. `bytes` is only valid until the returned promise resolves: the
 * writer reuses its buffer, so a sink that keeps data must copy it.
 */
export interface ByteSink {
  write(bytes: Uint8Array): Promise<void>;
}

/** How a recording is written; every field has a default. */
export interface GenerateOptions {
  /** Chunk compression (default `zstd`). */
  readonly compression?: ChunkCompression;
  /**
   * Write the summary section: schemas, channels, statistics, chunk and metadata indexes, summary
   * offsets, and message indexes after each chunk (default true). Without it the file can only be
   * read as a stream, as after a logger that lost power before closing the file.
   */
  readonly summary?: boolean;
  readonly cameraFormat?: CameraFormat;
  /** Time scale of the GNSS stamps (default `utc`); `gps` injects the missing-leap-seconds fault. */
  readonly gnssTime?: GnssTimeScale;
  readonly cameraWidth?: number;
  readonly cameraHeight?: number;
  /** Distinct frames rendered per camera and cycled (default 3). */
  readonly cameraPoolSize?: number;
  readonly lidarBeams?: number;
  readonly lidarColumns?: number;
  /** Uncompressed chunk size in bytes (default 4 MiB). */
  readonly chunkSize?: number;
  /** Called about once per simulated second with the log time reached. */
  readonly onProgress?: (doneNs: number, totalNs: number) => void;
}

/** Defaults of `GenerateOptions`. */
export const generateDefaults = {
  compression: 'zstd',
  summary: true,
  cameraFormat: 'jpeg',
  gnssTime: 'utc',
  cameraWidth: 320,
  cameraHeight: 200,
  cameraPoolSize: 3,
  lidarBeams: 32,
  lidarColumns: 1024,
  chunkSize: 4 * 1024 * 1024,
} as const satisfies Omit<GenerateOptions, 'onProgress'>;

/** One channel of a generated recording. */
export interface GeneratedChannel {
  readonly sensorId: string;
  readonly topic: string;
  readonly schemaName: string;
  readonly messageCount: number;
}

/** What `generateRecording` wrote. */
export interface GeneratedRecording {
  readonly plan: RecordingPlan;
  readonly rig: Rig;
  readonly bytes: number;
  readonly messageCount: number;
  /** First and last log time, ns since the Unix epoch (0n when no message was written). */
  readonly startTimeNs: bigint;
  readonly endTimeNs: bigint;
  readonly channels: readonly GeneratedChannel[];
}

/** Name of the metadata record holding the true clock parameters of every source. */
export const rigMetadataName = 'drivetrain.rig';
/** Name of the attachment holding the DBC of the vehicle bus. */
export const dbcAttachmentName = 'vehicle.dbc';

const library = 'drivetrain synthetic fleet generator 1';

const numericLimits = {
  cameraWidth: [8, 4096],
  cameraHeight: [8, 4096],
  cameraPoolSize: [1, 64],
  lidarBeams: [1, 128],
  lidarColumns: [8, 4096],
  chunkSize: [1024, 256 * 1024 * 1024],
} as const;

const gnssTimeScales: readonly GnssTimeScale[] = ['utc', 'gps'];

/** Checks the numeric options and the GNSS time scale, naming the offending one. */
export function validateGenerateOptions(options: GenerateOptions): void {
  if (options.gnssTime !== undefined && !gnssTimeScales.includes(options.gnssTime)) {
    throw new InvalidInput(
      `gnssTime must be one of ${gnssTimeScales.join(', ')}, got ${String(options.gnssTime)}`,
      'gnssTime',
    );
  }
  for (const [field, [min, max]] of Object.entries(numericLimits)) {
    const value = options[field as keyof typeof numericLimits];
    if (value === undefined) continue;
    if (!Number.isInteger(value) || value < min || value > max) {
      throw new InvalidInput(
        `${field} must be an integer from ${min} to ${max}, got ${value}`,
        field,
      );
    }
  }
}

/** Serialises the true clock of a source for the `drivetrain.rig` metadata record. */
function rigSensorRecord(sensor: RigSensor): string {
  const c = sensor.clock;
  return JSON.stringify({
    topic: sensor.topic,
    kind: sensor.kind,
    frame_id: sensor.frameId,
    rate_hz: sensor.rateHz,
    offset_ns: c.offsetNs,
    drift_ppm: c.driftPpm,
    period_ns: c.periodNs,
    phase_ns: c.phaseNs,
    stamp_jitter_ns: c.stampJitterNs,
    stamp_resolution_ns: c.stampResolutionNs,
    latency_min_ns: c.latencyMinNs,
    latency_mean_ns: c.latencyMeanNs,
    drop_rate: c.dropRate,
    burst_rate: c.burstRate,
    burst_mean_length: c.burstMeanLength,
  });
}

/** The true clock of one source as read back from a recording's `drivetrain.rig` record. */
export interface RecordedRigSensor {
  readonly id: string;
  readonly topic: string;
  readonly kind: SensorKind;
  readonly frameId: string;
  readonly rateHz: number;
  readonly clock: ClockModel;
}

const clockFields: Readonly<Record<keyof ClockModel, string>> = {
  offsetNs: 'offset_ns',
  driftPpm: 'drift_ppm',
  periodNs: 'period_ns',
  phaseNs: 'phase_ns',
  stampJitterNs: 'stamp_jitter_ns',
  stampResolutionNs: 'stamp_resolution_ns',
  latencyMinNs: 'latency_min_ns',
  latencyMeanNs: 'latency_mean_ns',
  dropRate: 'drop_rate',
  burstRate: 'burst_rate',
  burstMeanLength: 'burst_mean_length',
};

/**
 * Reads the ground truth of a generated recording back from the entries of its
 * `drivetrain.rig` metadata record: the recording start and the true clock of every source.
 */
export function rigFromMetadata(entries: ReadonlyMap<string, string>): {
  startTimeNs: bigint;
  sensors: RecordedRigSensor[];
} {
  const start = entries.get('start_time_ns');
  if (start === undefined || !/^\d+$/.test(start)) {
    throw new InvalidInput(`${rigMetadataName}: start_time_ns must be an integer`, 'start_time_ns');
  }
  const sensors: RecordedRigSensor[] = [];
  for (const [id, value] of entries) {
    if (!value.startsWith('{')) continue;
    let record: Record<string, unknown>;
    try {
      record = JSON.parse(value) as Record<string, unknown>;
    } catch {
      throw new InvalidInput(`${rigMetadataName}: entry '${id}' is not JSON`, id);
    }
    const clock = {} as Record<keyof ClockModel, number>;
    for (const [field, key] of Object.entries(clockFields) as [keyof ClockModel, string][]) {
      const number = record[key];
      if (typeof number !== 'number' || !Number.isFinite(number)) {
        throw new InvalidInput(`${rigMetadataName}: '${id}' needs a number ${key}`, `${id}.${key}`);
      }
      clock[field] = number;
    }
    const { topic, kind, frame_id: frameId, rate_hz: rateHz } = record;
    if (
      typeof topic !== 'string' ||
      typeof kind !== 'string' ||
      typeof frameId !== 'string' ||
      typeof rateHz !== 'number'
    ) {
      throw new InvalidInput(
        `${rigMetadataName}: '${id}' needs topic, kind, frame_id and rate_hz`,
        id,
      );
    }
    sensors.push({ id, topic, kind: kind as SensorKind, frameId, rateHz, clock });
  }
  return { startTimeNs: BigInt(start), sensors };
}

function metadataRecords(
  plan: RecordingPlan,
  rig: Rig,
  options: Required<Omit<GenerateOptions, 'onProgress'>>,
): { name: string; metadata: Map<string, string> }[] {
  const startIso = new Date(Number(plan.startTimeNs / 1_000_000n)).toISOString();
  return [
    {
      name: 'recording',
      metadata: new Map([
        ['vehicle', plan.vehicleId],
        ['driver', plan.driver],
        ['campaign', plan.campaign],
        ['weather', plan.weather],
        ['start_time', startIso],
        ['duration_s', String(plan.durationNs / 1e9)],
      ]),
    },
    {
      name: rigMetadataName,
      metadata: new Map([
        [
          'model',
          'stamp = clock(capture) + N(0, stamp_jitter); clock(t) = t + offset + drift_ppm*1e-6*t; log = capture + latency_min + Exp(latency_mean), in order per topic',
        ],
        ['reference', 'log_time'],
        ['start_time_ns', plan.startTimeNs.toString()],
        ...rig.sensors.map((s): [string, string] => [s.id, rigSensorRecord(s)]),
      ]),
    },
    {
      name: 'drivetrain.route',
      metadata: new Map([
        ['country', plan.region.country],
        ['country_name', plan.region.countryName],
        ['city', plan.region.city],
        ['light', plan.light],
        ['local_start_time', plan.localStartTime],
        ['initial_mode', plan.initialMode],
      ]),
    },
    {
      name: 'drivetrain.generator',
      metadata: new Map([
        ['seed', String(plan.seed)],
        ['vehicle_index', String(plan.vehicleIndex)],
        ['compression', options.compression],
        ['summary', String(options.summary)],
        ['camera_format', options.cameraFormat],
        ['gnss_time', options.gnssTime],
      ]),
    },
  ];
}

/** Min-heap of cursors by log time, ties broken by rig order so output is deterministic. */
class CursorHeap {
  readonly #items: { cursor: SampleCursor; order: number }[] = [];

  get size(): number {
    return this.#items.length;
  }

  #less(a: number, b: number): boolean {
    const x = this.#items[a]!;
    const y = this.#items[b]!;
    return (
      x.cursor.logNs < y.cursor.logNs || (x.cursor.logNs === y.cursor.logNs && x.order < y.order)
    );
  }

  #swap(a: number, b: number): void {
    const items = this.#items;
    [items[a], items[b]] = [items[b]!, items[a]!];
  }

  push(cursor: SampleCursor, order: number): void {
    this.#items.push({ cursor, order });
    let i = this.#items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.#less(i, parent)) break;
      this.#swap(i, parent);
      i = parent;
    }
  }

  peek(): { cursor: SampleCursor; order: number } | undefined {
    return this.#items[0];
  }

  /** Restores the heap after the top cursor advanced, or removes it when it ended. */
  advanceTop(hasNext: boolean): void {
    const items = this.#items;
    if (!hasNext) {
      const last = items.pop()!;
      if (items.length === 0) return;
      items[0] = last;
    }
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= items.length) return;
      const right = left + 1;
      const smallest = right < items.length && this.#less(right, left) ? right : left;
      if (!this.#less(smallest, i)) return;
      this.#swap(i, smallest);
      i = smallest;
    }
  }
}

/** Produces the CDR bytes of one message of a source at the cursor's current sample. */
type Producer = (cursor: SampleCursor, header: RosHeader, state: VehicleState) => Uint8Array;

/**
 * Writes one recording of `plan` as MCAP to `sink`: a streaming merge of every source of the
 * vehicle's rig in log-time order, each message built from the simulated drive at its true
 * capture time and stamped by its sensor's clock. Deterministic: the same plan and options give
 * the same bytes. Memory stays bounded (one chunk, the camera frame pools, one lidar scan).
 */
export async function generateRecording(
  plan: RecordingPlan,
  sink: ByteSink,
  options: GenerateOptions = {},
): Promise<GeneratedRecording> {
  validateGenerateOptions(options);
  const settings = {
    compression: options.compression ?? generateDefaults.compression,
    summary: options.summary ?? generateDefaults.summary,
    cameraFormat: options.cameraFormat ?? generateDefaults.cameraFormat,
    gnssTime: options.gnssTime ?? generateDefaults.gnssTime,
    cameraWidth: options.cameraWidth ?? generateDefaults.cameraWidth,
    cameraHeight: options.cameraHeight ?? generateDefaults.cameraHeight,
    cameraPoolSize: options.cameraPoolSize ?? generateDefaults.cameraPoolSize,
    lidarBeams: options.lidarBeams ?? generateDefaults.lidarBeams,
    lidarColumns: options.lidarColumns ?? generateDefaults.lidarColumns,
    chunkSize: options.chunkSize ?? generateDefaults.chunkSize,
  };
  const { seed, vehicleId } = plan;
  const rig = createRig(seed, vehicleId, {
    cameraFormat: settings.cameraFormat,
    gnssTime: settings.gnssTime,
  });

  let position = 0n;
  const writable: IWritable = {
    position: () => position,
    write: async (bytes) => {
      position += BigInt(bytes.byteLength);
      await sink.write(bytes);
    },
  };
  const summary = settings.summary;
  const compressChunk = await chunkCompressor(settings.compression);
  const writer = new McapWriter({
    writable,
    chunkSize: settings.chunkSize,
    useStatistics: summary,
    useSummaryOffsets: summary,
    repeatSchemas: summary,
    repeatChannels: summary,
    useAttachmentIndex: summary,
    useMetadataIndex: summary,
    useMessageIndex: summary,
    useChunkIndex: summary,
    ...(compressChunk === undefined ? {} : { compressChunk }),
  });
  await writer.start({ profile: 'ros2', library });

  for (const record of metadataRecords(plan, rig, settings)) await writer.addMetadata(record);
  const dbc = new TextEncoder().encode(vehicleDbc());
  await writer.addAttachment({
    name: dbcAttachmentName,
    mediaType: 'text/plain',
    logTime: plan.startTimeNs,
    createTime: plan.startTimeNs,
    data: dbc,
  });

  const schemaIds = new Map<Ros2SchemaName, number>();
  const serializers = new Map<Ros2SchemaName, MessageWriter>();
  const channelIds: number[] = [];
  for (const sensor of rig.sensors) {
    let schemaId = schemaIds.get(sensor.schemaName);
    if (schemaId === undefined) {
      schemaId = await writer.registerSchema({
        name: sensor.schemaName,
        encoding: 'ros2msg',
        data: new TextEncoder().encode(ros2SchemaText(sensor.schemaName)),
      });
      schemaIds.set(sensor.schemaName, schemaId);
      serializers.set(sensor.schemaName, ros2Writer(sensor.schemaName));
    }
    const metadata = new Map<string, string>();
    if (sensor.kind === 'can') metadata.set('dbc', dbcAttachmentName);
    channelIds.push(
      await writer.registerChannel({
        topic: sensor.topic,
        schemaId,
        messageEncoding: 'cdr',
        metadata,
      }),
    );
  }

  const producers = rig.sensors.map((sensor) =>
    producerFor(sensor, plan, settings, serializers.get(sensor.schemaName)!),
  );
  const route = new RouteSimulator(
    {
      region: plan.region,
      weather: plan.weather,
      initialMode: plan.initialMode,
      highwayShare: plan.highwayShare,
    },
    Random.derive(seed, 'drive', vehicleId).int32(),
  );
  const state = emptyVehicleState();
  const startSec = Number(plan.startTimeNs / 1_000_000_000n);
  const startNsec = Number(plan.startTimeNs % 1_000_000_000n);

  const heap = new CursorHeap();
  rig.sensors.forEach((sensor, order) => {
    const cursor = openCursor(rig, sensor, plan.durationNs);
    if (cursor.next()) heap.push(cursor, order);
  });

  const counts = new Array<number>(rig.sensors.length).fill(0);
  let messageCount = 0;
  let firstLog: bigint | undefined;
  let lastLog = 0n;
  let nextProgressNs = 1e9;
  for (let top = heap.peek(); top !== undefined; top = heap.peek()) {
    const { cursor, order } = top;
    route.stateAt(cursor.captureNs, state);
    const total = startNsec + cursor.stampNs;
    const carry = Math.floor(total / 1e9);
    const header: RosHeader = {
      stamp: { sec: startSec + carry, nanosec: total - carry * 1e9 },
      frame_id: rig.sensors[order]!.frameId,
    };
    const data = producers[order]!(cursor, header, state);
    const logTime = plan.startTimeNs + BigInt(cursor.logNs);
    await writer.addMessage({
      channelId: channelIds[order]!,
      sequence: cursor.sequence,
      logTime,
      publishTime: logTime,
      data,
    });
    firstLog ??= logTime;
    lastLog = logTime;
    counts[order]!++;
    messageCount++;
    if (cursor.logNs >= nextProgressNs) {
      options.onProgress?.(cursor.logNs, plan.durationNs);
      nextProgressNs = cursor.logNs + 1e9;
    }
    heap.advanceTop(cursor.next());
  }
  await writer.end();
  options.onProgress?.(plan.durationNs, plan.durationNs);

  return {
    plan,
    rig,
    bytes: Number(position),
    messageCount,
    startTimeNs: firstLog ?? 0n,
    endTimeNs: lastLog,
    channels: rig.sensors.map((sensor, i) => ({
      sensorId: sensor.id,
      topic: sensor.topic,
      schemaName: sensor.schemaName,
      messageCount: counts[i]!,
    })),
  };
}

type Settings = {
  readonly cameraFormat: CameraFormat;
  readonly cameraWidth: number;
  readonly cameraHeight: number;
  readonly cameraPoolSize: number;
  readonly lidarBeams: number;
  readonly lidarColumns: number;
};

function producerFor(
  sensor: RigSensor,
  plan: RecordingPlan,
  settings: Settings,
  serializer: MessageWriter,
): Producer {
  const { seed, vehicleId } = plan;
  switch (sensor.kind) {
    case 'camera': {
      const pool: FramePool = cameraFramePool({
        seed,
        cameraId: sensor.id,
        yaw: sensor.mount.yaw,
        light: plan.light,
        weather: plan.weather,
        format: settings.cameraFormat,
        width: settings.cameraWidth,
        height: settings.cameraHeight,
        count: settings.cameraPoolSize,
      });
      const bulk = new BulkCdrWriter();
      const frameOf = (cursor: SampleCursor): Uint8Array =>
        pool.frames[cursor.sequence % pool.frames.length]!;
      const image = {
        height: pool.height,
        width: pool.width,
        encoding: 'rgb8',
        step: pool.width * 3,
      };
      return pool.format === 'jpeg'
        ? (cursor, header) => bulk.compressedImage(header, 'jpeg', frameOf(cursor))
        : (cursor, header) => bulk.image(header, image, frameOf(cursor));
    }
    case 'lidar': {
      const scanner = new LidarScanner(
        seed,
        vehicleId,
        settings.lidarBeams,
        settings.lidarColumns,
        plan.weather,
      );
      const points = new Float32Array(scanner.floatsPerScan);
      const data = new Uint8Array(points.buffer);
      const bulk = new BulkCdrWriter();
      const cloud = {
        height: scanner.beams,
        width: scanner.columns,
        fields: lidarPointFields,
        pointStep: lidarPointStep,
        rowStep: lidarPointStep * scanner.columns,
        isDense: false,
      };
      return (cursor, header, state) => {
        scanner.scan(state, cursor.captureNs, points);
        return bulk.pointCloud2(header, cloud, data);
      };
    }
    case 'radar': {
      const radar = new RadarModel(seed, vehicleId, sensor, plan.weather);
      return (cursor, header, state) =>
        serializer.writeMessage({ header, returns: radar.scan(state, cursor.captureNs) });
    }
    case 'imu': {
      const imu = new ImuModel(seed, vehicleId);
      return (_cursor, header, state) => serializer.writeMessage(imu.message(state, header));
    }
    case 'gnss': {
      const gnss = new GnssModel(seed, vehicleId);
      return (cursor, header, state) =>
        serializer.writeMessage(gnss.message(state, cursor.captureNs, header));
    }
    case 'can': {
      const random = Random.derive(seed, 'can-payload', vehicleId);
      const env: CanEnvironment = {
        night: plan.light === 'night',
        weather: plan.weather,
        outsideTempC: plan.outsideTempC,
        odometerStartKm: plan.odometerStartKm,
      };
      const bytes = new Uint8Array(8);
      return (cursor, header, state) => {
        const message = canDatabase[cursor.canIndex]!;
        encodeCanFrame(message, state, env, cursor.canCount, random, bytes);
        return serializer.writeMessage({
          header,
          id: message.id,
          is_rtr: false,
          is_extended: false,
          is_error: false,
          dlc: message.dlc,
          data: bytes,
        });
      };
    }
  }
}
