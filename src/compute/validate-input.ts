import { InvalidInput } from '../platform/index.js';

/** Small readers for untrusted documents: each checks one field and names its path on failure. */

export type Doc = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is Doc {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function object(value: unknown, path: string): Doc {
  if (!isObject(value)) throw new InvalidInput(`${path}: expected a mapping`, path);
  return value;
}

/** Rejects keys that the format does not define, so a typo never silently drops a setting. */
export function known(doc: Doc, path: string, keys: readonly string[]): void {
  for (const key of Object.keys(doc)) {
    if (!keys.includes(key)) {
      throw new InvalidInput(
        `${path}.${key}: unknown field (expected one of ${keys.join(', ')})`,
        `${path}.${key}`,
      );
    }
  }
}

export function list(value: unknown, path: string, optional = false): readonly unknown[] {
  if (value === undefined && optional) return [];
  if (!Array.isArray(value)) throw new InvalidInput(`${path}: expected a list`, path);
  return value;
}

const namePattern = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function str(value: unknown, path: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new InvalidInput(`${path}: expected a non-empty string`, path);
  }
  return value;
}

export function optStr(value: unknown, path: string): string | undefined {
  return value === undefined ? undefined : str(value, path);
}

/** A Kubernetes object name (DNS-1123 label), as every rendered object needs. */
export function name(value: unknown, path: string): string {
  const text = str(value, path);
  if (text.length > 63 || !namePattern.test(text)) {
    throw new InvalidInput(
      `${path}: '${text}' is not a valid name (lower-case letters, digits and '-', at most 63 characters)`,
      path,
    );
  }
  return text;
}

export function num(
  value: unknown,
  path: string,
  min: number,
  max: number,
  integer = false,
): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    throw new InvalidInput(
      `${path}: expected ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`,
      path,
    );
  }
  return value;
}

export function oneOf<T extends string>(
  value: unknown,
  path: string,
  options: readonly T[],
  fallback?: T,
): T {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'string' || !(options as readonly string[]).includes(value)) {
    throw new InvalidInput(
      `${path}: expected one of ${options.join(', ')}, got ${JSON.stringify(value)}`,
      path,
    );
  }
  return value as T;
}

export function stringMap(value: unknown, path: string): Record<string, string> {
  if (value === undefined) return {};
  const doc = object(value, path);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc)) {
    if (typeof v !== 'string')
      throw new InvalidInput(`${path}.${k}: expected a string value`, `${path}.${k}`);
    out[k] = v;
  }
  return out;
}

const durationPattern = /^(\d+(?:\.\d+)?)(s|m|h|d)$/;
const unitSeconds: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** A duration as seconds (number) or text such as "90m", "48h", "7d". */
export function duration(value: unknown, path: string, maxSeconds: number): number {
  let seconds: number;
  if (typeof value === 'number') seconds = value;
  else if (typeof value === 'string' && durationPattern.test(value)) {
    const [, amount = '0', unit = 's'] = durationPattern.exec(value) as RegExpExecArray;
    seconds = Number(amount) * (unitSeconds[unit] ?? 1);
  } else {
    throw new InvalidInput(
      `${path}: expected seconds or a duration such as "48h", got ${JSON.stringify(value)}`,
      path,
    );
  }
  return num(seconds, path, 1, maxSeconds);
}
