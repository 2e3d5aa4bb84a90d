import { sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  Conflict,
  InvalidInput,
  IdentityService,
  operatorPrincipal,
  Unauthorized,
  verifyAudit,
  listAudit,
  type Store,
} from '../../src/platform/index.js';
import { allMigrations } from '../../src/app/migrations.js';
import { postgresAvailable } from '../support/postgres.js';
import { runScript } from '../support/processes.js';
import { storeImplementations, type TestStore } from '../support/stores.js';

const admin = operatorPrincipal('test');

/** Edits an audit row the way an attacker with database access would: around the triggers. */
async function tamper(store: Store, seq: number, action: string): Promise<void> {
  if (store.dialect === 'postgres') {
    await sql`alter table audit_log disable trigger audit_log_no_change`.execute(store.db);
    await sql`update audit_log set action = ${action} where seq = ${seq}`.execute(store.db);
    await sql`alter table audit_log enable trigger audit_log_no_change`.execute(store.db);
  } else {
    await sql`drop trigger audit_log_no_update`.execute(store.db);
    await sql`update audit_log set action = ${action} where seq = ${seq}`.execute(store.db);
  }
}

for (const implementation of storeImplementations) {
  const available = implementation.name === 'sqlite' || (await postgresAvailable('store suite'));
  describe.skipIf(!available)(`metadata store on ${implementation.name}`, () => {
    let testStore: TestStore;
    let store: Store;
    let identity: IdentityService;

    beforeEach(async () => {
      testStore = await implementation.create();
      store = testStore.store;
      identity = new IdentityService(store);
    });
    afterEach(async () => {
      await testStore.dispose();
    });

    it('applies migrations once: running them again changes nothing', async () => {
      await store.migrate(allMigrations);
      const tables = await store.db.introspection.getTables();
      expect(tables.map((t) => t.name)).toEqual(
        expect.arrayContaining(['users', 'teams', 'memberships', 'tokens', 'audit_log', 'tasks']),
      );
    });

    it('migrates a fresh store while another migrated store shares its database server', async () => {
      const beside = await implementation.create();
      try {
        const user = await new IdentityService(beside.store).createUser(admin, { name: 'beside' });
        expect(user.name).toBe('beside');
        expect(await identity.hasNoUsers()).toBe(true);
      } finally {
        await beside.dispose();
      }
    });

    it('creates users and teams, rejects duplicates with Conflict, and records memberships', async () => {
      const alice = await identity.createUser(admin, { name: 'alice', email: 'alice@example.com' });
      await expect(identity.createUser(admin, { name: 'alice' })).rejects.toBeInstanceOf(Conflict);
      const team = await identity.createTeam(admin, {
        name: 'perception',
        description: 'camera and lidar perception',
      });
      await expect(identity.createTeam(admin, { name: 'perception' })).rejects.toBeInstanceOf(
        Conflict,
      );
      const withMember = await identity.setMembership(admin, team.id, alice.id, 'engineer');
      expect(withMember.members).toEqual([
        { userId: alice.id, userName: 'alice', role: 'engineer' },
      ]);
      const changed = await identity.setMembership(admin, team.id, alice.id, 'data-steward');
      expect(changed.members[0]?.role).toBe('data-steward');
      expect((await identity.getUser(alice.id)).teams).toEqual([
        { teamId: team.id, teamName: 'perception', role: 'data-steward' },
      ]);
      await expect(
        identity.setMembership(admin, team.id, alice.id, 'overlord'),
      ).rejects.toBeInstanceOf(InvalidInput);
      await expect(identity.createUser(admin, { name: '../etc' })).rejects.toBeInstanceOf(
        InvalidInput,
      );
    });

    it('pages through lists with cursors and rejects forged cursors', async () => {
      for (let i = 0; i < 7; i += 1) await identity.createTeam(admin, { name: `team-${i}` });
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await identity.listTeams({
          limit: 3,
          ...(cursor === undefined ? {} : { cursor }),
        });
        expect(page.items.length).toBeLessThanOrEqual(3);
        seen.push(...page.items.map((t) => t.name));
        cursor = page.next ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toEqual(['team-0', 'team-1', 'team-2', 'team-3', 'team-4', 'team-5', 'team-6']);
      await expect(identity.listTeams({ cursor: 'not-a-cursor' })).rejects.toBeInstanceOf(
        InvalidInput,
      );
      await expect(
        identity.listTeams({ cursor: Buffer.from('{"a":1}').toString('base64url') }),
      ).rejects.toBeInstanceOf(InvalidInput);
      await expect(identity.listTeams({ limit: 0 })).rejects.toBeInstanceOf(InvalidInput);
    });

    it('returns the rows a LIMIT and OFFSET ask for, whatever the values of each run', async () => {
      for (let i = 0; i < 9; i += 1) {
        await identity.createTeam(admin, { name: `team-${String(i).padStart(2, '0')}` });
      }
      const names = (rows: readonly { name: string }[]) => rows.map((r) => r.name);
      const all = names(
        await store.db.selectFrom('teams').select('name').orderBy('name').execute(),
      );
      // One query shape run with many values: a store that reuses statements must not reuse a
      // value from an earlier run.
      for (const [limit, offset] of [
        [1, 0],
        [4, 0],
        [4, 4],
        [4, 8],
        [20, 2],
        [0, 0],
        [3, 1],
        [1, 0],
      ] as const) {
        const paged = await store.db
          .selectFrom('teams')
          .select('name')
          .where('name', '>=', 'team-00')
          .orderBy('name')
          .limit(limit)
          .offset(offset)
          .execute();
        expect(names(paged)).toEqual(all.slice(offset, offset + limit));
        const first = await store.db
          .selectFrom('teams')
          .select('name')
          .orderBy('name')
          .limit(limit)
          .execute();
        expect(names(first)).toEqual(all.slice(0, limit));
      }
      // A limit computed in SQL stays a bound expression.
      const computed = await store.db
        .selectFrom('teams')
        .select('name')
        .orderBy('name')
        .limit(sql<number>`1 + ${2}`)
        .execute();
      expect(names(computed)).toEqual(all.slice(0, 3));
    });

    it('lists member counts that follow memberships as they are added, changed and removed', async () => {
      const [red, blue] = [
        await identity.createTeam(admin, { name: 'red' }),
        await identity.createTeam(admin, { name: 'blue' }),
      ];
      const users = await Promise.all(
        ['ann', 'ben', 'cy'].map((name) => identity.createUser(admin, { name })),
      );
      const counts = async () =>
        Object.fromEntries(
          (await identity.listTeams()).items.map((team) => [team.name, team.memberCount]),
        );
      expect(await counts()).toEqual({ red: 0, blue: 0 });
      for (const user of users) await identity.setMembership(admin, red.id, user.id, 'viewer');
      await identity.setMembership(admin, blue.id, users[0]!.id, 'engineer');
      await identity.setMembership(admin, red.id, users[1]!.id, 'engineer');
      expect(await counts()).toEqual({ red: 3, blue: 1 });
      await identity.removeMembership(admin, red.id, users[2]!.id);
      expect(await counts()).toEqual({ red: 2, blue: 1 });
      const pageAfterFirst = await identity.listTeams({
        limit: 1,
        cursor: (await identity.listTeams({ limit: 1 })).next!,
      });
      expect(pageAfterFirst.items.map((t) => t.memberCount)).toHaveLength(1);
      expect((await identity.getTeam(red.id)).members).toHaveLength(2);
    });

    it('authenticates tokens by hash only, and refuses revoked, expired and disabled ones', async () => {
      const bob = await identity.createUser(admin, { name: 'bob' });
      const team = await identity.createTeam(admin, { name: 'mapping' });
      await identity.setMembership(admin, team.id, bob.id, 'viewer');
      const issued = await identity.createToken(admin, { userId: bob.id, name: 'laptop' });
      const stored = await store.db
        .selectFrom('tokens')
        .selectAll()
        .where('id', '=', issued.id)
        .executeTakeFirstOrThrow();
      expect(stored.token_hash).not.toContain(issued.secret);
      expect(JSON.stringify(stored)).not.toContain(issued.secret);

      const principal = await identity.authenticate(issued.secret);
      expect(principal).toMatchObject({
        userId: bob.id,
        name: 'bob',
        memberships: [{ teamId: team.id, role: 'viewer' }],
      });
      await expect(identity.authenticate(`${issued.secret.slice(0, -1)}x`)).rejects.toBeInstanceOf(
        Unauthorized,
      );
      await expect(identity.authenticate('garbage')).rejects.toBeInstanceOf(Unauthorized);

      await identity.revokeToken(admin, issued.id);
      await expect(identity.authenticate(issued.secret)).rejects.toBeInstanceOf(Unauthorized);

      const shortLived = await identity.createToken(admin, {
        userId: bob.id,
        name: 'ci',
        expiresAt: new Date(Date.now() + 300),
      });
      await identity.authenticate(shortLived.secret);
      await new Promise((resolve) => setTimeout(resolve, 400));
      await expect(identity.authenticate(shortLived.secret)).rejects.toBeInstanceOf(Unauthorized);

      const another = await identity.createToken(admin, { userId: bob.id, name: 'desktop' });
      await identity.authenticate(another.secret);
      await identity.setUserDisabled(admin, bob.id, true);
      await expect(identity.authenticate(another.secret)).rejects.toBeInstanceOf(Unauthorized);
      await expect(
        identity.createToken(admin, {
          userId: bob.id,
          name: 'x',
          expiresAt: new Date(Date.now() - 1000),
        }),
      ).rejects.toBeInstanceOf(InvalidInput);
    });

    it('notices a revocation made by another process within the authentication cache time', async () => {
      const carol = await identity.createUser(admin, { name: 'carol' });
      const issued = await identity.createToken(admin, { userId: carol.id, name: 'script' });
      await identity.authenticate(issued.secret);
      const otherProcess = new IdentityService(testStore.reopen());
      await otherProcess.revokeToken(admin, issued.id);
      await new Promise((resolve) => setTimeout(resolve, 2_100));
      await expect(identity.authenticate(issued.secret)).rejects.toBeInstanceOf(Unauthorized);
    });

    it('writes an audit entry with each change, in the same transaction, forming a valid chain', async () => {
      const dave = await identity.createUser(admin, { name: 'dave' });
      const team = await identity.createTeam(admin, { name: 'planning' });
      await identity.setMembership(admin, team.id, dave.id, 'engineer');
      await expect(identity.createTeam(admin, { name: 'planning' })).rejects.toBeInstanceOf(
        Conflict,
      );
      const page = await listAudit(store.db, { limit: 10 });
      expect(page.items.map((e) => e.action)).toEqual([
        'team.member.set',
        'team.create',
        'user.create',
      ]);
      expect(page.items[1]).toMatchObject({
        actor: 'operator:test',
        targetKind: 'team',
        targetId: team.id,
        beforeDigest: null,
      });
      expect(page.items[0]?.beforeDigest).toBeNull();
      expect(page.items[0]?.afterDigest).toMatch(/^[0-9a-f]{64}$/);
      expect(await verifyAudit(store.db)).toMatchObject({ ok: true, entries: 3 });
    });

    it('refuses updates and deletes of audit entries, and verify finds the first tampered entry', async () => {
      for (let i = 0; i < 5; i += 1) await identity.createTeam(admin, { name: `t${i}` });
      await expect(
        sql`update audit_log set actor = 'mallory' where seq = 2`.execute(store.db),
      ).rejects.toThrow(/append-only/);
      await expect(sql`delete from audit_log where seq = 2`.execute(store.db)).rejects.toThrow(
        /append-only/,
      );
      expect((await verifyAudit(store.db)).ok).toBe(true);
      const third = await store.db
        .selectFrom('audit_log')
        .select(['seq', 'id'])
        .orderBy('seq')
        .offset(2)
        .limit(1)
        .executeTakeFirstOrThrow();
      await tamper(store, third.seq, 'team.delete');
      const result = await verifyAudit(store.db, 2);
      expect(result).toEqual({
        ok: false,
        entries: 3,
        firstBad: { seq: third.seq, id: third.id, reason: 'content does not match its hash' },
      });
    });

    it('keeps the chain valid under concurrent writers in several processes', async () => {
      await Promise.all([
        runScript('test/support/scripts/create-teams.ts', [testStore.childName, 'a', '15']),
        runScript('test/support/scripts/create-teams.ts', [testStore.childName, 'b', '15']),
        Promise.all(
          Array.from({ length: 15 }, (_, i) => identity.createTeam(admin, { name: `c-${i}` })),
        ),
      ]);
      expect(await verifyAudit(store.db)).toMatchObject({ ok: true, entries: 45 });
      expect((await identity.listTeams({ limit: 100 })).items).toHaveLength(45);
    });

    it('rolls back a failed transaction completely: no row and no audit entry', async () => {
      await expect(
        store.transaction(async (trx) => {
          await trx
            .insertInto('teams')
            .values({ id: 'team_x', name: 'ghost', description: '', created_at: 1 })
            .execute();
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(await store.db.selectFrom('teams').selectAll().execute()).toEqual([]);
    });
  });
}
