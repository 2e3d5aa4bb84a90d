import { EventEmitter } from 'node:events';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import type { Kysely, Transaction } from 'kysely';
import {
  appendAudit,
  Conflict,
  decodeCursor,
  Forbidden,
  holdsRoleInTeam,
  InvalidInput,
  newId,
  NotFound,
  pageSize,
  teamIdsOf,
  toPage,
  Unsupported,
  validateKey,
  type Logger,
  type ObjectStore,
  type Page,
  type PlatformTables,
  type Principal,
  type Store,
} from '../platform/index.js';
import { applyDecisions, scheduleCycle } from './admission/engine.js';
import { explain as explainWorkload, type Explanation } from './admission/explain.js';
import { ClusterState, compileTopology, type CompiledTopology } from './admission/state.js';
import type { Admission, PendingReason, WorkloadRequest } from './admission/types.js';
import { configToTopology, type ComputeConfig } from './config.js';
import {
  costReport,
  jobCost,
  recommendations,
  type CostedJob,
  type CostReport,
  type GroupBy,
  type IdleSplit,
  type Recommendation,
} from './cost/cost.js';
import type {
  Executor,
  ExecutorHost,
  ExecutorUpdate,
  MetricPoint,
  RunRequest,
} from './executors/executor.js';
import { jobWorkload, validateJobSpec, type JobSpec } from './job.js';
import { withAutoTeams } from './jobs/local-config.js';
import type { ComputeJobsTable, ComputeTables } from './jobs/tables.js';
import {
  costAttempt,
  terminalStates,
  toArtifact,
  toAttempt,
  toEvent,
  toJob,
  type Job,
  type JobDetail,
} from './jobs/view.js';
import type { JobState } from './kubernetes/status.js';

/**
 * Training jobs end to end: submission, the admission loop (the pure engine, woken by submits
 * and completions and by a periodic tick), state changes with a timestamp each (audited, in the
 * same transaction), logs, metrics, artifacts and cost. The executor behind it runs the jobs.
 */

/**
 * Writes a job's input dataset versions (manifest and exported messages) into a directory, as
 * the job's team may read them.
 */
export interface InputMaterializer {
  materialize(
    input: { dataset: string; version: string },
    dir: string,
    job: { team: string },
  ): Promise<unknown>;
}

export interface ComputeServiceOptions {
  readonly store: Store;
  readonly objects: ObjectStore;
  readonly log: Logger;
  readonly config: ComputeConfig;
  /** Give platform teams the configuration does not list a quota of every flavor. */
  readonly autoTeams: boolean;
  /** Which executor jobs are submitted to; stored with each job. */
  readonly executorName: 'local' | 'kubernetes';
  readonly materializer?: InputMaterializer;
  /** Period of the admission tick (submits and completions also wake it). */
  readonly tickMs?: number;
}

/**
 * The states of the jobs an executor holds: those it runs, and on a cluster executor also those
 * waiting in the cluster's own queue.
 */
function executorStates(executor: Executor): string[] {
  return [
    'admitted',
    'running',
    ...(executor.admission === 'cluster' ? ['pending', 'preempted'] : []),
  ];
}

/** A piece of a job's log as followers receive it. */
export interface LogEvent {
  readonly jobId: string;
  readonly attempt: number;
  readonly seq: number;
  readonly data: Uint8Array;
  readonly truncated: boolean;
}

export interface JobListQuery {
  readonly limit?: number;
  readonly cursor?: string;
  readonly team?: string;
  readonly state?: JobState;
}

export interface MetricSeries {
  readonly name: string;
  readonly points: readonly { attempt: number; step: number; value: number; at: string }[];
}

export interface CostSeries {
  readonly currency: string;
  readonly by: GroupBy;
  readonly buckets: readonly { from: string; to: string; rows: CostReport['rows'] }[];
}

type Db = Kysely<PlatformTables & ComputeTables>;
type Trx = Transaction<PlatformTables>;

const maxArtifacts = 1000;
const maxMetricsPerAttempt = 100_000;

export class ComputeService implements ExecutorHost {
  /** Log pieces as they are stored, for live followers. */
  readonly logEvents = new EventEmitter<{ chunk: [LogEvent] }>();
  /** Job ids whose state changed, for live followers in this process. */
  readonly changes = new EventEmitter<{ change: [jobId: string] }>();
  private readonly db: Db;
  private executor: Executor | undefined;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> = Promise.resolve();
  private woken = false;
  /** Attempts this process has asked its executor to stop as cancelled, as `job:attempt`. */
  private readonly stopsSent = new Set<string>();
  private closed = false;
  private compiled: { config: ComputeConfig; topology: CompiledTopology } | undefined;
  private readonly metricCounts = new Map<string, number>();

  constructor(private readonly options: ComputeServiceOptions) {
    this.db = options.store.db.withTables<ComputeTables>();
    this.logEvents.setMaxListeners(0);
    this.changes.setMaxListeners(0);
  }

  /** The configuration in force: the file, plus automatic quotas for platform teams. */
  async config(): Promise<ComputeConfig> {
    if (!this.options.autoTeams) return this.options.config;
    const teams = await this.db.selectFrom('teams').select('name').execute();
    return withAutoTeams(
      this.options.config,
      teams.map((t) => t.name),
    );
  }

  /**
   * Starts running jobs in this process: recovers the attempts that were running when the
   * server stopped, then admits on every wake-up and tick.
   */
  async start(executor: Executor): Promise<void> {
    this.executor = executor;
    const active = await this.db
      .selectFrom('compute_jobs')
      .selectAll()
      .where('executor', '=', executor.name)
      .where('state', 'in', executorStates(executor))
      .execute();
    await executor.recover(active.map((row) => this.runOf(row)));
    await this.stopCancelled();
    this.timer = setInterval(() => this.tick(), this.options.tickMs ?? 2_000);
    this.wake();
  }

  private tick(): void {
    this.wake();
    this.running = this.running.then(async () => {
      if (this.closed) return;
      try {
        await this.stopCancelled();
      } catch (error) {
        this.options.log.error({ err: error }, 'stopping cancelled jobs failed');
      }
    });
  }

  /**
   * Stops the attempts whose cancellation another process asked for: the command line, or
   * another server on the same database, records the request but has no executor to stop them.
   */
  private async stopCancelled(): Promise<void> {
    const executor = this.executor;
    if (executor === undefined) return;
    const rows = await this.db
      .selectFrom('compute_jobs')
      .select(['id', 'attempt'])
      .where('executor', '=', executor.name)
      .where('state', 'in', executorStates(executor))
      .where('cancel_requested_at', 'is not', null)
      .execute();
    const requested = new Set(rows.map((row) => `${row.id}:${row.attempt}`));
    for (const key of this.stopsSent) if (!requested.has(key)) this.stopsSent.delete(key);
    for (const row of rows) {
      const key = `${row.id}:${row.attempt}`;
      if (this.stopsSent.has(key)) continue;
      this.stopsSent.add(key);
      await executor.stop(row.id, row.attempt, 'cancelled');
    }
  }

  private runOf(row: ComputeJobsTable): RunRequest {
    return {
      jobId: row.id,
      attempt: row.attempt,
      spec: JSON.parse(row.spec) as JobSpec,
      flavor: row.flavor,
    };
  }

  /** Asks for an admission cycle soon; cycles never overlap. */
  wake(): void {
    if (this.closed || this.executor?.admission !== 'engine' || this.woken) return;
    this.woken = true;
    this.running = this.running.then(async () => {
      this.woken = false;
      if (this.closed) return;
      try {
        await this.cycle();
      } catch (error) {
        this.options.log.error({ err: error }, 'admission cycle failed');
      }
    });
  }

  /** Resolves once the admission cycles asked for so far have run. */
  async settled(): Promise<void> {
    await this.running;
  }

  private topology(config: ComputeConfig): CompiledTopology {
    if (this.compiled?.config !== config) {
      if (
        this.compiled !== undefined &&
        JSON.stringify(this.compiled.config) === JSON.stringify(config)
      )
        this.compiled = { config, topology: this.compiled.topology };
      else this.compiled = { config, topology: compileTopology(configToTopology(config)) };
    }
    return this.compiled.topology;
  }

  /** The cluster as the engine sees it now: admitted jobs in its state, pending ones queued. */
  private async snapshot(): Promise<{
    config: ComputeConfig;
    state: ClusterState;
    pending: WorkloadRequest[];
    rows: Map<string, ComputeJobsTable>;
  }> {
    const config = await this.config();
    const state = new ClusterState(this.topology(config));
    const rows = await this.db
      .selectFrom('compute_jobs')
      .selectAll()
      .where('executor', '=', this.options.executorName)
      .where('state', 'in', ['pending', 'admitted', 'running'])
      .orderBy('id')
      .execute();
    const pending: WorkloadRequest[] = [];
    const byId = new Map<string, ComputeJobsTable>();
    for (const row of rows) {
      byId.set(row.id, row);
      const spec = JSON.parse(row.spec) as JobSpec;
      try {
        const workload = jobWorkload(row.id, spec, config, row.created_at);
        if (row.state === 'pending') {
          if (row.cancel_requested_at === null) pending.push(workload);
        } else if (row.admission !== null) {
          state.add({
            ...workload,
            admission: JSON.parse(row.admission) as Admission,
            admittedAt: row.admitted_at ?? row.created_at,
            expectedEndAt: (row.admitted_at ?? row.created_at) + spec.maxDurationSeconds * 1000,
          });
        }
      } catch (error) {
        this.options.log.warn(
          { err: error, jobId: row.id },
          'job no longer matches the compute configuration',
        );
      }
    }
    return { config, state, pending, rows: byId };
  }

  private async cycle(): Promise<void> {
    const { state, pending, rows, config } = await this.snapshot();
    if (pending.length === 0) return;
    const now = Date.now();
    const { decisions } = scheduleCycle(state, pending, { now });
    applyDecisions(state, pending, decisions, now);
    for (const d of decisions) {
      const row = rows.get(d.workloadId);
      if (row === undefined) continue;
      if (d.kind === 'admit') await this.admit(row, d.admission, config, now, d.borrowing);
      else if (d.kind === 'preempt') {
        for (const t of d.targets) {
          const target = rows.get(t.workloadId);
          if (target !== undefined) await this.preempt(target, row, t.reason);
        }
        await this.setPendingReason(row, {
          code: 'WaitingForPreemptedWorkloads',
          message: `waiting for ${d.targets.map((t) => t.workloadId).join(', ')} to stop`,
          attempts: [],
        });
      } else await this.setPendingReason(row, d.reason);
    }
  }

  private async admit(
    row: ComputeJobsTable,
    admission: Admission,
    config: ComputeConfig,
    now: number,
    borrowing: boolean,
  ): Promise<void> {
    const spec = JSON.parse(row.spec) as JobSpec;
    const resource = config.accelerators.find(
      (a) => a.name === spec.resources.accelerator,
    )?.resource;
    const flavor =
      admission.podSets[0]?.flavors[resource ?? ''] ??
      Object.values(admission.podSets[0]?.flavors ?? {})[0] ??
      '';
    const attempt = row.attempt + 1;
    const admitted = await this.options.store.transaction(async (trx) => {
      const t = trx.withTables<ComputeTables>();
      const result = await t
        .updateTable('compute_jobs')
        .set({
          attempt,
          admission: JSON.stringify(admission),
          flavor,
          pending_reason: null,
          preempt_requested_at: null,
        })
        .where('id', '=', row.id)
        .where('state', '=', 'pending')
        .where('attempt', '=', row.attempt)
        .where('cancel_requested_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await t
        .insertInto('compute_attempts')
        .values({
          job_id: row.id,
          attempt,
          flavor,
          accelerators: row.accelerators,
          admitted_at: now,
          started_at: null,
          ended_at: null,
          outcome: 'running',
          exit_code: null,
          message: null,
          log_bytes: 0,
          log_chunks: 0,
          log_truncated: 0,
        })
        .execute();
      await this.transition(
        trx,
        { ...row, attempt },
        'admitted',
        now,
        `admitted to ${flavor}${borrowing ? ' (borrowing from its cohort)' : ''}`,
        {
          flavor,
          borrowing,
        },
      );
      return true;
    });
    if (!admitted || this.executor === undefined) return;
    try {
      await this.executor.start({ jobId: row.id, attempt, spec, flavor });
    } catch (error) {
      await this.update({
        jobId: row.id,
        attempt,
        state: 'failed',
        at: Date.now(),
        message: `could not start: ${(error as Error).message}`,
      });
    }
  }

  private async preempt(
    target: ComputeJobsTable,
    by: ComputeJobsTable,
    reason: string,
  ): Promise<void> {
    const now = Date.now();
    const marked = await this.options.store.transaction(async (trx) => {
      const result = await trx
        .withTables<ComputeTables>()
        .updateTable('compute_jobs')
        .set({ preempt_requested_at: now, updated_at: now })
        .where('id', '=', target.id)
        .where('state', 'in', ['admitted', 'running'])
        .where('preempt_requested_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await appendAudit(
        trx,
        this.options.store.dialect,
        {
          actor: 'system',
          action: 'job.preempt',
          targetKind: 'job',
          targetId: target.id,
          details: { by: by.id, reason, attempt: target.attempt },
        },
        now,
      );
      return true;
    });
    if (marked || target.preempt_requested_at !== null)
      await this.executor?.stop(target.id, target.attempt, 'preempted');
  }

  private async setPendingReason(row: ComputeJobsTable, reason: PendingReason): Promise<void> {
    const text = JSON.stringify({ code: reason.code, message: reason.message });
    if (row.pending_reason === text) return;
    await this.db
      .updateTable('compute_jobs')
      .set({ pending_reason: text })
      .where('id', '=', row.id)
      .where('state', '=', 'pending')
      .execute();
  }

  /** Moves a job to `to` at `at`: its timestamp, the timeline and the audit log, in `trx`. */
  private async transition(
    trx: Trx,
    row: ComputeJobsTable,
    to: JobState,
    at: number,
    message: string | null,
    details: Record<string, unknown> = {},
    actor = 'system',
  ): Promise<void> {
    const t = trx.withTables<ComputeTables>();
    await t
      .updateTable('compute_jobs')
      .set({
        state: to,
        [`${to}_at`]: at,
        ...(terminalStates.has(to) ? { finished_at: at } : {}),
        message,
        updated_at: Date.now(),
      })
      .where('id', '=', row.id)
      .execute();
    await t
      .insertInto('compute_job_events')
      .values({
        id: newId('jev'),
        job_id: row.id,
        at,
        attempt: row.attempt,
        from_state: row.state,
        to_state: to,
        message,
      })
      .execute();
    await appendAudit(trx, this.options.store.dialect, {
      actor,
      action: `job.${to}`,
      targetKind: 'job',
      targetId: row.id,
      before: { state: row.state },
      after: { state: to },
      details: { at, attempt: row.attempt, ...(message === null ? {} : { message }), ...details },
    });
    this.changes.emit('change', row.id);
  }

  /** Records what an executor saw: a job or attempt entered a state. */
  async update(update: ExecutorUpdate): Promise<void> {
    const cluster = this.executor?.admission === 'cluster';
    await this.options.store.transaction(async (trx) => {
      const t = trx.withTables<ComputeTables>();
      const row = await t
        .selectFrom('compute_jobs')
        .selectAll()
        .where('id', '=', update.jobId)
        .executeTakeFirst();
      if (row === undefined || terminalStates.has(row.state)) return;
      const spec = JSON.parse(row.spec) as JobSpec;
      // Clusters report whole seconds: a state is never entered before the one it follows.
      const u = { ...update, at: Math.max(update.at, lastTransition(row)) };
      if (u.state === 'admitted') {
        if (!cluster || (row.state !== 'pending' && row.state !== 'preempted')) return;
        const attempt = row.attempt + 1;
        await t
          .updateTable('compute_jobs')
          .set({ attempt, flavor: u.flavor ?? null, pending_reason: null })
          .where('id', '=', row.id)
          .execute();
        await t
          .insertInto('compute_attempts')
          .values({
            job_id: row.id,
            attempt,
            flavor: u.flavor ?? '',
            accelerators: row.accelerators,
            admitted_at: u.at,
            started_at: null,
            ended_at: null,
            outcome: 'running',
            exit_code: null,
            message: null,
            log_bytes: 0,
            log_chunks: 0,
            log_truncated: 0,
          })
          .execute();
        await this.transition(
          trx,
          { ...row, attempt },
          'admitted',
          u.at,
          `admitted to ${u.flavor ?? '?'} by Kueue`,
        );
        return;
      }
      if (u.state === 'pending') {
        if (row.state === 'preempted')
          await this.transition(trx, row, 'pending', u.at, u.message ?? 'requeued');
        else if (row.state === 'pending' && u.message !== undefined)
          await t
            .updateTable('compute_jobs')
            .set({ pending_reason: JSON.stringify({ code: 'Pending', message: u.message }) })
            .where('id', '=', row.id)
            .execute();
        return;
      }
      const attempt = cluster ? row.attempt : u.attempt;
      if (attempt !== row.attempt || attempt === 0) return;
      if (u.state === 'running') {
        if (row.state !== 'admitted') return;
        await t
          .updateTable('compute_attempts')
          .set({ started_at: u.at })
          .where('job_id', '=', row.id)
          .where('attempt', '=', attempt)
          .execute();
        await this.transition(trx, row, 'running', u.at, null);
        return;
      }
      if (row.state !== 'admitted' && row.state !== 'running') return;
      await t
        .updateTable('compute_attempts')
        .set({
          ended_at: u.at,
          outcome: u.state,
          exit_code: u.exitCode ?? null,
          message: u.message ?? null,
        })
        .where('job_id', '=', row.id)
        .where('attempt', '=', attempt)
        .execute();
      const cancelled = row.cancel_requested_at !== null;
      if (u.state === 'succeeded') {
        await this.transition(trx, row, 'succeeded', u.at, u.message ?? null);
      } else if (u.state === 'cancelled' || cancelled) {
        await this.transition(trx, row, 'cancelled', u.at, u.message ?? 'cancelled');
      } else if (u.state === 'preempted') {
        await this.transition(trx, row, 'preempted', u.at, u.message ?? 'preempted');
        if (!cluster) {
          await this.requeue(
            trx,
            { ...row, state: 'preempted' },
            u.at,
            'requeued after preemption',
          );
        }
      } else {
        const failures = row.failures + 1;
        await t.updateTable('compute_jobs').set({ failures }).where('id', '=', row.id).execute();
        if (!cluster && failures <= spec.retries) {
          await this.requeue(
            trx,
            row,
            u.at,
            `attempt ${attempt} failed (${u.message ?? 'failed'}); retry ${failures} of ${spec.retries}`,
          );
        } else await this.transition(trx, row, 'failed', u.at, u.message ?? 'failed');
      }
    });
    this.wake();
  }

  private async requeue(
    trx: Trx,
    row: ComputeJobsTable,
    at: number,
    message: string,
  ): Promise<void> {
    await trx
      .withTables<ComputeTables>()
      .updateTable('compute_jobs')
      .set({ admission: null, flavor: null, preempt_requested_at: null })
      .where('id', '=', row.id)
      .execute();
    await this.transition(trx, row, 'pending', at, message);
  }

  /** Validates and stores a job; the admission loop takes it from there. */
  async submit(actor: Principal, input: unknown): Promise<Job> {
    const config = await this.config();
    const spec = validateJobSpec(input, config);
    const team = await this.db
      .selectFrom('teams')
      .select(['id', 'name'])
      .where('name', '=', spec.team)
      .executeTakeFirst();
    if (
      !actor.platformAdmin &&
      (team === undefined || !holdsRoleInTeam(actor, team.id, 'engineer'))
    ) {
      throw new Forbidden(`submitting a job for team ${spec.team} needs the engineer role in it`, {
        role: 'engineer',
      });
    }
    const now = Date.now();
    const row: ComputeJobsTable = {
      id: newId('job'),
      name: spec.name,
      team: spec.team,
      team_id: team?.id ?? null,
      project: spec.project ?? null,
      spec: JSON.stringify(spec),
      executor: this.options.executorName,
      state: 'pending',
      priority: spec.priorityValue,
      accelerators: spec.resources.count * spec.resources.replicas,
      checkpointing: spec.checkpointing ? 1 : 0,
      attempt: 0,
      failures: 0,
      flavor: null,
      admission: null,
      pending_reason: null,
      message: null,
      cancel_requested_at: null,
      preempt_requested_at: null,
      created_by: actor.ref,
      created_at: now,
      pending_at: now,
      admitted_at: null,
      running_at: null,
      succeeded_at: null,
      failed_at: null,
      preempted_at: null,
      cancelled_at: null,
      finished_at: null,
      updated_at: now,
    };
    await this.options.store.transaction(async (trx) => {
      const t = trx.withTables<ComputeTables>();
      await t.insertInto('compute_jobs').values(row).execute();
      await t
        .insertInto('compute_job_events')
        .values({
          id: newId('jev'),
          job_id: row.id,
          at: now,
          attempt: 0,
          from_state: null,
          to_state: 'pending',
          message: 'submitted',
        })
        .execute();
      await appendAudit(
        trx,
        this.options.store.dialect,
        {
          actor: actor.ref,
          action: 'job.submit',
          targetKind: 'job',
          targetId: row.id,
          after: spec,
          details: { team: spec.team, name: spec.name },
        },
        now,
      );
    });
    if (this.executor?.admission === 'cluster') {
      await this.executor.start({ jobId: row.id, attempt: 0, spec, flavor: null });
    }
    this.wake();
    return this.toJob(row, config);
  }

  private async mustGet(id: string): Promise<ComputeJobsTable> {
    const row = await this.db
      .selectFrom('compute_jobs')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('job', id);
    return row;
  }

  /** Throws unless the principal may see the job (its team's members, platform admins). */
  private visible(principal: Principal | undefined, row: ComputeJobsTable): void {
    if (principal === undefined || principal.platformAdmin || row.created_by === principal.ref)
      return;
    if (row.team_id !== null && holdsRoleInTeam(principal, row.team_id, 'viewer')) return;
    throw new Forbidden(`you cannot see job ${row.id}`);
  }

  private async toJob(row: ComputeJobsTable, config?: ComputeConfig): Promise<Job> {
    const cfg = config ?? (await this.config());
    const attempts = await this.db
      .selectFrom('compute_attempts')
      .selectAll()
      .where('job_id', '=', row.id)
      .execute();
    return toJob(row, this.costOf(row, attempts.map(costAttempt), cfg));
  }

  private costOf(row: ComputeJobsTable, attempts: CostedJob['attempts'], config: ComputeConfig) {
    try {
      const c = jobCost({ id: row.id, team: row.team, attempts }, config, Date.now() / 1000);
      return { cost: c.cost, currency: c.currency, acceleratorHours: c.acceleratorHours };
    } catch {
      // a flavor that left the configuration has no price any more
      return { cost: 0, currency: config.currency, acceleratorHours: 0 };
    }
  }

  /** A job with its attempts, timeline and artifacts. */
  async get(id: string, principal?: Principal): Promise<JobDetail> {
    const row = await this.mustGet(id);
    this.visible(principal, row);
    const config = await this.config();
    const attempts = await this.db
      .selectFrom('compute_attempts')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('attempt')
      .execute();
    const events = await this.db
      .selectFrom('compute_job_events')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('id')
      .execute();
    const artifacts = await this.db
      .selectFrom('compute_artifacts')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('attempt')
      .orderBy('path')
      .execute();
    const job = toJob(row, this.costOf(row, attempts.map(costAttempt), config));
    return {
      ...job,
      spec: JSON.parse(row.spec) as JobSpec,
      attempts: attempts.map((a) => toAttempt(a, this.costOf(row, [costAttempt(a)], config).cost)),
      events: events.map(toEvent),
      artifacts: artifacts.map(toArtifact),
    };
  }

  /** Jobs newest first; members see their teams' jobs, platform admins all. */
  async list(query: JobListQuery, principal?: Principal): Promise<Page<Job>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('compute_jobs')
      .selectAll()
      .orderBy('id', 'desc')
      .limit(limit + 1);
    if (principal !== undefined && !principal.platformAdmin) {
      const teams = teamIdsOf(principal);
      select = select.where((eb) =>
        eb.or([
          eb('created_by', '=', principal.ref),
          ...(teams.length > 0 ? [eb('team_id', 'in', teams)] : []),
        ]),
      );
    }
    if (query.team !== undefined) select = select.where('team', '=', query.team);
    if (query.state !== undefined) select = select.where('state', '=', query.state);
    if (query.cursor !== undefined)
      select = select.where('id', '<', String(decodeCursor(query.cursor, 1)[0]));
    const rows = await select.execute();
    const config = await this.config();
    const ids = rows.map((r) => r.id);
    const attempts =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('compute_attempts')
            .selectAll()
            .where('job_id', 'in', ids)
            .execute();
    const byJob = new Map<string, typeof attempts>();
    for (const a of attempts) byJob.set(a.job_id, [...(byJob.get(a.job_id) ?? []), a]);
    return toPage(
      rows,
      limit,
      (r) => [r.id],
      (r) => toJob(r, this.costOf(r, (byJob.get(r.id) ?? []).map(costAttempt), config)),
    );
  }

  /** Cancels a job: at once when it waits, by stopping its attempt when it runs. */
  async cancel(actor: Principal, id: string): Promise<Job> {
    const row = await this.mustGet(id);
    this.visible(actor, row);
    if (
      !actor.platformAdmin &&
      row.created_by !== actor.ref &&
      (row.team_id === null || !holdsRoleInTeam(actor, row.team_id, 'engineer'))
    ) {
      throw new Forbidden("cancelling needs the engineer role in the job's team", {
        role: 'engineer',
      });
    }
    if (terminalStates.has(row.state))
      throw new Conflict(`job ${id} is already ${row.state}`, { state: row.state });
    const now = Date.now();
    const stopNeeded = await this.options.store.transaction(async (trx) => {
      const t = trx.withTables<ComputeTables>();
      const current = await t
        .selectFrom('compute_jobs')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      if (terminalStates.has(current.state))
        throw new Conflict(`job ${id} is already ${current.state}`, { state: current.state });
      await t
        .updateTable('compute_jobs')
        .set({ cancel_requested_at: current.cancel_requested_at ?? now })
        .where('id', '=', id)
        .execute();
      await appendAudit(
        trx,
        this.options.store.dialect,
        {
          actor: actor.ref,
          action: 'job.cancel-request',
          targetKind: 'job',
          targetId: id,
          details: { state: current.state },
        },
        now,
      );
      const waiting =
        current.state === 'pending' ||
        (current.state === 'preempted' && this.executor?.admission !== 'cluster');
      if (waiting && this.executor?.admission !== 'cluster') {
        await this.transition(
          trx,
          current,
          'cancelled',
          now,
          `cancelled by ${actor.name}`,
          {},
          actor.ref,
        );
        return false;
      }
      return true;
    });
    if (stopNeeded && this.executor !== undefined) {
      this.stopsSent.add(`${id}:${row.attempt}`);
      await this.executor.stop(id, row.attempt, 'cancelled');
    }
    return this.toJob(await this.mustGet(id));
  }

  /** Why a pending job waits: its quota, what it would borrow, its position, what must end. */
  async explain(
    id: string,
    principal?: Principal,
  ): Promise<Explanation & { readonly state: JobState }> {
    const row = await this.mustGet(id);
    this.visible(principal, row);
    if (row.state !== 'pending')
      throw new Conflict(`job ${id} is ${row.state}; only a pending job waits for admission`, {
        state: row.state,
      });
    const { state, pending } = await this.snapshot();
    return { state: 'pending', ...explainWorkload(state, pending, id, { now: Date.now() }) };
  }

  // ---- logs, metrics, artifacts (the executor host) ----

  private logKey(jobId: string, attempt: number, seq: number): string {
    return `compute/jobs/${jobId}/attempts/${attempt}/log/${String(seq).padStart(8, '0')}`;
  }

  async logPosition(jobId: string, attempt: number) {
    const row = await this.db
      .selectFrom('compute_attempts')
      .select(['log_bytes', 'log_chunks', 'log_truncated'])
      .where('job_id', '=', jobId)
      .where('attempt', '=', attempt)
      .executeTakeFirst();
    return {
      bytes: row?.log_bytes ?? 0,
      chunks: row?.log_chunks ?? 0,
      truncated: row?.log_truncated === 1,
    };
  }

  async appendLog(
    jobId: string,
    attempt: number,
    chunk: { data: Uint8Array; consumed: number; truncated: boolean },
  ): Promise<void> {
    const { chunks } = await this.logPosition(jobId, attempt);
    const key = this.logKey(jobId, attempt, chunks);
    await this.options.objects.put(key, chunk.data, { contentType: 'text/plain' });
    await this.options.store.transaction(async (trx) => {
      const t = trx.withTables<ComputeTables>();
      await t
        .insertInto('compute_log_chunks')
        .values({
          job_id: jobId,
          attempt,
          seq: chunks,
          start_offset: chunk.consumed - chunk.data.byteLength,
          bytes: chunk.data.byteLength,
          object_key: key,
        })
        .execute();
      await t
        .updateTable('compute_attempts')
        .set({
          log_bytes: chunk.consumed,
          log_chunks: chunks + 1,
          ...(chunk.truncated ? { log_truncated: 1 } : {}),
        })
        .where('job_id', '=', jobId)
        .where('attempt', '=', attempt)
        .execute();
    });
    this.logEvents.emit('chunk', {
      jobId,
      attempt,
      seq: chunks,
      data: chunk.data,
      truncated: chunk.truncated,
    });
  }

  async recordMetrics(
    jobId: string,
    attempt: number,
    points: readonly MetricPoint[],
  ): Promise<void> {
    const key = `${jobId}/${attempt}`;
    let count = this.metricCounts.get(key);
    if (count === undefined) {
      const row = await this.db
        .selectFrom('compute_metrics')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('job_id', '=', jobId)
        .where('attempt', '=', attempt)
        .executeTakeFirst();
      count = Number(row?.n ?? 0);
    }
    const room = Math.max(0, maxMetricsPerAttempt - count);
    const kept = points.slice(0, room);
    this.metricCounts.set(key, count + kept.length);
    if (kept.length === 0) return;
    await this.db
      .insertInto('compute_metrics')
      .values(
        kept.map((p) => ({
          job_id: jobId,
          attempt,
          name: p.name,
          step: p.step,
          value: p.value,
          at: p.at,
        })),
      )
      .execute();
  }

  async storeArtifacts(jobId: string, attempt: number, dir: string): Promise<void> {
    const found: string[] = [];
    const walk = async (at: string, depth: number): Promise<void> => {
      if (depth > 16 || found.length >= maxArtifacts) return;
      let entries;
      try {
        entries = await readdir(at, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const path = join(at, entry.name);
        if (entry.isDirectory()) await walk(path, depth + 1);
        else if (entry.isFile() && found.length < maxArtifacts) found.push(path);
      }
    };
    await walk(dir, 0);
    for (const path of found) {
      const rel = relative(dir, path).split(sep).join('/');
      const key = `compute/jobs/${jobId}/attempts/${attempt}/artifacts/${rel}`;
      try {
        validateKey(key);
      } catch (error) {
        this.options.log.warn(
          { err: error, jobId, path: rel },
          'artifact name is not storable; skipped',
        );
        continue;
      }
      const { size } = await stat(path);
      const info = await this.options.objects.put(key, createReadStream(path));
      await this.db
        .deleteFrom('compute_artifacts')
        .where('job_id', '=', jobId)
        .where('attempt', '=', attempt)
        .where('path', '=', rel)
        .execute();
      await this.db
        .insertInto('compute_artifacts')
        .values({
          job_id: jobId,
          attempt,
          path: rel,
          object_key: key,
          size: info.size ?? size,
          sha256: info.sha256,
          created_at: Date.now(),
        })
        .execute();
    }
  }

  async materializeInputs(spec: JobSpec, dir: string): Promise<void> {
    const materializer = this.options.materializer;
    if (materializer === undefined) {
      throw new Unsupported(
        'this platform has no dataset export to give jobs their inputs; submit the job without inputs',
      );
    }
    for (const [i, input] of spec.inputs.entries()) {
      await materializer.materialize(input, join(dir, String(i)), { team: spec.team });
    }
  }

  /** The stored log of an attempt (the latest by default), piece by piece. */
  async *readLog(
    id: string,
    options: { attempt?: number; fromSeq?: number; principal?: Principal } = {},
  ): AsyncGenerator<{ seq: number; data: Uint8Array }> {
    const row = await this.mustGet(id);
    this.visible(options.principal, row);
    const attempt = options.attempt ?? row.attempt;
    const chunks = await this.db
      .selectFrom('compute_log_chunks')
      .select(['seq', 'object_key'])
      .where('job_id', '=', id)
      .where('attempt', '=', attempt)
      .where('seq', '>=', options.fromSeq ?? 0)
      .orderBy('seq')
      .execute();
    for (const c of chunks) {
      const parts: Uint8Array[] = [];
      for await (const part of await this.options.objects.get(c.object_key)) parts.push(part);
      yield { seq: c.seq, data: Buffer.concat(parts) };
    }
  }

  /** Whether a job's attempt can still write to its log. */
  async logOpen(id: string, attempt: number): Promise<boolean> {
    const row = await this.mustGet(id);
    if (row.attempt !== attempt) return false;
    const a = await this.db
      .selectFrom('compute_attempts')
      .select('ended_at')
      .where('job_id', '=', id)
      .where('attempt', '=', attempt)
      .executeTakeFirst();
    return a !== undefined && a.ended_at === null;
  }

  /** Metric series of a job, per name, ordered by attempt and step. */
  async metrics(id: string, principal?: Principal): Promise<MetricSeries[]> {
    const row = await this.mustGet(id);
    this.visible(principal, row);
    const points = await this.db
      .selectFrom('compute_metrics')
      .selectAll()
      .where('job_id', '=', id)
      .orderBy('name')
      .orderBy('attempt')
      .orderBy('step')
      .execute();
    const series = new Map<string, MetricSeries['points'][number][]>();
    for (const p of points) {
      const list = series.get(p.name) ?? [];
      list.push({
        attempt: p.attempt,
        step: p.step,
        value: p.value,
        at: new Date(p.at).toISOString(),
      });
      series.set(p.name, list);
    }
    return [...series].map(([name, pts]) => ({ name, points: pts }));
  }

  /** Streams one artifact of a job. */
  async artifact(
    id: string,
    attempt: number,
    path: string,
    principal?: Principal,
  ): Promise<{ size: number; body: AsyncIterable<Uint8Array> }> {
    const row = await this.mustGet(id);
    this.visible(principal, row);
    const artifact = await this.db
      .selectFrom('compute_artifacts')
      .selectAll()
      .where('job_id', '=', id)
      .where('attempt', '=', attempt)
      .where('path', '=', path)
      .executeTakeFirst();
    if (artifact === undefined) throw new NotFound('artifact', `${id}/${attempt}/${path}`);
    return { size: artifact.size, body: await this.options.objects.get(artifact.object_key) };
  }

  // ---- cost ----

  private async costedJobs(from: number, to: number): Promise<CostedJob[]> {
    const rows = await this.db
      .selectFrom('compute_attempts')
      .innerJoin('compute_jobs', 'compute_jobs.id', 'compute_attempts.job_id')
      .select([
        'compute_jobs.id as id',
        'compute_jobs.team as team',
        'compute_jobs.project as project',
        'compute_jobs.checkpointing as checkpointing',
        'compute_attempts.attempt as attempt',
        'compute_attempts.flavor as flavor',
        'compute_attempts.accelerators as accelerators',
        'compute_attempts.admitted_at as admitted_at',
        'compute_attempts.ended_at as ended_at',
        'compute_attempts.outcome as outcome',
      ])
      .where('compute_attempts.admitted_at', '<', to * 1000)
      .where((eb) =>
        eb.or([
          eb('compute_attempts.ended_at', 'is', null),
          eb('compute_attempts.ended_at', '>', from * 1000),
        ]),
      )
      .execute();
    const config = await this.config();
    const jobs = new Map<string, CostedJob & { attempts: CostedJob['attempts'][number][] }>();
    for (const r of rows) {
      if (!config.flavors.some((f) => f.name === r.flavor)) continue;
      let job = jobs.get(r.id);
      if (job === undefined) {
        job = {
          id: r.id,
          team: r.team,
          ...(r.project === null ? {} : { project: r.project }),
          checkpointing: r.checkpointing === 1,
          attempts: [],
        };
        jobs.set(r.id, job);
      }
      job.attempts.push({
        flavor: r.flavor,
        startedAt: r.admitted_at / 1000,
        ...(r.ended_at === null ? {} : { endedAt: r.ended_at / 1000 }),
        accelerators: r.accelerators,
        outcome: r.outcome as CostedJob['attempts'][number]['outcome'],
      });
    }
    return [...jobs.values()];
  }

  /** Cost per team, project or flavor over [from, to) (epoch seconds), idle cost split as asked. */
  async costReport(options: {
    from: number;
    to: number;
    by: GroupBy;
    idleSplit?: IdleSplit;
  }): Promise<CostReport> {
    checkPeriod(options.from, options.to);
    return costReport(
      await this.costedJobs(options.from, options.to),
      await this.config(),
      options,
    );
  }

  /** The same report per bucket of `bucketSeconds`, for plots over time (at most 400 buckets). */
  async costSeries(options: {
    from: number;
    to: number;
    by: GroupBy;
    bucketSeconds: number;
  }): Promise<CostSeries> {
    checkPeriod(options.from, options.to);
    const count = Math.ceil((options.to - options.from) / options.bucketSeconds);
    if (!(options.bucketSeconds > 0) || count > 400)
      throw new InvalidInput(
        'bucket: at most 400 buckets per period; choose a longer bucket',
        'bucket',
      );
    const jobs = await this.costedJobs(options.from, options.to);
    const config = await this.config();
    const buckets: CostSeries['buckets'][number][] = [];
    for (let i = 0; i < count; i++) {
      const from = options.from + i * options.bucketSeconds;
      const to = Math.min(options.to, from + options.bucketSeconds);
      const report = costReport(jobs, config, { from, to, by: options.by, idleSplit: 'separate' });
      buckets.push({
        from: new Date(from * 1000).toISOString(),
        to: new Date(to * 1000).toISOString(),
        rows: report.rows,
      });
    }
    return { currency: config.currency, by: options.by, buckets };
  }

  /** Savings to consider over [from, to): spot for checkpointing jobs, unused quota, idle flavors. */
  async recommendations(options: { from: number; to: number }): Promise<Recommendation[]> {
    checkPeriod(options.from, options.to);
    return recommendations(
      await this.costedJobs(options.from, options.to),
      await this.config(),
      options,
    );
  }

  /** Stops admitting and following jobs in this process; running attempts keep running. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    await this.running;
    await this.executor?.close();
  }
}

function lastTransition(row: ComputeJobsTable): number {
  return Math.max(
    row.created_at,
    ...[row.pending_at, row.admitted_at, row.running_at, row.preempted_at].map((t) => t ?? 0),
  );
}

function checkPeriod(from: number, to: number): void {
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw new InvalidInput('from and to must be times', 'from');
  if (!(to > from))
    throw new InvalidInput('the period must end after it starts (to after from)', 'to');
  if (to - from > 5 * 366 * 86400)
    throw new InvalidInput('the period may span at most five years', 'to');
}
