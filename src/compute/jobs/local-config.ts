import { availableParallelism } from 'node:os';
import type { ComputeConfig, TeamConfig } from '../config.js';

/**
 * The embedded default: this machine as one cluster with one flavor of CPU slots (its cores),
 * never an accelerator it does not have. Teams of the platform that the file does not list get
 * a quota of the whole machine each, so a fresh install runs jobs for every team; the machine's
 * capacity still bounds what runs at once.
 */
export function localConfigYaml(cores: number = availableParallelism()): string {
  return `# drivetrain compute configuration, generated for this machine on first start.
# Edit it, or point DRIVETRAIN_COMPUTE_CONFIG at another file. Teams of the platform that are
# not listed under teams get a quota of every flavor here.
apiVersion: drivetrain.io/v1
kind: ComputeConfig
currency: EUR
accelerators:
  - name: cpu
    vendor: cpu
    resource: cpu
clusters:
  - name: local
    region: local
flavors:
  - name: local-cpu
    cluster: local
    accelerator: cpu
    capacity: { nodes: 1, acceleratorsPerNode: ${Math.max(1, Math.min(64, cores))} }
    # Price of one core-hour, for cost reports.
    prices: { onDemand: 0.04 }
priorities:
  - { name: low, value: 0 }
  - { name: high, value: 1000 }
teams: []
`;
}

const teamName = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** The configuration plus a whole-capacity quota for each named team it does not list. */
export function withAutoTeams(config: ComputeConfig, teams: readonly string[]): ComputeConfig {
  const missing = teams.filter(
    (t) => t.length <= 63 && teamName.test(t) && !config.teams.some((c) => c.name === t),
  );
  if (missing.length === 0) return config;
  const added = missing.map((name): TeamConfig => ({
    name,
    namespace: `team-${name}`,
    fairSharingWeight: 1,
    queueingStrategy: 'BestEffortFIFO',
    preemption: { withinClusterQueue: 'LowerPriority', reclaimWithinCohort: 'Never' },
    flavorFungibility: { whenCanBorrow: 'MayStopSearch', whenCanPreempt: 'TryNextFlavor' },
    quotas: config.flavors.map((f) => {
      const resource = config.accelerators.find((a) => a.name === f.accelerator)?.resource ?? '';
      return {
        flavor: f.name,
        resources: {
          [resource]: { nominal: f.capacity.nodes * f.capacity.acceleratorsPerNode * 1000 },
        },
      };
    }),
  }));
  return { ...config, teams: [...config.teams, ...added] };
}
