import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { Internal, InvalidInput, NotFound } from '../errors.js';
import type { Logger } from '../logging.js';
import { decodeCursor, encodeCursor, pageSize, type Page } from '../pagination.js';
import type { Store } from '../store/store.js';
import type { PlatformTables } from '../store/tables.js';
import {
  runEvent,
  standardFacets,
  type Facets,
  type InputDataset,
  type OutputDataset,
  type RunEvent,
} from './events.js';
import type { LineageTables } from './tables.js';
import { structuralValidator, type EventValidator } from './validate.js';

/** Where events are forwarded: any OpenLineage HTTP endpoint (e.g. Marquez `/api/v1/lineage`). */
export interface ForwardOptions {
  readonly url: string;
  readonly apiKey?: string;
  readonly timeoutMs?: number;
  /** Attempts per event before it is left with its last error (10). */
  readonly maxAttempts?: number;
  /** First retry delay, doubled per attempt up to `maxBackoffMs` (1 s, 5 min). */
  readonly backoffMs?: number;
  readonly maxBackoffMs?: number;
  /** How often pending events are looked for (2 s). */
  readonly pollMs?: number;
}

export interface LineageOptions {
  /** Namespace of drivetrain's jobs and datasets (`drivetrain`). */
  readonly namespace?: string;
  readonly validate?: EventValidator;
  readonly forward?: ForwardOptions;
  readonly log?: Logger;
  readonly fetch?: typeof fetch;
}

/** Node kinds of the lineage graph. */
export type LineageNodeKind = 'dataset' | 'job';

export interface LineageNode {
  readonly id: string;
  readonly kind: LineageNodeKind;
  readonly namespace: string;
  readonly name: string;
  readonly lastRunId: string;
  readonly lastEventType: string;
  readonly updatedAt: string;
}

export interface LineageGraph {
  readonly root: string;
  readonly nodes: LineageNode[];
  readonly edges: {
    readonly source: string;
    readonly target: string;
    readonly runId: string;
  }[];
  /** True when the node limit cut the graph short of the requested depth. */
  readonly truncated: boolean;
}

/** A stored event with its place in the log and forwarding state. */
export interface StoredEvent {
  readonly seq: number;
  readonly event: RunEvent;
  readonly forwardedAt: string | null;
  readonly forwardError: string | null;
}

/** Reads forwarding settings from the environment (`DRIVETRAIN_LINEAGE_URL`, `…_API_KEY`). */
export function lineageConfigFromEnv(env: Readonly<Record<string, string | undefined>>): {
  namespace: string;
  forward?: ForwardOptions;
} {
  const namespace = env.DRIVETRAIN_LINEAGE_NAMESPACE ?? 'drivetrain';
  const url = env.DRIVETRAIN_LINEAGE_URL;
  if (url === undefined || url === '') return { namespace };
  if (!/^https?:\/\//.test(url)) {
    throw new InvalidInput(
      'DRIVETRAIN_LINEAGE_URL must be an http:// or https:// URL',
      'DRIVETRAIN_LINEAGE_URL',
    );
  }
  const apiKey = env.DRIVETRAIN_LINEAGE_API_KEY;
  return {
    namespace,
    forward: { url, ...(apiKey === undefined || apiKey === '' ? {} : { apiKey }) },
  };
}

/** A run id derived from stable parts (a task id and attempt), so a retried step names its run the same. */
export function runIdFor(...parts: readonly (string | number)[]): string {
  const hex = createHash('sha256').update(parts.join('\u0000')).digest('hex');
  // RFC 9562 version 8 (custom) with the RFC variant bits.
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export function nodeKey(kind: LineageNodeKind, namespace: string, name: string): string {
  return JSON.stringify([kind, namespace, name]);
}

const terminal = new Set(['COMPLETE', 'FAIL', 'ABORT']);
const maxGraphNodes = 500;

/**
 * One run of a job, for pipeline steps: `start`, then `complete` or `fail`. Events of a run
 * repeated by a retried step are stored once (same run id and event type).
 */
export class LineageRun {
  constructor(
    private readonly lineage: LineageService,
    readonly runId: string,
    private readonly job: RunEvent['job'],
    private readonly inputs: InputDataset[],
    private readonly runFacets: Facets,
  ) {}

  start(outputs: readonly OutputDataset[] = []): Promise<void> {
    return this.lineage.emit(
      runEvent({
        eventType: 'START',
        runId: this.runId,
        job: this.job,
        inputs: this.inputs,
        outputs,
        runFacets: this.runFacets,
      }),
    );
  }

  complete(result: {
    outputs: readonly OutputDataset[];
    inputs?: readonly InputDataset[];
    runFacets?: Facets;
  }): Promise<void> {
    return this.lineage.emit(
      runEvent({
        eventType: 'COMPLETE',
        runId: this.runId,
        job: this.job,
        inputs: result.inputs ?? this.inputs,
        outputs: result.outputs,
        runFacets: { ...this.runFacets, ...result.runFacets },
      }),
    );
  }

  fail(error: unknown): Promise<void> {
    const message = error instanceof Error ? error.message : String(error);
    return this.lineage.emit(
      runEvent({
        eventType: 'FAIL',
        runId: this.runId,
        job: this.job,
        inputs: this.inputs,
        runFacets: { ...this.runFacets, errorMessage: standardFacets.errorMessage(message) },
      }),
    );
  }
}

/**
 * The lineage emitter: stores OpenLineage run events (validated), keeps the graph of datasets
 * and jobs they describe, serves both, and forwards events to an OpenLineage endpoint in the
 * background with retries, so a slow or absent endpoint never holds up a pipeline.
 */
export class LineageService {
  readonly namespace: string;
  private readonly validate: EventValidator;
  private readonly forward: ForwardOptions | undefined;
  private readonly fetchImpl: typeof fetch;
  private timer: NodeJS.Timeout | undefined;
  private draining: Promise<void> | undefined;
  private stopped = false;
  private readonly owner = `${process.pid}:${Math.random().toString(36).slice(2)}`;

  constructor(
    private readonly store: Store,
    private readonly options: LineageOptions = {},
  ) {
    this.namespace = options.namespace ?? 'drivetrain';
    this.validate = options.validate ?? structuralValidator;
    this.forward = options.forward;
    this.fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  }

  private get db(): Kysely<PlatformTables & LineageTables> {
    return this.store.db.withTables<LineageTables>();
  }

  /** A dataset of drivetrain's namespace, e.g. `recordings/<id>` or `datasets/<version>`. */
  dataset(name: string, facets?: Facets): InputDataset & OutputDataset {
    return { namespace: this.namespace, name, ...(facets === undefined ? {} : { facets }) };
  }

  /** Prepares a run of a drivetrain job; call `start()` on it. */
  run(
    job: { name: string; jobType: string; description?: string },
    options: { runId: string; inputs?: readonly InputDataset[]; runFacets?: Facets },
  ): LineageRun {
    const jobFacets: Record<string, Facets[string]> = {
      jobType: standardFacets.jobType(job.jobType),
    };
    if (job.description !== undefined)
      jobFacets.documentation = standardFacets.documentation(job.description);
    return new LineageRun(
      this,
      options.runId,
      { namespace: this.namespace, name: job.name, facets: jobFacets },
      [...(options.inputs ?? [])],
      { processing_engine: standardFacets.processingEngine('0.1.0'), ...options.runFacets },
    );
  }

  /**
   * Validates and stores an event, with the graph edges it declares, in one transaction.
   * A terminal or START event repeated for the same run is stored once. Throws Internal when
   * the event is not valid OpenLineage (drivetrain built it wrong).
   */
  async emit(event: RunEvent): Promise<void> {
    const problems = this.validate(event);
    if (problems.length > 0) {
      throw new Internal(
        `lineage event is not valid OpenLineage: ${problems.slice(0, 5).join('; ')}`,
        { problems },
      );
    }
    const now = Date.now();
    const inserted = await this.store.transaction(async (trx) => {
      const db = trx.withTables<LineageTables>();
      if (event.eventType === 'START' || terminal.has(event.eventType)) {
        const existing = await db
          .selectFrom('lineage_events')
          .select('seq')
          .where('run_id', '=', event.run.runId)
          .where('event_type', '=', event.eventType)
          .executeTakeFirst();
        if (existing !== undefined) return false;
      }
      await db
        .insertInto('lineage_events')
        .values({
          run_id: event.run.runId,
          event_type: event.eventType,
          event_time: Date.parse(event.eventTime),
          job_namespace: event.job.namespace,
          job_name: event.job.name,
          event: JSON.stringify(event),
          received_at: now,
          forwarded_at: null,
          forward_attempts: 0,
          next_attempt_at: this.forward === undefined ? Number.MAX_SAFE_INTEGER : now,
          forward_lease_until: null,
          forward_error: null,
        })
        .execute();
      const job = nodeKey('job', event.job.namespace, event.job.name);
      const nodes = new Map<string, [LineageNodeKind, string, string]>([
        [job, ['job', event.job.namespace, event.job.name]],
      ]);
      const edges: [string, string][] = [];
      for (const input of event.inputs ?? []) {
        const key = nodeKey('dataset', input.namespace, input.name);
        nodes.set(key, ['dataset', input.namespace, input.name]);
        edges.push([key, job]);
      }
      for (const output of event.outputs ?? []) {
        const key = nodeKey('dataset', output.namespace, output.name);
        nodes.set(key, ['dataset', output.namespace, output.name]);
        edges.push([job, key]);
      }
      for (const [key, [kind, namespace, name]] of nodes) {
        const row = {
          key,
          kind,
          namespace,
          name,
          last_run_id: event.run.runId,
          last_event_type: event.eventType,
          updated_at: now,
        };
        await db
          .insertInto('lineage_nodes')
          .values(row)
          .onConflict((oc) =>
            oc.column('key').doUpdateSet({
              last_run_id: row.last_run_id,
              last_event_type: row.last_event_type,
              updated_at: now,
            }),
          )
          .execute();
      }
      for (const [source, target] of edges) {
        await db
          .insertInto('lineage_edges')
          .values({ source, target, run_id: event.run.runId, updated_at: now })
          .onConflict((oc) =>
            oc
              .columns(['source', 'target'])
              .doUpdateSet({ run_id: event.run.runId, updated_at: now }),
          )
          .execute();
      }
      return true;
    });
    if (inserted && this.forward !== undefined) this.wake();
  }

  /** Whether a run has ended (COMPLETE, FAIL or ABORT stored). */
  async runEnded(runId: string): Promise<boolean> {
    const row = await this.db
      .selectFrom('lineage_events')
      .select('seq')
      .where('run_id', '=', runId)
      .where('event_type', 'in', [...terminal])
      .executeTakeFirst();
    return row !== undefined;
  }

  /** Ends a run that started but never finished (its process died) with an ABORT event. */
  async abortIfDangling(runId: string, reason: string): Promise<boolean> {
    const start = await this.db
      .selectFrom('lineage_events')
      .select('event')
      .where('run_id', '=', runId)
      .where('event_type', '=', 'START')
      .executeTakeFirst();
    if (start === undefined || (await this.runEnded(runId))) return false;
    const started = JSON.parse(start.event) as RunEvent;
    await this.emit(
      runEvent({
        eventType: 'ABORT',
        runId,
        job: started.job,
        ...(started.inputs === undefined ? {} : { inputs: started.inputs }),
        runFacets: { ...started.run.facets, errorMessage: standardFacets.errorMessage(reason) },
      }),
    );
    return true;
  }

  /** Stored events in arrival order, optionally from a time on (by event time). */
  async events(
    query: { since?: Date; limit?: number; cursor?: string; runId?: string } = {},
  ): Promise<Page<StoredEvent>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('lineage_events')
      .select(['seq', 'event', 'forwarded_at', 'forward_error'])
      .orderBy('seq')
      .limit(limit + 1);
    if (query.since !== undefined) select = select.where('event_time', '>=', query.since.getTime());
    if (query.runId !== undefined) select = select.where('run_id', '=', query.runId);
    if (query.cursor !== undefined)
      select = select.where('seq', '>', Number(decodeCursor(query.cursor, 1)[0]));
    const rows = await select.execute();
    const shown = rows.slice(0, limit);
    const last = shown.at(-1);
    return {
      items: shown.map((r) => ({
        seq: Number(r.seq),
        event: JSON.parse(r.event) as RunEvent,
        forwardedAt:
          r.forwarded_at === null ? null : new Date(Number(r.forwarded_at)).toISOString(),
        forwardError: r.forward_error,
      })),
      next: rows.length > limit && last !== undefined ? encodeCursor([Number(last.seq)]) : null,
    };
  }

  /**
   * The graph around a node: upstream (what it was made from), downstream (what was made from
   * it) or both, up to `depth` hops, at most 500 nodes.
   */
  async graph(
    node: { kind?: LineageNodeKind; namespace?: string; name: string },
    options: { depth?: number; direction?: 'upstream' | 'downstream' | 'both' } = {},
  ): Promise<LineageGraph> {
    const depth = options.depth ?? 3;
    if (!Number.isInteger(depth) || depth < 1 || depth > 20) {
      throw new InvalidInput('depth must be an integer from 1 to 20', 'depth');
    }
    const direction = options.direction ?? 'both';
    const root = nodeKey(node.kind ?? 'dataset', node.namespace ?? this.namespace, node.name);
    const rootRow = await this.db
      .selectFrom('lineage_nodes')
      .select('key')
      .where('key', '=', root)
      .executeTakeFirst();
    if (rootRow === undefined)
      throw new NotFound(
        'lineage node',
        `${node.kind ?? 'dataset'} ${node.namespace ?? this.namespace}/${node.name}`,
      );
    const seen = new Set([root]);
    const edges = new Map<string, { source: string; target: string; runId: string }>();
    let frontierUp = direction === 'downstream' ? [] : [root];
    let frontierDown = direction === 'upstream' ? [] : [root];
    let truncated = false;
    for (let hop = 0; hop < depth && (frontierUp.length > 0 || frontierDown.length > 0); hop++) {
      const nextUp: string[] = [];
      const nextDown: string[] = [];
      for (const [frontier, next, column, other] of [
        [frontierUp, nextUp, 'target', 'source'],
        [frontierDown, nextDown, 'source', 'target'],
      ] as const) {
        for (let i = 0; i < frontier.length; i += 200) {
          const rows = await this.db
            .selectFrom('lineage_edges')
            .select(['source', 'target', 'run_id'])
            .where(column, 'in', frontier.slice(i, i + 200))
            .execute();
          for (const row of rows) {
            edges.set(`${row.source}\n${row.target}`, {
              source: row.source,
              target: row.target,
              runId: row.run_id,
            });
            const reached = row[other];
            if (seen.has(reached)) continue;
            if (seen.size >= maxGraphNodes) {
              truncated = true;
              continue;
            }
            seen.add(reached);
            next.push(reached);
          }
        }
      }
      frontierUp = nextUp;
      frontierDown = nextDown;
    }
    const keys = [...seen];
    const nodes: LineageNode[] = [];
    for (let i = 0; i < keys.length; i += 200) {
      const rows = await this.db
        .selectFrom('lineage_nodes')
        .selectAll()
        .where('key', 'in', keys.slice(i, i + 200))
        .execute();
      nodes.push(
        ...rows.map((r) => ({
          id: r.key,
          kind: r.kind as LineageNodeKind,
          namespace: r.namespace,
          name: r.name,
          lastRunId: r.last_run_id,
          lastEventType: r.last_event_type,
          updatedAt: new Date(Number(r.updated_at)).toISOString(),
        })),
      );
    }
    return {
      root,
      nodes,
      edges: [...edges.values()].filter((e) => seen.has(e.source) && seen.has(e.target)),
      truncated,
    };
  }

  // --- forwarding ------------------------------------------------------------------------

  /** Starts forwarding pending events in the background (no-op without an endpoint). */
  startForwarding(): void {
    if (this.forward === undefined || this.timer !== undefined) return;
    this.stopped = false;
    const poll = this.forward.pollMs ?? 2_000;
    this.timer = setInterval(() => this.wake(), poll);
    this.timer.unref();
    this.wake();
  }

  private wake(): void {
    if (
      this.stopped ||
      this.forward === undefined ||
      this.draining !== undefined ||
      this.timer === undefined
    )
      return;
    this.draining = this.forwardPending()
      .then(() => undefined)
      .catch((error: unknown) =>
        this.options.log?.warn({ err: error }, 'lineage forwarding failed'),
      )
      .finally(() => {
        this.draining = undefined;
      });
  }

  /** Stops forwarding and waits for a send under way. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.draining;
  }

  /**
   * Sends every due event once, oldest first; returns how many the endpoint accepted. Events
   * are claimed with a lease so that several processes never send the same event at once.
   */
  async forwardPending(): Promise<number> {
    const forward = this.forward;
    if (forward === undefined) return 0;
    const maxAttempts = forward.maxAttempts ?? 10;
    const timeoutMs = forward.timeoutMs ?? 5_000;
    let accepted = 0;
    for (;;) {
      const now = Date.now();
      const claimed = await sql<{ seq: number; event: string; forward_attempts: number }>`
        update lineage_events set forward_lease_until = ${now + timeoutMs * 4}
        where seq in (
          select seq from lineage_events
          where forwarded_at is null and next_attempt_at <= ${now} and forward_attempts < ${maxAttempts}
            and (forward_lease_until is null or forward_lease_until < ${now})
          order by seq limit 20
        )
        returning seq, event, forward_attempts`.execute(this.db);
      if (claimed.rows.length === 0) return accepted;
      for (const row of [...claimed.rows].sort((a, b) => Number(a.seq) - Number(b.seq))) {
        if (this.stopped) return accepted;
        const error = await this.send(forward, row.event, timeoutMs);
        const attempts = Number(row.forward_attempts) + 1;
        if (error === undefined) accepted++;
        const delay = Math.min(
          forward.maxBackoffMs ?? 300_000,
          (forward.backoffMs ?? 1_000) * 2 ** (attempts - 1),
        );
        await this.db
          .updateTable('lineage_events')
          .set(
            error === undefined
              ? {
                  forwarded_at: Date.now(),
                  forward_attempts: attempts,
                  forward_lease_until: null,
                  forward_error: null,
                }
              : {
                  forward_attempts: attempts,
                  next_attempt_at: Date.now() + delay,
                  forward_lease_until: null,
                  forward_error: error,
                },
          )
          .where('seq', '=', Number(row.seq))
          .execute();
        if (error !== undefined) {
          this.options.log?.warn(
            { seq: row.seq, attempts, error },
            'lineage endpoint refused an event; will retry',
          );
        }
      }
    }
  }

  private async send(
    forward: ForwardOptions,
    body: string,
    timeoutMs: number,
  ): Promise<string | undefined> {
    try {
      const response = await this.fetchImpl(forward.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(forward.apiKey === undefined ? {} : { authorization: `Bearer ${forward.apiKey}` }),
        },
        body,
        signal: AbortSignal.timeout(timeoutMs),
      });
      await response.body?.cancel().catch(() => undefined);
      return response.ok ? undefined : `HTTP ${response.status}`;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }
}
