import { InvalidInput } from '../platform/index.js';

/**
 * Kubernetes resource quantities ("500m", "2Gi", "8") converted to the exact integers the
 * admission engine computes with. CPU, accelerators and every other countable resource are
 * held in thousandths (so a GPU-sharing request of 0.46 GPU is 460), memory-like resources in
 * bytes; that keeps every sum exact, as Kueue's own int64 arithmetic is.
 */

const binarySuffixes: Readonly<Record<string, bigint>> = {
  Ki: 1n << 10n,
  Mi: 1n << 20n,
  Gi: 1n << 30n,
  Ti: 1n << 40n,
  Pi: 1n << 50n,
  Ei: 1n << 60n,
};
const decimalExponents: Readonly<Record<string, number>> = {
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};

const quantityPattern =
  /^([+-]?)(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([mkMGTPE])|[eE]([+-]?\d{1,3}))?$/;

/** True for resources counted in bytes (memory, storage, huge pages) rather than thousandths. */
export function isByteResource(resource: string): boolean {
  return (
    resource === 'memory' ||
    resource === 'ephemeral-storage' ||
    resource === 'storage' ||
    resource.startsWith('hugepages-')
  );
}

/** How many internal units make one unit of the resource: 1 for bytes, 1000 otherwise. */
export function unitScale(resource: string): number {
  return isByteResource(resource) ? 1 : 1000;
}

function pow10(exponent: number): bigint {
  return 10n ** BigInt(exponent);
}

/**
 * Parses a Kubernetes quantity (string or number) into internal units of `resource`, rounding
 * up to the next whole unit as the API server does. Rejects negative, malformed and absurdly
 * large values with InvalidInput naming `field`.
 */
export function parseQuantity(value: unknown, resource: string, field: string): number {
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) {
      throw new InvalidInput(`${field}: expected a finite quantity, got ${value}`, field);
    }
    text = String(value);
  } else if (typeof value === 'string') {
    text = value.trim();
  } else {
    throw new InvalidInput(
      `${field}: expected a quantity such as 8, "500m" or "64Gi", got ${describe(value)}`,
      field,
    );
  }
  const match = quantityPattern.exec(text);
  if (match === null) {
    throw new InvalidInput(
      `${field}: '${text}' is not a Kubernetes quantity (expected e.g. 8, "500m", "64Gi")`,
      field,
    );
  }
  const [, sign = '', number = '', binary, decimal, exponent] = match;
  const [whole = '', fraction = ''] = number.split('.');
  let numerator = BigInt(`${whole}${fraction}` || '0');
  let tenExponent = -fraction.length;
  if (binary !== undefined) numerator *= binarySuffixes[binary] ?? 1n;
  else if (decimal !== undefined) tenExponent += decimalExponents[decimal] ?? 0;
  else if (exponent !== undefined) tenExponent += Number(exponent);
  numerator *= BigInt(unitScale(resource));
  let units: bigint;
  if (tenExponent >= 0) units = numerator * pow10(tenExponent);
  else {
    const divisor = pow10(-tenExponent);
    units = (numerator + divisor - 1n) / divisor;
  }
  if (sign === '-' && units !== 0n) {
    throw new InvalidInput(`${field}: quantity must not be negative, got '${text}'`, field);
  }
  if (units > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new InvalidInput(`${field}: quantity '${text}' is absurdly large`, field);
  }
  return Number(units);
}

/** Renders internal units of `resource` as a canonical Kubernetes quantity string. */
export function formatQuantity(units: number, resource: string): string {
  if (!Number.isSafeInteger(units) || units < 0) {
    throw new InvalidInput(`cannot render ${units} as a quantity of ${resource}`, resource);
  }
  if (isByteResource(resource)) {
    for (const [suffix, size] of [
      ['Ti', 2 ** 40],
      ['Gi', 2 ** 30],
      ['Mi', 2 ** 20],
      ['Ki', 2 ** 10],
    ] as const) {
      if (units >= size && units % size === 0) return `${units / size}${suffix}`;
    }
    return String(units);
  }
  return units % 1000 === 0 ? String(units / 1000) : `${units}m`;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  switch (typeof value) {
    case 'boolean':
      return `boolean ${value}`;
    case 'undefined':
      return 'nothing';
    default:
      return `a ${typeof value}`;
  }
}
