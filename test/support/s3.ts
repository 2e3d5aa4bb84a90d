import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** A real S3-protocol server (s3rver) listening on loopback, in a child process of the test. */
export interface S3TestServer {
  /** e.g. `http://127.0.0.1:41234`; use with path-style addressing. */
  readonly endpoint: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly region: string;
  /** A bucket that exists on the server. */
  readonly bucket: string;
  /** Stops the server and removes its data directory. */
  stop(): Promise<void>;
}

// s3rver accepts only this fixed key pair and checks SigV4 signatures against it.
const credentials = 'S3RVER';

// The server runs in its own process so that its memory does not count against the memory
// checks of the store under test, and so that a test cannot share state with it by accident.
const serverScript = `
const S3rver = require(process.env.S3RVER_MODULE);
const server = new S3rver({
  address: '127.0.0.1',
  port: 0,
  silent: true,
  directory: process.env.S3RVER_DIRECTORY,
  configureBuckets: [{ name: process.env.S3RVER_BUCKET }],
});
server.run().then(
  (address) => process.stdout.write(JSON.stringify({ port: address.port }) + '\\n'),
  (error) => { process.stderr.write(String(error && error.stack || error)); process.exit(1); },
);
process.on('disconnect', () => process.exit(0));
`;

/** Starts s3rver on 127.0.0.1 with one empty bucket and waits until it accepts requests. */
export async function startS3Server(bucket = 'drivetrain-test'): Promise<S3TestServer> {
  const directory = await mkdtemp(join(tmpdir(), 'drivetrain-s3rver-'));
  // s3rver encrypts list continuation tokens with DES, which OpenSSL 3 offers only in its
  // legacy provider; without it every truncated list page is a 500.
  const child = spawn(process.execPath, ['--openssl-legacy-provider', '-e', serverScript], {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: {
      ...process.env,
      S3RVER_MODULE: createRequire(import.meta.url).resolve('s3rver'),
      S3RVER_DIRECTORY: directory,
      S3RVER_BUCKET: bucket,
    },
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  try {
    const port = await readPort(child, () => stderr);
    return {
      endpoint: `http://127.0.0.1:${port}`,
      accessKeyId: credentials,
      secretAccessKey: credentials,
      region: 'us-east-1',
      bucket,
      async stop() {
        await stopChild(child);
        await rm(directory, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child);
    await rm(directory, { recursive: true, force: true });
    throw error;
  }
}

async function readPort(child: ChildProcess, stderr: () => string): Promise<number> {
  const stdout = child.stdout;
  if (stdout === null) throw new Error('s3rver child has no stdout');
  const lines = createInterface({ input: stdout });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`s3rver exited with code ${String(code)} before listening: ${stderr()}`)),
    ),
  );
  const first = (async () => {
    for await (const line of lines) return (JSON.parse(line) as { port: number }).port;
    throw new Error(`s3rver closed its output before listening: ${stderr()}`);
  })();
  return Promise.race([first, exited]);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  await exited;
}
