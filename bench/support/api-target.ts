import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify from 'fastify';
import { openApp } from '../../src/app/index.js';
import { createLogger, loadConfig, operatorPrincipal } from '../../src/platform/index.js';
import { createServer } from '../../src/server/index.js';

// Usage: api-target.ts bare|bare-page|sqlite|postgres — serves one benchmark target on a free
// port and prints one JSON line {url, path, token} on stdout; runs until killed. `bare-page`
// serves the JSON text in BENCH_API_PAGE as its constant.
const kind = process.argv[2] ?? 'bare';

if (kind === 'bare' || kind === 'bare-page') {
  const server = Fastify({ logger: false });
  const page = process.env.BENCH_API_PAGE ?? '';
  if (kind === 'bare') server.get('/constant', async () => ({ status: 'ok' }));
  else
    server.get('/constant', (_request, reply) =>
      reply.type('application/json; charset=utf-8').send(page),
    );
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, path: '/constant', token: '' })}\n`,
  );
} else {
  const home = mkdtempSync(join(tmpdir(), 'drivetrain-bench-api-'));
  const env: Record<string, string | undefined> = {
    DRIVETRAIN_HOME: home,
    DRIVETRAIN_DEMO: '0',
    ...(kind === 'postgres'
      ? {
          DRIVETRAIN_DATABASE_URL:
            process.env.DRIVETRAIN_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
          DRIVETRAIN_DATABASE_SCHEMA: `bench_api_${process.pid}`,
        }
      : {}),
  };
  const app = await openApp(loadConfig(env, home), { worker: false, logger: createLogger('warn') });
  const operator = operatorPrincipal('bench');
  const user = await app.identity.createUser(operator, { name: 'bench' });
  // A realistic page: 20 teams, each with a few members.
  const members = await Promise.all(
    Array.from({ length: 5 }, (_, i) => app.identity.createUser(operator, { name: `member-${i}` })),
  );
  for (let i = 0; i < 20; i += 1) {
    const team = await app.identity.createTeam(operator, {
      name: `team-${i}`,
      description: `team number ${i}`,
    });
    for (const [j, member] of members.entries()) {
      if ((i + j) % 2 === 0)
        await app.identity.setMembership(operator, team.id, member.id, 'engineer');
    }
    if (i === 0) await app.identity.setMembership(operator, team.id, user.id, 'viewer');
  }
  const token = await app.identity.createToken(operator, { userId: user.id, name: 'bench' });
  const server = await createServer(app);
  await server.listen({ port: 0, host: '127.0.0.1' });
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(
    `${JSON.stringify({ url: `http://127.0.0.1:${port}`, path: '/teams?limit=20', token: token.secret, schema: env.DRIVETRAIN_DATABASE_SCHEMA })}\n`,
  );
  // The bench stops a target with SIGTERM; its data directory goes with it.
  process.once('SIGTERM', () => {
    void server
      .close()
      .then(() => app.close())
      .finally(() => {
        rmSync(home, { recursive: true, force: true });
        process.exit(0);
      });
  });
}
