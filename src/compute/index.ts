export * from './admission/types.js';
export { ClusterState, compileTopology, type CompiledTopology } from './admission/state.js';
export { scheduleCycle, applyDecisions, flavorMismatch } from './admission/engine.js';
export { explain, type Explanation } from './admission/explain.js';
export {
  parseAlibabaPods,
  parseAlibabaNodes,
  type TracePod,
  type TraceNode,
  type QosClass,
} from './simulator/alibaba.js';
export {
  simulate,
  percentile,
  jobsFromTrace,
  sampleNodes,
  atArrivalRate,
  clusterFromTrace,
  policies,
  gpuModelLabel,
  type PolicyName,
  type SimJob,
  type SimCluster,
  type SimulationInput,
  type SimulationReport,
} from './simulator/simulate.js';
export { parseQuantity, formatQuantity, unitScale, isByteResource } from './quantity.js';
export {
  parseComputeConfig,
  validateComputeConfig,
  configToTopology,
  acceleratorOf,
  flavorNodeLabels,
  flavorTaints,
  flavorPrice,
  spotTaint,
  configApiVersion,
  type ComputeConfig,
  type AcceleratorConfig,
  type ClusterConfig,
  type FlavorConfig,
  type FlavorCapacity,
  type PriorityConfig,
  type CohortConfig,
  type TeamConfig,
  type TeamQuota,
  type Vendor,
} from './config.js';
export { validateJobSpec, jobPodSet, jobWorkload, type JobSpec } from './job.js';
export {
  jobCost,
  costReport,
  recommendations,
  type Attempt,
  type AttemptOutcome,
  type CostedJob,
  type JobCost,
  type CostReport,
  type CostRow,
  type GroupBy,
  type IdleSplit,
  type Recommendation,
} from './cost/cost.js';
export {
  renderKueueObjects,
  renderJob,
  toYamlDocuments,
  objectFileName,
  queueNameLabel,
  priorityClassLabel,
  multiKueueCheck,
  type KubeObject,
} from './kubernetes/render.js';
export {
  KubernetesValidator,
  type SchemaDocuments,
  type ValidationIssue,
} from './kubernetes/validate.js';
export {
  initialStatus,
  reduceJobStatus,
  type JobState,
  type JobStatus,
  type WatchEvent,
} from './kubernetes/status.js';
export { computeMigrations } from './jobs/migrations.js';
export type { ComputeTables } from './jobs/tables.js';
export {
  jobStates,
  type Job,
  type JobDetail,
  type JobAttempt,
  type JobEvent,
  type JobArtifact,
} from './jobs/view.js';
export { localConfigYaml, withAutoTeams } from './jobs/local-config.js';
export {
  ComputeService,
  type ComputeServiceOptions,
  type InputMaterializer,
  type JobListQuery,
  type LogEvent,
  type MetricSeries,
  type CostSeries,
} from './service.js';
export { loadComputeSettings, createExecutor, type ComputeSettings } from './settings.js';
export type {
  Executor,
  ExecutorHost,
  ExecutorUpdate,
  RunRequest,
  MetricPoint,
} from './executors/executor.js';
export { LocalExecutor, expandVariables, type LocalExecutorOptions } from './executors/local.js';
export {
  KubernetesExecutor,
  kubernetesName,
  fieldManager,
  type KubernetesExecutorOptions,
} from './executors/kubernetes.js';
export { parseMetricLine, metricPrefix } from './executors/metric-line.js';
export { parseJobFile } from './job-file.js';
