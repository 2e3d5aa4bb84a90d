/**
 * The sync quality report of stored stamp columns: the same analysis `syncRecording` makes in
 * its pass over a recording, replayed from per-channel arrays of log times and stamps (the
 * timelines ingest keeps), so a report needs no second read of the recording.
 */
import { InvalidInput } from '../platform/errors.js';
import { DEFAULT_TOLERANCE } from './policy.js';
import { SyncAnalyzer, type SyncQualityReport } from './quality.js';
import { TimeBase, type Nanoseconds } from './time.js';

/** One channel's messages in arrival order. */
export interface StampColumns {
  readonly name: string;
  readonly logTimes: BigInt64Array;
  readonly stamps: BigInt64Array;
  /** False when `stamps` are log times (the messages carry no stamp). */
  readonly stampFromHeader: boolean;
}

export interface ColumnsReportOptions {
  /** Names the recording in errors. */
  readonly file: string;
  /** Name of the stream deltas are measured against. */
  readonly reference: string;
  readonly tolerances?: Readonly<Record<string, Nanoseconds>>;
  readonly threshold?: number;
  /** Farther than this from its log time, a stamp is on no shared clock (one day by default). */
  readonly maxClockOffset?: Nanoseconds;
}

/** Builds the report, feeding messages in log-time order (ties: stream order, then message order). */
export function reportFromColumns(
  streams: readonly StampColumns[],
  options: ColumnsReportOptions,
): SyncQualityReport {
  const reference = streams.findIndex((s) => s.name === options.reference);
  if (reference < 0) {
    throw new InvalidInput(
      `${options.file}: reference ${options.reference} is not among the streams`,
      'reference',
    );
  }
  const base = new TimeBase();
  const analyzer = new SyncAnalyzer(
    streams.map((s) => s.name),
    base,
    {
      reference,
      tolerancesNs: streams.map((s) => Number(options.tolerances?.[s.name] ?? DEFAULT_TOLERANCE)),
      ...(options.threshold === undefined ? {} : { threshold: options.threshold }),
    },
  );
  const maxOffset = options.maxClockOffset ?? 86_400_000_000_000n;
  const next = streams.map(() => 0);
  for (;;) {
    let chosen = -1;
    let earliest = 0n;
    for (let s = 0; s < streams.length; s++) {
      const i = next[s]!;
      const column = streams[s]!;
      if (i >= column.logTimes.length) continue;
      const time = column.logTimes[i]!;
      if (chosen < 0 || time < earliest) {
        chosen = s;
        earliest = time;
      }
    }
    if (chosen < 0) break;
    const column = streams[chosen]!;
    const i = next[chosen]!;
    next[chosen] = i + 1;
    const logTime = column.logTimes[i]!;
    const stamp = column.stamps[i]!;
    const offset = stamp - logTime;
    const plausible = column.stampFromHeader && offset <= maxOffset && offset >= -maxOffset;
    const syncStamp = plausible ? stamp : logTime;
    analyzer.add(
      chosen,
      base.offset(syncStamp, `${options.file}: ${column.name} stamp`),
      column.stampFromHeader ? stamp : undefined,
      logTime,
      plausible ? 'header' : 'logTime',
    );
  }
  return analyzer.finish();
}
