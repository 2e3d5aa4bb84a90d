import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { bootstrapAdmin, openApp, queueDemo } from '../../app/index.js';
import { InvalidInput } from '../../platform/index.js';
import { createServer } from '../../server/index.js';
import { action, type CommandRegistrar } from '../command.js';
import { configOf } from '../app-access.js';

/** The built web UI, relative to this module in both `src/` (tsx) and `dist/` (built). */
const webRoot = fileURLToPath(new URL('../../../dist/web', import.meta.url));

function portOption(value: string): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new InvalidInput(`--port must be an integer from 0 to 65535, got '${value}'`, 'port');
  }
  return port;
}

/** `drivetrain serve`: the HTTP API, the web UI and the task workers, until SIGINT/SIGTERM. */
export const registerServeCommand: CommandRegistrar = (program, cli) => {
  program
    .command('serve')
    .description('run the platform: API, web UI and task workers')
    .option('--port <port>', 'port to listen on (default 8080, or PORT)', portOption)
    .option('--host <host>', 'address to listen on (default localhost, or DRIVETRAIN_HOST)')
    .action(
      action(cli, async (io, options: { port?: number; host?: string }, command: Command) => {
        const config = configOf(
          cli,
          command,
          options.port === undefined ? {} : { port: options.port },
        );
        const app = await openApp(
          options.host === undefined ? config : { ...config, host: options.host },
          { worker: true },
        );
        const server = await createServer(app, { webRoot });
        const firstToken = await bootstrapAdmin(app);
        if (firstToken !== undefined && app.config.demo) await queueDemo(app);
        await server.listen({ port: app.config.port, host: app.config.host });
        const address = server.server.address();
        const port =
          typeof address === 'object' && address !== null ? address.port : app.config.port;
        const url = `http://localhost:${port}`;
        if (firstToken !== undefined) {
          io.note(
            `\nFirst start: created user 'admin' (platform admin). Its API token, shown only once:\n\n  ${firstToken.secret}\n\nSign in at ${url} with it.${app.config.demo ? ' A demo fleet is being generated and ingested (see Tasks); DRIVETRAIN_DEMO=0 skips it.' : ''}\n`,
          );
        }
        io.result(
          {
            url,
            home: app.config.home,
            database: app.store.location,
            objects: app.objects.location,
            ...(firstToken === undefined ? {} : { adminToken: firstToken.secret }),
          },
          (r) => `drivetrain is serving on ${r.url} (data in ${r.home})`,
        );
        await new Promise<void>((resolve) => {
          const shutdown = (): void => {
            process.off('SIGINT', shutdown);
            process.off('SIGTERM', shutdown);
            void server
              .close()
              .then(() => app.close())
              .finally(resolve);
          };
          process.on('SIGINT', shutdown);
          process.on('SIGTERM', shutdown);
        });
      }),
    );
};
