import type { Attempt } from '../cost/cost.js';
import { isObject, type Doc } from '../validate-input.js';

/**
 * Follows a job on Kubernetes from watch events of its batch/v1 Job and its Kueue Workload:
 * a pure reducer from (state, event) to the next state. Terminal states absorb later events,
 * and every admission opens an attempt that preemption or the end of the job closes.
 */

export type JobState =
  'pending' | 'admitted' | 'running' | 'succeeded' | 'failed' | 'preempted' | 'cancelled';

export interface JobStatus {
  readonly state: JobState;
  /** Epoch seconds at which each state was last entered. */
  readonly at: Partial<Record<JobState, number>>;
  readonly flavor?: string;
  readonly attempts: readonly Attempt[];
  readonly message?: string;
}

export interface WatchEvent {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED';
  readonly object: unknown;
}

const terminal = new Set<JobState>(['succeeded', 'failed', 'cancelled']);

/** The status of a job just submitted. */
export function initialStatus(createdAt: number): JobStatus {
  return { state: 'pending', at: { pending: createdAt }, attempts: [] };
}

function time(value: unknown, fallback: number): number {
  if (typeof value !== 'string') return fallback;
  const t = Date.parse(value);
  return Number.isNaN(t) ? fallback : t / 1000;
}

function condition(object: Doc, type: string): Doc | undefined {
  const status = isObject(object.status) ? object.status : {};
  const list = Array.isArray(status.conditions) ? status.conditions : [];
  return list.find((c): c is Doc => isObject(c) && c.type === type && c.status === 'True');
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function enter(
  s: JobStatus,
  state: JobState,
  at: number,
  extra: Partial<JobStatus> = {},
): JobStatus {
  if (s.state === state && extra.attempts === undefined) return s;
  return { ...s, ...extra, state, at: { ...s.at, [state]: at } };
}

function closeAttempt(s: JobStatus, at: number, outcome: Attempt['outcome']): Attempt[] {
  const attempts = [...s.attempts];
  const last = attempts[attempts.length - 1];
  if (last !== undefined && last.endedAt === undefined)
    attempts[attempts.length - 1] = { ...last, endedAt: at, outcome };
  return attempts;
}

/** Applies one watch event (of the job's Job or Workload) observed at `now` (epoch seconds). */
export function reduceJobStatus(
  s: JobStatus,
  event: WatchEvent,
  accelerators: number,
  now: number,
): JobStatus {
  if (terminal.has(s.state) || !isObject(event.object)) return s;
  const o = event.object;
  if (o.kind === 'Workload') {
    const preempted =
      condition(o, 'Preempted') ??
      (condition(o, 'Evicted')?.reason === 'Preempted' ? condition(o, 'Evicted') : undefined);
    if (preempted !== undefined && (s.state === 'admitted' || s.state === 'running')) {
      const at = time(preempted.lastTransitionTime, now);
      return enter(s, 'preempted', at, {
        attempts: closeAttempt(s, at, 'preempted'),
        message: text(preempted.message),
      });
    }
    const admitted = condition(o, 'Admitted') ?? condition(o, 'QuotaReserved');
    const open = s.attempts.length > 0 && s.attempts[s.attempts.length - 1]?.endedAt === undefined;
    if (admitted !== undefined && preempted === undefined && !open) {
      const at = time(admitted.lastTransitionTime, now);
      const status = isObject(o.status) ? o.status : {};
      const admission = isObject(status.admission) ? status.admission : {};
      const first =
        Array.isArray(admission.podSetAssignments) && isObject(admission.podSetAssignments[0])
          ? admission.podSetAssignments[0]
          : {};
      const flavors = isObject(first.flavors) ? Object.values(first.flavors) : [];
      const flavor = typeof flavors[0] === 'string' ? flavors[0] : (s.flavor ?? '');
      return enter(s, 'admitted', at, {
        flavor,
        attempts: [...s.attempts, { flavor, startedAt: at, accelerators, outcome: 'running' }],
      });
    }
    if (admitted === undefined && s.state !== 'preempted' && !open) {
      const pending =
        condition(o, 'QuotaReserved') === undefined && isObject(o.status)
          ? (o.status.conditions as Doc[] | undefined)?.find((c) => c.type === 'QuotaReserved')
          : undefined;
      if (pending !== undefined && typeof pending.message === 'string')
        return { ...s, message: pending.message };
    }
    return s;
  }
  if (o.kind === 'Job') {
    if (event.type === 'DELETED') {
      return enter(s, 'cancelled', now, { attempts: closeAttempt(s, now, 'cancelled') });
    }
    const status = isObject(o.status) ? o.status : {};
    const complete = condition(o, 'Complete');
    if (complete !== undefined) {
      const at = time(status.completionTime, time(complete.lastTransitionTime, now));
      return enter(s, 'succeeded', at, { attempts: closeAttempt(s, at, 'succeeded') });
    }
    const failed = condition(o, 'Failed');
    if (failed !== undefined) {
      const at = time(failed.lastTransitionTime, now);
      return enter(s, 'failed', at, {
        attempts: closeAttempt(s, at, 'failed'),
        message: text(failed.message ?? failed.reason),
      });
    }
    const spec = isObject(o.spec) ? o.spec : {};
    if (spec.suspend === true && s.state === 'preempted') return enter(s, 'pending', now);
    if (
      spec.suspend !== true &&
      typeof status.active === 'number' &&
      status.active > 0 &&
      s.state === 'admitted'
    ) {
      return enter(s, 'running', time(status.startTime, now));
    }
  }
  return s;
}
