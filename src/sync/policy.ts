/**
 * Policy specifications as users write them (stream names, bigint nanoseconds) and their
 * translation into engines working on stream indices and exact number offsets.
 */
import { InvalidInput } from '../platform/errors.js';
import { ApproximatePolicy } from './approximate.js';
import type { SyncEngine } from './engine.js';
import { ReferencePolicy, type ReferenceSample, type StreamMode } from './reference.js';
import { SlopPolicy } from './slop.js';
import { MAX_OFFSET, ROS_DURATION_MAX, type Nanoseconds } from './time.js';

export type PolicyName = 'approximate' | 'slop' | 'reference';

/** The policies, in the order the CLI lists them. */
export const policyNames: readonly PolicyName[] = ['approximate', 'slop', 'reference'];

/** ROS 1 C++ ApproximateTime; see approximate.ts. */
export interface ApproximateSpec {
  readonly policy: 'approximate';
  readonly queueSize: number;
  /** Largest span of a set; none by default. */
  readonly maxInterval?: Nanoseconds;
  /** 0.1 by default, as in ROS. */
  readonly agePenalty?: number;
  /** Inter-message lower bound per stream name; streams not named get `defaultLowerBound`. */
  readonly lowerBounds?: Readonly<Record<string, Nanoseconds>>;
  /** 0 unless given. */
  readonly defaultLowerBound?: Nanoseconds;
}

/** ROS 1 Python ApproximateTimeSynchronizer; see slop.ts. */
export interface SlopSpec {
  readonly policy: 'slop';
  readonly queueSize: number;
  readonly slop: Nanoseconds;
}

/** Nearest message per stream around each message of a reference stream; see reference.ts. */
export interface ReferenceSpec {
  readonly policy: 'reference';
  /** Name of the reference stream. */
  readonly reference: string;
  /** Tolerance per stream name; streams not named get `defaultTolerance`. */
  readonly tolerances?: Readonly<Record<string, Nanoseconds>>;
  /** 50 ms unless given. */
  readonly defaultTolerance?: Nanoseconds;
  /** Streams interpolated to the reference stamp instead of taking their nearest message. */
  readonly interpolate?: readonly string[];
  readonly keepIncomplete?: boolean;
  /** Messages buffered per stream; 1000 by default. */
  readonly queueSize?: number;
}

export type PolicySpec = ApproximateSpec | SlopSpec | ReferenceSpec;

/** Default tolerance of the reference policy for streams without their own. */
export const DEFAULT_TOLERANCE: Nanoseconds = 50_000_000n;

/** A set handed out by `createEngine`: ids per stream (-1 for none) and, for the reference policy, the whole sample. */
export type EngineSink = (ids: Float64Array, sample?: ReferenceSample) => void;

/** Builds the engine of a spec for the named streams (in feed order of their indices). */
export function createEngine(
  streamNames: readonly string[],
  spec: PolicySpec,
  sink: EngineSink,
): SyncEngine {
  const index = (name: string, field: string): number => {
    const i = streamNames.indexOf(name);
    if (i < 0) {
      throw new InvalidInput(
        `${field}: no stream named "${name}" (streams: ${streamNames.join(', ') || 'none'})`,
        field,
      );
    }
    return i;
  };
  switch (spec.policy) {
    case 'approximate': {
      const lowerBounds = new Array<number>(streamNames.length).fill(
        durationNumber(spec.defaultLowerBound ?? 0n, 'defaultLowerBound'),
      );
      for (const [name, bound] of Object.entries(spec.lowerBounds ?? {})) {
        lowerBounds[index(name, 'lowerBounds')] = durationNumber(bound, `lowerBounds.${name}`);
      }
      const maxInterval = spec.maxInterval;
      if (maxInterval !== undefined && (maxInterval < 0n || maxInterval > ROS_DURATION_MAX)) {
        throw new InvalidInput(
          `maxInterval must lie between 0 and ${ROS_DURATION_MAX} ns (ros::DURATION_MAX), got ${maxInterval}`,
          'maxInterval',
        );
      }
      return new ApproximatePolicy(
        streamNames.length,
        {
          queueSize: spec.queueSize,
          // Spans of a run are below 2^53 ns, so a larger bound never bites.
          maxIntervalNs:
            maxInterval === undefined || maxInterval > BigInt(2 * MAX_OFFSET)
              ? Infinity
              : Number(maxInterval),
          ...(spec.agePenalty === undefined ? {} : { agePenalty: spec.agePenalty }),
          lowerBoundsNs: lowerBounds,
        },
        sink,
      );
    }
    case 'slop':
      return new SlopPolicy(
        streamNames.length,
        { queueSize: spec.queueSize, slopNs: durationNumber(spec.slop, 'slop') },
        sink,
      );
    case 'reference': {
      const reference = index(spec.reference, 'reference');
      const fallback = durationNumber(
        spec.defaultTolerance ?? DEFAULT_TOLERANCE,
        'defaultTolerance',
      );
      const tolerances = new Array<number>(streamNames.length).fill(fallback);
      for (const [name, tolerance] of Object.entries(spec.tolerances ?? {})) {
        tolerances[index(name, 'tolerances')] = durationNumber(tolerance, `tolerances.${name}`);
      }
      const modes = new Array<StreamMode>(streamNames.length).fill('nearest');
      for (const name of spec.interpolate ?? []) {
        const i = index(name, 'interpolate');
        if (i === reference) {
          throw new InvalidInput(`interpolate: "${name}" is the reference stream`, 'interpolate');
        }
        modes[i] = 'interpolate';
      }
      return new ReferencePolicy(
        streamNames.length,
        {
          reference,
          tolerancesNs: tolerances,
          modes,
          keepIncomplete: spec.keepIncomplete ?? false,
          ...(spec.queueSize === undefined ? {} : { queueSize: spec.queueSize }),
        },
        (sample) => sink(sample.ids, sample),
      );
    }
    default: {
      const unknown: { policy?: unknown } = spec;
      throw new InvalidInput(
        `policy: expected one of ${policyNames.join(', ')}, got ${String(unknown.policy)}`,
        'policy',
      );
    }
  }
}

function durationNumber(ns: Nanoseconds, field: string): number {
  if (ns < 0n) throw new InvalidInput(`${field}: must be >= 0, got ${ns} ns`, field);
  if (ns > BigInt(MAX_OFFSET)) {
    throw new InvalidInput(`${field}: ${ns} ns is more than 52 days (2^52 ns)`, field);
  }
  return Number(ns);
}
