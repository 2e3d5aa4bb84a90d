import type { Command } from 'commander';
import { InvalidInput } from '../../platform/index.js';
import { operator, withApp } from '../app-access.js';
import { action, type CommandRegistrar } from '../command.js';
import { table } from '../format.js';

function limitOption(value: string): number {
  const limit = Number(value);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) {
    throw new InvalidInput(`--limit must be an integer from 1 to 500, got '${value}'`, 'limit');
  }
  return limit;
}

/** `drivetrain search QUERY`: scenario search over segments. */
export const registerSearchCommand: CommandRegistrar = (program, cli) => {
  program
    .command('search')
    .description(
      'find segments by scenario, e.g. \'sensors has lidar and country = "DE" and night and speed_kmh > 80 and rain\'',
    )
    .argument('<query>', 'the scenario query')
    .option('--limit <n>', 'segments per page (1-500, default 50)', limitOption)
    .option('--cursor <cursor>', 'the next cursor of the previous page')
    .action(
      action(
        cli,
        async (
          io,
          query: string,
          options: { limit?: number; cursor?: string },
          command: Command,
        ) => {
          const page = await withApp(cli, command, (app) =>
            app.search.search(operator(), {
              query,
              ...(options.limit === undefined ? {} : { limit: options.limit }),
              ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
            }),
          ).catch((error: unknown) => {
            // Show where in the query the problem is, under the one-line error.
            if (error instanceof InvalidInput && typeof error.details.excerpt === 'string') {
              io.note(error.details.excerpt);
            }
            throw error;
          });
          const result = {
            segments: page.items.map((hit) => ({
              recordingId: hit.recordingId,
              start: new Date(hit.startMs).toISOString(),
              end: new Date(hit.endMs).toISOString(),
              tags: hit.tags,
            })),
            next: page.next,
          };
          io.result(result, (r) => {
            const rows = r.segments.map((s) => ({ ...s, tags: s.tags.join(' ') }));
            const more = r.next === null ? '' : `\nmore: --cursor ${r.next}`;
            return `${table(rows, ['recordingId', 'start', 'end', 'tags'])}${more}`;
          });
        },
      ),
    );
};
