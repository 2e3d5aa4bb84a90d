import type { Insertable, Kysely, Selectable } from 'kysely';
import { appendAudit } from '../audit/index.js';
import { Conflict, InvalidInput, NotFound, Unauthorized } from '../errors.js';
import { newId } from '../ids.js';
import { decodeCursor, pageSize, toPage, type Page } from '../pagination.js';
import { isUniqueViolation } from '../store/constraints.js';
import { preparedQuery } from '../store/prepared.js';
import type { Store } from '../store/store.js';
import type { PlatformTables, TeamsTable, TokensTable, UsersTable } from '../store/tables.js';
import type { Principal } from './principal.js';
import { isTeamRole, type TeamRole } from './roles.js';
import { generateTokenSecret, hashTokenSecret, looksLikeToken } from './tokens.js';

export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly platformAdmin: boolean;
  readonly createdAt: string;
  readonly disabledAt: string | null;
  readonly teams: { readonly teamId: string; readonly teamName: string; readonly role: TeamRole }[];
}

/** A team as lists show it: without its members, which the team's own page lists. */
export interface TeamSummary {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly memberCount: number;
}

export interface Team {
  readonly id: string;
  readonly name: string;
  readonly description: string;
  readonly createdAt: string;
  readonly members: {
    readonly userId: string;
    readonly userName: string;
    readonly role: TeamRole;
  }[];
}

export interface Token {
  readonly id: string;
  readonly userId: string;
  readonly name: string;
  readonly createdAt: string;
  readonly expiresAt: string | null;
  readonly revokedAt: string | null;
  readonly lastUsedAt: string | null;
}

/** A token as returned once at creation: the only time the secret is visible. */
export interface IssuedToken extends Token {
  readonly secret: string;
}

export interface ListQuery {
  readonly limit?: number;
  readonly cursor?: string;
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());
const namePattern = /^[a-z0-9][a-z0-9._-]{0,62}$/;

function validName(kind: string, name: string): string {
  if (!namePattern.test(name)) {
    throw new InvalidInput(
      `${kind} name must be 1-63 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit`,
      'name',
    );
  }
  return name;
}

/** How long a token stays valid in the in-process authentication cache. */
const authCacheMs = 2_000;
/** last_used_at is written at most this often per token, so reads stay reads. */
const lastUsedGranularityMs = 60_000;

/**
 * Users, teams, memberships and API tokens. Every change is written together with its audit
 * entry in one transaction.
 */
export class IdentityService {
  private readonly authCache = new Map<
    string,
    { principal: Principal; tokenId: string; until: number }
  >();

  constructor(private readonly store: Store) {}

  private get db(): Kysely<PlatformTables> {
    return this.store.db;
  }

  /** True before the first user exists (the server then bootstraps an admin). */
  async hasNoUsers(): Promise<boolean> {
    const row = await this.db.selectFrom('users').select('id').limit(1).executeTakeFirst();
    return row === undefined;
  }

  async createUser(
    actor: Principal,
    input: { name: string; email?: string | null; platformAdmin?: boolean },
  ): Promise<User> {
    const row: UsersTable = {
      id: newId('usr'),
      name: validName('user', input.name),
      email: input.email ?? null,
      platform_admin: input.platformAdmin === true ? 1 : 0,
      created_at: Date.now(),
      disabled_at: null,
    };
    await this.write(`user '${row.name}' already exists`, async (trx) => {
      await trx.insertInto('users').values(row).execute();
      await this.audit(trx, actor, 'user.create', 'user', row.id, undefined, row);
    });
    return this.getUser(row.id);
  }

  async getUser(id: string): Promise<User> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('user', id);
    const [user] = await this.withTeams([row]);
    return user as User;
  }

  async findUserByName(name: string): Promise<User> {
    const row = await this.db
      .selectFrom('users')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('user', name);
    const [user] = await this.withTeams([row]);
    return user as User;
  }

  async listUsers(query: ListQuery = {}): Promise<Page<User>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('users')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (query.cursor !== undefined)
      select = select.where('id', '>', String(decodeCursor(query.cursor, 1)[0]));
    const rows = await select.execute();
    const page = toPage(
      rows,
      limit,
      (r) => [r.id],
      (r) => r,
    );
    return { items: await this.withTeams(page.items), next: page.next };
  }

  async setUserDisabled(actor: Principal, id: string, disabled: boolean): Promise<User> {
    await this.store.transaction(async (trx) => {
      const before = await trx
        .selectFrom('users')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (before === undefined) throw new NotFound('user', id);
      const after = {
        ...before,
        disabled_at: disabled ? (before.disabled_at ?? Date.now()) : null,
      };
      await trx
        .updateTable('users')
        .set({ disabled_at: after.disabled_at })
        .where('id', '=', id)
        .execute();
      await this.audit(
        trx,
        actor,
        disabled ? 'user.disable' : 'user.enable',
        'user',
        id,
        before,
        after,
      );
    });
    this.authCache.clear();
    return this.getUser(id);
  }

  async createTeam(actor: Principal, input: { name: string; description?: string }): Promise<Team> {
    const row: Insertable<TeamsTable> = {
      id: newId('team'),
      name: validName('team', input.name),
      description: input.description ?? '',
      created_at: Date.now(),
    };
    await this.write(`team '${row.name}' already exists`, async (trx) => {
      await trx.insertInto('teams').values(row).execute();
      await this.audit(trx, actor, 'team.create', 'team', row.id, undefined, row);
    });
    return this.getTeam(row.id);
  }

  async getTeam(id: string): Promise<Team> {
    const row = await this.db
      .selectFrom('teams')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('team', id);
    const [team] = await this.withMembers([row]);
    return team as Team;
  }

  async findTeamByName(name: string): Promise<Team> {
    const row = await this.db
      .selectFrom('teams')
      .selectAll()
      .where('name', '=', name)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('team', name);
    const [team] = await this.withMembers([row]);
    return team as Team;
  }

  /** Teams in id order with their member counts, in one query. */
  async listTeams(query: ListQuery = {}): Promise<Page<TeamSummary>> {
    const limit = pageSize(query.limit);
    const compiled =
      query.cursor === undefined
        ? this.teamsFirstPage({ rows: limit + 1 })
        : this.teamsPageAfter({ rows: limit + 1, after: String(decodeCursor(query.cursor, 1)[0]) });
    const { rows } = await this.db.executeQuery(compiled);
    return toPage(
      rows,
      limit,
      (r) => [r.id],
      (r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        createdAt: new Date(r.created_at).toISOString(),
        memberCount: r.member_count,
      }),
    );
  }

  private teamSummaries() {
    return this.db
      .selectFrom('teams')
      .select(['id', 'name', 'description', 'created_at', 'member_count'])
      .orderBy('id');
  }

  private readonly teamsFirstPage = preparedQuery<{ rows: number }, Selectable<TeamsTable>>(
    ['rows'],
    (p) => this.teamSummaries().limit(p.rows),
  );

  private readonly teamsPageAfter = preparedQuery<
    { rows: number; after: string },
    Selectable<TeamsTable>
  >(['rows', 'after'], (p) => this.teamSummaries().where('id', '>', p.after).limit(p.rows));

  /** Adds a user to a team or changes their role there. */
  async setMembership(
    actor: Principal,
    teamId: string,
    userId: string,
    role: string,
  ): Promise<Team> {
    if (!isTeamRole(role)) {
      throw new InvalidInput(
        `role must be one of viewer, engineer, data-steward, safety-assessor`,
        'role',
      );
    }
    await this.store.transaction(async (trx) => {
      await this.mustExist(trx, 'teams', 'team', teamId);
      await this.mustExist(trx, 'users', 'user', userId);
      const before = await trx
        .selectFrom('memberships')
        .selectAll()
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      const after = {
        team_id: teamId,
        user_id: userId,
        role,
        created_at: before?.created_at ?? Date.now(),
      };
      await trx
        .insertInto('memberships')
        .values(after)
        .onConflict((oc) => oc.columns(['team_id', 'user_id']).doUpdateSet({ role }))
        .execute();
      await this.audit(trx, actor, 'team.member.set', 'team', teamId, before, after, {
        userId,
        role,
      });
    });
    this.authCache.clear();
    return this.getTeam(teamId);
  }

  async removeMembership(actor: Principal, teamId: string, userId: string): Promise<Team> {
    await this.store.transaction(async (trx) => {
      const before = await trx
        .selectFrom('memberships')
        .selectAll()
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .executeTakeFirst();
      if (before === undefined) throw new NotFound('membership', `${teamId}/${userId}`);
      await trx
        .deleteFrom('memberships')
        .where('team_id', '=', teamId)
        .where('user_id', '=', userId)
        .execute();
      await this.audit(trx, actor, 'team.member.remove', 'team', teamId, before, undefined, {
        userId,
      });
    });
    this.authCache.clear();
    return this.getTeam(teamId);
  }

  /** Issues a token for a user; the secret is returned once and only its hash is stored. */
  async createToken(
    actor: Principal,
    input: { userId: string; name: string; expiresAt?: Date | null },
  ): Promise<IssuedToken> {
    if (input.name.trim() === '' || input.name.length > 100) {
      throw new InvalidInput('token name must be 1-100 characters', 'name');
    }
    const expiresAt = input.expiresAt ?? null;
    if (expiresAt !== null && expiresAt.getTime() <= Date.now()) {
      throw new InvalidInput('expiresAt must be in the future', 'expiresAt');
    }
    const secret = generateTokenSecret();
    const row: TokensTable = {
      id: newId('tok'),
      user_id: input.userId,
      name: input.name,
      token_hash: hashTokenSecret(secret),
      created_at: Date.now(),
      expires_at: expiresAt?.getTime() ?? null,
      revoked_at: null,
      last_used_at: null,
    };
    await this.store.transaction(async (trx) => {
      await this.mustExist(trx, 'users', 'user', input.userId);
      await trx.insertInto('tokens').values(row).execute();
      const { token_hash: _secretHash, ...recorded } = row;
      await this.audit(trx, actor, 'token.create', 'token', row.id, undefined, recorded, {
        userId: input.userId,
      });
    });
    return { ...toToken(row), secret };
  }

  async getToken(id: string): Promise<Token> {
    const row = await this.db
      .selectFrom('tokens')
      .selectAll()
      .where('id', '=', id)
      .executeTakeFirst();
    if (row === undefined) throw new NotFound('token', id);
    return toToken(row);
  }

  async listTokens(query: ListQuery & { userId?: string } = {}): Promise<Page<Token>> {
    const limit = pageSize(query.limit);
    let select = this.db
      .selectFrom('tokens')
      .selectAll()
      .orderBy('id')
      .limit(limit + 1);
    if (query.userId !== undefined) select = select.where('user_id', '=', query.userId);
    if (query.cursor !== undefined)
      select = select.where('id', '>', String(decodeCursor(query.cursor, 1)[0]));
    return toPage(await select.execute(), limit, (r) => [r.id], toToken);
  }

  async revokeToken(actor: Principal, id: string): Promise<Token> {
    await this.store.transaction(async (trx) => {
      const before = await trx
        .selectFrom('tokens')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirst();
      if (before === undefined) throw new NotFound('token', id);
      if (before.revoked_at !== null) return;
      const revokedAt = Date.now();
      await trx.updateTable('tokens').set({ revoked_at: revokedAt }).where('id', '=', id).execute();
      const { token_hash: _beforeHash, ...shownBefore } = before;
      await this.audit(trx, actor, 'token.revoke', 'token', id, shownBefore, {
        ...shownBefore,
        revoked_at: revokedAt,
      });
    });
    for (const [secretHash, entry] of this.authCache) {
      if (entry.tokenId === id) this.authCache.delete(secretHash);
    }
    return this.getToken(id);
  }

  /**
   * Resolves a bearer token to its user. Unknown, expired and revoked tokens and disabled users
   * are all Unauthorized, with one message, so a caller cannot probe which tokens exist.
   */
  async authenticate(secret: string): Promise<Principal> {
    if (!looksLikeToken(secret)) throw new Unauthorized('invalid or expired token');
    const secretHash = hashTokenSecret(secret);
    const now = Date.now();
    const cached = this.authCache.get(secretHash);
    if (cached !== undefined && cached.until > now) return cached.principal;
    const row = await this.db
      .selectFrom('tokens')
      .innerJoin('users', 'users.id', 'tokens.user_id')
      .select([
        'tokens.id as token_id',
        'tokens.expires_at',
        'tokens.revoked_at',
        'tokens.last_used_at',
        'users.id as user_id',
        'users.name',
        'users.platform_admin',
        'users.disabled_at',
      ])
      .where('tokens.token_hash', '=', secretHash)
      .executeTakeFirst();
    if (
      row === undefined ||
      row.revoked_at !== null ||
      row.disabled_at !== null ||
      (row.expires_at !== null && row.expires_at <= now)
    ) {
      this.authCache.delete(secretHash);
      throw new Unauthorized('invalid or expired token');
    }
    const memberships = await this.db
      .selectFrom('memberships')
      .select(['team_id', 'role'])
      .where('user_id', '=', row.user_id)
      .execute();
    const principal: Principal = {
      ref: `user:${row.user_id}`,
      userId: row.user_id,
      name: row.name,
      platformAdmin: row.platform_admin === 1,
      memberships: memberships
        .filter((m) => isTeamRole(m.role))
        .map((m) => ({ teamId: m.team_id, role: m.role as TeamRole })),
    };
    const until = Math.min(now + authCacheMs, row.expires_at ?? Number.POSITIVE_INFINITY);
    this.authCache.set(secretHash, { principal, tokenId: row.token_id, until });
    if (row.last_used_at === null || now - row.last_used_at > lastUsedGranularityMs) {
      await this.db
        .updateTable('tokens')
        .set({ last_used_at: now })
        .where('id', '=', row.token_id)
        .execute();
    }
    return principal;
  }

  private async write(
    conflictMessage: string,
    work: (trx: Kysely<PlatformTables>) => Promise<void>,
  ): Promise<void> {
    try {
      await this.store.transaction(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw new Conflict(conflictMessage);
      throw error;
    }
  }

  private async mustExist(
    trx: Kysely<PlatformTables>,
    table: 'users' | 'teams',
    kind: string,
    id: string,
  ): Promise<void> {
    const row = await trx.selectFrom(table).select('id').where('id', '=', id).executeTakeFirst();
    if (row === undefined) throw new NotFound(kind, id);
  }

  private audit(
    trx: Kysely<PlatformTables>,
    actor: Principal,
    action: string,
    targetKind: string,
    targetId: string,
    before: unknown,
    after: unknown,
    details?: Record<string, unknown>,
  ): Promise<string> {
    return appendAudit(trx, this.store.dialect, {
      actor: actor.ref,
      action,
      targetKind,
      targetId,
      ...(before === undefined ? {} : { before }),
      ...(after === undefined ? {} : { after }),
      ...(details === undefined ? {} : { details }),
    });
  }

  private async withTeams(rows: readonly UsersTable[]): Promise<User[]> {
    const ids = rows.map((r) => r.id);
    const memberships =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('memberships')
            .innerJoin('teams', 'teams.id', 'memberships.team_id')
            .select([
              'memberships.user_id',
              'memberships.team_id',
              'memberships.role',
              'teams.name',
            ])
            .where('memberships.user_id', 'in', ids)
            .orderBy('teams.name')
            .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      email: r.email,
      platformAdmin: r.platform_admin === 1,
      createdAt: new Date(r.created_at).toISOString(),
      disabledAt: iso(r.disabled_at),
      teams: memberships
        .filter((m) => m.user_id === r.id && isTeamRole(m.role))
        .map((m) => ({ teamId: m.team_id, teamName: m.name, role: m.role as TeamRole })),
    }));
  }

  private async withMembers(rows: readonly Selectable<TeamsTable>[]): Promise<Team[]> {
    const ids = rows.map((r) => r.id);
    const memberships =
      ids.length === 0
        ? []
        : await this.db
            .selectFrom('memberships')
            .innerJoin('users', 'users.id', 'memberships.user_id')
            .select([
              'memberships.team_id',
              'memberships.user_id',
              'memberships.role',
              'users.name',
            ])
            .where('memberships.team_id', 'in', ids)
            .orderBy('users.name')
            .execute();
    return rows.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      createdAt: new Date(r.created_at).toISOString(),
      members: memberships
        .filter((m) => m.team_id === r.id && isTeamRole(m.role))
        .map((m) => ({ userId: m.user_id, userName: m.name, role: m.role as TeamRole })),
    }));
  }
}

function toToken(row: TokensTable): Token {
  return {
    id: row.id,
    userId: row.user_id,
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    expiresAt: iso(row.expires_at),
    revokedAt: iso(row.revoked_at),
    lastUsedAt: iso(row.last_used_at),
  };
}
