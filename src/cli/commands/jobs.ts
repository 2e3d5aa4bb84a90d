import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { formatQuantity, jobStates, parseJobFile, type Job } from '../../compute/index.js';
import { InvalidInput } from '../../platform/index.js';
import { action, type CommandRegistrar } from '../command.js';
import { operator, withApp } from '../app-access.js';
import { table } from '../format.js';

function time(value: string | undefined, name: string): number {
  if (value === undefined) throw new InvalidInput(`--${name} is required`, name);
  const ms = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
  if (Number.isNaN(ms))
    throw new InvalidInput(
      `--${name}: '${value}' is not a time (ISO 8601, e.g. 2026-11-01, or epoch seconds)`,
      name,
    );
  return ms / 1000;
}

/** The fields `jobs get --json` prints; scripts depend on exactly these. */
function contract(job: Job) {
  return {
    id: job.id,
    state: job.state,
    team: job.team,
    queue: job.queue,
    createdAt: job.createdAt,
    admittedAt: job.admittedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    cost: job.cost,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** `drivetrain jobs …` and `drivetrain cost …`. */
export const registerJobCommands: CommandRegistrar = (program, cli) => {
  const jobs = program.command('jobs').description('training jobs');

  jobs
    .command('submit')
    .description('submit a training job from a YAML or JSON file')
    .argument('<file>', 'job file')
    .action(
      action(cli, async (io, file: string, _opts: unknown, command: Command) => {
        const path = resolve(cli.cwd, file);
        let text: string;
        try {
          text = await readFile(path, 'utf8');
        } catch (error) {
          throw new InvalidInput(
            `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
            file,
          );
        }
        const doc = parseJobFile(text, path);
        const job = await withApp(cli, command, (app) => app.compute.submit(operator(), doc));
        io.result(
          { id: job.id, state: job.state },
          (r) => `submitted ${r.id} (${r.state}); follow it with: drivetrain jobs get ${r.id}`,
        );
      }),
    );

  jobs
    .command('get')
    .description('a job: state, queue, times and cost')
    .argument('<id>', 'job id')
    .action(
      action(cli, async (io, id: string, _opts: unknown, command: Command) => {
        const job = await withApp(cli, command, (app) => app.compute.get(id));
        io.result(contract(job), () =>
          [
            `${job.id}  ${job.name}  team ${job.team}  ${job.state}${job.message ? ` (${job.message})` : ''}`,
            `accelerators ${job.accelerators} × ${job.accelerator}${job.flavor ? ` on ${job.flavor}` : ''}, attempt ${job.attempt}, cost ${job.cost} ${job.currency}`,
            ...jobStates
              .filter((s) => job.times[s] !== null)
              .map((s) => `  ${s.padEnd(10)} ${job.times[s] ?? ''}`),
          ].join('\n'),
        );
      }),
    );

  jobs
    .command('list')
    .description('jobs, newest first')
    .option('--team <team>', 'only this team')
    .option('--state <state>', `only this state (${jobStates.join(', ')})`)
    .option('--limit <n>', 'page size', (v) => Number(v))
    .option('--cursor <cursor>', 'cursor of the next page')
    .action(
      action(
        cli,
        async (
          io,
          opts: { team?: string; state?: string; limit?: number; cursor?: string },
          command: Command,
        ) => {
          if (opts.state !== undefined && !(jobStates as readonly string[]).includes(opts.state))
            throw new InvalidInput(
              `--state: expected one of ${jobStates.join(', ')}, got '${opts.state}'`,
              'state',
            );
          const page = await withApp(cli, command, (app) =>
            app.compute.list({
              ...(opts.team === undefined ? {} : { team: opts.team }),
              ...(opts.state === undefined ? {} : { state: opts.state as Job['state'] }),
              ...(opts.limit === undefined ? {} : { limit: opts.limit }),
              ...(opts.cursor === undefined ? {} : { cursor: opts.cursor }),
            }),
          );
          io.result(page, (p) =>
            table(p.items, [
              'id',
              'name',
              'team',
              'state',
              'accelerators',
              'flavor',
              'createdAt',
              'cost',
            ]),
          );
        },
      ),
    );

  jobs
    .command('cancel')
    .description('cancel a job')
    .argument('<id>', 'job id')
    .action(
      action(cli, async (io, id: string, _opts: unknown, command: Command) => {
        const job = await withApp(cli, command, (app) => app.compute.cancel(operator(), id));
        io.result(
          contract(job),
          (j) => `${j.id}: ${j.state === 'cancelled' ? 'cancelled' : 'stopping'}`,
        );
      }),
    );

  jobs
    .command('explain')
    .description(
      'why a pending job waits: quota, borrowing, position, what must finish or be preempted',
    )
    .argument('<id>', 'job id')
    .action(
      action(cli, async (io, id: string, _opts: unknown, command: Command) => {
        const e = await withApp(cli, command, (app) => app.compute.explain(id));
        io.result(e, () => {
          const lines = [
            `${e.workloadId} waits in queue ${e.clusterQueue}${e.cohort ? ` (cohort ${e.cohort})` : ''}, position ${e.position}${e.ahead.length > 0 ? ` behind ${e.ahead.join(', ')}` : ''}`,
          ];
          const d = e.decision;
          if (d.kind === 'pending') lines.push(`why: ${d.reason.message} [${d.reason.code}]`);
          else if (d.kind === 'preempt')
            lines.push(
              `admissible by preempting ${d.targets.map((t) => `${t.workloadId} (${t.reason})`).join(', ')}`,
            );
          else lines.push('admissible now: it will be admitted at the next cycle');
          for (const f of e.findings) {
            lines.push(
              `  ${f.flavor} ${f.resource}: needs ${formatQuantity(f.requested, f.resource)}, quota ${formatQuantity(f.nominal, f.resource)}, in use ${formatQuantity(f.used, f.resource)}, available ${formatQuantity(f.available, f.resource)}${f.wouldBorrow > 0 ? `, would borrow ${formatQuantity(f.wouldBorrow, f.resource)}` : ''}`,
            );
          }
          if (e.mustFinish.length > 0)
            lines.push(`admitted once these end: ${e.mustFinish.join(', ')}`);
          return lines.join('\n');
        });
      }),
    );

  jobs
    .command('logs')
    .description('the log of a job (its latest attempt by default)')
    .argument('<id>', 'job id')
    .option('--attempt <n>', 'attempt number', (v) => Number(v))
    .option('--follow', 'keep printing until the attempt ends')
    .action(
      action(
        cli,
        async (io, id: string, opts: { attempt?: number; follow?: boolean }, command: Command) => {
          await withApp(cli, command, async (app) => {
            const job = await app.compute.get(id);
            const attempt = opts.attempt ?? job.attempt;
            let next = 0;
            for (;;) {
              for await (const chunk of app.compute.readLog(id, { attempt, fromSeq: next })) {
                cli.streams.stdout.write(chunk.data);
                next = chunk.seq + 1;
              }
              if (opts.follow !== true || !(await app.compute.logOpen(id, attempt))) break;
              await sleep(500);
            }
          });
          void io;
        },
      ),
    );

  jobs
    .command('metrics')
    .description('metric series a job reported')
    .argument('<id>', 'job id')
    .action(
      action(cli, async (io, id: string, _opts: unknown, command: Command) => {
        const series = await withApp(cli, command, (app) => app.compute.metrics(id));
        io.result(series, (s) =>
          s
            .map(
              (m) =>
                `${m.name}: ${m.points.map((p) => `${p.step}=${Number(p.value.toPrecision(6))}`).join(' ')}`,
            )
            .join('\n'),
        );
      }),
    );

  const cost = program.command('cost').description('what accelerator time costs');
  cost
    .command('report')
    .description('cost per team, project or flavor over a period, idle cost split as OpenCost does')
    .requiredOption('--from <time>', 'start (ISO 8601 or epoch seconds)')
    .requiredOption('--to <time>', 'end (ISO 8601 or epoch seconds)')
    .option('--by <group>', 'team, project or flavor', 'team')
    .option('--idle-split <how>', 'separate, proportional or uniform', 'separate')
    .action(
      action(
        cli,
        async (
          io,
          opts: { from: string; to: string; by: string; idleSplit: string },
          command: Command,
        ) => {
          if (!['team', 'project', 'flavor'].includes(opts.by))
            throw new InvalidInput(
              `--by: expected team, project or flavor, got '${opts.by}'`,
              'by',
            );
          if (!['separate', 'proportional', 'uniform'].includes(opts.idleSplit))
            throw new InvalidInput(
              `--idle-split: expected separate, proportional or uniform, got '${opts.idleSplit}'`,
              'idle-split',
            );
          const report = await withApp(cli, command, (app) =>
            app.compute.costReport({
              from: time(opts.from, 'from'),
              to: time(opts.to, 'to'),
              by: opts.by as 'team',
              idleSplit: opts.idleSplit as 'separate',
            }),
          );
          io.result(report, (r) =>
            [
              table(
                [...r.rows],
                ['key', 'acceleratorHours', 'allocationCost', 'idleCost', 'totalCost'],
              ),
              `capacity ${r.assetCost} ${r.currency}: allocated ${r.allocationCost}, idle ${r.idleCost} (${r.idlePercent}% of allocation)`,
            ].join('\n'),
          );
        },
      ),
    );
  cost
    .command('recommendations')
    .description('savings to consider, with their estimates')
    .requiredOption('--from <time>', 'start (ISO 8601 or epoch seconds)')
    .requiredOption('--to <time>', 'end (ISO 8601 or epoch seconds)')
    .action(
      action(cli, async (io, opts: { from: string; to: string }, command: Command) => {
        const list = await withApp(cli, command, (app) =>
          app.compute.recommendations({ from: time(opts.from, 'from'), to: time(opts.to, 'to') }),
        );
        io.result(list, (l) =>
          l.length === 0
            ? 'nothing to recommend'
            : l.map((r) => `${r.saving}  ${r.message}`).join('\n'),
        );
      }),
    );
};
