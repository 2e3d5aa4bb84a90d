import type { Kysely } from 'kysely';
import { bigintType, type Dialect, type Migration } from '../../platform/index.js';

async function createJobs(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const big = bigintType(dialect);
  const real = dialect === 'postgres' ? 'double precision' : 'real';
  await db.schema
    .createTable('compute_jobs')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('team', 'text', (c) => c.notNull())
    .addColumn('team_id', 'text')
    .addColumn('project', 'text')
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('executor', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('priority', 'integer', (c) => c.notNull())
    .addColumn('accelerators', 'integer', (c) => c.notNull())
    .addColumn('checkpointing', 'integer', (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('failures', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('flavor', 'text')
    .addColumn('admission', 'text')
    .addColumn('pending_reason', 'text')
    .addColumn('message', 'text')
    .addColumn('cancel_requested_at', big)
    .addColumn('preempt_requested_at', big)
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addColumn('pending_at', big)
    .addColumn('admitted_at', big)
    .addColumn('running_at', big)
    .addColumn('succeeded_at', big)
    .addColumn('failed_at', big)
    .addColumn('preempted_at', big)
    .addColumn('cancelled_at', big)
    .addColumn('finished_at', big)
    .addColumn('updated_at', big, (c) => c.notNull())
    .execute();
  await db.schema.createIndex('compute_jobs_state').on('compute_jobs').column('state').execute();
  await db.schema
    .createIndex('compute_jobs_team')
    .on('compute_jobs')
    .columns(['team', 'id'])
    .execute();
  await db.schema
    .createTable('compute_attempts')
    .addColumn('job_id', 'text', (c) =>
      c.notNull().references('compute_jobs.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('flavor', 'text', (c) => c.notNull())
    .addColumn('accelerators', 'integer', (c) => c.notNull())
    .addColumn('admitted_at', big, (c) => c.notNull())
    .addColumn('started_at', big)
    .addColumn('ended_at', big)
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('exit_code', 'integer')
    .addColumn('message', 'text')
    .addColumn('log_bytes', big, (c) => c.notNull().defaultTo(0))
    .addColumn('log_chunks', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('log_truncated', 'integer', (c) => c.notNull().defaultTo(0))
    .addPrimaryKeyConstraint('compute_attempts_pk', ['job_id', 'attempt'])
    .execute();
  await db.schema
    .createIndex('compute_attempts_period')
    .on('compute_attempts')
    .columns(['admitted_at', 'ended_at'])
    .execute();
  await db.schema
    .createTable('compute_job_events')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('job_id', 'text', (c) =>
      c.notNull().references('compute_jobs.id').onDelete('cascade'),
    )
    .addColumn('at', big, (c) => c.notNull())
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('from_state', 'text')
    .addColumn('to_state', 'text', (c) => c.notNull())
    .addColumn('message', 'text')
    .execute();
  await db.schema
    .createIndex('compute_job_events_job')
    .on('compute_job_events')
    .columns(['job_id', 'id'])
    .execute();
  await db.schema
    .createTable('compute_metrics')
    .addColumn('job_id', 'text', (c) =>
      c.notNull().references('compute_jobs.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('step', big, (c) => c.notNull())
    .addColumn('value', real, (c) => c.notNull())
    .addColumn('at', big, (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('compute_metrics_job')
    .on('compute_metrics')
    .columns(['job_id', 'name', 'step'])
    .execute();
  await db.schema
    .createTable('compute_log_chunks')
    .addColumn('job_id', 'text', (c) =>
      c.notNull().references('compute_jobs.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('start_offset', big, (c) => c.notNull())
    .addColumn('bytes', 'integer', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('compute_log_chunks_pk', ['job_id', 'attempt', 'seq'])
    .execute();
  await db.schema
    .createTable('compute_artifacts')
    .addColumn('job_id', 'text', (c) =>
      c.notNull().references('compute_jobs.id').onDelete('cascade'),
    )
    .addColumn('attempt', 'integer', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('object_key', 'text', (c) => c.notNull())
    .addColumn('size', big, (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('created_at', big, (c) => c.notNull())
    .addPrimaryKeyConstraint('compute_artifacts_pk', ['job_id', 'attempt', 'path'])
    .execute();
}

/** The compute context's migrations. */
export const computeMigrations: readonly Migration[] = [
  { name: '20261124-20-compute-jobs', up: createJobs },
];
