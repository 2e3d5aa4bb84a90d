import type { JobState } from '../../api/index.js';
import { Badge, type Tone } from '../../ui/index.js';

const toneOf: Record<JobState, Tone> = {
  pending: 'neutral',
  admitted: 'info',
  running: 'info',
  succeeded: 'success',
  failed: 'danger',
  preempted: 'warning',
  cancelled: 'warning',
};

/** A job's state as a coloured badge. */
export function StateBadge({ state }: { readonly state: JobState }) {
  return <Badge tone={toneOf[state]}>{state}</Badge>;
}

/** Amounts of a resource as people read them: cores and devices whole, memory in GiB. */
export function formatAmount(amount: number, resource: string): string {
  if (resource === 'memory') return `${(amount / 2 ** 30).toFixed(1)} GiB`;
  const units = amount / 1000;
  return Number.isInteger(units) ? String(units) : units.toFixed(2);
}

/** Money with the configuration's currency. */
export function formatMoney(value: number, currency: string): string {
  return `${value.toFixed(2)} ${currency}`;
}
