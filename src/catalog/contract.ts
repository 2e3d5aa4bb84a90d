/**
 * Data contracts in the Open Data Contract Standard (ODCS v3): a data product written as an
 * ODCS document and read back from one (ADR 062). drivetrain's own checks are ODCS quality
 * rules of type `custom` with engine `drivetrain`; classification, personal data, residency and
 * the product rule are custom properties; grants are read roles named after teams.
 */
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import addFormats from 'ajv-formats';
import { parseDocument, stringify } from 'yaml';
import { InvalidInput } from '../platform/errors.js';
import {
  parseClassification,
  parseName,
  parsePersonalData,
  parseResidency,
  parseRule,
  type Classification,
  type PersonalDataCategory,
  type ProductRule,
  type ProductSlos,
  type SensorKind,
} from './model.js';
import { sensorKinds } from './query/index.js';

/** What a contract says about a product, in drivetrain's terms. */
export interface ContractTerms {
  readonly contractId: string;
  readonly version: string;
  readonly status: string;
  readonly name: string;
  readonly domain: string;
  readonly ownerTeam: string;
  readonly description: string;
  readonly classification: Classification;
  readonly personalData: readonly PersonalDataCategory[];
  readonly residency: string;
  readonly rule: ProductRule;
  readonly slos: ProductSlos;
  /** Names of the teams granted read access. */
  readonly readers: readonly string[];
  /** Quality rules drivetrain does not run (other engines, SQL, text), by name or type. */
  readonly notRun: readonly string[];
}

/** Validates ODCS documents against the official JSON schema (draft 2019-09). */
export class ContractValidator {
  private readonly validate: ValidateFunction;

  constructor(schema: object) {
    const ajv = new Ajv2019({ allErrors: true, strict: false });
    addFormats.default(ajv);
    this.validate = ajv.compile(schema);
  }

  /** The schema's complaints about a document, each as `path: message`; empty when valid. */
  errors(document: unknown): string[] {
    if (this.validate(document)) return [];
    return (this.validate.errors ?? []).map(describeError);
  }
}

function describeError(error: ErrorObject): string {
  const path = error.instancePath === '' ? '(document)' : error.instancePath;
  const extra =
    error.keyword === 'additionalProperties' || error.keyword === 'unevaluatedProperties'
      ? ` '${String((error.params as { additionalProperty?: string; unevaluatedProperty?: string }).additionalProperty ?? (error.params as { unevaluatedProperty?: string }).unevaluatedProperty)}'`
      : error.keyword === 'enum'
        ? ` (${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).map(String).join(', ')})`
        : '';
  return `${path}: ${error.message ?? 'is invalid'}${extra}`;
}

/** The product as an ODCS v3.1.0 document. */
export interface ProductForContract {
  readonly id: string;
  readonly name: string;
  readonly domain: string;
  readonly ownerTeam: string;
  readonly description: string;
  readonly classification: Classification;
  readonly personalData: readonly PersonalDataCategory[];
  readonly residency: string;
  readonly rule: ProductRule;
  readonly slos: ProductSlos;
  readonly readers: readonly string[];
  readonly contractVersion: string;
  readonly createdAt: string;
}

const engine = 'drivetrain';

function checksOf(slos: ProductSlos): Record<string, unknown>[] {
  const checks: Record<string, unknown>[] = [];
  if (slos.requiredSensors.length > 0) {
    checks.push({
      name: 'required-sensors',
      type: 'custom',
      engine,
      dimension: 'completeness',
      description: `every recording carries messages of ${slos.requiredSensors.join(', ')}`,
      severity: 'error',
      implementation: { check: 'requiredSensors', sensors: [...slos.requiredSensors] },
    });
  }
  if (slos.minSyncScore !== undefined) {
    checks.push({
      name: 'sync-score',
      type: 'custom',
      engine,
      dimension: 'consistency',
      description: `the sync score of every recording is at least ${slos.minSyncScore}`,
      severity: 'error',
      implementation: { check: 'syncScore', minimum: slos.minSyncScore },
    });
  }
  if (slos.minCompletenessPercent !== undefined) {
    checks.push({
      name: 'completeness',
      type: 'custom',
      engine,
      dimension: 'completeness',
      unit: 'percent',
      description: `at least ${slos.minCompletenessPercent} % of each recording's segments carry every required sensor`,
      severity: 'error',
      implementation: { check: 'completeness', minimumPercent: slos.minCompletenessPercent },
    });
  }
  if (slos.maxAgeHours !== undefined) {
    checks.push({
      name: 'freshness',
      type: 'custom',
      engine,
      dimension: 'timeliness',
      description: `the newest recording ended at most ${slos.maxAgeHours} h ago`,
      severity: 'error',
      implementation: { check: 'freshness', maxAgeHours: slos.maxAgeHours },
    });
  }
  return checks;
}

/** Builds the ODCS document of a product. */
export function productToOdcs(product: ProductForContract): Record<string, unknown> {
  const personal = product.personalData.length > 0;
  const locationClass = product.personalData.includes('location')
    ? 'restricted'
    : product.classification;
  const property = (
    name: string,
    logicalType: string,
    description: string,
    extra: Record<string, unknown> = {},
  ): Record<string, unknown> => ({
    name,
    logicalType,
    description,
    classification: product.classification,
    ...extra,
  });
  const schema: Record<string, unknown>[] = [
    {
      name: 'segments',
      physicalType: 'table',
      logicalType: 'object',
      description: '20-second segments of the recordings the product serves, with their tags',
      properties: [
        property('recording_id', 'string', 'recording the segment belongs to', {
          required: true,
          primaryKey: true,
          primaryKeyPosition: 1,
        }),
        property('seq', 'integer', 'position of the segment in its recording', {
          required: true,
          primaryKey: true,
          primaryKeyPosition: 2,
        }),
        property('start', 'timestamp', 'first log time of the segment', { required: true }),
        property('end', 'timestamp', 'end of the segment', { required: true }),
        property('country', 'string', 'ISO 3166-1 alpha-2 country of the segment'),
        property('daylight', 'string', 'day, twilight or night'),
        property('speed_kmh_mean', 'number', 'mean speed over the segment'),
        property('lat', 'number', 'latitude of the segment', { classification: locationClass }),
        property('lon', 'number', 'longitude of the segment', { classification: locationClass }),
        property('tags', 'array', 'sensor, daylight, country, speed, weather and metadata tags'),
      ],
      quality: checksOf(product.slos),
    },
    {
      name: 'messages',
      physicalType: 'topic',
      logicalType: 'object',
      description: 'the sensor messages of the recordings, by channel',
      properties: [
        property('payload', 'object', 'the message as recorded', {
          ...(personal
            ? {
                classification: 'restricted',
                customProperties: [{ property: 'personalData', value: [...product.personalData] }],
              }
            : {}),
        }),
      ],
    },
  ];
  return {
    apiVersion: 'v3.1.0',
    kind: 'DataContract',
    id: product.id,
    name: product.name,
    version: product.contractVersion,
    status: 'active',
    domain: product.domain,
    description: {
      purpose: product.description === '' ? `data product ${product.name}` : product.description,
      usage: 'scenario search and dataset builds in drivetrain',
      ...(personal
        ? {
            limitations: `holds personal data (${product.personalData.join(', ')}): use within the residency region only`,
          }
        : {}),
    },
    schema,
    team: { name: product.ownerTeam },
    ...(product.readers.length > 0
      ? {
          roles: product.readers.map((team) => ({
            role: team,
            access: 'read',
            description: `members of team ${team}`,
          })),
        }
      : {}),
    ...(product.slos.maxAgeHours !== undefined
      ? {
          slaProperties: [
            {
              property: 'latency',
              value: product.slos.maxAgeHours,
              unit: 'h',
              description: 'newest recording age',
            },
          ],
        }
      : {}),
    customProperties: [
      { property: 'classification', value: product.classification },
      { property: 'personalData', value: [...product.personalData] },
      { property: 'residency', value: product.residency },
      { property: 'productRule', value: { ...product.rule } },
    ],
    contractCreatedTs: product.createdAt,
  };
}

/** The ODCS document of a product as YAML. */
export function productToOdcsYaml(product: ProductForContract): string {
  return stringify(productToOdcs(product), { lineWidth: 0 });
}

/** Parses YAML text; InvalidInput with line and column on a syntax error. */
export function parseYaml(text: string, field: string): unknown {
  const document = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  const first = document.errors[0];
  if (first !== undefined) {
    const [line, column] = first.linePos?.[0]
      ? [first.linePos[0].line, first.linePos[0].col]
      : [0, 0];
    throw new InvalidInput(
      `${field}: not valid YAML at line ${line}, column ${column}: ${first.message.split('\n')[0] ?? ''}`,
      field,
      {
        line,
        column,
      },
    );
  }
  return document.toJS({ maxAliasCount: 100 }) as unknown;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function residencyOf(list: unknown): string {
  const value = customProperty(list, 'residency');
  if (value === undefined) {
    throw new InvalidInput(
      'contract.customProperties must carry a residency property: the region the data must stay in',
      'contract.customProperties.residency',
    );
  }
  return parseResidency(value, 'contract.customProperties.residency');
}

function customProperty(list: unknown, name: string): unknown {
  if (!Array.isArray(list)) return undefined;
  const entry = list.find(
    (item): item is Record<string, unknown> => isRecord(item) && item.property === name,
  );
  return entry?.value;
}

/**
 * Reads a contract: checks it against the ODCS schema, then reads drivetrain's terms from it.
 * Every error names the path in the document.
 */
export function contractTerms(document: unknown, validator: ContractValidator): ContractTerms {
  const errors = validator.errors(document);
  if (errors.length > 0) {
    throw new InvalidInput(
      `contract does not match the ODCS v3 schema: ${errors.slice(0, 5).join('; ')}${errors.length > 5 ? ` (and ${errors.length - 5} more)` : ''}`,
      'contract',
      { errors },
    );
  }
  const doc = document as Record<string, unknown>;
  if (typeof doc.apiVersion !== 'string' || !doc.apiVersion.startsWith('v3.')) {
    throw new InvalidInput(
      `contract apiVersion ${String(doc.apiVersion)} is not ODCS v3`,
      'contract.apiVersion',
    );
  }
  const name = parseName(doc.name, 'contract.name');
  if (typeof doc.domain !== 'string' || doc.domain === '') {
    throw new InvalidInput(
      'contract.domain must name the domain of the product',
      'contract.domain',
    );
  }
  const team = isRecord(doc.team) ? doc.team.name : undefined;
  if (typeof team !== 'string' || team === '') {
    throw new InvalidInput('contract.team.name must name the owner team', 'contract.team.name');
  }
  const requiredSensors = new Set<SensorKind>();
  const slos: { minSyncScore?: number; minCompletenessPercent?: number; maxAgeHours?: number } = {};
  const notRun: string[] = [];
  const schemaObjects = Array.isArray(doc.schema) ? doc.schema : [];
  const quality: { rule: Record<string, unknown>; path: string }[] = [];
  schemaObjects.forEach((object: unknown, i) => {
    if (!isRecord(object) || !Array.isArray(object.quality)) return;
    object.quality.forEach((rule: unknown, j) => {
      if (isRecord(rule)) quality.push({ rule, path: `contract.schema[${i}].quality[${j}]` });
    });
  });
  for (const { rule, path } of quality) {
    const implementation = rule.implementation;
    if (rule.type !== 'custom' || rule.engine !== engine || !isRecord(implementation)) {
      const label = [rule.name, rule.metric, rule.type].find((v) => typeof v === 'string');
      notRun.push(typeof label === 'string' ? label : path);
      continue;
    }
    const number = (key: string, min: number, max: number): number => {
      const value = implementation[key];
      if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
        throw new InvalidInput(
          `${path}.implementation.${key} must be a number from ${min} to ${max}`,
          `${path}.implementation.${key}`,
        );
      }
      return value;
    };
    switch (implementation.check) {
      case 'requiredSensors': {
        const sensors = implementation.sensors;
        if (!Array.isArray(sensors) || sensors.length === 0) {
          throw new InvalidInput(
            `${path}.implementation.sensors must list sensors`,
            `${path}.implementation.sensors`,
          );
        }
        sensors.forEach((kind: unknown, k) => {
          if (!(sensorKinds as readonly unknown[]).includes(kind)) {
            throw new InvalidInput(
              `${path}.implementation.sensors[${k}]: unknown sensor ${JSON.stringify(kind)}; sensors are ${sensorKinds.join(', ')}`,
              `${path}.implementation.sensors[${k}]`,
            );
          }
          requiredSensors.add(kind as SensorKind);
        });
        break;
      }
      case 'syncScore':
        slos.minSyncScore = number('minimum', 0, 100);
        break;
      case 'completeness':
        slos.minCompletenessPercent = number('minimumPercent', 0, 100);
        break;
      case 'freshness':
        slos.maxAgeHours = number('maxAgeHours', Number.MIN_VALUE, 1e6);
        break;
      default:
        throw new InvalidInput(
          `${path}.implementation.check ${JSON.stringify(implementation.check)} is not a drivetrain check; use requiredSensors, syncScore, completeness or freshness`,
          `${path}.implementation.check`,
        );
    }
  }
  const readers: string[] = [];
  if (Array.isArray(doc.roles)) {
    for (const role of doc.roles) {
      if (
        isRecord(role) &&
        typeof role.role === 'string' &&
        (role.access === undefined || role.access === 'read')
      ) {
        readers.push(role.role);
      }
    }
  }
  const classification = customProperty(doc.customProperties, 'classification') ?? 'internal';
  const description =
    isRecord(doc.description) && typeof doc.description.purpose === 'string'
      ? doc.description.purpose
      : '';
  return {
    contractId: String(doc.id),
    version: String(doc.version),
    status: String(doc.status),
    name,
    domain: doc.domain,
    ownerTeam: team,
    description,
    classification: parseClassification(classification, 'contract.customProperties.classification'),
    personalData: parsePersonalData(
      customProperty(doc.customProperties, 'personalData') ?? [],
      'contract.customProperties.personalData',
    ),
    residency: residencyOf(doc.customProperties),
    rule: parseRule(
      customProperty(doc.customProperties, 'productRule'),
      'contract.customProperties.productRule',
    ),
    slos: { requiredSensors: [...requiredSensors], ...slos },
    readers: [...new Set(readers)],
    notRun,
  };
}
