/**
 * Channel conversions (MDF 4 CC blocks): raw value → physical value. A conversion is read once
 * into a plain, JSON-serialisable `ConversionSpec` (so it can travel in a channel schema) and
 * compiled into a closure per channel, so the per-value cost is one function call.
 */
import { Unsupported } from '../../platform/errors.js';
import type { MdfBytes } from './bytes.js';
import { readBlock, readText } from './blocks.js';
import { compileFormula } from './formula.js';

/** A channel value: numbers, 64-bit integers beyond 2^53 as bigint, text, or bytes. */
export type Mdf4Value = number | bigint | string | Uint8Array;

/** CC types of ASAM MDF 4.2. */
export const ConversionType = {
  identity: 0,
  linear: 1,
  rational: 2,
  algebraic: 3,
  tableInterpolated: 4,
  table: 5,
  rangeToValue: 6,
  valueToText: 7,
  rangeToText: 8,
  textToValue: 9,
  textToText: 10,
  bitfieldText: 11,
} as const;

/** One CC block and what it refers to, as plain data. */
export interface ConversionSpec {
  readonly type: number;
  readonly name?: string;
  readonly unit?: string;
  readonly flags: number;
  /** `cc_val`: parameters, table keys/values or range bounds, depending on `type`. */
  readonly values: readonly number[];
  /** `cc_ref`: texts (TX), nested conversions (CC) or null, depending on `type`. */
  readonly refs: readonly (string | ConversionSpec | null)[];
  /** Physical range, when the block marks it valid. */
  readonly physicalRange?: readonly [number, number];
}

const MAX_NESTING = 4;

/** Reads the CC block at `offset` and every TX/CC it refers to. */
export async function readConversion(
  bytes: MdfBytes,
  offset: number,
  what: string,
  depth = 0,
): Promise<ConversionSpec> {
  if (depth > MAX_NESTING) {
    throw bytes.corrupt(
      offset,
      `${what}: conversions nested deeper than ${MAX_NESTING} levels (or in a loop)`,
    );
  }
  const block = await readBlock(bytes, offset, ['CC'], what, 4, 24);
  const d = block.data;
  const type = d.u8(0);
  const flags = d.u16(2);
  const refCount = d.u16(4);
  const valCount = d.u16(6);
  if (block.links.length < 4 + refCount || !d.has(24, valCount * 8)) {
    throw bytes.corrupt(
      offset,
      `##CC block declares ${refCount} references and ${valCount} values but holds ${block.links.length - 4} links and ${Math.max(0, d.bytes.byteLength - 24) / 8} values`,
    );
  }
  checkCounts(bytes, offset, type, refCount, valCount);
  const values: number[] = [];
  for (let i = 0; i < valCount; i++) values.push(d.f64(24 + i * 8));
  const refs: (string | ConversionSpec | null)[] = [];
  for (let i = 0; i < refCount; i++) {
    const link = block.links[4 + i] ?? 0;
    if (link === 0) {
      refs.push(null);
      continue;
    }
    const kind = await refKind(bytes, link, `${what} reference ${i}`);
    refs.push(
      kind === 'CC'
        ? await readConversion(bytes, link, `${what} reference ${i}`, depth + 1)
        : await readText(bytes, link, `${what} reference ${i}`),
    );
  }
  const name = await readText(bytes, block.links[0] ?? 0, `${what} name`);
  const unit = await readText(bytes, block.links[1] ?? 0, `${what} unit`);
  return {
    type,
    flags,
    values,
    refs,
    ...(name === '' ? {} : { name }),
    ...(unit === '' ? {} : { unit }),
    ...((flags & 2) !== 0 ? { physicalRange: [d.f64(8), d.f64(16)] as const } : {}),
  };
}

async function refKind(bytes: MdfBytes, offset: number, what: string): Promise<string> {
  const head = await bytes.readCached(offset, 4, what);
  return String.fromCharCode(head[2] ?? 0, head[3] ?? 0);
}

function checkCounts(
  bytes: MdfBytes,
  offset: number,
  type: number,
  refs: number,
  vals: number,
): void {
  const bad = (expected: string): never => {
    throw bytes.corrupt(
      offset,
      `##CC type ${type} needs ${expected}, the block has ${refs} references and ${vals} values`,
    );
  };
  switch (type) {
    case ConversionType.linear:
      if (vals < 2) bad('2 values');
      break;
    case ConversionType.rational:
      if (vals < 6) bad('6 values');
      break;
    case ConversionType.algebraic:
      if (refs < 1) bad('a formula reference');
      break;
    case ConversionType.tableInterpolated:
    case ConversionType.table:
      if (vals % 2 !== 0) bad('an even number of values');
      break;
    case ConversionType.rangeToValue:
      if (vals % 3 !== 1) bad('3n+1 values');
      break;
    case ConversionType.valueToText:
      if (refs !== vals + 1) bad(`${vals + 1} references`);
      break;
    case ConversionType.rangeToText:
      if (vals % 2 !== 0 || refs !== vals / 2 + 1) bad(`${vals / 2 + 1} references`);
      break;
    case ConversionType.textToValue:
      if (vals !== refs + 1) bad(`${refs + 1} values`);
      break;
    case ConversionType.textToText:
      if (refs % 2 !== 1) bad('2n+1 references');
      break;
    case ConversionType.bitfieldText:
      if (refs !== vals) bad(`${vals} references`);
      break;
    default:
      break;
  }
}

/** A compiled conversion: raw value in, physical value out. */
export type Converter = (raw: Mdf4Value) => Mdf4Value;

const identity: Converter = (raw) => raw;

function toNumber(raw: Mdf4Value): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  return NaN;
}

/**
 * Compiles `spec` for a channel whose raw values are integers (`integerRaw`) or floats; the
 * difference matters for range tables, whose upper bound is inclusive only for integers.
 * Throws `Unsupported` for conversion types this reader cannot evaluate.
 */
export function compileConversion(
  spec: ConversionSpec | undefined,
  integerRaw: boolean,
): Converter {
  if (spec === undefined) return identity;
  const v = spec.values;
  const p = (i: number): number => v[i] ?? 0;
  switch (spec.type) {
    case ConversionType.identity:
      return identity;
    case ConversionType.linear: {
      const offset = p(0);
      const factor = p(1);
      if (offset === 0 && factor === 1) return identity;
      return (raw) => offset + factor * toNumber(raw);
    }
    case ConversionType.rational: {
      const [p1, p2, p3, p4, p5, p6] = [p(0), p(1), p(2), p(3), p(4), p(5)];
      if (p1 === 0 && p4 === 0 && p5 === 0 && p6 !== 0) {
        const factor = p2 / p6;
        const offset = p3 / p6;
        if (factor === 1 && offset === 0) return identity;
        return (raw) => factor * toNumber(raw) + offset;
      }
      return (raw) => {
        const x = toNumber(raw);
        return (p1 * x * x + p2 * x + p3) / (p4 * x * x + p5 * x + p6);
      };
    }
    case ConversionType.algebraic: {
      const formula = spec.refs[0];
      if (typeof formula !== 'string')
        throw new Unsupported('algebraic conversion without a formula text');
      const compiled = compileFormula(formula);
      if (typeof compiled !== 'function')
        throw new Unsupported(`algebraic conversion: ${compiled.error}`);
      return (raw) => compiled(toNumber(raw));
    }
    case ConversionType.tableInterpolated:
    case ConversionType.table:
      return tableConverter(v, spec.type === ConversionType.tableInterpolated);
    case ConversionType.rangeToValue: {
      const n = (v.length - 1) / 3;
      const fallback = p(v.length - 1);
      return (raw) => {
        const x = toNumber(raw);
        for (let i = 0; i < n; i++) {
          const low = p(3 * i);
          const high = p(3 * i + 1);
          if (x >= low && (integerRaw ? x <= high : x < high)) return p(3 * i + 2);
        }
        return fallback;
      };
    }
    case ConversionType.valueToText: {
      const outputs = spec.refs.map((ref) => refConverter(ref, integerRaw));
      const lookup = new Map<number, Converter>();
      v.forEach((key, i) => {
        const out = outputs[i];
        if (out !== undefined && !lookup.has(key)) lookup.set(key, out);
      });
      const fallback = outputs[v.length] ?? identity;
      return (raw) => (lookup.get(toNumber(raw)) ?? fallback)(raw);
    }
    case ConversionType.rangeToText: {
      const outputs = spec.refs.map((ref) => refConverter(ref, integerRaw));
      const n = v.length / 2;
      const fallback = outputs[n] ?? identity;
      return (raw) => {
        const x = toNumber(raw);
        for (let i = 0; i < n; i++) {
          const low = p(2 * i);
          const high = p(2 * i + 1);
          if (x >= low && (integerRaw ? x <= high : x < high)) return (outputs[i] ?? identity)(raw);
        }
        return fallback(raw);
      };
    }
    case ConversionType.textToValue: {
      const lookup = new Map<string, number>();
      spec.refs.forEach((ref, i) => {
        if (typeof ref === 'string' && !lookup.has(ref)) lookup.set(ref, p(i));
      });
      const fallback = p(v.length - 1);
      return (raw) => lookup.get(textOf(raw)) ?? fallback;
    }
    case ConversionType.textToText: {
      const lookup = new Map<string, string | null>();
      const pairs = (spec.refs.length - 1) / 2;
      for (let i = 0; i < pairs; i++) {
        const key = spec.refs[2 * i];
        const value = spec.refs[2 * i + 1];
        if (typeof key === 'string' && !lookup.has(key))
          lookup.set(key, typeof value === 'string' ? value : null);
      }
      const fallback = spec.refs[spec.refs.length - 1];
      return (raw) => {
        const text = textOf(raw);
        const hit = lookup.get(text);
        if (hit !== undefined) return hit ?? text;
        return typeof fallback === 'string' ? fallback : text;
      };
    }
    case ConversionType.bitfieldText: {
      const parts = spec.refs.map((ref) => refConverter(ref, integerRaw));
      const masks = v.map((mask) => BigInt.asUintN(64, BigInt(Math.trunc(mask))));
      return (raw) => {
        const x = typeof raw === 'bigint' ? raw : BigInt(Math.trunc(toNumber(raw) || 0));
        const texts: string[] = [];
        masks.forEach((mask, i) => {
          const out = parts[i]?.(x & mask);
          if (typeof out === 'string' && out !== '') texts.push(out);
        });
        return texts.join('|');
      };
    }
    default:
      throw new Unsupported(`conversion type ${spec.type} is not defined by ASAM MDF 4.2`);
  }
}

function textOf(raw: Mdf4Value): string {
  if (typeof raw === 'string') return raw;
  if (raw instanceof Uint8Array) return new TextDecoder().decode(raw);
  return String(raw);
}

function refConverter(ref: string | ConversionSpec | null, integerRaw: boolean): Converter {
  if (ref === null) return identity;
  if (typeof ref === 'string') return () => ref;
  return compileConversion(ref, integerRaw);
}

function tableConverter(values: readonly number[], interpolate: boolean): Converter {
  const n = values.length / 2;
  const keys = new Float64Array(n);
  const outs = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    keys[i] = values[2 * i] ?? 0;
    outs[i] = values[2 * i + 1] ?? 0;
  }
  if (n === 0) return identity;
  return (raw) => {
    const x = toNumber(raw);
    if (x <= keys[0]!) return outs[0]!;
    if (x >= keys[n - 1]!) return outs[n - 1]!;
    let lo = 0;
    let hi = n - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (keys[mid]! <= x) lo = mid;
      else hi = mid;
    }
    const k0 = keys[lo]!;
    const k1 = keys[hi]!;
    if (x === k0) return outs[lo]!;
    if (interpolate) return outs[lo]! + ((outs[hi]! - outs[lo]!) * (x - k0)) / (k1 - k0);
    return x - k0 <= k1 - x ? outs[lo]! : outs[hi]!;
  };
}
