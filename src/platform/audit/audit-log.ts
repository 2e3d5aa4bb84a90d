import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage, type Page } from '../pagination.js';
import type { Dialect } from '../store/store.js';
import type { AuditLogTable, PlatformTables } from '../store/tables.js';
import { canonicalJson, digestOf } from './canonical.js';

/** Who did something: `user:<id>`, `operator:<os user>` (the CLI on the host) or `system`. */
export type ActorRef = string;

/** One state change to record. `before`/`after` are the record's state (undefined when absent). */
export interface AuditEvent {
  readonly actor: ActorRef;
  /** Verb in `noun.verb` form, e.g. `team.create`, `token.revoke`. */
  readonly action: string;
  readonly targetKind: string;
  readonly targetId: string;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly details?: Readonly<Record<string, unknown>>;
}

/** An entry as stored and as `drivetrain audit list` shows it. */
export interface AuditEntry {
  readonly seq: number;
  readonly id: string;
  readonly at: Date;
  readonly actor: string;
  readonly action: string;
  readonly targetKind: string;
  readonly targetId: string;
  readonly beforeDigest: string | null;
  readonly afterDigest: string | null;
  readonly details: Record<string, unknown>;
  readonly prevHash: string;
  readonly hash: string;
}

export const genesisHash = '0'.repeat(64);

type HashedFields = Omit<AuditLogTable, 'seq' | 'hash'>;

/** The chain hash of an entry: covers every stored field and the previous entry's hash. */
export function entryHash(fields: HashedFields): string {
  return createHash('sha256')
    .update(
      canonicalJson([
        fields.id,
        fields.at,
        fields.actor,
        fields.action,
        fields.target_kind,
        fields.target_id,
        fields.before_digest,
        fields.after_digest,
        fields.details,
        fields.prev_hash,
      ]),
    )
    .digest('hex');
}

/**
 * Appends an entry to the hash chain. Call it inside the transaction that makes the change, so
 * the change and its entry commit together or not at all. On PostgreSQL an advisory lock held
 * until commit serialises appenders, so two transactions never chain onto the same entry.
 */
export async function appendAudit(
  trx: Kysely<PlatformTables>,
  dialect: Dialect,
  event: AuditEvent,
  now: number = Date.now(),
): Promise<string> {
  if (dialect === 'postgres') {
    await sql`select pg_advisory_xact_lock(hashtext('drivetrain.audit_log'))`.execute(trx);
  }
  const last = await trx
    .selectFrom('audit_log')
    .select('hash')
    .orderBy('seq', 'desc')
    .limit(1)
    .executeTakeFirst();
  const fields: HashedFields = {
    id: newId('aud'),
    at: now,
    actor: event.actor,
    action: event.action,
    target_kind: event.targetKind,
    target_id: event.targetId,
    before_digest: event.before === undefined ? null : digestOf(event.before),
    after_digest: event.after === undefined ? null : digestOf(event.after),
    details: canonicalJson(event.details ?? {}),
    prev_hash: last?.hash ?? genesisHash,
  };
  await trx
    .insertInto('audit_log')
    .values({ ...fields, hash: entryHash(fields) })
    .execute();
  return fields.id;
}

/** Result of recomputing the chain: ok, or the first entry that does not match. */
export type AuditVerification =
  | { readonly ok: true; readonly entries: number; readonly head: string }
  | {
      readonly ok: false;
      readonly entries: number;
      readonly firstBad: { readonly seq: number; readonly id: string; readonly reason: string };
    };

/** Recomputes every entry's hash in order, reading in batches so memory stays bounded. */
export async function verifyAudit(
  db: Kysely<PlatformTables>,
  batchSize = 1000,
): Promise<AuditVerification> {
  let prevHash = genesisHash;
  let afterSeq = 0;
  let entries = 0;
  for (;;) {
    const rows = await db
      .selectFrom('audit_log')
      .selectAll()
      .where('seq', '>', afterSeq)
      .orderBy('seq')
      .limit(batchSize)
      .execute();
    for (const row of rows) {
      entries += 1;
      if (row.prev_hash !== prevHash) {
        return {
          ok: false,
          entries,
          firstBad: { seq: row.seq, id: row.id, reason: 'does not link to the previous entry' },
        };
      }
      if (entryHash(row) !== row.hash) {
        return {
          ok: false,
          entries,
          firstBad: { seq: row.seq, id: row.id, reason: 'content does not match its hash' },
        };
      }
      prevHash = row.hash;
      afterSeq = row.seq;
    }
    if (rows.length < batchSize) return { ok: true, entries, head: prevHash };
  }
}

/** Maps a stored row to the entry shown to users. */
export function toAuditEntry(row: Omit<AuditLogTable, 'seq'> & { seq: number }): AuditEntry {
  return {
    seq: row.seq,
    id: row.id,
    at: new Date(row.at),
    actor: row.actor,
    action: row.action,
    targetKind: row.target_kind,
    targetId: row.target_id,
    beforeDigest: row.before_digest,
    afterDigest: row.after_digest,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

export interface AuditListQuery {
  readonly limit?: number;
  readonly cursor?: string;
  readonly targetKind?: string;
  readonly targetId?: string;
}

/** Entries newest first, optionally for one target. */
export async function listAudit(
  db: Kysely<PlatformTables>,
  query: AuditListQuery = {},
): Promise<Page<AuditEntry>> {
  const limit = pageSize(query.limit);
  let select = db
    .selectFrom('audit_log')
    .selectAll()
    .orderBy('seq', 'desc')
    .limit(limit + 1);
  if (query.targetKind !== undefined) select = select.where('target_kind', '=', query.targetKind);
  if (query.targetId !== undefined) select = select.where('target_id', '=', query.targetId);
  if (query.cursor !== undefined)
    select = select.where('seq', '<', Number(decodeCursor(query.cursor, 1)[0]));
  return toPage(await select.execute(), limit, (r) => [r.seq], toAuditEntry);
}
