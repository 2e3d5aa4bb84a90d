import type { Command } from 'commander';
import { InvalidInput, type RunEvent } from '../../platform/index.js';
import { withApp } from '../app-access.js';
import { action, type CommandRegistrar } from '../command.js';
import { table } from '../format.js';

function since(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}/.test(value) || Number.isNaN(date.getTime())) {
    throw new InvalidInput(
      `--since must be an ISO-8601 time such as 2026-01-31T00:00:00Z, got '${value}'`,
      'since',
    );
  }
  return date;
}

/** `drivetrain lineage events|graph`. */
export const registerLineageCommands: CommandRegistrar = (program, cli) => {
  const lineage = program
    .command('lineage')
    .description('OpenLineage run events of ingests and dataset builds');

  lineage
    .command('events')
    .description('stored run events, oldest first')
    .option('--since <time>', 'only events from this time on (ISO-8601)')
    .action(
      action(cli, async (io, options: { since?: string }, command: Command) => {
        const from = options.since === undefined ? undefined : since(options.since);
        const events = await withApp(cli, command, async (app) => {
          const all: RunEvent[] = [];
          let cursor: string | undefined;
          do {
            const page = await app.lineage.events({
              limit: 500,
              ...(from === undefined ? {} : { since: from }),
              ...(cursor === undefined ? {} : { cursor }),
            });
            all.push(...page.items.map((item) => item.event));
            cursor = page.next ?? undefined;
          } while (cursor !== undefined);
          return all;
        });
        io.result({ events }, (r) =>
          table(
            r.events.map((e) => ({
              time: e.eventTime,
              type: e.eventType,
              job: e.job.name,
              run: e.run.runId,
              inputs: e.inputs?.length ?? 0,
              outputs: e.outputs?.map((o) => o.name).join(' ') ?? '',
            })),
            ['time', 'type', 'job', 'run', 'inputs', 'outputs'],
          ),
        );
      }),
    );

  lineage
    .command('graph')
    .description('datasets and jobs upstream and downstream of a node')
    .argument('<node>', 'dataset or job name, e.g. recordings/<id> or datasets/<id>')
    .option('--kind <kind>', 'dataset or job (default dataset)')
    .option('--depth <n>', 'hops to follow (1-20, default 3)', (v) => Number(v))
    .option('--direction <direction>', 'upstream, downstream or both (default)')
    .action(
      action(
        cli,
        async (
          io,
          node: string,
          options: { kind?: string; depth?: number; direction?: string },
          command: Command,
        ) => {
          if (options.kind !== undefined && options.kind !== 'dataset' && options.kind !== 'job') {
            throw new InvalidInput('--kind must be dataset or job', 'kind');
          }
          if (
            options.direction !== undefined &&
            !['upstream', 'downstream', 'both'].includes(options.direction)
          ) {
            throw new InvalidInput('--direction must be upstream, downstream or both', 'direction');
          }
          const graph = await withApp(cli, command, (app) =>
            app.lineage.graph(
              {
                name: node,
                ...(options.kind === undefined ? {} : { kind: options.kind as 'dataset' | 'job' }),
              },
              {
                ...(options.depth === undefined ? {} : { depth: options.depth }),
                ...(options.direction === undefined
                  ? {}
                  : { direction: options.direction as 'upstream' | 'downstream' | 'both' }),
              },
            ),
          );
          const label = new Map(graph.nodes.map((n) => [n.id, `${n.kind} ${n.name}`]));
          io.result(
            graph,
            (g) =>
              g.edges
                .map(
                  (e) => `${label.get(e.source) ?? e.source} → ${label.get(e.target) ?? e.target}`,
                )
                .join('\n') || '(no edges)',
          );
        },
      ),
    );
};
