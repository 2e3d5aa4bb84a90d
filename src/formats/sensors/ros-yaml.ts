import type { parse } from '@foxglove/rosmsg';
import { InvalidInput } from '../../platform/errors.js';

/**
 * ROS 2 messages as YAML, the way ROS tools print them (`ros2 topic echo`, the generated
 * `to_yaml`): block style, fields in definition order, floating-point numbers as C++'s
 * `std::showpoint` stream prints them (six significant digits, trailing zeros kept).
 */

type MessageDefinition = ReturnType<typeof parse>[number];
type MessageField = MessageDefinition['definitions'][number];

/** A parsed message definition set: the root type first, then its dependencies. */
export type MessageDefinitions = readonly MessageDefinition[];

/**
 * Formats a number like glibc's `%#.6g` (what `std::showpoint` streams print): six significant
 * digits, exponent form below 1e-4 and from 1e6, ties rounded to even on the exact binary
 * value. `1` gives `1.00000`, `1.39953e-05` stays as is. Like glibc, a value that only reaches
 * 1e6 by rounding (999999.5) prints as `1.e+06`.
 */
export function formatShowpoint(value: number, precision = 6): string {
  if (Number.isNaN(value)) return 'nan';
  if (value === Infinity) return 'inf';
  if (value === -Infinity) return '-inf';
  const sign = value < 0 || Object.is(value, -0) ? '-' : '';
  const magnitude = Math.abs(value);
  if (magnitude === 0) return `${sign}0.${'0'.repeat(precision - 1)}`;

  const [mantissa, exponent2] = exactBinary(magnitude);
  const upper = 10n ** BigInt(precision);
  // The decimal exponent of the exact value: log10 is only an estimate near powers of ten.
  let exponent10 = Math.floor(Math.log10(magnitude));
  let scaled = scaledDigits(mantissa, exponent2, exponent10 - precision + 1);
  while (scaled.floor >= upper || scaled.floor < upper / 10n) {
    exponent10 += scaled.floor >= upper ? 1 : -1;
    scaled = scaledDigits(mantissa, exponent2, exponent10 - precision + 1);
  }
  let digits = scaled.rounded;
  if (digits === upper) {
    // glibc picks the notation and fraction length before rounding: at 1e6 it has already
    // chosen fixed notation with no fraction digits, and keeps that count in exponent form.
    if (exponent10 === precision - 1) return `${sign}1.e+${precision.toString().padStart(2, '0')}`;
    exponent10++;
    digits = upper / 10n;
  }
  const text = digits.toString();
  if (exponent10 < -4 || exponent10 >= precision) {
    const e = Math.abs(exponent10).toString().padStart(2, '0');
    return `${sign}${text[0] ?? ''}.${text.slice(1)}e${exponent10 < 0 ? '-' : '+'}${e}`;
  }
  if (exponent10 < 0) return `${sign}0.${'0'.repeat(-exponent10 - 1)}${text}`;
  return `${sign}${text.slice(0, exponent10 + 1)}.${text.slice(exponent10 + 1)}`;
}

/** `value = mantissa * 2^exponent`, exactly. */
function exactBinary(value: number): [bigint, number] {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value);
  const high = view.getUint32(0);
  const biased = (high >>> 20) & 0x7ff;
  let mantissa = (BigInt(high & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  if (biased !== 0) mantissa |= 1n << 52n;
  return [mantissa, (biased === 0 ? 1 : biased) - 1075];
}

/** `mantissa * 2^exponent2 / 10^scale`, truncated and rounded (ties to even) to integers. */
function scaledDigits(
  mantissa: bigint,
  exponent2: number,
  scale: number,
): { floor: bigint; rounded: bigint } {
  let numerator = mantissa;
  let denominator = 1n;
  if (exponent2 >= 0) numerator <<= BigInt(exponent2);
  else denominator <<= BigInt(-exponent2);
  if (scale >= 0) denominator *= 10n ** BigInt(scale);
  else numerator *= 10n ** BigInt(-scale);
  const floor = numerator / denominator;
  const twice = (numerator - floor * denominator) * 2n;
  const up = twice > denominator || (twice === denominator && (floor & 1n) === 1n);
  return { floor, rounded: up ? floor + 1n : floor };
}

const plainString = /^[A-Za-z_./][A-Za-z0-9_./-]*$/;
const yamlKeywords = /^(true|false|yes|no|on|off|null|~|y|n)$/i;

function formatString(value: string): string {
  if (plainString.test(value) && !yamlKeywords.test(value)) return value;
  return JSON.stringify(value);
}

function formatScalar(type: string, value: unknown, path: string): string {
  switch (type) {
    case 'float32':
    case 'float64':
      if (typeof value !== 'number') break;
      return formatShowpoint(value);
    case 'bool':
      if (typeof value !== 'boolean') break;
      return value ? 'true' : 'false';
    case 'string':
    case 'wstring':
      if (typeof value !== 'string') break;
      return formatString(value);
    default:
      if (typeof value === 'bigint') return value.toString();
      if (typeof value === 'number' && Number.isInteger(value)) return value.toString();
  }
  throw new InvalidInput(`${path}: expected a ${type}, got ${typeof value}`, path);
}

const timeFields: MessageField[] = [
  { name: 'sec', type: 'int32', isArray: false, isComplex: false },
  { name: 'nanosec', type: 'uint32', isArray: false, isComplex: false },
];

function fieldsOf(type: string, definitions: MessageDefinitions): readonly MessageField[] {
  if (type === 'time' || type === 'duration') return timeFields;
  const definition = definitions.find((candidate) => candidate.name === type);
  if (!definition) throw new InvalidInput(`no definition for message type ${type}`, type);
  return definition.definitions;
}

function isComposite(field: MessageField): boolean {
  return field.isComplex === true || field.type === 'time' || field.type === 'duration';
}

function emit(
  lines: string[],
  message: unknown,
  fields: readonly MessageField[],
  definitions: MessageDefinitions,
  indent: string,
  path: string,
): void {
  if (typeof message !== 'object' || message === null) {
    throw new InvalidInput(`${path || 'message'}: expected a message object`, path);
  }
  const record = message as Record<string, unknown>;
  for (const field of fields) {
    if (field.isConstant === true) continue;
    const value = record[field.name];
    const fieldPath = path === '' ? field.name : `${path}.${field.name}`;
    if (field.isArray === true) {
      if (!Array.isArray(value) && !ArrayBuffer.isView(value)) {
        throw new InvalidInput(`${fieldPath}: expected an array`, fieldPath);
      }
      const items = Array.from(value as ArrayLike<unknown>);
      if (items.length === 0) {
        lines.push(`${indent}${field.name}: []`);
        continue;
      }
      lines.push(`${indent}${field.name}:`);
      items.forEach((item, index) => {
        const itemPath = `${fieldPath}[${index}]`;
        if (!isComposite(field)) {
          lines.push(`${indent}  - ${formatScalar(field.type, item, itemPath)}`);
          return;
        }
        const first = lines.length;
        emit(
          lines,
          item,
          fieldsOf(field.type, definitions),
          definitions,
          `${indent}    `,
          itemPath,
        );
        const line = lines[first];
        if (line !== undefined) lines[first] = `${indent}  - ${line.slice(indent.length + 4)}`;
      });
    } else if (isComposite(field)) {
      lines.push(`${indent}${field.name}:`);
      emit(lines, value, fieldsOf(field.type, definitions), definitions, `${indent}  `, fieldPath);
    } else {
      lines.push(`${indent}${field.name}: ${formatScalar(field.type, value, fieldPath)}`);
    }
  }
}

/** Renders `message` as ROS YAML; `definitions` come from `@foxglove/rosmsg` `parse`. */
export function toRosYaml(message: unknown, definitions: MessageDefinitions): string {
  const root = definitions[0];
  if (!root) throw new InvalidInput('no message definition given', 'definitions');
  const lines: string[] = [];
  emit(lines, message, root.definitions, definitions, '', '');
  return `${lines.join('\n')}\n`;
}
