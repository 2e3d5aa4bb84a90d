/**
 * OpenLineage run events (spec 2-0-2) as drivetrain writes them: types, and builders for the
 * standard facets drivetrain uses plus its own facets, whose names carry the `drivetrain_` prefix.
 */
import { randomUUID } from 'node:crypto';

export const openLineageSchemaUrl =
  'https://openlineage.io/spec/2-0-2/OpenLineage.json#/$defs/RunEvent';

/** Identifies drivetrain as the producer of events and facets. */
export const drivetrainProducer = 'urn:drivetrain:platform:0.1.0';

/** Prefix of drivetrain's own facets, as OpenLineage asks of custom facets. */
export const customFacetPrefix = 'drivetrain_';

export type RunEventType = 'START' | 'RUNNING' | 'COMPLETE' | 'ABORT' | 'FAIL' | 'OTHER';

export interface Facet {
  readonly _producer: string;
  readonly _schemaURL: string;
  readonly [field: string]: unknown;
}

export type Facets = Readonly<Record<string, Facet>>;

export interface LineageDataset {
  readonly namespace: string;
  readonly name: string;
  readonly facets?: Facets;
}

export interface InputDataset extends LineageDataset {
  readonly inputFacets?: Facets;
}

export interface OutputDataset extends LineageDataset {
  readonly outputFacets?: Facets;
}

export interface RunEvent {
  readonly eventType: RunEventType;
  readonly eventTime: string;
  readonly producer: string;
  readonly schemaURL: string;
  readonly run: { readonly runId: string; readonly facets?: Facets };
  readonly job: { readonly namespace: string; readonly name: string; readonly facets?: Facets };
  readonly inputs?: readonly InputDataset[];
  readonly outputs?: readonly OutputDataset[];
}

/** A new run id: OpenLineage asks for a UUID. */
export function newRunId(): string {
  return randomUUID();
}

function facet(
  schemaUrl: string,
  fields: Record<string, unknown>,
  producer = drivetrainProducer,
): Facet {
  return { _producer: producer, _schemaURL: schemaUrl, ...fields };
}

/** Standard facets drivetrain fills in, keyed as the OpenLineage spec names them. */
export const standardFacets = {
  jobType: (jobType: string): Facet =>
    facet('https://openlineage.io/spec/facets/2-0-4/JobTypeJobFacet.json#/$defs/JobTypeJobFacet', {
      processingType: 'BATCH',
      integration: 'DRIVETRAIN',
      jobType,
    }),
  documentation: (description: string): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-1-0/DocumentationJobFacet.json#/$defs/DocumentationJobFacet',
      {
        description,
      },
    ),
  errorMessage: (message: string, stackTrace?: string): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-0-1/ErrorMessageRunFacet.json#/$defs/ErrorMessageRunFacet',
      {
        message,
        programmingLanguage: 'TypeScript',
        ...(stackTrace === undefined ? {} : { stackTrace }),
      },
    ),
  processingEngine: (version: string): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-1-1/ProcessingEngineRunFacet.json#/$defs/ProcessingEngineRunFacet',
      {
        name: 'drivetrain',
        version,
      },
    ),
  datasetVersion: (version: string): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-0-1/DatasetVersionDatasetFacet.json#/$defs/DatasetVersionDatasetFacet',
      {
        datasetVersion: version,
      },
    ),
  outputStatistics: (stats: { rowCount?: number; size?: number; fileCount?: number }): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-0-2/OutputStatisticsOutputDatasetFacet.json#/$defs/OutputStatisticsOutputDatasetFacet',
      stats,
    ),
  inputStatistics: (stats: { rowCount?: number; size?: number; fileCount?: number }): Facet =>
    facet(
      'https://openlineage.io/spec/facets/1-0-0/InputStatisticsInputDatasetFacet.json#/$defs/InputStatisticsInputDatasetFacet',
      stats,
    ),
};

/**
 * A drivetrain facet: `name` gets the project prefix (`drivetrain_<name>`); the schema URL is a
 * URN naming the facet, as drivetrain's facets are documented in its ADRs, not published.
 */
export function customFacet(name: string, fields: Record<string, unknown>): [string, Facet] {
  return [`${customFacetPrefix}${name}`, facet(`urn:drivetrain:lineage:facet:${name}:1`, fields)];
}

/** Builds a run event with the spec's schema URL and drivetrain as producer. */
export function runEvent(event: {
  eventType: RunEventType;
  runId: string;
  job: RunEvent['job'];
  inputs?: readonly InputDataset[];
  outputs?: readonly OutputDataset[];
  runFacets?: Facets;
  eventTime?: Date;
}): RunEvent {
  return {
    eventType: event.eventType,
    eventTime: (event.eventTime ?? new Date()).toISOString(),
    producer: drivetrainProducer,
    schemaURL: openLineageSchemaUrl,
    run: {
      runId: event.runId,
      ...(event.runFacets === undefined ? {} : { facets: event.runFacets }),
    },
    job: event.job,
    inputs: event.inputs ?? [],
    outputs: event.outputs ?? [],
  };
}
