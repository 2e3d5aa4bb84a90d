import type { Command } from 'commander';
import { InvalidInput, type Page, type User } from '../../platform/index.js';
import type { App } from '../../app/index.js';
import { action, type CommandRegistrar } from '../command.js';
import { operator, withApp } from '../app-access.js';
import { table } from '../format.js';

async function resolveUser(app: App, nameOrId: string): Promise<User> {
  return nameOrId.startsWith('usr_')
    ? app.identity.getUser(nameOrId)
    : app.identity.findUserByName(nameOrId);
}

async function resolveTeamId(app: App, nameOrId: string): Promise<string> {
  return nameOrId.startsWith('team_') ? nameOrId : (await app.identity.findTeamByName(nameOrId)).id;
}

function limitOption(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit))
    throw new InvalidInput(`--limit must be an integer, got '${value}'`, 'limit');
  return limit;
}

const pageOptions = (command: Command): Command =>
  command
    .option('--limit <n>', 'page size', limitOption)
    .option('--cursor <cursor>', 'cursor of the next page');

function userRows(page: Page<User>): string {
  const rows = page.items.map((u) => ({
    ...u,
    teams: u.teams.map((t) => `${t.teamName}:${t.role}`).join(','),
    admin: u.platformAdmin ? 'yes' : '',
    disabled: u.disabledAt ?? '',
  }));
  return (
    table(rows, ['id', 'name', 'email', 'admin', 'teams', 'disabled']) +
    (page.next === null ? '' : `\nnext: ${page.next}`)
  );
}

/** `drivetrain users|teams|tokens …`: identity administration on the host. */
export const registerIdentityCommands: CommandRegistrar = (program, cli) => {
  const users = program.command('users').description('manage users');
  pageOptions(users.command('list').description('list users')).action(
    action(cli, async (io, options: { limit?: number; cursor?: string }, command: Command) => {
      const page = await withApp(cli, command, (app) => app.identity.listUsers(options));
      io.result(page, userRows);
    }),
  );
  users
    .command('create <name>')
    .description('create a user')
    .option('--email <email>', 'e-mail address')
    .option('--admin', 'make the user a platform admin')
    .action(
      action(
        cli,
        async (
          io,
          name: string,
          options: { email?: string; admin?: boolean },
          command: Command,
        ) => {
          const user = await withApp(cli, command, (app) =>
            app.identity.createUser(operator(), {
              name,
              email: options.email ?? null,
              platformAdmin: options.admin === true,
            }),
          );
          io.result(user, (u) => `created user ${u.name} (${u.id})`);
        },
      ),
    );
  for (const [verb, disabled] of [
    ['disable', true],
    ['enable', false],
  ] as const) {
    users
      .command(`${verb} <user>`)
      .description(`${verb} a user (name or id); a disabled user's tokens stop working`)
      .action(
        action(cli, async (io, nameOrId: string, _options: unknown, command: Command) => {
          const user = await withApp(cli, command, async (app) =>
            app.identity.setUserDisabled(
              operator(),
              (await resolveUser(app, nameOrId)).id,
              disabled,
            ),
          );
          io.result(user, (u) => `${verb}d user ${u.name}`);
        }),
      );
  }

  const teams = program.command('teams').description('manage teams and their members');
  pageOptions(teams.command('list').description('list teams')).action(
    action(cli, async (io, options: { limit?: number; cursor?: string }, command: Command) => {
      const page = await withApp(cli, command, (app) => app.identity.listTeams(options));
      io.result(page, (p) => table(p.items, ['id', 'name', 'description', 'memberCount']));
    }),
  );
  teams
    .command('create <name>')
    .description('create a team')
    .option('--description <text>', 'what the team does')
    .action(
      action(cli, async (io, name: string, options: { description?: string }, command: Command) => {
        const team = await withApp(cli, command, (app) =>
          app.identity.createTeam(operator(), { name, description: options.description ?? '' }),
        );
        io.result(team, (t) => `created team ${t.name} (${t.id})`);
      }),
    );
  teams
    .command('add-member <team> <user>')
    .description('add a user to a team, or change their role there')
    .requiredOption('--role <role>', 'viewer, engineer, data-steward or safety-assessor')
    .action(
      action(
        cli,
        async (
          io,
          teamRef: string,
          userRef: string,
          options: { role: string },
          command: Command,
        ) => {
          const team = await withApp(cli, command, async (app) =>
            app.identity.setMembership(
              operator(),
              await resolveTeamId(app, teamRef),
              (await resolveUser(app, userRef)).id,
              options.role,
            ),
          );
          io.result(team, (t) => `${userRef} is ${options.role} in ${t.name}`);
        },
      ),
    );
  teams
    .command('remove-member <team> <user>')
    .description('remove a user from a team')
    .action(
      action(
        cli,
        async (io, teamRef: string, userRef: string, _options: unknown, command: Command) => {
          const team = await withApp(cli, command, async (app) =>
            app.identity.removeMembership(
              operator(),
              await resolveTeamId(app, teamRef),
              (await resolveUser(app, userRef)).id,
            ),
          );
          io.result(team, (t) => `removed ${userRef} from ${t.name}`);
        },
      ),
    );

  const tokens = program.command('tokens').description('manage API tokens');
  pageOptions(
    tokens
      .command('list')
      .description('list tokens')
      .option('--user <user>', "only this user's tokens"),
  ).action(
    action(
      cli,
      async (io, options: { limit?: number; cursor?: string; user?: string }, command: Command) => {
        const page = await withApp(cli, command, async (app) =>
          app.identity.listTokens({
            ...(options.limit === undefined ? {} : { limit: options.limit }),
            ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
            ...(options.user === undefined
              ? {}
              : { userId: (await resolveUser(app, options.user)).id }),
          }),
        );
        io.result(page, (p) =>
          table(p.items, [
            'id',
            'userId',
            'name',
            'createdAt',
            'expiresAt',
            'revokedAt',
            'lastUsedAt',
          ]),
        );
      },
    ),
  );
  tokens
    .command('create')
    .description('issue a token; the secret is printed once')
    .requiredOption('--user <user>', 'user name or id')
    .option('--name <name>', 'what the token is for', 'cli')
    .option('--expires <time>', 'expiry as an ISO-8601 time')
    .action(
      action(
        cli,
        async (io, options: { user: string; name: string; expires?: string }, command: Command) => {
          let expiresAt: Date | null = null;
          if (options.expires !== undefined) {
            expiresAt = new Date(options.expires);
            if (Number.isNaN(expiresAt.getTime()))
              throw new InvalidInput(`--expires is not a time: '${options.expires}'`, 'expires');
          }
          const token = await withApp(cli, command, async (app) =>
            app.identity.createToken(operator(), {
              userId: (await resolveUser(app, options.user)).id,
              name: options.name,
              expiresAt,
            }),
          );
          io.result(
            token,
            (t) =>
              `token ${t.id} for ${options.user}:\n${t.secret}\n(store it now: it is not shown again)`,
          );
        },
      ),
    );
  tokens
    .command('revoke <id>')
    .description('revoke a token')
    .action(
      action(cli, async (io, id: string, _options: unknown, command: Command) => {
        const token = await withApp(cli, command, (app) =>
          app.identity.revokeToken(operator(), id),
        );
        io.result(token, (t) => `revoked token ${t.id}`);
      }),
    );
};
