import type { Generated } from 'kysely';

/** Every run event received, in arrival order, with its forwarding state. */
export type LineageEventsTable = {
  seq: Generated<number>;
  run_id: string;
  event_type: string;
  event_time: number;
  job_namespace: string;
  job_name: string;
  /** The event as JSON. */
  event: string;
  received_at: number;
  /** When an OpenLineage endpoint accepted it; null while pending (or when none is configured). */
  forwarded_at: number | null;
  forward_attempts: number;
  next_attempt_at: number;
  forward_lease_until: number | null;
  forward_error: string | null;
};

/** Datasets and jobs seen in events: the nodes of the lineage graph. */
export type LineageNodesTable = {
  key: string;
  kind: string;
  namespace: string;
  name: string;
  last_run_id: string;
  last_event_type: string;
  updated_at: number;
};

/** Input → job and job → output, as events declared them. */
export type LineageEdgesTable = {
  source: string;
  target: string;
  run_id: string;
  updated_at: number;
};

export type LineageTables = {
  lineage_events: LineageEventsTable;
  lineage_nodes: LineageNodesTable;
  lineage_edges: LineageEdgesTable;
};
