import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { Command } from 'commander';
import {
  atArrivalRate,
  clusterFromTrace,
  configToTopology,
  flavorPrice,
  jobsFromTrace,
  objectFileName,
  parseAlibabaNodes,
  parseAlibabaPods,
  parseComputeConfig,
  policies,
  renderKueueObjects,
  sampleNodes,
  simulate,
  toYamlDocuments,
  type PolicyName,
  type SimCluster,
} from '../../compute/index.js';
import { InvalidInput } from '../../platform/index.js';
import { action, type CommandRegistrar } from '../command.js';

async function readText(cwd: string, file: string): Promise<string> {
  try {
    return await readFile(resolve(cwd, file), 'utf8');
  } catch (error) {
    throw new InvalidInput(
      `${file}: cannot read (${(error as NodeJS.ErrnoException).code ?? 'error'})`,
      file,
    );
  }
}

function numberOption(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n))
    throw new InvalidInput(`--${name}: expected a number, got '${value}'`, name);
  return n;
}

/** `drivetrain plan simulate` and `drivetrain k8s render`. */
export const registerCompute: CommandRegistrar = (program: Command, cli) => {
  const plan = program.command('plan').description('capacity planning');
  plan
    .command('simulate')
    .description('replay a job trace through the admission engine in simulated time')
    .requiredOption('--trace <file>', 'pod list in the Alibaba GPU trace 2023 format')
    .requiredOption(
      '--nodes <file>',
      'node list (Alibaba format) or a compute configuration (YAML)',
    )
    .option('--policy <name>', `admission policy: ${policies.join(', ')}`, 'fifo')
    .option('--capacity <fraction>', 'keep this fraction of the nodes (0..1], evenly spread')
    .option('--arrival-rate <jobsPerMinute>', 're-time arrivals to a steady rate')
    .action(
      action(
        cli,
        async (
          io,
          opts: {
            trace: string;
            nodes: string;
            policy: string;
            capacity?: string;
            arrivalRate?: string;
          },
        ) => {
          if (!(policies as readonly string[]).includes(opts.policy)) {
            throw new InvalidInput(
              `--policy: unknown policy '${opts.policy}' (expected ${policies.join(', ')})`,
              'policy',
            );
          }
          const policy = opts.policy as PolicyName;
          const pods = parseAlibabaPods(await readText(cli.cwd, opts.trace), basename(opts.trace));
          const traced = jobsFromTrace(pods);
          const rate = numberOption(opts.arrivalRate, 'arrival-rate');
          const jobs = rate === undefined ? traced.jobs : atArrivalRate(traced.jobs, rate);
          if (traced.neverRan.length > 0)
            io.note(
              `${traced.neverRan.length} pods never ran in the trace (no run time) and are left out`,
            );
          const nodesText = await readText(cli.cwd, opts.nodes);
          const fraction = numberOption(opts.capacity, 'capacity');
          let cluster: SimCluster;
          if (nodesText.startsWith('sn,')) {
            const nodes = parseAlibabaNodes(nodesText, basename(opts.nodes));
            const teams = [...new Set(jobs.map((j) => j.team))].sort();
            cluster = clusterFromTrace(
              fraction === undefined ? nodes : sampleNodes(nodes, fraction),
              teams,
              policy,
            );
          } else {
            const config = parseComputeConfig(nodesText, basename(opts.nodes));
            const topology = configToTopology(config);
            cluster = {
              topology: {
                ...topology,
                flavors: topology.flavors.map((f) => ({
                  ...f,
                  nodes:
                    fraction === undefined ? (f.nodes ?? []) : sampleNodes(f.nodes ?? [], fraction),
                })),
              },
              prices: new Map(config.flavors.map((f) => [f.name, flavorPrice(f)])),
              currency: config.currency,
            };
          }
          const report = simulate({ jobs, cluster, policy });
          const { preemptions: _p, ...cost } = report.cost;
          io.result({ ...report, cost }, (r) =>
            [
              `jobs ${r.jobs}, completed ${r.completed}, utilization ${(r.utilization * 100).toFixed(2)}%`,
              `queue delay p50/p95/p99: ${r.queueDelaySeconds.p50} / ${r.queueDelaySeconds.p95} / ${r.queueDelaySeconds.p99} s`,
              `job completion time mean/p50/p95: ${r.jctSeconds.mean} / ${r.jctSeconds.p50} / ${r.jctSeconds.p95} s`,
              `cost: ${r.cost.total === null ? 'no prices configured' : `${r.cost.total} ${r.cost.currency ?? ''}`} for ${r.cost.acceleratorHours} accelerator-hours`,
            ].join('\n'),
          );
        },
      ),
    );

  const k8s = program.command('k8s').description('Kubernetes and Kueue objects');
  k8s
    .command('render')
    .description(
      'write the Kueue objects of the compute configuration as YAML, one object per file',
    )
    .option('--config <file>', 'compute configuration', 'compute.yaml')
    .requiredOption('--out <dir>', 'directory to write to')
    .action(
      action(cli, async (io, opts: { config: string; out: string }) => {
        const config = parseComputeConfig(
          await readText(cli.cwd, opts.config),
          basename(opts.config),
        );
        const objects = renderKueueObjects(config);
        const dir = resolve(cli.cwd, opts.out);
        await mkdir(dir, { recursive: true });
        const files: string[] = [];
        for (const o of objects) {
          const name = objectFileName(o);
          const target = resolve(dir, name);
          await writeFile(`${target}.tmp`, toYamlDocuments([o]));
          await rename(`${target}.tmp`, target);
          files.push(name);
        }
        io.result(
          { out: dir, objects: objects.length, files },
          (r) => `wrote ${r.objects} objects to ${r.out}`,
        );
      }),
    );
};
