import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bootstrapAdmin, openApp, type App } from '../../src/app/index.js';
import { createLogger, loadConfig, type Config } from '../../src/platform/index.js';
import { createServer, type Server } from '../../src/server/index.js';
import { dropSchema, freshSchemaName, testDatabaseUrl } from './postgres.js';

export interface TestServer {
  readonly app: App;
  readonly server: Server;
  /** Base URL when started with `listen: true`. */
  readonly url: string;
  readonly adminToken: string;
  close(): Promise<void>;
}

export interface TestServerOptions {
  readonly database?: 'sqlite' | 'postgres';
  readonly listen?: boolean;
  readonly env?: Record<string, string>;
  readonly webRoot?: string;
  readonly worker?: boolean;
  readonly configure?: (config: Config) => Config;
}

/** A real server on a fresh data directory (and a fresh PostgreSQL schema when asked). */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const home = mkdtempSync(join(tmpdir(), 'drivetrain-server-'));
  const schema = options.database === 'postgres' ? freshSchemaName('api') : undefined;
  const env: Record<string, string> = {
    DRIVETRAIN_HOME: home,
    DRIVETRAIN_DEMO: '0',
    ...(schema === undefined
      ? {}
      : { DRIVETRAIN_DATABASE_URL: testDatabaseUrl, DRIVETRAIN_DATABASE_SCHEMA: schema }),
    ...options.env,
  };
  const baseConfig = loadConfig(env, home);
  const config = options.configure?.(baseConfig) ?? baseConfig;
  const app = await openApp(config, {
    worker: options.worker ?? true,
    logger: createLogger(process.env.DRIVETRAIN_TEST_LOG_LEVEL ?? 'silent'),
    env: { ...process.env, ...env },
  });
  const server = await createServer(
    app,
    options.webRoot === undefined ? {} : { webRoot: options.webRoot },
  );
  const admin = await bootstrapAdmin(app);
  let url = '';
  if (options.listen === true) {
    await server.listen({ port: 0, host: '127.0.0.1' });
    const address = server.server.address();
    url = typeof address === 'object' && address !== null ? `http://127.0.0.1:${address.port}` : '';
  } else {
    await server.ready();
  }
  return {
    app,
    server,
    url,
    adminToken: admin?.secret ?? '',
    async close() {
      await server.close();
      await app.close();
      if (schema !== undefined) await dropSchema(schema);
      rmSync(home, { recursive: true, force: true });
    },
  };
}
