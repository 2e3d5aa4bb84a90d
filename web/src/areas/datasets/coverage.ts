import type { CoverageRow, DatasetDiff, DatasetVersion } from '../../api/index.js';

/** One bar of the coverage chart: where the achieved value and the target fall on its scale. */
export interface CoverageBar {
  readonly key: string;
  readonly attribute: string;
  readonly requirement: string;
  readonly unit: CoverageRow['unit'];
  readonly actual: number;
  readonly target: number;
  readonly pass: boolean;
  /** The value the bar's full length stands for. */
  readonly scaleMax: number;
  /** Achieved value and target as shares of the bar's length, in [0, 1]. */
  readonly actualFraction: number;
  readonly targetFraction: number;
  /** The whole row in words: value, target and outcome, for screen readers and tests. */
  readonly summary: string;
}

/** A value in a requirement's unit: "12.5 %" or "1,234 samples". */
export function formatCoverageValue(value: number, unit: CoverageRow['unit']): string {
  if (unit === 'percent') return `${Number(value.toFixed(2))} %`;
  return `${value.toLocaleString('en-US')} ${value === 1 ? 'sample' : 'samples'}`;
}

/** The smallest 1, 2 or 5 times a power of ten at or above `value` (at least 1). */
export function niceCeiling(value: number): number {
  if (!Number.isFinite(value) || value <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const clamp = (x: number): number => Math.min(1, Math.max(0, x));

/**
 * Shapes coverage rows into bars. A percentage runs from 0 to 100 %; a sample count from 0 to a
 * round number above both the count and the target, so the target marker always shows.
 */
export function coverageBars(rows: readonly CoverageRow[]): CoverageBar[] {
  return rows.map((row, index) => {
    const scaleMax =
      row.unit === 'percent' ? 100 : niceCeiling(Math.max(row.actual, row.target) * 1.1);
    const outcome = row.pass ? 'passes' : 'fails';
    return {
      key: `${index}:${row.requirement}:${row.attribute}:${row.unit}`,
      attribute: row.attribute,
      requirement: row.requirement,
      unit: row.unit,
      actual: row.actual,
      target: row.target,
      pass: row.pass,
      scaleMax,
      actualFraction: clamp(row.actual / scaleMax),
      targetFraction: clamp(row.target / scaleMax),
      summary: `${row.attribute}: ${formatCoverageValue(row.actual, row.unit)}, target at least ${formatCoverageValue(row.target, row.unit)}, ${outcome}`,
    };
  });
}

/** The requirement status of a version in a few words: all met, or which attributes fail. */
export function requirementStatus(version: Pick<DatasetVersion, 'coverage'>): {
  readonly met: boolean;
  readonly text: string;
  readonly failing: readonly string[];
} {
  const total = version.coverage.length;
  if (total === 0) return { met: true, text: 'no requirements', failing: [] };
  const failing = [...new Set(version.coverage.filter((c) => !c.pass).map((c) => c.attribute))];
  if (failing.length === 0)
    return { met: true, text: total === 1 ? '1 of 1 met' : `all ${total} met`, failing };
  const failed = version.coverage.filter((c) => !c.pass).length;
  return { met: false, text: `${failed} of ${total} fail`, failing };
}

/** Split sizes in definition order, as "train 120 · val 40 · test 0". */
export function splitSummary(splits: Readonly<Record<string, number>>): string {
  const entries = Object.entries(splits);
  if (entries.length === 0) return '—';
  return entries.map(([name, count]) => `${name} ${count.toLocaleString('en-US')}`).join(' · ');
}

/** A change of coverage from one version to another as text with its sign: "+2.5 %", "−3 samples". */
export function formatCoverageChange(change: DatasetDiff['coverage'][number]): string {
  if (change.before === null) return 'not required before';
  if (change.after === null) return 'no longer required';
  const delta = change.delta ?? change.after - change.before;
  if (delta === 0) return 'no change';
  const sign = delta > 0 ? '+' : '−';
  return `${sign}${formatCoverageValue(Math.abs(delta), change.unit)}`;
}
