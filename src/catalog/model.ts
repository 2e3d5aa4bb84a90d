/**
 * What a data product is, as users write it: the rule choosing the recordings it serves and the
 * service levels its contract promises. Validation here is pure; the store applies them.
 */
import { InvalidInput } from '../platform/errors.js';
import { parseQuery, sensorKinds } from './query/index.js';

export const classifications = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof classifications)[number];

/** Personal data a product may hold; camera images show faces and licence plates. */
export const personalDataCategories = [
  'faces',
  'license-plates',
  'location',
  'voice',
  'driver-identity',
] as const;
export type PersonalDataCategory = (typeof personalDataCategories)[number];

export type SensorKind = (typeof sensorKinds)[number];

/** Which of its owner team's recordings a product serves. Every given part must hold. */
export interface ProductRule {
  /** Vehicle names; `*` matches any run of characters, `?` one character. */
  readonly vehicles?: string[];
  /** Sensors a recording must have messages of. */
  readonly sensors?: SensorKind[];
  /** Recordings starting at or after this time (ISO-8601). */
  readonly from?: string;
  /** Recordings starting before this time (ISO-8601). */
  readonly to?: string;
  /** Countries (ISO 3166-1 alpha-2) a recording was made in. */
  readonly countries?: string[];
  /** A scenario query narrowing the product to the segments that match it. */
  readonly query?: string;
}

/** The service levels a product promises; its contract checks test them on every ingest. */
export interface ProductSlos {
  /** Every served recording must carry messages of these sensors. */
  readonly requiredSensors: SensorKind[];
  /** Lowest acceptable sync score (0–100) of a recording. */
  readonly minSyncScore?: number;
  /** The newest recording must have ended at most this many hours ago. */
  readonly maxAgeHours?: number;
  /** Share of a recording's segments that must carry every required sensor, percent. */
  readonly minCompletenessPercent?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringList(value: unknown, field: string): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || v === '')) {
    throw new InvalidInput(`${field} must be a list of non-empty strings`, field);
  }
  return value as string[];
}

function sensorList(value: unknown, field: string): SensorKind[] {
  const list = stringList(value, field);
  for (const [i, kind] of list.entries()) {
    if (!(sensorKinds as readonly string[]).includes(kind)) {
      throw new InvalidInput(
        `${field}[${i}]: unknown sensor '${kind}'; sensors are ${sensorKinds.join(', ')}`,
        `${field}[${i}]`,
      );
    }
  }
  return [...new Set(list)] as SensorKind[];
}

function isoTime(value: unknown, field: string): string {
  if (
    typeof value !== 'string' ||
    !/^\d{4}-\d{2}-\d{2}/.test(value) ||
    Number.isNaN(Date.parse(value))
  ) {
    throw new InvalidInput(`${field} must be an ISO-8601 time such as 2026-01-31`, field);
  }
  return value;
}

function checkKeys(
  value: Record<string, unknown>,
  allowed: readonly string[],
  field: string,
): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidInput(
        `${field}.${key} is not a known field; expected one of ${allowed.join(', ')}`,
        `${field}.${key}`,
      );
    }
  }
}

/** Validates a product rule; throws InvalidInput naming the field. */
export function parseRule(value: unknown, field = 'rule'): ProductRule {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new InvalidInput(`${field} must be an object`, field);
  checkKeys(value, ['vehicles', 'sensors', 'from', 'to', 'countries', 'query'], field);
  const rule: {
    vehicles?: string[];
    sensors?: SensorKind[];
    from?: string;
    to?: string;
    countries?: string[];
    query?: string;
  } = {};
  if (value.vehicles !== undefined) rule.vehicles = stringList(value.vehicles, `${field}.vehicles`);
  if (value.sensors !== undefined) rule.sensors = sensorList(value.sensors, `${field}.sensors`);
  if (value.from !== undefined) rule.from = isoTime(value.from, `${field}.from`);
  if (value.to !== undefined) rule.to = isoTime(value.to, `${field}.to`);
  if (
    rule.from !== undefined &&
    rule.to !== undefined &&
    Date.parse(rule.from) >= Date.parse(rule.to)
  ) {
    throw new InvalidInput(`${field}.from must be before ${field}.to`, `${field}.from`);
  }
  if (value.countries !== undefined) {
    rule.countries = stringList(value.countries, `${field}.countries`).map((code, i) => {
      if (!/^[A-Za-z]{2}$/.test(code)) {
        throw new InvalidInput(
          `${field}.countries[${i}]: '${code}' is not an ISO 3166-1 alpha-2 code`,
          `${field}.countries[${i}]`,
        );
      }
      return code.toUpperCase();
    });
  }
  if (value.query !== undefined) {
    if (typeof value.query !== 'string')
      throw new InvalidInput(`${field}.query must be a string`, `${field}.query`);
    try {
      parseQuery(value.query);
    } catch (error) {
      if (error instanceof InvalidInput) {
        const { field: _inner, ...details } = error.details;
        throw new InvalidInput(`${field}.${error.message}`, `${field}.query`, details);
      }
      throw error;
    }
    rule.query = value.query;
  }
  return rule;
}

function percent(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new InvalidInput(`${field} must be a number from 0 to 100`, field);
  }
  return value;
}

/** Validates product SLOs; throws InvalidInput naming the field. */
export function parseSlos(value: unknown, field = 'slos'): ProductSlos {
  if (value === undefined || value === null) return { requiredSensors: [] };
  if (!isRecord(value)) throw new InvalidInput(`${field} must be an object`, field);
  checkKeys(
    value,
    ['requiredSensors', 'minSyncScore', 'maxAgeHours', 'minCompletenessPercent'],
    field,
  );
  const slos: {
    requiredSensors: SensorKind[];
    minSyncScore?: number;
    maxAgeHours?: number;
    minCompletenessPercent?: number;
  } = {
    requiredSensors:
      value.requiredSensors === undefined
        ? []
        : sensorList(value.requiredSensors, `${field}.requiredSensors`),
  };
  if (value.minSyncScore !== undefined)
    slos.minSyncScore = percent(value.minSyncScore, `${field}.minSyncScore`);
  if (value.minCompletenessPercent !== undefined) {
    slos.minCompletenessPercent = percent(
      value.minCompletenessPercent,
      `${field}.minCompletenessPercent`,
    );
  }
  if (value.maxAgeHours !== undefined) {
    const hours = value.maxAgeHours;
    if (typeof hours !== 'number' || !Number.isFinite(hours) || hours <= 0) {
      throw new InvalidInput(
        `${field}.maxAgeHours must be a positive number`,
        `${field}.maxAgeHours`,
      );
    }
    slos.maxAgeHours = hours;
  }
  return slos;
}

/** Validates a product or domain name: lower-case words joined by dashes, as in URLs. */
export function parseName(value: unknown, field = 'name'): string {
  if (typeof value !== 'string' || !/^[a-z0-9][a-z0-9._-]{0,99}$/.test(value)) {
    throw new InvalidInput(
      `${field} must be 1 to 100 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit`,
      field,
    );
  }
  return value;
}

export function parseClassification(value: unknown, field = 'classification'): Classification {
  if (!(classifications as readonly unknown[]).includes(value)) {
    throw new InvalidInput(`${field} must be one of ${classifications.join(', ')}`, field);
  }
  return value as Classification;
}

export function parsePersonalData(value: unknown, field = 'personalData'): PersonalDataCategory[] {
  if (value === undefined) return [];
  const list = stringList(value, field);
  for (const [i, category] of list.entries()) {
    if (!(personalDataCategories as readonly string[]).includes(category)) {
      throw new InvalidInput(
        `${field}[${i}]: '${category}' is not one of ${personalDataCategories.join(', ')}`,
        `${field}[${i}]`,
      );
    }
  }
  return [...new Set(list)] as PersonalDataCategory[];
}

export function parseResidency(value: unknown, field = 'residency'): string {
  if (typeof value !== 'string' || !/^[a-z][a-z0-9-]{1,31}$/.test(value)) {
    throw new InvalidInput(`${field} must be a region code such as eu or us-east`, field);
  }
  return value;
}
