import type { Command } from 'commander';
import { listAudit, verifyAudit } from '../../platform/index.js';
import { action, type CommandRegistrar } from '../command.js';
import { withApp } from '../app-access.js';
import { exitCodes } from '../exit-codes.js';
import { table } from '../format.js';

/** `drivetrain audit verify|list`. */
export const registerAuditCommands: CommandRegistrar = (program, cli) => {
  const audit = program.command('audit').description('the append-only, hash-chained audit log');
  audit
    .command('verify')
    .description(
      'recompute the hash chain; exits 14 and names the first tampered entry if it does not check out',
    )
    .action(
      action(cli, async (io, _options: unknown, command: Command) => {
        const verification = await withApp(cli, command, (app) => verifyAudit(app.store.db));
        io.result(verification, (v) =>
          v.ok
            ? `audit log verified: ${v.entries} entries, head ${v.head}`
            : `audit log TAMPERED at entry #${v.firstBad.seq} (${v.firstBad.id}): ${v.firstBad.reason}`,
        );
        if (!verification.ok) io.setExitCode(exitCodes.verification_failed);
      }),
    );
  audit
    .command('list')
    .description('audit entries, newest first')
    .option('--limit <n>', 'page size', (v) => Number(v))
    .option('--cursor <cursor>', 'cursor of the next page')
    .option('--target-kind <kind>', 'only entries about this kind of thing')
    .option('--target-id <id>', 'only entries about this thing')
    .action(
      action(
        cli,
        async (
          io,
          options: { limit?: number; cursor?: string; targetKind?: string; targetId?: string },
          command: Command,
        ) => {
          const page = await withApp(cli, command, (app) => listAudit(app.store.db, options));
          io.result(page, (p) =>
            table(p.items, ['seq', 'at', 'actor', 'action', 'targetKind', 'targetId']),
          );
        },
      ),
    );
};
