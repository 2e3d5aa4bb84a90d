import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { openRecording, type RecordingSource } from '../../formats/index.js';
import { InvalidInput, NotFound } from '../../platform/index.js';
import { fileReader } from '../../recordings/index.js';
import {
  formatSets,
  syncRecording,
  type SyncQualityReport,
  parseMilliseconds,
  parseStampsDocument,
  policyNames,
  synchronizeStamps,
  type Nanoseconds,
  type PolicyName,
  type PolicySpec,
} from '../../sync/index.js';
import { withApp } from '../app-access.js';
import { action, type CliEnvironment, type CommandRegistrar } from '../command.js';

interface SyncFlags {
  stamps?: string;
  policy?: string;
  queueSize?: string;
  maxIntervalMs?: string;
  agePenalty?: string;
  lowerBoundMs?: string;
  slopMs?: string;
  reference?: string;
  toleranceMs?: string;
  interpolate?: string;
  keepIncomplete?: boolean;
  channels?: string;
  threshold?: string;
}

const defaultQueueSize: Record<PolicyName, number> = { approximate: 10, slop: 10, reference: 1000 };

/**
 * Parses `NAME=X,…` lists of milliseconds; a bare `X` sets the value for every stream not
 * named. Returns the per-name values and the bare default, if any.
 */
function perStreamMilliseconds(
  text: string,
  flag: string,
): { named: Record<string, Nanoseconds>; fallback?: Nanoseconds } {
  const named: Record<string, Nanoseconds> = {};
  let fallback: Nanoseconds | undefined;
  for (const item of text.split(',')) {
    const at = item.indexOf('=');
    if (at < 0) {
      if (fallback !== undefined) {
        throw new InvalidInput(`--${flag}: more than one value without a stream name`, flag);
      }
      fallback = parseMilliseconds(item, flag);
      continue;
    }
    const name = item.slice(0, at).trim();
    if (name === '') throw new InvalidInput(`--${flag}: '${item}' names no stream`, flag);
    if (name in named) throw new InvalidInput(`--${flag}: stream '${name}' given twice`, flag);
    named[name] = parseMilliseconds(item.slice(at + 1), `${flag} ${name}`);
  }
  return fallback === undefined ? { named } : { named, fallback };
}

function positiveInteger(value: string, flag: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !Number.isSafeInteger(parsed) || parsed < 1) {
    throw new InvalidInput(`--${flag} must be a positive integer, got '${value}'`, flag);
  }
  return parsed;
}

/** Refuses flags that the chosen policy would silently ignore. */
function rejectOthers(
  flags: SyncFlags,
  policy: PolicyName,
  allowed: readonly (keyof SyncFlags)[],
): void {
  const names: Record<string, string> = {
    maxIntervalMs: 'max-interval-ms',
    agePenalty: 'age-penalty',
    lowerBoundMs: 'lower-bound-ms',
    slopMs: 'slop-ms',
    reference: 'reference',
    toleranceMs: 'tolerance-ms',
    interpolate: 'interpolate',
    keepIncomplete: 'keep-incomplete',
  };
  for (const [key, flag] of Object.entries(names)) {
    if (flags[key as keyof SyncFlags] !== undefined && !allowed.includes(key as keyof SyncFlags)) {
      throw new InvalidInput(`--${flag} does not apply to the ${policy} policy`, flag);
    }
  }
}

/** Builds the policy spec from the command-line flags. */
export function policyFromFlags(flags: SyncFlags): PolicySpec {
  const policy = flags.policy;
  if (policy === undefined || !(policyNames as readonly string[]).includes(policy)) {
    throw new InvalidInput(
      `--policy must be one of ${policyNames.join(', ')}, got '${policy ?? ''}'`,
      'policy',
    );
  }
  const name = policy as PolicyName;
  const queueSize =
    flags.queueSize === undefined
      ? defaultQueueSize[name]
      : positiveInteger(flags.queueSize, 'queue-size');
  switch (name) {
    case 'approximate': {
      rejectOthers(flags, name, ['maxIntervalMs', 'agePenalty', 'lowerBoundMs']);
      let agePenalty: number | undefined;
      if (flags.agePenalty !== undefined) {
        agePenalty = Number(flags.agePenalty);
        if (flags.agePenalty.trim() === '' || !Number.isFinite(agePenalty) || agePenalty < 0) {
          throw new InvalidInput(
            `--age-penalty must be a number >= 0, got '${flags.agePenalty}'`,
            'age-penalty',
          );
        }
      }
      const bounds =
        flags.lowerBoundMs === undefined
          ? undefined
          : perStreamMilliseconds(flags.lowerBoundMs, 'lower-bound-ms');
      return {
        policy: name,
        queueSize,
        ...(flags.maxIntervalMs === undefined
          ? {}
          : { maxInterval: parseMilliseconds(flags.maxIntervalMs, 'max-interval-ms') }),
        ...(agePenalty === undefined ? {} : { agePenalty }),
        ...(bounds === undefined
          ? {}
          : {
              lowerBounds: bounds.named,
              ...(bounds.fallback === undefined ? {} : { defaultLowerBound: bounds.fallback }),
            }),
      };
    }
    case 'slop':
      rejectOthers(flags, name, ['slopMs']);
      if (flags.slopMs === undefined) {
        throw new InvalidInput('the slop policy needs --slop-ms', 'slop-ms');
      }
      return { policy: name, queueSize, slop: parseMilliseconds(flags.slopMs, 'slop-ms') };
    case 'reference': {
      rejectOthers(flags, name, ['reference', 'toleranceMs', 'interpolate', 'keepIncomplete']);
      if (flags.reference === undefined) {
        throw new InvalidInput('the reference policy needs --reference NAME', 'reference');
      }
      const tolerances =
        flags.toleranceMs === undefined
          ? undefined
          : perStreamMilliseconds(flags.toleranceMs, 'tolerance-ms');
      const interpolate =
        flags.interpolate === undefined
          ? undefined
          : flags.interpolate
              .split(',')
              .map((s) => s.trim())
              .filter((s) => s !== '');
      return {
        policy: name,
        queueSize,
        reference: flags.reference,
        ...(tolerances === undefined ? {} : { tolerances: tolerances.named }),
        ...(tolerances?.fallback === undefined ? {} : { defaultTolerance: tolerances.fallback }),
        ...(interpolate === undefined ? {} : { interpolate }),
        keepIncomplete: flags.keepIncomplete === true,
      };
    }
  }
}

async function readStamps(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound('file', path);
    throw error;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new InvalidInput(`${path}: not JSON (${(error as Error).message})`, 'stamps');
  }
}

function renderSets(result: { sets: (string | null)[][] }, names: readonly string[]): string {
  const shown = result.sets.slice(0, 20);
  const lines = [
    `${result.sets.length} sets over ${names.length} streams (${names.join(', ')})`,
    ...shown.map((set) => set.map((stamp) => stamp ?? '-').join('  ')),
  ];
  if (result.sets.length > shown.length) {
    lines.push(`… ${result.sets.length - shown.length} more (use --json for all)`);
  }
  return lines.join('\n');
}

function renderReport(report: SyncQualityReport): string {
  const ms = (ns: number): string => (ns / 1e6).toFixed(3);
  const lines = [
    `sync quality against ${report.reference}: score ${report.score.toFixed(1)} (threshold ${report.threshold}) ${report.passed ? 'PASSED' : 'FAILED'}`,
  ];
  for (const channel of report.channels) {
    const clock = channel.clock;
    const sync = channel.sync;
    lines.push(
      [
        `  ${channel.name}: ${channel.messages} msgs, ${channel.rate.nominalRateHz.toFixed(2)} Hz, ${channel.rate.dropped} dropped, ${channel.rate.gaps} gaps`,
        clock === undefined
          ? 'no header stamps'
          : `offset ${ms(Number(clock.offsetNs))} ms, drift ${clock.driftPpm.toFixed(2)} ppm, jitter ${ms(clock.jitterNs)} ms, ${clock.jumpCount} jumps`,
        sync === undefined
          ? 'reference'
          : `|delta| p50 ${ms(sync.absDeltaNs.p50)} p99 ${ms(sync.absDeltaNs.p99)} ms, ${(100 * sync.withinTolerance).toFixed(1)}% within ${ms(sync.toleranceNs)} ms, score ${sync.score.toFixed(1)}`,
      ].join('; '),
    );
  }
  return lines.join('\n');
}

/** Synchronizes a recording's channels and reports its sync quality. */
async function syncSource(
  path: string,
  source: RecordingSource,
  flags: SyncFlags,
): Promise<{
  channels: readonly string[];
  sets: (string | null)[][];
  report: SyncQualityReport;
}> {
  const spec = policyFromFlags(flags);
  let threshold: number | undefined;
  if (flags.threshold !== undefined) {
    threshold = Number(flags.threshold);
    if (flags.threshold.trim() === '' || !(threshold >= 0 && threshold <= 100)) {
      throw new InvalidInput(
        `--threshold must be a score from 0 to 100, got '${flags.threshold}'`,
        'threshold',
      );
    }
  }
  const channels = flags.channels
    ?.split(',')
    .map((c) => c.trim())
    .filter((c) => c !== '');
  const sets: (string | null)[][] = [];
  const result = await syncRecording(source, {
    file: path,
    policy: spec,
    ...(channels === undefined ? {} : { channels }),
    ...(threshold === undefined ? {} : { threshold }),
    onSet: (set) => {
      sets.push(
        set.messages.map((message, s) => {
          const interpolation = set.reference?.interpolations[s];
          if (message === null) return null;
          // An interpolated stream's value is taken at the reference stamp.
          return (interpolation == null ? message.stamp : set.reference!.time).toString();
        }),
      );
    },
  });
  return { channels: result.channels, sets, report: result.report };
}

/** `drivetrain sync FILE`: a recording file on disk. */
async function syncFile(path: string, flags: SyncFlags): ReturnType<typeof syncSource> {
  if (!existsSync(path)) throw new NotFound('file', path);
  const reader = await fileReader(path);
  try {
    return await syncSource(path, await openRecording(path, reader), flags);
  } finally {
    await reader.close();
  }
}

/** `drivetrain sync rec_…`: a catalogued recording, read from the object store. */
async function syncStored(
  cli: CliEnvironment,
  command: Command,
  id: string,
  flags: SyncFlags,
): ReturnType<typeof syncSource> {
  return withApp(cli, command, async (app) => {
    const recording = await app.recordings.get(id);
    const opened = await app.recordings.open(id);
    try {
      return await syncSource(recording.name, opened.source, flags);
    } finally {
      await opened.close();
    }
  });
}

/** `drivetrain sync`: synchronize a stamps document or a recording file. */
export const registerSyncCommand: CommandRegistrar = (program, cli) => {
  program
    .command('sync')
    .argument(
      '[recording]',
      'a recording id (rec_…) or file (MCAP, ROS 1 bag, MDF 4) instead of --stamps',
    )
    .description(
      'synchronize streams: sets of one message per stream by the approximate (ROS C++), slop (ROS Python) or reference policy; for a recording, also its sync quality report',
    )
    .option(
      '--stamps <file>',
      'stamps document: {"streams":[{"name","messages":[{"stamp","logTime"}]}]}',
    )
    .option('--policy <name>', `one of ${policyNames.join(', ')}`)
    .option('--queue-size <n>', 'messages kept per stream (10; reference: 1000)')
    .option('--max-interval-ms <x>', 'approximate: largest span of a set')
    .option('--age-penalty <x>', 'approximate: age penalty (0.1)')
    .option(
      '--lower-bound-ms <list>',
      'approximate: NAME=X,… inter-message lower bounds (a bare X: all)',
    )
    .option('--slop-ms <x>', 'slop: largest distance between stamps of a set')
    .option('--reference <name>', 'reference: the stream each sample is built around')
    .option('--tolerance-ms <list>', 'reference: NAME=X,… tolerances (a bare X: all others; 50)')
    .option('--interpolate <names>', 'reference: streams interpolated to the reference stamp')
    .option('--keep-incomplete', 'reference: keep samples that miss a stream (null there)')
    .option(
      '--channels <topics>',
      'recording: topics to synchronize (default: one channel per sensor)',
    )
    .option('--threshold <score>', 'recording: sync score below which the report fails (90)')
    .action(
      action(cli, async (io, recording: string | undefined, flags: SyncFlags, command: Command) => {
        if (recording !== undefined) {
          if (flags.stamps !== undefined) {
            throw new InvalidInput('give either a recording or --stamps, not both', 'stamps');
          }
          const result =
            recording.startsWith('rec_') && !existsSync(recording)
              ? await syncStored(cli, command, recording, flags)
              : await syncFile(recording, flags);
          io.result(result, (r) => `${renderSets(r, r.channels)}\n${renderReport(r.report)}`);
          return;
        }
        if (flags.stamps === undefined) {
          throw new InvalidInput('give --stamps FILE or a recording file to synchronize', 'stamps');
        }
        if (flags.channels !== undefined || flags.threshold !== undefined) {
          throw new InvalidInput(
            '--channels and --threshold apply to a recording, not to --stamps',
            'channels',
          );
        }
        const spec = policyFromFlags(flags);
        const streams = parseStampsDocument(await readStamps(flags.stamps));
        const result = formatSets(synchronizeStamps(streams, spec));
        io.result(result, (r) =>
          renderSets(
            r,
            streams.map((s) => s.name),
          ),
        );
      }),
    );
};
