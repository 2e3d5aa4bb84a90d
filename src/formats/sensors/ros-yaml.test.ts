import { parse } from '@foxglove/rosmsg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { InvalidInput } from '../../platform/errors.js';
import { formatShowpoint, toRosYaml } from './ros-yaml.js';

const fromBits = (hex: string): number => {
  const view = new DataView(new ArrayBuffer(8));
  view.setBigUint64(0, BigInt(`0x${hex}`));
  return view.getFloat64(0);
};

// [IEEE 754 double bits, what glibc 2.36 printf("%#g") prints]
const glibc: [string, string][] = [
  ['0000000000000000', '0.00000'],
  ['8000000000000000', '-0.00000'],
  ['3ff0000000000000', '1.00000'],
  ['4059000000000000', '100.000'],
  ['400ef9db22d0e560', '3.87200'],
  ['3fe483126e978d50', '0.641000'],
  ['3ff0400000000000', '1.01562'],
  ['bff0400000000000', '-1.01562'],
  ['4028b00000000000', '12.3438'],
  ['4004000000000000', '2.50000'],
  ['3ee4f8b588e368f1', '1.00000e-05'],
  ['3eed59ab62b1e069', '1.39953e-05'],
  ['3f1a36e2eb1c432d', '0.000100000'],
  ['3f1a36e20f35445e', '0.000100000'],
  ['412e847f00000000', '1.e+06'],
  ['412e848000000000', '1.00000e+06'],
  ['419d6f3454000000', '1.23457e+08'],
  ['4023ffff583a53b9', '10.0000'],
  ['3fd3333340000000', '0.300000'],
  ['c036e2f840000000', '-22.8866'],
  ['7e37e43c8800759c', '1.00000e+300'],
  ['0000000000000001', '4.94066e-324'],
  ['40effc0000000000', '65504.0'],
  ['3f0a36e2eb1c432d', '5.00000e-05'],
  ['4040aaaaaa631579', '33.3333'],
  ['bf202e7ef70994dd', '-0.000123456'],
  ['4130000080000000', '1.04858e+06'],
];

describe('formatShowpoint', () => {
  it.each(glibc)('formats 0x%s as glibc does (%s)', (bits, text) => {
    expect(formatShowpoint(fromBits(bits))).toBe(text);
  });

  it('prints the same value glibc does for 999999.4, 9999995 and 0.99999996', () => {
    expect(formatShowpoint(999999.4)).toBe('999999.');
    expect(formatShowpoint(9999995)).toBe('1.00000e+07');
    expect(formatShowpoint(0.99999996)).toBe('1.00000');
    expect(formatShowpoint(-999999.7)).toBe('-1.e+06');
  });

  it('keeps six significant digits that read back within half a unit of the last one', () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (value) => {
        const text = formatShowpoint(value);
        const back = Number(text.replace(/\.e/, 'e'));
        const digits = text
          .replace(/^-/, '')
          .replace(/e.*$/, '')
          .replace('.', '')
          .replace(/^0+/, '');
        expect(digits.length === 6 || value === 0 || /^1e/.test(text.replace('.', ''))).toBe(true);
        if (value !== 0) {
          expect(Math.abs(back - value)).toBeLessThanOrEqual(
            Math.abs(value) * 5e-6 + Number.MIN_VALUE,
          );
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('names non-finite values as C does', () => {
    expect(formatShowpoint(NaN)).toBe('nan');
    expect(formatShowpoint(Infinity)).toBe('inf');
    expect(formatShowpoint(-Infinity)).toBe('-inf');
  });
});

const definitions = parse(
  `std_msgs/Header header
uint8[] codes
float32[] empty
Item[] items
string note
bool flag
int64 big
int8 LIMIT=3
================================================================================
MSG: std_msgs/Header
builtin_interfaces/Time stamp
string frame_id
================================================================================
MSG: test_msgs/Item
float64 value
geometry_msgs/Point where
================================================================================
MSG: geometry_msgs/Point
float64 x
float64 y
float64 z`,
  { ros2: true },
);

describe('toRosYaml', () => {
  const message = {
    header: { stamp: { sec: 12, nanosec: 34 }, frame_id: 'base_link' },
    codes: new Uint8Array([1, 2]),
    empty: [],
    items: [
      { value: 0.5, where: { x: 1, y: -2, z: 1e-7 } },
      { value: 3, where: { x: 0, y: 0, z: 0 } },
    ],
    note: 'a: b',
    flag: true,
    big: 9007199254740993n,
  };

  it('renders block-style YAML in definition order', () => {
    expect(toRosYaml(message, definitions)).toBe(
      [
        'header:',
        '  stamp:',
        '    sec: 12',
        '    nanosec: 34',
        '  frame_id: base_link',
        'codes:',
        '  - 1',
        '  - 2',
        'empty: []',
        'items:',
        '  - value: 0.500000',
        '    where:',
        '      x: 1.00000',
        '      y: -2.00000',
        '      z: 1.00000e-07',
        '  - value: 3.00000',
        '    where:',
        '      x: 0.00000',
        '      y: 0.00000',
        '      z: 0.00000',
        'note: "a: b"',
        'flag: true',
        'big: 9007199254740993',
        '',
      ].join('\n'),
    );
  });

  it('produces YAML that parses back to the same strings', () => {
    const parsed = parseYaml(toRosYaml(message, definitions), { schema: 'failsafe' }) as {
      note: string;
      items: { where: { z: string } }[];
    };
    expect(parsed.note).toBe('a: b');
    expect(parsed.items[0]?.where.z).toBe('1.00000e-07');
  });

  it('names the field when the message does not fit its definition', () => {
    const broken = { ...message, items: [{ value: 'x', where: { x: 0, y: 0, z: 0 } }] };
    expect(() => toRosYaml(broken, definitions)).toThrow(InvalidInput);
    expect(() => toRosYaml(broken, definitions)).toThrow(/items\[0\]\.value/);
    expect(() => toRosYaml({ ...message, codes: 5 }, definitions)).toThrow(
      /codes: expected an array/,
    );
  });
});
