// Reference copy of src/compute/admission/drs.ts as it was before the optimisations of ADR 052, kept unchanged so
// property tests can check that the optimised engine decides exactly the same. Tests only.
import type { ClusterState, QuotaNode } from './state.js';

/**
 * Dominant resource share, as Kueue's fair sharing defines it: for the resource a node
 * borrows most of (relative to what its cohort could lend it), borrowed × 1000 ÷ lendable,
 * divided by the node's fair-sharing weight. Zero while a node stays within its quota.
 */
export interface Drs {
  readonly weight: number;
  readonly ratio: number;
  readonly borrowing: boolean;
}

export const negativeDrs: Drs = { weight: 1, ratio: -1, borrowing: false };

/** The DRS of `node` now, or as if `extra` (flavor-resource → amount) were added to it. */
export function dominantResourceShare(
  state: ClusterState,
  node: QuotaNode,
  resourceOf: readonly string[],
  extra?: ReadonlyMap<number, number>,
): Drs {
  if (node.parent === undefined) return { weight: node.weight, ratio: 0, borrowing: false };
  const usage = state.usage[node.index] as Float64Array;
  let borrowed: Map<string, number> | undefined;
  for (const fr of node.frs) {
    const amount = (extra?.get(fr) ?? 0) + (usage[fr] ?? 0) - (node.subtreeQuota[fr] ?? 0);
    if (amount > 0) {
      borrowed ??= new Map();
      const resource = resourceOf[fr] as string;
      borrowed.set(resource, (borrowed.get(resource) ?? 0) + amount);
    }
  }
  if (borrowed === undefined) return { weight: node.weight, ratio: 0, borrowing: false };
  let ratio = 0;
  for (const [resource, amount] of borrowed) {
    const lendable = node.lendable.get(resource) ?? 0;
    if (lendable > 0) ratio = Math.max(ratio, (amount * 1000) / lendable);
  }
  return { weight: node.weight, ratio, borrowing: true };
}

function zeroWeightBorrows(d: Drs): boolean {
  return d.weight === 0 && d.ratio !== 0;
}

/** The share weighed by the node's weight; infinite for a zero-weight node that borrows. */
export function weightedShare(d: Drs): number {
  if (d.ratio === 0) return 0;
  if (d.weight === 0) return Infinity;
  return d.ratio / d.weight;
}

/** Orders two shares: negative when `a` should be preferred for admission over `b`. */
export function compareDrs(a: Drs, b: Drs): number {
  const az = zeroWeightBorrows(a);
  const bz = zeroWeightBorrows(b);
  if (az && bz) return Math.sign(a.ratio - b.ratio);
  if (az) return 1;
  if (bz) return -1;
  const wa = weightedShare(a);
  const wb = weightedShare(b);
  return wa === wb ? 0 : wa < wb ? -1 : 1;
}
