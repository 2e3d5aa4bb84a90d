import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';

/** Checks an event and returns its problems as `path: message`; empty when it is valid. */
export type EventValidator = (event: unknown) => string[];

const eventTypes = new Set(['START', 'RUNNING', 'COMPLETE', 'ABORT', 'FAIL', 'OTHER']);
const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const uri = /^[a-z][a-z0-9+.-]*:\S+$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkFacets(value: unknown, path: string, problems: string[]): void {
  if (value === undefined) return;
  if (!isRecord(value)) {
    problems.push(`${path}: must be an object`);
    return;
  }
  for (const [name, facet] of Object.entries(value)) {
    if (!isRecord(facet)) {
      problems.push(`${path}.${name}: must be an object`);
      continue;
    }
    for (const field of ['_producer', '_schemaURL']) {
      if (typeof facet[field] !== 'string' || !uri.test(facet[field])) {
        problems.push(`${path}.${name}.${field}: must be a URI`);
      }
    }
  }
}

function checkDatasets(value: unknown, path: string, extra: string, problems: string[]): void {
  if (value === undefined) return;
  if (!Array.isArray(value)) {
    problems.push(`${path}: must be an array`);
    return;
  }
  value.forEach((dataset: unknown, i) => {
    const at = `${path}[${i}]`;
    if (!isRecord(dataset)) {
      problems.push(`${at}: must be an object`);
      return;
    }
    if (typeof dataset.namespace !== 'string') problems.push(`${at}.namespace: must be a string`);
    if (typeof dataset.name !== 'string') problems.push(`${at}.name: must be a string`);
    checkFacets(dataset.facets, `${at}.facets`, problems);
    checkFacets(dataset[extra], `${at}.${extra}`, problems);
  });
}

/**
 * The structural rules of an OpenLineage RunEvent (spec 2-0-2) that every consumer relies on:
 * required fields, types, a UUID run id, URI producers and facets carrying `_producer` and
 * `_schemaURL`. Used when the official JSON schema is not configured.
 */
export const structuralValidator: EventValidator = (event) => {
  const problems: string[] = [];
  if (!isRecord(event)) return ['(event): must be an object'];
  if (typeof event.eventTime !== 'string' || Number.isNaN(Date.parse(event.eventTime))) {
    problems.push('eventTime: must be an ISO-8601 date-time');
  }
  if (typeof event.producer !== 'string' || !uri.test(event.producer))
    problems.push('producer: must be a URI');
  if (typeof event.schemaURL !== 'string' || !uri.test(event.schemaURL))
    problems.push('schemaURL: must be a URI');
  if (
    event.eventType !== undefined &&
    !(typeof event.eventType === 'string' && eventTypes.has(event.eventType))
  ) {
    problems.push(`eventType: must be one of ${[...eventTypes].join(', ')}`);
  }
  const run = event.run;
  if (!isRecord(run) || typeof run.runId !== 'string' || !uuid.test(run.runId)) {
    problems.push('run.runId: must be a UUID');
  } else {
    checkFacets(run.facets, 'run.facets', problems);
  }
  const job = event.job;
  if (!isRecord(job) || typeof job.namespace !== 'string' || typeof job.name !== 'string') {
    problems.push('job: must have a namespace and a name');
  } else {
    checkFacets(job.facets, 'job.facets', problems);
  }
  checkDatasets(event.inputs, 'inputs', 'inputFacets', problems);
  checkDatasets(event.outputs, 'outputs', 'outputFacets', problems);
  return problems;
};

function describe(error: ErrorObject): string {
  return `${error.instancePath === '' ? '(event)' : error.instancePath}: ${error.message ?? 'is invalid'}`;
}

/**
 * A validator on the official OpenLineage JSON schemas in `dir` (`OpenLineage.json` and
 * `facets/*.json`, registered under their `$id`s): the event against the RunEvent definition,
 * and each standard facet, found by its key, against its own schema.
 */
export function officialValidator(dir: string): EventValidator {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const core = JSON.parse(readFileSync(join(dir, 'OpenLineage.json'), 'utf8')) as { $id: string };
  ajv.addSchema(core);
  const facetValidators = new Map<string, ValidateFunction>();
  const facetsDir = join(dir, 'facets');
  for (const file of readdirSync(facetsDir).filter((f) => f.endsWith('.json'))) {
    const schema = JSON.parse(readFileSync(join(facetsDir, file), 'utf8')) as {
      $id: string;
      properties?: Record<string, unknown>;
    };
    ajv.addSchema(schema);
    for (const key of Object.keys(schema.properties ?? {})) {
      facetValidators.set(key, ajv.compile({ $ref: `${schema.$id}#/properties/${key}` }));
    }
  }
  const runEvent = ajv.compile({ $ref: `${core.$id}#/$defs/RunEvent` });
  return (event) => {
    const problems = runEvent(event) ? [] : (runEvent.errors ?? []).map(describe);
    const facetGroups: [string, unknown][] = [];
    if (isRecord(event)) {
      const run = event.run;
      const job = event.job;
      if (isRecord(run)) facetGroups.push(['run.facets', run.facets]);
      if (isRecord(job)) facetGroups.push(['job.facets', job.facets]);
      for (const key of ['inputs', 'outputs'] as const) {
        const list = event[key];
        if (!Array.isArray(list)) continue;
        list.forEach((dataset: unknown, i) => {
          if (!isRecord(dataset)) return;
          facetGroups.push([`${key}[${i}].facets`, dataset.facets]);
          facetGroups.push([
            `${key}[${i}].${key === 'inputs' ? 'inputFacets' : 'outputFacets'}`,
            dataset[key === 'inputs' ? 'inputFacets' : 'outputFacets'],
          ]);
        });
      }
    }
    for (const [path, facets] of facetGroups) {
      if (!isRecord(facets)) continue;
      for (const [key, value] of Object.entries(facets)) {
        const validate = facetValidators.get(key);
        if (validate !== undefined && !validate(value)) {
          problems.push(
            ...(validate.errors ?? []).map(
              (e) => `${path}.${key}${e.instancePath}: ${e.message ?? 'is invalid'}`,
            ),
          );
        }
      }
    }
    return problems;
  };
}

/**
 * The folder holding the standard schemas (`odcs/`, `openlineage/`) drivetrain validates
 * against, from `DRIVETRAIN_SCHEMAS`; undefined when unset or missing.
 */
export function standardSchemasDir(
  env: Readonly<Record<string, string | undefined>>,
  cwd = process.cwd(),
): string | undefined {
  const configured = env.DRIVETRAIN_SCHEMAS;
  if (configured === undefined || configured === '') return undefined;
  const dir = resolve(cwd, configured);
  return existsSync(dir) ? dir : undefined;
}

/** The official validator when the schemas are present, else the structural one. */
export function lineageValidator(schemasDir: string | undefined): EventValidator {
  const dir = schemasDir === undefined ? undefined : join(schemasDir, 'openlineage');
  return dir !== undefined && existsSync(join(dir, 'OpenLineage.json'))
    ? officialValidator(dir)
    : structuralValidator;
}
