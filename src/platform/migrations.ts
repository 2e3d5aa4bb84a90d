import { sql, type Kysely } from 'kysely';
import { bigintType } from './store/ddl.js';
import type { Dialect, Migration } from './store/store.js';

async function createIdentityAndAudit(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  await db.schema
    .createTable('users')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('email', 'text')
    .addColumn('platform_admin', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('disabled_at', big)
    .execute();
  await db.schema
    .createTable('teams')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createTable('memberships')
    .addColumn('team_id', 'text', (c) => c.notNull().references('teams.id').onDelete('cascade'))
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('role', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('memberships_pk', ['team_id', 'user_id'])
    .execute();
  await db.schema.createIndex('memberships_user').on('memberships').column('user_id').execute();
  await db.schema
    .createTable('tokens')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('user_id', 'text', (c) => c.notNull().references('users.id').onDelete('cascade'))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('expires_at', big)
    .addColumn('revoked_at', big)
    .addColumn('last_used_at', big)
    .execute();
  await db.schema.createIndex('tokens_user').on('tokens').column('user_id').execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('seq', dialect === 'postgres' ? 'bigserial' : 'integer', (c) =>
      dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement(),
    )
    .addColumn('id', 'text', (c) => c.notNull().unique())
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_kind', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('before_digest', 'text')
    .addColumn('after_digest', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('audit_log_target')
    .on('audit_log')
    .columns(['target_kind', 'target_id'])
    .execute();
  // Append-only in the database itself, so a bug or a careless script cannot rewrite history;
  // someone who drops these triggers to tamper is caught by `drivetrain audit verify`.
  if (dialect === 'postgres') {
    await sql`create function audit_log_append_only() returns trigger language plpgsql as $$
      begin raise exception 'audit_log is append-only'; end $$`.execute(db);
    await sql`create trigger audit_log_no_change before update or delete on audit_log
      for each row execute function audit_log_append_only()`.execute(db);
  } else {
    await sql`create trigger audit_log_no_update before update on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
    await sql`create trigger audit_log_no_delete before delete on audit_log
      begin select raise(abort, 'audit_log is append-only'); end`.execute(db);
  }
}

async function createTasks(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  await db.schema
    .createTable('tasks')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('payload', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('max_attempts', 'integer', (c) => c.notNull())
    .addColumn('run_at', big, (c) => c.notNull())
    .addColumn('lease_owner', 'text')
    .addColumn('lease_expires_at', big)
    .addColumn('progress_done', big, (c) => c.notNull().defaultTo(0))
    .addColumn('progress_total', big, (c) => c.notNull().defaultTo(0))
    .addColumn('progress_message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('result', 'text')
    .addColumn('error', 'text')
    .addColumn('idempotency_key', 'text', (c) => c.unique())
    .addColumn('team_id', 'text')
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('updated_at', big, (c) => c.notNull())
    .addColumn('started_at', big)
    .addColumn('finished_at', big)
    .execute();
  await db.schema.createIndex('tasks_claim').on('tasks').columns(['status', 'run_at']).execute();
  await db.schema.createIndex('tasks_kind').on('tasks').columns(['kind', 'created_at']).execute();
}

/**
 * Each team's member count as a column kept by triggers, so the team list (which every page of
 * the UI loads) reads rows instead of counting memberships per team. Triggers rather than the
 * service keep it right for every way a membership row appears or goes, cascades included.
 */
async function countTeamMembers(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  await db.schema
    .alterTable('teams')
    .addColumn('member_count', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`update teams set member_count =
    (select count(*) from memberships where memberships.team_id = teams.id)`.execute(db);
  if (dialect === 'postgres') {
    await sql`create function memberships_count() returns trigger language plpgsql as $$
      begin
        if tg_op = 'INSERT' then
          update teams set member_count = member_count + 1 where id = new.team_id;
        else
          update teams set member_count = member_count - 1 where id = old.team_id;
        end if;
        return null;
      end $$`.execute(db);
    await sql`create trigger memberships_count after insert or delete on memberships
      for each row execute function memberships_count()`.execute(db);
  } else {
    await sql`create trigger memberships_count_insert after insert on memberships
      begin update teams set member_count = member_count + 1 where id = new.team_id; end`.execute(
      db,
    );
    await sql`create trigger memberships_count_delete after delete on memberships
      begin update teams set member_count = member_count - 1 where id = old.team_id; end`.execute(
      db,
    );
  }
}

/** The platform context's migrations. */
export const platformMigrations: readonly Migration[] = [
  { name: '20261124-01-platform-identity-audit', up: createIdentityAndAudit },
  { name: '20261124-02-platform-tasks', up: createTasks },
  { name: '20261124-03-platform-team-member-counts', up: countTeamMembers },
];
