import type { Generated } from 'kysely';

/**
 * Row types of the platform's own tables. Conventions for every table in drivetrain: ids are
 * prefixed ULIDs (text), times are epoch milliseconds (integer), flags are nullable times
 * (`revoked_at`) rather than booleans, JSON is stored as text.
 */
export interface UsersTable {
  id: string;
  name: string;
  email: string | null;
  platform_admin: number;
  created_at: number;
  disabled_at: number | null;
}

export interface TeamsTable {
  id: string;
  name: string;
  description: string;
  created_at: number;
  /** Kept by triggers on memberships, so listing teams does not count members per team. */
  member_count: Generated<number>;
}

export interface MembershipsTable {
  team_id: string;
  user_id: string;
  role: string;
  created_at: number;
}

export interface TokensTable {
  id: string;
  user_id: string;
  name: string;
  /** sha256 of the secret; the secret itself is shown once and never stored. */
  token_hash: string;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface AuditLogTable {
  seq: Generated<number>;
  id: string;
  at: number;
  actor: string;
  action: string;
  target_kind: string;
  target_id: string;
  before_digest: string | null;
  after_digest: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

export interface TasksTable {
  id: string;
  kind: string;
  payload: string;
  status: string;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_expires_at: number | null;
  progress_done: number;
  progress_total: number;
  progress_message: string;
  result: string | null;
  error: string | null;
  idempotency_key: string | null;
  team_id: string | null;
  created_by: string;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface PlatformTables {
  users: UsersTable;
  teams: TeamsTable;
  memberships: MembershipsTable;
  tokens: TokensTable;
  audit_log: AuditLogTable;
  tasks: TasksTable;
}
