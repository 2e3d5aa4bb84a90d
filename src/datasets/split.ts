/**
 * Leakage-free splits (ADR 065): a split is chosen per recording, vehicle or geographic cell,
 * never per sample, by hashing that key with the rule's seed, so everything sharing a key lands
 * in the same split, and the choice depends on nothing but the key.
 */
import { createHash } from 'node:crypto';
import type { SplitRule } from './definition.js';

/** What the split key is computed from, per sample. */
export interface SplitSubject {
  readonly recordingId: string;
  readonly vehicle: string | null;
  readonly lat: number | null;
  readonly lon: number | null;
}

/** The key that decides a sample's split under a rule. */
export function splitKey(rule: SplitRule, subject: SplitSubject): string {
  switch (rule.by) {
    case 'recording':
      return `recording:${subject.recordingId}`;
    case 'vehicle':
      // A recording without a vehicle name is its own vehicle: it cannot leak into another.
      return subject.vehicle === null
        ? `recording:${subject.recordingId}`
        : `vehicle:${subject.vehicle}`;
    case 'cell':
      if (subject.lat === null || subject.lon === null) return 'cell:none';
      return `cell:${Math.floor(subject.lat / rule.cellDegrees)}:${Math.floor(subject.lon / rule.cellDegrees)}`;
  }
}

/** Uniform in [0, 1) from the key and seed (the first 52 bits of their sha256). */
export function keyPosition(seed: string, key: string): number {
  const digest = createHash('sha256').update(`${seed}\u0000${key}`).digest();
  return (digest.readUInt32BE(0) * 2 ** 20 + (digest.readUInt32BE(4) >>> 12)) / 2 ** 52;
}

/** The split (index into the rule's fractions, in order) a key falls into. */
export function splitIndex(rule: SplitRule, key: string): number {
  const position = keyPosition(rule.seed, key);
  const shares = Object.values(rule.fractions);
  let bound = 0;
  for (let i = 0; i < shares.length; i++) {
    bound += shares[i]!;
    if (position < bound) return i;
  }
  // Rounding of the shares' sum: the last non-empty split takes the rest.
  for (let i = shares.length - 1; i >= 0; i--) if (shares[i]! > 0) return i;
  return shares.length - 1;
}

/** Memoises split choices per key (a build asks for the same key for every sample). */
export class SplitAssigner {
  private readonly cache = new Map<string, number>();
  readonly names: readonly string[];

  constructor(private readonly rule: SplitRule) {
    this.names = Object.keys(rule.fractions);
  }

  /** Index of the split of a subject. */
  assign(subject: SplitSubject): number {
    const key = splitKey(this.rule, subject);
    let index = this.cache.get(key);
    if (index === undefined) {
      index = splitIndex(this.rule, key);
      this.cache.set(key, index);
    }
    return index;
  }
}

/**
 * Independence check of a split: for each kind of key, which keys appear in more than one split.
 * The rule's own key must never be shared; sharing of the others is reported as information
 * (a vehicle may well drive in two cells).
 */
export function sharedKeys(
  assignments: Iterable<{
    readonly split: string;
    readonly recordingId: string;
    readonly vehicle: string | null;
    readonly cell: string;
  }>,
): Record<'recording' | 'vehicle' | 'cell', string[]> {
  const seen = {
    recording: new Map<string, Set<string>>(),
    vehicle: new Map<string, Set<string>>(),
    cell: new Map<string, Set<string>>(),
  };
  for (const a of assignments) {
    const add = (map: Map<string, Set<string>>, key: string): void => {
      const splits = map.get(key) ?? new Set<string>();
      splits.add(a.split);
      map.set(key, splits);
    };
    add(seen.recording, a.recordingId);
    if (a.vehicle !== null) add(seen.vehicle, a.vehicle);
    add(seen.cell, a.cell);
  }
  const shared = (map: Map<string, Set<string>>): string[] =>
    [...map]
      .filter(([, splits]) => splits.size > 1)
      .map(([key]) => key)
      .sort();
  return {
    recording: shared(seen.recording),
    vehicle: shared(seen.vehicle),
    cell: shared(seen.cell),
  };
}
