import { createReadStream } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Command } from 'commander';
import type { App } from '../../app/index.js';
import { openRecording } from '../../formats/index.js';
import {
  asDrivetrainError,
  CorruptRecording,
  InvalidInput,
  operatorPrincipal,
  parseS3Url,
  s3ClientConfig,
  type ObjectBody,
} from '../../platform/index.js';
import { catalogue, fileReader, type Channel, type Recording } from '../../recordings/index.js';
import { operator, withApp } from '../app-access.js';
import { action, type CliEnvironment, type CommandRegistrar } from '../command.js';
import { exitCodes } from '../exit-codes.js';
import { table } from '../format.js';
import type { CommandIO } from '../output.js';

/** One thing to ingest: a file, a rosbag2 folder, or an S3 object. */
type Input =
  | { kind: 'file'; path: string; name: string; size: number }
  | { kind: 'folder'; path: string; name: string; files: string[]; size: number }
  | { kind: 's3'; url: string; name: string };

/** The ingest contract's description of a recording (`--json`). */
interface IngestOutput {
  id: string | null;
  sha256: string | null;
  format: string | null;
  status: 'ingested' | 'duplicate' | 'rejected' | 'inspected';
  size: number;
  bytesRead: number;
  startTime: string | null;
  endTime: string | null;
  channels: {
    topic: string;
    sensor: string;
    schemaName: string;
    messageCount: number;
    frequencyHz: number | null;
  }[];
  error?: { code: string; message: string; offset: number | null };
  path: string;
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * The inputs named on the command line: a folder holding a `metadata.yaml` is one rosbag2 bag;
 * any other folder contributes each file below it (a bag folder below it stays one bag).
 */
async function resolveInputs(paths: readonly string[], cwd: string): Promise<Input[]> {
  const inputs: Input[] = [];
  const visit = async (path: string): Promise<void> => {
    const info = await stat(path).catch(() => undefined);
    if (info === undefined) throw new InvalidInput(`${path}: no such file or folder`, 'path');
    if (info.isFile()) {
      inputs.push({ kind: 'file', path, name: basename(path), size: info.size });
      return;
    }
    const children = await readdir(path, { withFileTypes: true });
    if (children.some((child) => child.isFile() && child.name === 'metadata.yaml')) {
      const files = await walk(path);
      let size = 0;
      for (const file of files) size += (await stat(file)).size;
      inputs.push({
        kind: 'folder',
        path,
        name: basename(path),
        files: files.map((f) => relative(path, f).split(sep).join('/')),
        size,
      });
      return;
    }
    for (const child of children.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (!child.name.startsWith('.')) await visit(join(path, child.name));
    }
  };
  for (const path of paths) {
    if (path.startsWith('s3://')) {
      const { prefix } = parseS3Url(path, 'path');
      inputs.push({ kind: 's3', url: path, name: prefix.split('/').pop() ?? prefix });
    } else {
      await visit(resolve(cwd, path));
    }
  }
  return inputs;
}

async function s3Body(url: string, env: CliEnvironment['env']): Promise<ObjectBody> {
  const { bucket, prefix } = parseS3Url(url, 'path');
  const client = new S3Client(s3ClientConfig(env));
  const response = await client.send(new GetObjectCommand({ Bucket: bucket, Key: prefix }));
  if (response.Body === undefined) throw new InvalidInput(`${url} has no body`, 'path');
  return response.Body as AsyncIterable<Uint8Array>;
}

function describe(
  recording: Recording,
  channels: readonly Channel[],
  duplicate: boolean,
  path: string,
): IngestOutput {
  const status = duplicate
    ? 'duplicate'
    : recording.status === 'rejected'
      ? 'rejected'
      : 'ingested';
  return {
    id: recording.id,
    sha256: recording.sha256,
    format: recording.format,
    status,
    size: recording.size,
    bytesRead: recording.bytesRead,
    startTime: recording.startTime,
    endTime: recording.endTime,
    channels: channels.map((c) => ({
      topic: c.topic,
      sensor: c.sensor,
      schemaName: c.schemaName,
      messageCount: c.messageCount,
      frequencyHz: c.frequencyHz,
    })),
    ...(recording.error === null ? {} : { error: recording.error }),
    path,
  };
}

function render(outputs: readonly IngestOutput[]): string {
  const rows = outputs.map((o) => ({
    path: o.path,
    status: o.status,
    format: o.format ?? '-',
    channels: o.channels.length,
    start: o.startTime ?? '-',
    bytesRead: `${o.bytesRead}/${o.size}`,
    error: o.error === undefined ? '' : `${o.error.code}: ${o.error.message}`,
  }));
  return table(rows, ['path', 'status', 'format', 'channels', 'start', 'bytesRead', 'error']);
}

/** The team the CLI files recordings under: the one named, or `default` (created on first use). */
async function teamFor(app: App, name: string | undefined): Promise<string> {
  if (name !== undefined) {
    return name.startsWith('team_')
      ? (await app.identity.getTeam(name)).id
      : (await app.identity.findTeamByName(name)).id;
  }
  try {
    return (await app.identity.findTeamByName('default')).id;
  } catch {
    return (
      await app.identity.createTeam(operatorPrincipal('cli'), {
        name: 'default',
        description: 'recordings ingested without a team',
      })
    ).id;
  }
}

async function waitUntilSettled(
  app: App,
  ids: readonly string[],
  io: CommandIO,
): Promise<Recording[]> {
  const progress = io.progress('ingest', ids.length);
  for (;;) {
    const recordings = await Promise.all(ids.map((id) => app.recordings.get(id)));
    const settled = recordings.filter(
      (r) => r.status === 'ready' || r.status === 'rejected',
    ).length;
    progress.update(settled);
    if (settled === recordings.length) {
      progress.stop();
      return recordings;
    }
    const tasks = await Promise.all(
      recordings.flatMap((r) => (r.taskId === null ? [] : [app.tasks.get(r.taskId)])),
    );
    const broken = tasks.find((task) => task.status === 'failed');
    if (broken !== undefined) {
      progress.stop();
      throw asDrivetrainError(
        new Error(`ingest task ${broken.id} failed: ${broken.error?.message ?? 'unknown error'}`),
      );
    }
    await new Promise((done) => setTimeout(done, 200));
  }
}

async function ingest(
  cli: CliEnvironment,
  io: CommandIO,
  paths: readonly string[],
  options: { vehicle?: string; team?: string; dbc?: string },
  command: Command,
): Promise<void> {
  const inputs = await resolveInputs(paths, cli.cwd);
  if (inputs.length === 0)
    throw new InvalidInput('no files to ingest under the given paths', 'path');
  const dbc =
    options.dbc === undefined ? undefined : await readFile(resolve(cli.cwd, options.dbc), 'utf8');
  await withApp(
    cli,
    command,
    async (app) => {
      const teamId = await teamFor(app, options.team);
      const added: { id: string; duplicate: boolean; path: string }[] = [];
      for (const input of inputs) {
        const total = input.kind === 's3' ? 0 : input.size;
        const bar = io.progress(`upload ${input.name}`, total);
        const common = {
          name: input.name,
          teamId,
          vehicle: options.vehicle ?? null,
          ...(dbc === undefined ? {} : { dbc }),
          onProgress: (bytes: number) => bar.update(bytes),
        };
        const result =
          input.kind === 'folder'
            ? await app.recordings.add(operator(), {
                ...common,
                files: input.files.map((file) => ({
                  path: file,
                  body: () => createReadStream(join(input.path, file)),
                })),
              })
            : await app.recordings.add(operator(), {
                ...common,
                body:
                  input.kind === 'file'
                    ? createReadStream(input.path, { highWaterMark: 1024 * 1024 })
                    : await s3Body(input.url, cli.env),
              });
        bar.stop();
        added.push({
          id: result.recording.id,
          duplicate: result.duplicate,
          path: input.kind === 's3' ? input.url : input.path,
        });
      }
      const settled = await waitUntilSettled(
        app,
        added.map((a) => a.id),
        io,
      );
      const outputs = await Promise.all(
        settled.map(async (recording, i) =>
          describe(
            recording,
            await app.recordings.channels(recording.id),
            added[i]?.duplicate ?? false,
            added[i]?.path ?? '',
          ),
        ),
      );
      io.result({ recordings: outputs }, (value) => render(value.recordings));
      if (outputs.some((o) => o.status === 'rejected')) io.setExitCode(exitCodes.partial);
    },
    { worker: true },
  );
}

async function inspect(
  cli: CliEnvironment,
  io: CommandIO,
  paths: readonly string[],
): Promise<void> {
  const inputs = await resolveInputs(paths, cli.cwd);
  const outputs: IngestOutput[] = [];
  for (const input of inputs) {
    if (input.kind !== 'file') {
      throw new InvalidInput(
        `inspect reads single local files; ${input.kind === 's3' ? input.url : input.path} is not one`,
        'path',
      );
    }
    const reader = await fileReader(input.path);
    const base = { id: null, sha256: null, size: input.size, path: input.path };
    try {
      const source = await openRecording(input.name, reader);
      const analysis = await catalogue(source, { file: input.name });
      outputs.push({
        ...base,
        format: source.format,
        status: 'inspected',
        bytesRead: source.bytesRead,
        startTime:
          analysis.startNs === null
            ? null
            : new Date(Number(analysis.startNs / 1_000_000n)).toISOString(),
        endTime:
          analysis.endNs === null
            ? null
            : new Date(Number(analysis.endNs / 1_000_000n)).toISOString(),
        channels: analysis.channels.map((c) => ({
          topic: c.topic,
          sensor: c.sensor,
          schemaName: c.schemaName,
          messageCount: c.messageCount,
          frequencyHz: c.frequencyHz,
        })),
      });
    } catch (thrown) {
      const error = asDrivetrainError(thrown);
      if (!['corrupt_recording', 'unsupported', 'invalid_input'].includes(error.code)) throw error;
      outputs.push({
        ...base,
        format: null,
        status: 'rejected',
        bytesRead: 0,
        startTime: null,
        endTime: null,
        channels: [],
        error: {
          code: error.code,
          message: error.message,
          offset:
            error instanceof CorruptRecording
              ? error.offset
              : typeof error.details.offset === 'number'
                ? error.details.offset
                : null,
        },
      });
    } finally {
      await reader.close();
    }
  }
  io.result({ recordings: outputs }, (value) => render(value.recordings));
  if (outputs.some((o) => o.status === 'rejected')) io.setExitCode(exitCodes.partial);
}

/** `drivetrain ingest`, `drivetrain inspect` and `drivetrain recordings …`. */
export const registerRecordingCommands: CommandRegistrar = (program, cli) => {
  program
    .command('ingest <paths...>')
    .description(
      'add recordings (files, folders, rosbag2 bag folders, s3://bucket/key) and wait until they are ingested',
    )
    .option('--vehicle <id>', 'vehicle the recordings come from')
    .option('--team <team>', "team that owns them (default: 'default')")
    .option('--dbc <file>', 'DBC of the CAN channels, for speed and position signals')
    .action(
      action(
        cli,
        (
          io,
          paths: string[],
          options: { vehicle?: string; team?: string; dbc?: string },
          command: Command,
        ) => ingest(cli, io, paths, options, command),
      ),
    );

  program
    .command('inspect <paths...>')
    .description('describe recordings (format, time range, channels) without adding them')
    .action(action(cli, (io, paths: string[]) => inspect(cli, io, paths)));

  const recordings = program.command('recordings').description('browse ingested recordings');
  recordings
    .command('list')
    .description('recordings, newest first')
    .option('--vehicle <id>', 'only this vehicle')
    .option('--sensor <kind>', 'only recordings with this sensor')
    .option('--country <iso2>', 'only recordings in this country')
    .option('--tag <tag>', 'only recordings with a segment carrying this tag')
    .option('--limit <n>', 'page size', (v) => Number(v))
    .option('--cursor <cursor>', 'cursor of the next page')
    .action(
      action(
        cli,
        async (
          io,
          options: {
            vehicle?: string;
            sensor?: string;
            country?: string;
            tag?: string;
            limit?: number;
            cursor?: string;
          },
          command: Command,
        ) => {
          const page = await withApp(cli, command, (app) => app.recordings.list(options));
          io.result(page, (p) =>
            table(p.items, [
              'id',
              'name',
              'status',
              'format',
              'vehicle',
              'startTime',
              'durationSeconds',
              'country',
            ]),
          );
        },
      ),
    );
  recordings
    .command('get <id>')
    .description('a recording with its channels')
    .action(
      action(cli, async (io, id: string, _options: unknown, command: Command) => {
        const detail = await withApp(cli, command, async (app) => ({
          recording: await app.recordings.get(id),
          channels: await app.recordings.channels(id),
        }));
        io.result(
          detail,
          (d) =>
            `${d.recording.name} (${d.recording.status})\n${table(d.channels, ['key', 'topic', 'sensor', 'schemaName', 'messageCount', 'frequencyHz', 'gapCount'])}`,
        );
      }),
    );
};
