import type { PageQuery } from './types.js';

/**
 * The shapes of the dataset and lineage endpoints (`src/server/routes/datasets.ts`,
 * `src/server/routes/lineage.ts`) as the UI uses them. Apart from `datasets.ts`, whose client
 * needs the DOM, so that the Node end-to-end tests can import them too.
 */

/** One data requirement checked: `target` and `actual` are in `unit`. */
export interface CoverageRow {
  readonly requirement: string;
  readonly attribute: string;
  readonly unit: 'percent' | 'samples';
  readonly target: number;
  readonly actual: number;
  readonly pass: boolean;
}

/** A dataset version as lists show it. */
export interface DatasetVersion {
  readonly id: string;
  readonly name: string;
  readonly samples: number;
  readonly recordings: number;
  readonly segments: number;
  readonly splits: Readonly<Record<string, number>>;
  readonly coverage: readonly CoverageRow[];
  readonly requirementsMet: boolean;
  readonly manifestSize: number;
  readonly createdBy: string;
  readonly createdAt: string;
}

export interface StreamSelector {
  readonly sensor: string;
  readonly topic?: string;
}

export type DatasetRequirement =
  | {
      readonly id: string;
      readonly kind: 'tag';
      readonly tag: string;
      readonly minPercent?: number;
      readonly minSamples?: number;
    }
  | {
      readonly id: string;
      readonly kind: 'countries';
      readonly countries: readonly string[];
      readonly minSamples: number;
    };

/** A definition as the server normalised it: every default filled in. */
export interface DatasetDefinition {
  readonly name: string;
  readonly description: string;
  readonly product: string | null;
  readonly query: string;
  readonly sync: {
    readonly policy: 'reference' | 'approximate' | 'slop';
    readonly reference: string;
    readonly streams: Readonly<Record<string, StreamSelector>>;
    readonly required: readonly string[];
    readonly toleranceMs: Readonly<Record<string, number>>;
    readonly defaultToleranceMs: number;
    readonly slopMs?: number;
    readonly maxIntervalMs?: number;
  };
  readonly split: {
    readonly by: 'recording' | 'vehicle' | 'cell';
    readonly fractions: Readonly<Record<string, number>>;
    readonly cellDegrees: number;
    readonly seed: string;
  };
  readonly sampleRateHz: number | null;
  readonly requirements: readonly DatasetRequirement[];
}

/** Whether recordings, vehicles or geographic cells are shared between splits. */
export interface SplitIndependence {
  readonly key: string;
  /** The split rule keeps this key in one split; the others are only reported. */
  readonly enforced: boolean;
  readonly shared: number;
  readonly examples: readonly string[];
  readonly pass: boolean;
}

/** Why recordings were left out of a build, and stream choices worth knowing about. */
export interface BuildNotes {
  readonly notReady: number;
  readonly missingStreams: Readonly<Record<string, number>>;
  readonly ambiguousStreams: Readonly<Record<string, string>>;
}

/** The card of a version: its definition, counts, coverage and split independence. */
export interface DatasetCard extends DatasetVersion {
  readonly definition: DatasetDefinition;
  readonly definitionHash: string;
  readonly splitBy: string;
  readonly independence: readonly SplitIndependence[];
  readonly tagCounts: Readonly<Record<string, number>>;
  readonly notes: BuildNotes;
  readonly files: readonly string[];
}

/** Samples added and removed from one version to another, and how coverage changed. */
export interface DatasetDiff {
  readonly from: { readonly id: string; readonly samples: number };
  readonly to: { readonly id: string; readonly samples: number };
  readonly added: number;
  readonly removed: number;
  readonly unchanged: number;
  readonly examples: {
    readonly added: readonly { readonly recordingId: string; readonly time: string }[];
    readonly removed: readonly { readonly recordingId: string; readonly time: string }[];
  };
  readonly splits: readonly {
    readonly split: string;
    readonly from: number;
    readonly to: number;
  }[];
  readonly coverage: readonly {
    readonly attribute: string;
    readonly unit: CoverageRow['unit'];
    readonly before: number | null;
    readonly after: number | null;
    readonly delta: number | null;
  }[];
}

/** What a finished build task holds as its result. */
export interface DatasetBuildResult {
  readonly id: string;
  readonly samples: number;
  readonly splits: Readonly<Record<string, number>>;
}

export interface DatasetQuery extends PageQuery {
  readonly name?: string;
}

export interface LineageNode {
  /** The node's key: JSON of [kind, namespace, name]. */
  readonly id: string;
  readonly kind: 'dataset' | 'job';
  readonly namespace: string;
  /** `recordings/<id>`, `datasets/<id>`, `products/<name>`, or a job name. */
  readonly name: string;
  readonly lastRunId: string;
  readonly lastEventType: string;
  readonly updatedAt: string;
}

export interface LineageEdge {
  readonly source: string;
  readonly target: string;
  readonly runId: string;
}

export interface LineageGraph {
  readonly root: string;
  readonly nodes: readonly LineageNode[];
  readonly edges: readonly LineageEdge[];
  /** True when the server's node limit cut the graph short. */
  readonly truncated: boolean;
}

export interface LineageQuery {
  readonly node: string;
  readonly kind?: 'dataset' | 'job';
  readonly depth?: number;
  readonly direction?: 'upstream' | 'downstream' | 'both';
}
