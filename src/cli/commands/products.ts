import { readFile, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { parseYaml, type DataProduct } from '../../catalog/index.js';
import { NotFound } from '../../platform/index.js';
import { operator, withApp } from '../app-access.js';
import { action, type CommandRegistrar } from '../command.js';
import { table } from '../format.js';

async function readText(path: string, cwd: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, path), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new NotFound('file', path);
    throw error;
  }
}

function renderProduct(p: DataProduct): string {
  const quality =
    p.quality.status === 'failing'
      ? `FAILING: ${p.quality.failures.map((f) => `${f.check} (${f.recordings > 0 ? `${f.recordings} recordings, e.g. ${f.example ?? ''}: ` : ''}${f.detail})`).join('; ')}`
      : p.quality.status;
  return [
    `${p.name}  (${p.id}) in domain ${p.domainName}, owned by ${p.ownerTeamName}`,
    p.description,
    `classification ${p.classification}; personal data: ${p.personalData.join(', ') || 'none'}; residency ${p.residency}`,
    `serves ${p.recordingCount} recordings; rule ${JSON.stringify(p.rule)}`,
    `quality: ${quality}`,
    `readers: ${p.grants.map((g) => g.teamName).join(', ') || '(owner team only)'}`,
  ]
    .filter((line) => line !== '')
    .join('\n');
}

/** `drivetrain products …` and `drivetrain domains …`: the data mesh catalog. */
export const registerProductCommands: CommandRegistrar = (program, cli) => {
  const domains = program.command('domains').description('domains of the data mesh');
  domains
    .command('list')
    .description('every domain')
    .action(
      action(cli, async (io, _options: unknown, command: Command) => {
        const items = await withApp(cli, command, (app) => app.catalog.listDomains());
        io.result({ items }, (r) =>
          table(r.items, ['name', 'ownerTeamName', 'productCount', 'description']),
        );
      }),
    );
  domains
    .command('create')
    .description('create a domain owned by a team')
    .argument('<name>')
    .requiredOption('--team <team>', 'owner team')
    .option('--description <text>')
    .action(
      action(
        cli,
        async (
          io,
          name: string,
          options: { team: string; description?: string },
          command: Command,
        ) => {
          const domain = await withApp(cli, command, (app) =>
            app.catalog.createDomain(operator(), {
              name,
              ownerTeam: options.team,
              description: options.description,
            }),
          );
          io.result(domain, (d) => `created domain ${d.name} (${d.id})`);
        },
      ),
    );

  const products = program
    .command('products')
    .description('data products: rules, contracts (ODCS), grants and quality');
  products
    .command('list')
    .description('data products in name order')
    .option('--domain <domain>')
    .action(
      action(cli, async (io, options: { domain?: string }, command: Command) => {
        const page = await withApp(cli, command, (app) =>
          app.catalog.listProducts(operator(), { limit: 500, ...options }),
        );
        io.result(page, (p) =>
          table(
            p.items.map((x) => ({
              ...x,
              quality: x.quality.status,
              owner: x.ownerTeamName,
              domain: x.domainName,
            })),
            ['name', 'domain', 'owner', 'classification', 'recordingCount', 'quality'],
          ),
        );
      }),
    );
  products
    .command('show')
    .description('a product with its quality status and failing checks')
    .argument('<product>', 'name or id')
    .action(
      action(cli, async (io, ref: string, _options: unknown, command: Command) => {
        const product = await withApp(cli, command, (app) =>
          app.catalog.getProduct(operator(), ref),
        );
        io.result(product, renderProduct);
      }),
    );
  products
    .command('create')
    .description(
      'create a product from a YAML or JSON file (name, domain, classification, personalData, residency, rule, slos)',
    )
    .argument('<file>')
    .action(
      action(cli, async (io, file: string, _options: unknown, command: Command) => {
        const input = parseYaml(await readText(file, cli.cwd), 'product') as Record<
          string,
          unknown
        >;
        const product = await withApp(cli, command, (app) =>
          app.catalog.createProduct(operator(), input),
        );
        io.result(product, renderProduct);
      }),
    );
  products
    .command('grant')
    .description('let a team read a product')
    .argument('<product>')
    .argument('<team>')
    .action(
      action(cli, async (io, ref: string, team: string, _options: unknown, command: Command) => {
        const product = await withApp(cli, command, (app) =>
          app.catalog.grant(operator(), ref, team),
        );
        io.result(product, renderProduct);
      }),
    );
  products
    .command('revoke')
    .description("take a team's read access away")
    .argument('<product>')
    .argument('<team>')
    .action(
      action(cli, async (io, ref: string, team: string, _options: unknown, command: Command) => {
        const product = await withApp(cli, command, (app) =>
          app.catalog.revoke(operator(), ref, team),
        );
        io.result(product, renderProduct);
      }),
    );
  products
    .command('check')
    .description('run every contract check of a product now and show the results')
    .argument('<product>')
    .option('--failing', 'only failing checks')
    .action(
      action(cli, async (io, ref: string, options: { failing?: boolean }, command: Command) => {
        const result = await withApp(cli, command, async (app) => {
          const product = await app.catalog.recheck(operator(), ref);
          const checks = await app.catalog.checks(operator(), ref, {
            failingOnly: options.failing === true,
          });
          return { product, checks };
        });
        io.result(
          result,
          (r) =>
            `${renderProduct(r.product)}\n\n${table(
              r.checks.map((c) => ({ ...c, passed: c.passed ? 'pass' : 'FAIL' })),
              ['check', 'recordingId', 'passed', 'detail'],
            )}`,
        );
      }),
    );

  const contract = products.command('contract').description('ODCS v3 data contracts');
  contract
    .command('import')
    .description(
      'create or update a product from an ODCS v3 contract, checked against the official schema',
    )
    .argument('<file>')
    .action(
      action(cli, async (io, file: string, _options: unknown, command: Command) => {
        const text = await readText(file, cli.cwd);
        const result = await withApp(cli, command, (app) =>
          app.catalog.importContract(operator(), text),
        );
        io.result(
          result,
          (r) =>
            `${renderProduct(r.product)}${r.notRun.length > 0 ? `\nnot run by drivetrain: ${r.notRun.join(', ')}` : ''}`,
        );
      }),
    );
  contract
    .command('export')
    .description("write a product's ODCS v3 contract (YAML) to a file or stdout")
    .argument('<product>')
    .option('--out <file>')
    .action(
      action(cli, async (io, ref: string, options: { out?: string }, command: Command) => {
        const yaml = await withApp(cli, command, (app) =>
          app.catalog.exportContract(operator(), ref),
        );
        if (options.out !== undefined) {
          await writeFile(resolve(cli.cwd, options.out), yaml);
          io.result({ written: options.out }, (r) => `wrote ${r.written}`);
        } else {
          io.result({ contract: yaml }, (r) => r.contract);
        }
      }),
    );
};
