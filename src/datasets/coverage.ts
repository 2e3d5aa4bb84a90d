/**
 * Coverage of data requirements: the share or count of a dataset's samples carrying each ODD
 * attribute, against the targets of the definition (the dataset requirements of ISO/PAS 8800).
 */
import type { Requirement } from './definition.js';

/** One requirement checked: `target` and `actual` are in the requirement's unit. */
export interface CoverageRow {
  readonly requirement: string;
  readonly attribute: string;
  readonly unit: 'percent' | 'samples';
  readonly target: number;
  readonly actual: number;
  readonly pass: boolean;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

/** Checks requirements against tag counts (samples carrying each tag) of `total` samples. */
export function coverage(
  requirements: readonly Requirement[],
  tagCounts: ReadonlyMap<string, number>,
  total: number,
): CoverageRow[] {
  const rows: CoverageRow[] = [];
  for (const requirement of requirements) {
    if (requirement.kind === 'countries') {
      for (const country of requirement.countries) {
        const actual = tagCounts.get(`country:${country}`) ?? 0;
        rows.push({
          requirement: requirement.id,
          attribute: `country:${country}`,
          unit: 'samples',
          target: requirement.minSamples,
          actual,
          pass: actual >= requirement.minSamples,
        });
      }
      continue;
    }
    const count = tagCounts.get(requirement.tag) ?? 0;
    if (requirement.minPercent !== undefined) {
      const actual = total === 0 ? 0 : round((100 * count) / total);
      rows.push({
        requirement: requirement.id,
        attribute: requirement.tag,
        unit: 'percent',
        target: requirement.minPercent,
        actual,
        pass: total > 0 && (100 * count) / total >= requirement.minPercent,
      });
    }
    if (requirement.minSamples !== undefined) {
      rows.push({
        requirement: requirement.id,
        attribute: requirement.tag,
        unit: 'samples',
        target: requirement.minSamples,
        actual: count,
        pass: count >= requirement.minSamples,
      });
    }
  }
  return rows;
}

/** Adds one map of counts into another. */
export function addCounts(
  into: Map<string, number>,
  from: Iterable<readonly [string, number]>,
): void {
  for (const [key, count] of from) into.set(key, (into.get(key) ?? 0) + count);
}

/** How coverage changed between two versions, per attribute of either. */
export function coverageChange(
  before: readonly CoverageRow[],
  after: readonly CoverageRow[],
): {
  attribute: string;
  unit: CoverageRow['unit'];
  before: number | null;
  after: number | null;
  delta: number | null;
}[] {
  const key = (row: CoverageRow): string => `${row.attribute}\u0000${row.unit}`;
  const a = new Map(before.map((row) => [key(row), row]));
  const b = new Map(after.map((row) => [key(row), row]));
  return [...new Set([...a.keys(), ...b.keys()])].map((k) => {
    const x = a.get(k);
    const y = b.get(k);
    const row = (x ?? y)!;
    return {
      attribute: row.attribute,
      unit: row.unit,
      before: x?.actual ?? null,
      after: y?.actual ?? null,
      delta: x === undefined || y === undefined ? null : round(y.actual - x.actual),
    };
  });
}
