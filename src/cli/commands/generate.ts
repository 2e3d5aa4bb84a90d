import { resolve } from 'node:path';
import { InvalidInput } from '../../platform/index.js';
import {
  chunkCompressions,
  fleetLimits,
  generateDefaults,
  validateFleetOptions,
  validateGenerateOptions,
  writeFleet,
  type GenerateOptions,
  type CameraFormat,
  type ChunkCompression,
  type WrittenRecording,
} from '../../recordings/index.js';
import { action, type CommandRegistrar } from '../command.js';
import { table } from '../format.js';

interface GenerateFlags {
  out?: string;
  vehicles: string;
  minutes: string;
  seed: string;
  compression: string;
  summary: boolean;
  cameraFormat: string;
  cameraSize: string;
  lidar: string;
}

/** One written file as `drivetrain generate` reports it. */
export interface GeneratedFileReport {
  path: string;
  vehicle: string;
  country: string;
  city: string;
  weather: string;
  light: string;
  startTime: string;
  durationS: number;
  bytes: number;
  messages: number;
  sha256: string;
}

/** The result of `drivetrain generate`. */
export interface GenerateReport {
  out: string;
  seed: number;
  compression: ChunkCompression;
  summary: boolean;
  files: GeneratedFileReport[];
  totalBytes: number;
  totalMessages: number;
  elapsedS: number;
  megabytesPerSecond: number;
}

function integer(value: string, field: string, min: number, max: number): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new InvalidInput(
      `--${field} must be an integer from ${min} to ${max}, got '${value}'`,
      field,
    );
  }
  return parsed;
}

function oneOf<T extends string>(value: string, field: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) {
    throw new InvalidInput(
      `--${field} must be one of ${allowed.join(', ')}, got '${value}'`,
      field,
    );
  }
  return value as T;
}

/** Parses `AxB`; the generator checks the ranges (and names the option it rejects). */
function dimensions(value: string, field: string, form: string): [number, number] {
  const match = /^(\d{1,5})x(\d{1,5})$/.exec(value.trim());
  if (match === null) throw new InvalidInput(`--${field} must be ${form}, got '${value}'`, field);
  return [Number(match[1]), Number(match[2])];
}

const flagOf: Readonly<Record<string, string>> = {
  cameraWidth: 'camera-size',
  cameraHeight: 'camera-size',
  lidarBeams: 'lidar',
  lidarColumns: 'lidar',
};

/** The generator's own option check, reported against the command-line flag. */
function checkGenerateOptions(options: GenerateOptions): void {
  try {
    validateGenerateOptions(options);
  } catch (error) {
    if (!(error instanceof InvalidInput) || error.field === undefined) throw error;
    const flag = flagOf[error.field] ?? error.field;
    throw new InvalidInput(`--${flag}: ${error.message}`, flag);
  }
}

function report(recording: WrittenRecording): GeneratedFileReport {
  return {
    path: recording.path,
    vehicle: recording.plan.vehicleId,
    country: recording.plan.region.country,
    city: recording.plan.region.city,
    weather: recording.plan.weather,
    light: recording.plan.light,
    startTime: new Date(Number(recording.plan.startTimeNs / 1_000_000n)).toISOString(),
    durationS: recording.plan.durationNs / 1e9,
    bytes: recording.bytes,
    messages: recording.messageCount,
    sha256: recording.sha256,
  };
}

function human(result: GenerateReport): string {
  const rows = result.files.map((f) => ({
    file: f.path,
    vehicle: f.vehicle,
    place: `${f.country} ${f.city}`,
    weather: f.weather,
    light: f.light,
    size: `${(f.bytes / 1e6).toFixed(1)} MB`,
    messages: f.messages,
  }));
  const total =
    `${result.files.length} recording(s), ${(result.totalBytes / 1e6).toFixed(1)} MB, ` +
    `${result.totalMessages} messages in ${result.elapsedS.toFixed(1)} s ` +
    `(${result.megabytesPerSecond.toFixed(1)} MB/s)`;
  return `${table(rows, ['file', 'vehicle', 'place', 'weather', 'light', 'size', 'messages'])}\n${total}`;
}

/** `drivetrain generate`: writes a synthetic fleet of MCAP recordings of the sensor rig. */
export const registerGenerateCommand: CommandRegistrar = (program, cli) => {
  program
    .command('generate')
    .description(
      'write synthetic MCAP drive recordings: 6 cameras, lidar, 4 radars, IMU, GNSS and CAN, with per-sensor clock offset, drift, jitter and drops set by the seed',
    )
    .option('--out <dir>', 'directory to write the recordings into (created if missing)')
    .option('--vehicles <n>', 'number of vehicles, one recording each', '1')
    .option('--minutes <m>', 'length of each recording in minutes (fractions allowed)', '1')
    .option('--seed <s>', `seed, an integer from 0 to ${fleetLimits.maxSeed}`, '1')
    .option('--compression <kind>', `chunk compression: ${chunkCompressions.join(', ')}`, 'zstd')
    .option('--no-summary', 'write no summary section and no message indexes (streamed-only file)')
    .option(
      '--camera-format <format>',
      'camera frames: jpeg (CompressedImage) or raw (Image)',
      'jpeg',
    )
    .option(
      '--camera-size <WxH>',
      'camera frame size in pixels',
      `${generateDefaults.cameraWidth}x${generateDefaults.cameraHeight}`,
    )
    .option(
      '--lidar <BEAMSxCOLUMNS>',
      'lidar resolution: beams (rows) by columns per revolution',
      `${generateDefaults.lidarBeams}x${generateDefaults.lidarColumns}`,
    )
    .action(
      action(cli, async (io, flags: GenerateFlags) => {
        if (flags.out === undefined || flags.out === '') {
          throw new InvalidInput('--out <dir> is required', 'out');
        }
        const minutes = Number(flags.minutes);
        const fleet = {
          seed: integer(flags.seed, 'seed', 0, fleetLimits.maxSeed),
          vehicles: integer(flags.vehicles, 'vehicles', 1, fleetLimits.maxVehicles),
          minutes: flags.minutes.trim() === '' ? Number.NaN : minutes,
        };
        validateFleetOptions(fleet);
        const compression = oneOf(flags.compression, 'compression', chunkCompressions);
        const cameraFormat = oneOf<CameraFormat>(flags.cameraFormat, 'camera-format', [
          'jpeg',
          'raw',
        ]);
        const [cameraWidth, cameraHeight] = dimensions(
          flags.cameraSize,
          'camera-size',
          'WIDTHxHEIGHT',
        );
        const [lidarBeams, lidarColumns] = dimensions(flags.lidar, 'lidar', 'BEAMSxCOLUMNS');
        const out = resolve(cli.cwd, flags.out);

        const options = {
          compression,
          summary: flags.summary,
          cameraFormat,
          cameraWidth,
          cameraHeight,
          lidarBeams,
          lidarColumns,
        };
        checkGenerateOptions(options);

        const totalS = fleet.vehicles * fleet.minutes * 60;
        const progress = io.progress('generating (simulated s)', Math.ceil(totalS));
        let finishedS = 0;
        const started = performance.now();
        const written = await writeFleet(
          out,
          fleet,
          {
            ...options,
            onProgress: (doneNs) => progress.update(Math.floor(finishedS + doneNs / 1e9)),
          },
          (recording) => {
            finishedS += recording.plan.durationNs / 1e9;
          },
        );
        progress.stop();
        const elapsedS = (performance.now() - started) / 1000;
        const files = written.map(report);
        const totalBytes = files.reduce((sum, f) => sum + f.bytes, 0);
        const result: GenerateReport = {
          out,
          seed: fleet.seed,
          compression,
          summary: flags.summary,
          files,
          totalBytes,
          totalMessages: files.reduce((sum, f) => sum + f.messages, 0),
          elapsedS,
          megabytesPerSecond: totalBytes / 1e6 / elapsedS,
        };
        io.result(result, human);
      }),
    );
};
