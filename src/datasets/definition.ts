/**
 * Dataset definitions as users write them (YAML or JSON): the scenario query, the sync spec,
 * the split rule, the sampling rate and the data requirements (ISO/PAS 8800). Validation is
 * pure and names the field of every error.
 */
import { createHash } from 'node:crypto';
import { InvalidInput } from '../platform/errors.js';
import { parseQuery, sensorKinds, type SensorKind } from '../catalog/index.js';

/** Which channel of a recording a stream takes: by sensor kind, and by topic when several match. */
export interface StreamSelector {
  readonly sensor: SensorKind;
  /** Exact topic, or a pattern with `*` for any run of characters. */
  readonly topic?: string;
}

export type SyncPolicyName = 'reference' | 'approximate' | 'slop';

export interface SyncSpec {
  readonly policy: SyncPolicyName;
  /** The stream each sample is built around (reference policy), and whose stamp dates a sample. */
  readonly reference: string;
  /** Streams by name, in the order the manifest lists their columns. */
  readonly streams: Readonly<Record<string, StreamSelector>>;
  /** Streams every sample must have; a sample missing one is dropped. All streams by default. */
  readonly required: readonly string[];
  /** Tolerance per stream in ms (reference policy); `defaultToleranceMs` for the rest. */
  readonly toleranceMs: Readonly<Record<string, number>>;
  readonly defaultToleranceMs: number;
  /** Largest stamp distance in a set (slop policy), ms. */
  readonly slopMs?: number;
  /** Largest span of a set (approximate policy), ms. */
  readonly maxIntervalMs?: number;
}

export type SplitKey = 'recording' | 'vehicle' | 'cell';

/** How samples are split: whole recordings, vehicles or geographic cells go to one split each. */
export interface SplitRule {
  readonly by: SplitKey;
  /** Splits and their shares (summing to 1), in order. */
  readonly fractions: Readonly<Record<string, number>>;
  /** Size of a geographic cell in degrees of latitude and longitude (`cell` only). */
  readonly cellDegrees: number;
  /** Changes the assignment without changing the rule's meaning. */
  readonly seed: string;
}

/** A coverage target: a share or a count of samples carrying a tag, or every listed country present. */
export type Requirement =
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

export interface DatasetDefinition {
  readonly name: string;
  readonly description: string;
  /** Restricts the dataset to the segments a data product serves. */
  readonly product: string | null;
  readonly query: string;
  readonly sync: SyncSpec;
  readonly split: SplitRule;
  /** At most this many samples per second of recording; every reference sample when null. */
  readonly sampleRateHz: number | null;
  readonly requirements: readonly Requirement[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(field: string, message: string): never {
  throw new InvalidInput(`${field}: ${message}`, field);
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      fail(`${field}.${key}`, `unknown field; expected one of ${allowed.join(', ')}`);
  }
}

function object(value: unknown, field: string): Record<string, unknown> {
  if (!isRecord(value)) fail(field, 'must be a mapping');
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== 'string' || value === '') fail(field, 'must be a non-empty string');
  return value;
}

function number(
  value: unknown,
  field: string,
  min: number,
  max: number,
  exclusiveMin = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value > max ||
    value < min ||
    (exclusiveMin && value === min)
  ) {
    fail(
      field,
      `must be a number ${exclusiveMin ? 'above' : 'from'} ${min}${max === Infinity ? '' : ` to ${max}`}`,
    );
  }
  return value;
}

const streamName = /^[a-z][a-z0-9_]{0,39}$/;
const policies: readonly SyncPolicyName[] = ['reference', 'approximate', 'slop'];
const splitKeys: readonly SplitKey[] = ['recording', 'vehicle', 'cell'];

function parseStreams(value: unknown, field: string): Record<string, StreamSelector> {
  const streams = object(value, field);
  const names = Object.keys(streams);
  if (names.length === 0) fail(field, 'must name at least one stream');
  const result: Record<string, StreamSelector> = {};
  for (const name of names) {
    const at = `${field}.${name}`;
    if (!streamName.test(name))
      fail(at, 'stream names are lower-case letters, digits and _ (column names of the manifest)');
    const raw = streams[name];
    const selector = typeof raw === 'string' ? { sensor: raw } : object(raw, at);
    checkKeys(selector, ['sensor', 'topic'], at);
    const sensor = selector.sensor;
    if (!(sensorKinds as readonly unknown[]).includes(sensor)) {
      fail(
        `${at}.sensor`,
        `unknown sensor ${JSON.stringify(sensor)}; sensors are ${sensorKinds.join(', ')}`,
      );
    }
    result[name] = {
      sensor: sensor as SensorKind,
      ...(selector.topic === undefined ? {} : { topic: string(selector.topic, `${at}.topic`) }),
    };
  }
  return result;
}

function parseSync(value: unknown, field: string): SyncSpec {
  const sync = object(value, field);
  checkKeys(
    sync,
    [
      'policy',
      'reference',
      'streams',
      'required',
      'toleranceMs',
      'defaultToleranceMs',
      'slopMs',
      'maxIntervalMs',
    ],
    field,
  );
  const policy = sync.policy ?? 'reference';
  if (!(policies as readonly unknown[]).includes(policy))
    fail(`${field}.policy`, `must be one of ${policies.join(', ')}`);
  const streams = parseStreams(sync.streams, `${field}.streams`);
  const names = Object.keys(streams);
  const known = (name: unknown, at: string): string => {
    if (typeof name !== 'string' || !(name in streams)) {
      fail(at, `${JSON.stringify(name)} is not one of the streams (${names.join(', ')})`);
    }
    return name;
  };
  const reference = known(sync.reference ?? names[0], `${field}.reference`);
  let required = names;
  if (sync.required !== undefined) {
    if (!Array.isArray(sync.required)) fail(`${field}.required`, 'must be a list of stream names');
    required = sync.required.map((name: unknown, i) => known(name, `${field}.required[${i}]`));
    if (!required.includes(reference)) required = [reference, ...required];
  }
  const toleranceMs: Record<string, number> = {};
  if (sync.toleranceMs !== undefined) {
    for (const [name, ms] of Object.entries(object(sync.toleranceMs, `${field}.toleranceMs`))) {
      known(name, `${field}.toleranceMs.${name}`);
      toleranceMs[name] = number(ms, `${field}.toleranceMs.${name}`, 0, 60_000);
    }
  }
  if (policy === 'slop' && sync.slopMs === undefined)
    fail(`${field}.slopMs`, 'the slop policy needs slopMs');
  return {
    policy: policy as SyncPolicyName,
    reference,
    streams,
    required: [...new Set(required)],
    toleranceMs,
    defaultToleranceMs:
      sync.defaultToleranceMs === undefined
        ? 50
        : number(sync.defaultToleranceMs, `${field}.defaultToleranceMs`, 0, 60_000),
    ...(sync.slopMs === undefined
      ? {}
      : { slopMs: number(sync.slopMs, `${field}.slopMs`, 0, 60_000) }),
    ...(sync.maxIntervalMs === undefined
      ? {}
      : { maxIntervalMs: number(sync.maxIntervalMs, `${field}.maxIntervalMs`, 0, 60_000) }),
  };
}

function parseSplit(value: unknown, field: string): SplitRule {
  const split = object(value ?? { by: 'recording' }, field);
  checkKeys(split, ['by', 'fractions', 'cellDegrees', 'seed'], field);
  if (split.by === 'sample') {
    fail(
      `${field}.by`,
      'splitting by sample leaks near-identical neighbours into every split; split by recording, vehicle or cell',
    );
  }
  if (!(splitKeys as readonly unknown[]).includes(split.by))
    fail(`${field}.by`, `must be one of ${splitKeys.join(', ')}`);
  const fractions: Record<string, number> = {};
  const raw = object(split.fractions ?? { train: 0.8, val: 0.1, test: 0.1 }, `${field}.fractions`);
  for (const [name, share] of Object.entries(raw)) {
    if (!/^[a-z][a-z0-9_-]{0,31}$/.test(name))
      fail(`${field}.fractions.${name}`, 'split names are lower-case words');
    fractions[name] = number(share, `${field}.fractions.${name}`, 0, 1);
  }
  const total = Object.values(fractions).reduce((a, b) => a + b, 0);
  if (Object.keys(fractions).length === 0 || Math.abs(total - 1) > 1e-9) {
    fail(`${field}.fractions`, `shares must add up to 1, they add up to ${total}`);
  }
  return {
    by: split.by as SplitKey,
    fractions,
    cellDegrees:
      split.cellDegrees === undefined
        ? 0.1
        : number(split.cellDegrees, `${field}.cellDegrees`, 0, 90, true),
    seed: seedOf(split.seed, `${field}.seed`),
  };
}

function seedOf(value: unknown, field: string): string {
  if (value === undefined) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return fail(field, 'must be a string or a number');
}

function parseRequirements(value: unknown, field: string): Requirement[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) fail(field, 'must be a list');
  return value.map((raw: unknown, i): Requirement => {
    const at = `${field}[${i}]`;
    const requirement = object(raw, at);
    checkKeys(requirement, ['id', 'tag', 'minPercent', 'minSamples', 'countries'], at);
    const id = requirement.id === undefined ? `R${i + 1}` : string(requirement.id, `${at}.id`);
    if (requirement.countries !== undefined) {
      if (requirement.tag !== undefined || requirement.minPercent !== undefined) {
        fail(at, 'a countries requirement takes countries and minSamples only');
      }
      if (!Array.isArray(requirement.countries) || requirement.countries.length === 0) {
        fail(`${at}.countries`, 'must list ISO 3166-1 alpha-2 codes');
      }
      const countries = requirement.countries.map((code: unknown, k) => {
        if (typeof code !== 'string' || !/^[A-Za-z]{2}$/.test(code))
          fail(`${at}.countries[${k}]`, 'must be an ISO 3166-1 alpha-2 code');
        return code.toUpperCase();
      });
      return {
        id,
        kind: 'countries',
        countries: [...new Set(countries)],
        minSamples:
          requirement.minSamples === undefined
            ? 1
            : number(requirement.minSamples, `${at}.minSamples`, 1, Number.MAX_SAFE_INTEGER),
      };
    }
    const tag = string(requirement.tag, `${at}.tag`);
    if (requirement.minPercent === undefined && requirement.minSamples === undefined) {
      fail(at, 'needs minPercent or minSamples');
    }
    return {
      id,
      kind: 'tag',
      tag,
      ...(requirement.minPercent === undefined
        ? {}
        : { minPercent: number(requirement.minPercent, `${at}.minPercent`, 0, 100) }),
      ...(requirement.minSamples === undefined
        ? {}
        : {
            minSamples: number(
              requirement.minSamples,
              `${at}.minSamples`,
              0,
              Number.MAX_SAFE_INTEGER,
            ),
          }),
    };
  });
}

/** Validates a definition; InvalidInput names the field (`definition.sync.streams.lidar.sensor` …). */
export function parseDefinition(value: unknown, field = 'definition'): DatasetDefinition {
  const definition = object(value, field);
  checkKeys(
    definition,
    ['name', 'description', 'product', 'query', 'sync', 'split', 'sampling', 'requirements'],
    field,
  );
  const name = string(definition.name, `${field}.name`);
  if (!/^[a-z0-9][a-z0-9._-]{0,99}$/.test(name))
    fail(`${field}.name`, 'must be lower-case letters, digits, ., _ or -');
  const query = string(definition.query, `${field}.query`);
  try {
    parseQuery(query);
  } catch (error) {
    if (error instanceof InvalidInput) {
      const { field: _inner, ...details } = error.details;
      throw new InvalidInput(`${field}.${error.message}`, `${field}.query`, details);
    }
    throw error;
  }
  let sampleRateHz: number | null = null;
  if (definition.sampling !== undefined) {
    const sampling = object(definition.sampling, `${field}.sampling`);
    checkKeys(sampling, ['rateHz'], `${field}.sampling`);
    if (sampling.rateHz !== undefined)
      sampleRateHz = number(sampling.rateHz, `${field}.sampling.rateHz`, 0, 10_000, true);
  }
  return {
    name,
    description:
      definition.description === undefined
        ? ''
        : string(definition.description, `${field}.description`),
    product:
      definition.product === undefined || definition.product === null
        ? null
        : string(definition.product, `${field}.product`),
    query,
    sync: parseSync(definition.sync, `${field}.sync`),
    split: parseSplit(definition.split, `${field}.split`),
    sampleRateHz,
    requirements: parseRequirements(definition.requirements, `${field}.requirements`),
  };
}

/** JSON with keys in a fixed order (object keys sorted, arrays as given): equal meaning, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    return `{${Object.keys(value)
      .filter((k) => value[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The definition as canonical JSON. Stream and split order carry meaning (column order, split
 * assignment), so they are kept as lists.
 */
export function canonicalDefinition(definition: DatasetDefinition): string {
  return canonicalJson({
    ...definition,
    sync: { ...definition.sync, streams: Object.entries(definition.sync.streams) },
    split: { ...definition.split, fractions: Object.entries(definition.split.fractions) },
  });
}

/** sha256 of the canonical definition. */
export function definitionHash(definition: DatasetDefinition): string {
  return createHash('sha256').update(canonicalDefinition(definition)).digest('hex');
}
