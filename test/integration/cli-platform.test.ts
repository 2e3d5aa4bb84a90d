import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { exitCodes } from '../../src/cli/index.js';
import { cli } from '../support/cli.js';

const home = mkdtempSync(join(tmpdir(), 'drivetrain-cli-'));
const env = { DRIVETRAIN_HOME: home, DRIVETRAIN_DEMO: '0' };
afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('drivetrain users, teams, tokens and audit', () => {
  it('prints help, and exits 2 with the usage for an unknown command', async () => {
    const help = await cli(['--help']);
    expect(help.exitCode).toBe(0);
    for (const command of [
      'serve',
      'users',
      'teams',
      'tokens',
      'audit',
      'ingest',
      'inspect',
      'sync',
      'generate',
    ]) {
      expect(help.stdout).toContain(command);
    }
    const unknown = await cli(['frobnicate']);
    expect(unknown.exitCode).toBe(exitCodes.usage);
    expect(unknown.stderr).toContain('unknown command');
  });

  it('manages users, teams, memberships and tokens, with --json and stable exit codes', async () => {
    const user = await cli(['users', 'create', 'alice', '--email', 'alice@example.com', '--json'], {
      env,
    });
    expect(user.exitCode).toBe(0);
    expect(user.json()).toMatchObject({
      name: 'alice',
      email: 'alice@example.com',
      platformAdmin: false,
    });
    const again = await cli(['users', 'create', 'alice', '--json'], { env });
    expect(again.exitCode).toBe(exitCodes.conflict);
    expect(again.json()).toMatchObject({ error: { code: 'conflict' } });

    expect((await cli(['teams', 'create', 'perception', '--json'], { env })).exitCode).toBe(0);
    const member = await cli(
      ['teams', 'add-member', 'perception', 'alice', '--role', 'engineer', '--json'],
      { env },
    );
    expect(member.json()).toMatchObject({
      name: 'perception',
      members: [{ userName: 'alice', role: 'engineer' }],
    });
    const badRole = await cli(
      ['teams', 'add-member', 'perception', 'alice', '--role', 'overlord'],
      { env },
    );
    expect(badRole.exitCode).toBe(exitCodes.invalid_input);
    expect(badRole.stderr).toContain('role must be one of');
    const missing = await cli(['teams', 'add-member', 'nope', 'alice', '--role', 'viewer'], {
      env,
    });
    expect(missing.exitCode).toBe(exitCodes.not_found);

    const token = await cli(['tokens', 'create', '--user', 'alice', '--name', 'laptop', '--json'], {
      env,
    });
    const issued = token.json<{ id: string; secret: string }>();
    expect(issued.secret).toMatch(/^dt_/);
    const listed = await cli(['tokens', 'list', '--user', 'alice', '--json'], { env });
    expect(JSON.stringify(listed.json())).not.toContain(issued.secret);
    expect((await cli(['tokens', 'revoke', issued.id, '--json'], { env })).json()).toMatchObject({
      id: issued.id,
      revokedAt: expect.any(String) as unknown,
    });

    const teams = await cli(['teams', 'list', '--json'], { env });
    expect(teams.json<{ items: { name: string; memberCount: number }[] }>().items).toEqual([
      expect.objectContaining({ name: 'perception', memberCount: 1 }),
    ]);
  });

  it('verifies the audit chain, and names the first entry edited behind its back (exit 14)', async () => {
    const ok = await cli(['audit', 'verify', '--json'], { env });
    expect(ok.exitCode).toBe(0);
    const verified = ok.json<{ ok: boolean; entries: number }>();
    expect(verified.ok).toBe(true);
    expect(verified.entries).toBeGreaterThanOrEqual(5);

    const db = new Database(join(home, 'drivetrain.db'));
    db.exec('drop trigger audit_log_no_update');
    const target = db
      .prepare('select seq, id from audit_log order by seq limit 1 offset 2')
      .get() as { seq: number; id: string };
    db.prepare("update audit_log set actor = 'user:mallory' where seq = ?").run(target.seq);
    db.close();

    const tampered = await cli(['audit', 'verify', '--json'], { env });
    expect(tampered.exitCode).toBe(exitCodes.verification_failed);
    expect(tampered.json()).toMatchObject({
      ok: false,
      firstBad: { seq: target.seq, id: target.id },
    });
    const human = await cli(['audit', 'verify'], { env });
    expect(human.stdout).toContain(`TAMPERED at entry #${target.seq}`);
  });
});
