import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import type { App } from '../../app/index.js';
import { diffVersions, exportVersion, type BuildResult } from '../../datasets/index.js';
import {
  Conflict,
  Forbidden,
  Internal,
  InvalidInput,
  NotFound,
  Unavailable,
  Unsupported,
  type DrivetrainError,
  type Task,
} from '../../platform/index.js';
import { operator, withApp } from '../app-access.js';
import { action, type CommandRegistrar } from '../command.js';
import { table } from '../format.js';
import type { CommandIO } from '../output.js';

async function readDefinition(path: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound('file', path);
    throw error;
  }
}

/** The error a failed task ended with, as the error class of its code. */
function taskError(task: Task): DrivetrainError {
  const message = task.error?.message ?? `task ${task.id} ${task.status}`;
  switch (task.error?.code) {
    case 'invalid_input':
      return new InvalidInput(message);
    case 'not_found':
      return new NotFound('input', message);
    case 'forbidden':
      return new Forbidden(message);
    case 'conflict':
      return new Conflict(message);
    case 'unsupported':
      return new Unsupported(message);
    case 'unavailable':
      return new Unavailable(message);
    default:
      return new Internal(message);
  }
}

/** Waits for a task run by this process's worker (or another's), showing its progress. */
async function follow(app: App, io: CommandIO, task: Task): Promise<Task> {
  const progress = io.progress('building', 1);
  try {
    for (;;) {
      const current = await app.tasks.get(task.id);
      progress.update(current.progress.done, Math.max(1, current.progress.total));
      if (current.status === 'succeeded') return current;
      if (current.status === 'failed' || current.status === 'cancelled') throw taskError(current);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    progress.stop();
  }
}

function renderBuild(result: BuildResult): string {
  const lines = [
    `dataset version ${result.id}`,
    `${result.samples} samples: ${Object.entries(result.splits)
      .map(([name, count]) => `${name} ${count}`)
      .join(', ')}`,
  ];
  if (result.coverage.length > 0)
    lines.push(
      '',
      table(
        result.coverage.map((c) => ({ ...c, pass: c.pass ? 'pass' : 'FAIL' })),
        ['attribute', 'target', 'actual', 'pass'],
      ),
    );
  return lines.join('\n');
}

/** `drivetrain datasets build|list|show|diff|export`. */
export const registerDatasetCommands: CommandRegistrar = (program, cli) => {
  const datasets = program
    .command('datasets')
    .description('immutable dataset versions: build from a definition, inspect, diff and export');

  datasets
    .command('build')
    .description('build a dataset version from a definition file (YAML or JSON) as a durable task')
    .argument('<file>', 'the dataset definition')
    .option('--team <team>', 'team that owns the version (default: your first team)')
    .action(
      action(cli, async (io, file: string, options: { team?: string }, command: Command) => {
        const text = await readDefinition(file, cli.cwd);
        const task = await withApp(
          cli,
          command,
          async (app) => {
            const submitted = await app.datasets.submit(operator(), {
              definition: text,
              ...(options.team === undefined ? {} : { team: options.team }),
            });
            return follow(app, io, submitted);
          },
          { worker: true },
        );
        const result = task.result as BuildResult;
        io.result(
          {
            id: result.id,
            samples: result.samples,
            splits: result.splits,
            coverage: result.coverage.map(({ attribute, target, actual, pass }) => ({
              attribute,
              target,
              actual,
              pass,
            })),
          },
          renderBuild,
        );
      }),
    );

  datasets
    .command('list')
    .description('dataset versions, newest first')
    .option('--name <name>', 'only versions of this definition name')
    .option('--limit <n>', 'page size', (v) => Number(v))
    .option('--cursor <cursor>', 'cursor of the next page')
    .action(
      action(
        cli,
        async (
          io,
          options: { name?: string; limit?: number; cursor?: string },
          command: Command,
        ) => {
          const page = await withApp(cli, command, (app) => app.datasets.list(operator(), options));
          io.result(page, (p) =>
            table(
              p.items.map((v) => ({ ...v, requirements: v.requirementsMet ? 'met' : 'NOT MET' })),
              ['id', 'name', 'samples', 'recordings', 'requirements', 'createdAt'],
            ),
          );
        },
      ),
    );

  datasets
    .command('show')
    .description('the dataset card of a version: definition, counts, coverage, split independence')
    .argument('<version>', 'version id or unique prefix')
    .action(
      action(cli, async (io, version: string, _options: unknown, command: Command) => {
        const card = await withApp(cli, command, (app) => app.datasets.card(operator(), version));
        io.result(card, (c) =>
          [
            `${c.id}  ${c.name}`,
            `${c.samples} samples from ${c.recordings} recordings (${c.segments} segments); split by ${c.splitBy}: ${Object.entries(
              c.splits,
            )
              .map(([n, v]) => `${n} ${v}`)
              .join(', ')}`,
            `query: ${c.definition.query}`,
            '',
            table(
              c.coverage.map((r) => ({ ...r, pass: r.pass ? 'pass' : 'FAIL' })),
              ['requirement', 'attribute', 'unit', 'target', 'actual', 'pass'],
            ),
            '',
            table(
              c.independence.map((i) => ({ ...i, pass: i.pass ? 'pass' : 'FAIL' })),
              ['key', 'enforced', 'shared', 'pass'],
            ),
          ].join('\n'),
        );
      }),
    );

  datasets
    .command('diff')
    .description('samples added and removed from version A to version B, and the coverage change')
    .argument('<a>', 'version id or prefix')
    .argument('<b>', 'version id or prefix')
    .action(
      action(cli, async (io, a: string, b: string, _options: unknown, command: Command) => {
        const diff = await withApp(cli, command, (app) =>
          diffVersions(app.datasets, app.objects, operator(), a, b),
        );
        io.result(diff, (d) =>
          [
            `${d.from.id} (${d.from.samples}) → ${d.to.id} (${d.to.samples})`,
            `+${d.added} added, -${d.removed} removed, ${d.unchanged} unchanged`,
            '',
            table(d.coverage, ['attribute', 'unit', 'before', 'after', 'delta']),
          ].join('\n'),
        );
      }),
    );

  datasets
    .command('export')
    .description(
      'write a version (manifest, splits, coverage, card; with --messages the referenced messages) to a folder',
    )
    .argument('<version>', 'version id or unique prefix')
    .requiredOption('--out <dir>', 'folder to write')
    .option('--messages', 'also write every referenced message as a file')
    .action(
      action(
        cli,
        async (
          io,
          version: string,
          options: { out: string; messages?: boolean },
          command: Command,
        ) => {
          const dir = resolve(cli.cwd, options.out);
          const result = await withApp(cli, command, async (app) => {
            const progress = io.progress('exporting', 1);
            try {
              return await exportVersion(
                {
                  datasets: app.datasets,
                  objects: app.objects,
                  db: app.store.db.withTables(),
                  scratchDir: join(app.config.home, 'scratch'),
                },
                operator(),
                version,
                dir,
                {
                  messages: options.messages === true,
                  onProgress: (done, total) => progress.update(done, total),
                },
              );
            } finally {
              progress.stop();
            }
          });
          io.result(
            result,
            (r) =>
              `exported ${r.id} to ${r.dir}: ${r.files} files${options.messages === true ? `, ${r.messages} messages` : ''}, ${r.bytes} bytes`,
          );
        },
      ),
    );
};
