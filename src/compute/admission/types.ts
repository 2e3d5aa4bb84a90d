/**
 * The data the admission engine reads and returns. Amounts are the integers of
 * `../quantity.ts` (thousandths, or bytes for memory); times are numbers in one monotonic unit
 * chosen by the caller (the simulator uses seconds, the executors epoch milliseconds).
 */

export type WithinClusterQueuePolicy = 'Never' | 'LowerPriority' | 'LowerOrNewerEqualPriority';
export type ReclaimWithinCohortPolicy = 'Never' | 'LowerPriority' | 'Any';
export type FungibilityPolicy = 'MayStopSearch' | 'TryNextFlavor';
export type QueueingStrategy = 'BestEffortFIFO' | 'StrictFIFO';

/** Quota of one resource in one flavor, as in a Kueue ResourceGroup. */
export interface QuotaSpec {
  readonly nominal: number;
  /** Most this queue may borrow beyond nominal; unlimited when absent. */
  readonly borrowingLimit?: number;
  /** Most of nominal this queue lends to its cohort; all of it when absent. */
  readonly lendingLimit?: number;
}

export interface FlavorQuotaSpec {
  readonly flavor: string;
  readonly resources: Readonly<Record<string, QuotaSpec>>;
}

/** Resources that are assigned a flavor together; flavors are tried in this order. */
export interface ResourceGroupSpec {
  readonly coveredResources: readonly string[];
  readonly flavors: readonly FlavorQuotaSpec[];
}

export interface PreemptionSpec {
  readonly withinClusterQueue?: WithinClusterQueuePolicy;
  readonly reclaimWithinCohort?: ReclaimWithinCohortPolicy;
  readonly borrowWithinCohort?: {
    readonly policy: 'Never' | 'LowerPriority';
    readonly maxPriorityThreshold?: number;
  };
}

export interface FlavorFungibilitySpec {
  readonly whenCanBorrow?: FungibilityPolicy;
  readonly whenCanPreempt?: FungibilityPolicy;
  readonly preference?: 'BorrowingOverPreemption' | 'PreemptionOverBorrowing';
}

/** One team's queue: Kueue's ClusterQueue. */
export interface ClusterQueueSpec {
  readonly name: string;
  readonly cohort?: string;
  readonly resourceGroups: readonly ResourceGroupSpec[];
  readonly preemption?: PreemptionSpec;
  /** Fair-sharing weight; 1 when absent, 0 makes the queue the first to give back. */
  readonly fairSharingWeight?: number;
  readonly queueingStrategy?: QueueingStrategy;
  readonly flavorFungibility?: FlavorFungibilitySpec;
}

/** A cohort: queues (and child cohorts) that lend each other unused quota. */
export interface CohortSpec {
  readonly name: string;
  readonly parent?: string;
  readonly resourceGroups?: readonly ResourceGroupSpec[];
  readonly fairSharingWeight?: number;
}

export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

export interface Toleration {
  readonly key?: string;
  readonly operator?: 'Equal' | 'Exists';
  readonly value?: string;
  readonly effect?: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** One machine of a flavor; `resources` is its allocatable capacity in internal units. */
export interface NodeSpec {
  readonly name: string;
  readonly resources: Readonly<Record<string, number>>;
}

/**
 * A ResourceFlavor. When it lists nodes, every admission also places each pod of the podset on
 * one node (all pods or none): `deviceResource` is the accelerator resource that is handed
 * out per device, so requests below one device share a device and larger ones take whole ones.
 */
export interface FlavorSpec {
  readonly name: string;
  readonly nodeLabels?: Readonly<Record<string, string>>;
  readonly nodeTaints?: readonly Taint[];
  readonly tolerations?: readonly Toleration[];
  readonly deviceResource?: string;
  readonly nodes?: readonly NodeSpec[];
}

export interface ClusterTopology {
  readonly flavors: readonly FlavorSpec[];
  readonly cohorts: readonly CohortSpec[];
  readonly clusterQueues: readonly ClusterQueueSpec[];
}

export interface NodeSelectorRequirement {
  readonly key: string;
  readonly operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist';
  readonly values?: readonly string[];
}

/** A gang of `count` identical pods; `requests` are per pod. */
export interface PodSetRequest {
  readonly name: string;
  readonly count: number;
  readonly requests: Readonly<Record<string, number>>;
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly nodeAffinity?: readonly NodeSelectorRequirement[];
  readonly tolerations?: readonly Toleration[];
}

/** A workload waiting for admission (Kueue's Workload). */
export interface WorkloadRequest {
  readonly id: string;
  readonly clusterQueue: string;
  readonly priority: number;
  /**
   * Order within equal priority: lower first. Kueue uses the creation time; a policy may use
   * something else (shortest-job-first uses the expected duration).
   */
  readonly orderKey: number;
  /** When the workload was queued, for LowerOrNewerEqualPriority; defaults to `orderKey`. */
  readonly queuedAt?: number;
  readonly podSets: readonly PodSetRequest[];
}

/** The node a pod was placed on and what it took there. */
export interface PodPlacement {
  readonly node: string;
  /** Device indices and the thousandths taken on each, for the flavor's device resource. */
  readonly devices?: readonly (readonly [index: number, amount: number])[];
}

export interface PodSetAdmission {
  readonly name: string;
  readonly count: number;
  /** Flavor assigned to each requested resource. */
  readonly flavors: Readonly<Record<string, string>>;
  /** One entry per pod when the assigned flavor has nodes. */
  readonly placement?: readonly PodPlacement[];
}

export interface Admission {
  readonly clusterQueue: string;
  readonly podSets: readonly PodSetAdmission[];
}

export interface AdmittedWorkload extends WorkloadRequest {
  readonly admission: Admission;
  readonly admittedAt: number;
  /** When it is expected to end (e.g. admission plus maximum duration), for explanations. */
  readonly expectedEndAt?: number;
}

export type PreemptionReason =
  | 'InClusterQueue'
  | 'InCohortReclamation'
  | 'InCohortFairSharing'
  | 'InCohortReclaimWhileBorrowing';

export interface PreemptionTarget {
  readonly workloadId: string;
  readonly clusterQueue: string;
  readonly reason: PreemptionReason;
}

export type PendingCode =
  | 'ClusterQueueNotFound'
  | 'NoMatchingFlavor'
  | 'ExceedsMaxQuota'
  | 'WaitingForQuota'
  | 'WaitingForNodeCapacity'
  | 'WaitingForPreemptedWorkloads'
  | 'BlockedByQueueHead';

/** What was found for one resource of one podset in one flavor. */
export interface ResourceFinding {
  readonly podSet: string;
  readonly flavor: string;
  readonly resource: string;
  /** Requested by the workload (all pods), with earlier podsets in the same flavor. */
  readonly requested: number;
  readonly nominal: number;
  readonly borrowingLimit?: number;
  /** Usage of the queue in this flavor and resource now. */
  readonly used: number;
  /** What the queue could still take now, own quota plus what the cohort would lend. */
  readonly available: number;
  /** The most it could ever take with nothing else running. */
  readonly maxCapacity: number;
  /** How much beyond its nominal quota it would use if admitted. */
  readonly wouldBorrow: number;
}

export interface FlavorAttempt {
  readonly podSet: string;
  readonly flavor: string;
  readonly mode: 'Fit' | 'Preempt' | 'NoFit';
  readonly reasons: readonly string[];
  readonly resources: readonly ResourceFinding[];
}

export interface PendingReason {
  readonly code: PendingCode;
  readonly message: string;
  readonly attempts: readonly FlavorAttempt[];
}

export type Decision =
  | {
      readonly kind: 'admit';
      readonly workloadId: string;
      readonly admission: Admission;
      /** True when part of the usage is borrowed from the cohort. */
      readonly borrowing: boolean;
    }
  | {
      readonly kind: 'preempt';
      readonly workloadId: string;
      /** The admission it gets once the targets are gone; its quota is held meanwhile. */
      readonly admission: Admission;
      readonly targets: readonly PreemptionTarget[];
      readonly borrowing: boolean;
    }
  | { readonly kind: 'pending'; readonly workloadId: string; readonly reason: PendingReason };

export interface CycleOptions {
  /** Kueue's fair sharing: DRS tournament between queues and fair-sharing preemption. */
  readonly fairSharing?: boolean;
  /** Time used as admission time in decisions and in candidate ordering. */
  readonly now?: number;
  /**
   * Stop after this many rounds. One round is one Kueue scheduling cycle (the head of every
   * queue); by default rounds repeat until every pending workload has a decision, and the
   * workloads not reached get none.
   */
  readonly maxRounds?: number;
}

export interface CycleResult {
  /** One decision per pending workload, in the order the engine took them. */
  readonly decisions: readonly Decision[];
  readonly rounds: number;
}
