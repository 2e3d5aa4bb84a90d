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

/** The DRS of `node` now. */
export function dominantResourceShare(state: ClusterState, node: QuotaNode): Drs {
  if (node.parent === undefined) return { weight: node.weight, ratio: 0, borrowing: false };
  const usage = state.usage[node.index] as Float64Array;
  const { frResourceIndex, resourceScratch: borrowed } = state.topology;
  let borrowing = false;
  for (const fr of node.frs) {
    const amount = (usage[fr] ?? 0) - (node.subtreeQuota[fr] ?? 0);
    if (amount > 0) {
      borrowing = true;
      const r = frResourceIndex[fr] as number;
      borrowed[r] = (borrowed[r] as number) + amount;
    }
  }
  if (!borrowing) return { weight: node.weight, ratio: 0, borrowing: false };
  let ratio = 0;
  for (const fr of node.frs) {
    const r = frResourceIndex[fr] as number;
    const amount = borrowed[r] as number;
    if (amount === 0) continue;
    borrowed[r] = 0;
    const lendable = node.lendableByResource[r] as number;
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
