/**
 * `sinf` and `cosf` with the exact results of glibc (2.28 and later) on x86-64 and arm64.
 *
 * The reference lidar decoders build their trigonometry tables with the C library's float
 * functions, which are accurate to 0.56 ulp but not correctly rounded: on the angles a
 * decoder uses, about 2.5% of glibc's results differ by one ulp from the correctly rounded
 * value that `Math.fround(Math.sin(x))` gives. A cloud only matches bit for bit with the same
 * function, so this is the algorithm glibc uses (Arm's optimized-routines `sinf`/`cosf`:
 * range reduction by pi/2, then a degree-7 sine or degree-8 cosine polynomial evaluated in
 * double). The constants are that algorithm's published polynomial coefficients. All
 * arithmetic here is double, rounded to float once at the end, as in C.
 */

/** 2/pi scaled by 2^24, so that the quadrant lands in bits 24..31 of the product. */
const halfPiInverse = 10680707.430881744;
const halfPi = 1.5707963267948966;
/** 2 pi / 2^64, the weight of one unit of the large-argument fixed-point result. */
const pi63 = 3.4061215800865545e-19;

interface Polynomials {
  readonly c0: number;
  readonly c1: number;
  readonly c2: number;
  readonly c3: number;
  readonly c4: number;
  readonly s1: number;
  readonly s2: number;
  readonly s3: number;
}

const positive: Polynomials = {
  c0: 1,
  c1: -0.49999999725108224,
  c2: 0.041666623324344516,
  c3: -0.001388676379437604,
  c4: 0.000024390450703564542,
  s1: -0.16666654943701084,
  s2: 0.008332178146138854,
  s3: -0.00019517298981385725,
};

/** The cosine polynomial negated, for quadrants 2 and 3. */
const negative: Polynomials = {
  ...positive,
  c0: -1,
  c1: -positive.c1,
  c2: -positive.c2,
  c3: -positive.c3,
  c4: -positive.c4,
};

const quadrantSign = [1, -1, -1, 1] as const;

/** 4/pi to 192 bits, laid out so that any 8-bit-aligned window is three entries 4 apart. */
const inversePiOver4 = [
  0xa2, 0xa2f9, 0xa2f983, 0xa2f9836e, 0xf9836e4e, 0x836e4e44, 0x6e4e4415, 0x4e441529, 0x441529fc,
  0x1529fc27, 0x29fc2757, 0xfc2757d1, 0x2757d1f5, 0x57d1f534, 0xd1f534dd, 0xf534ddc0, 0x34ddc0db,
  0xddc0db62, 0xc0db6295, 0xdb629599, 0x6295993c, 0x95993c43, 0x993c4390, 0x3c439041,
].map(BigInt);

const scratchFloat = new Float32Array(1);
const scratchBits = new Uint32Array(scratchFloat.buffer);

function floatBits(value: number): number {
  scratchFloat[0] = value;
  return scratchBits[0] ?? 0;
}

/** Sine (n even) or cosine (n odd) polynomial of a reduced argument x, x2 = x * x. */
function polynomial(x: number, x2: number, p: Polynomials, n: number): number {
  if ((n & 1) === 0) {
    const x3 = x * x2;
    const s1 = p.s2 + x2 * p.s3;
    const x7 = x3 * x2;
    const s = x + x3 * p.s1;
    return Math.fround(s + x7 * s1);
  }
  const x4 = x2 * x2;
  const c2 = p.c3 + x2 * p.c4;
  const c1 = p.c0 + x2 * p.c1;
  const x6 = x4 * x2;
  const c = c1 + x4 * p.c2;
  return Math.fround(c + x6 * c2);
}

interface Reduced {
  readonly x: number;
  readonly n: number;
}

/** x modulo pi/2 in one multiply-subtract, accurate for |x| < 120. */
function reduceFast(x: number): Reduced {
  const r = x * halfPiInverse;
  const n = (Math.trunc(r) + 0x800000) >> 24;
  return { x: x - n * halfPi, n };
}

/** x modulo pi/2 by 32 x 96-bit fixed-point multiplication with 4/pi, for |x| >= 120. */
function reduceLarge(bits: number): Reduced {
  const index = (bits >>> 26) & 15;
  const shift = BigInt((bits >>> 23) & 7);
  const mantissa = (BigInt(bits & 0xffffff) | 0x800000n) << shift;
  const word = (i: number): bigint => inversePiOver4[index + i] ?? 0n;
  const low = BigInt.asUintN(32, mantissa * word(0));
  const middle = mantissa * word(4);
  const high = mantissa * word(8);
  let fraction = BigInt.asUintN(64, ((high >> 32n) | (low << 32n)) + middle);
  const n = BigInt.asUintN(64, fraction + (1n << 61n)) >> 62n;
  fraction = BigInt.asUintN(64, fraction - (n << 62n));
  return { x: Number(BigInt.asIntN(64, fraction)) * pi63, n: Number(n) };
}

function evaluate(value: number, cosine: boolean): number {
  const y = Math.fround(value);
  const bits = floatBits(y);
  const magnitude = bits & 0x7fffffff;
  if (magnitude >= 0x7f800000) return NaN;
  const offset = cosine ? 1 : 0;
  if (magnitude < 0x3f400000) {
    // |y| < 0.75: no reduction needed; tiny arguments return the limit directly.
    if (magnitude < 0x39800000) return cosine ? 1 : y;
    return polynomial(y, y * y, positive, offset);
  }
  let reduced: Reduced;
  let quadrant: number;
  if (magnitude < 0x42f00000) {
    reduced = reduceFast(y);
    quadrant = reduced.n;
  } else {
    reduced = reduceLarge(bits);
    quadrant = reduced.n + (bits >>> 31);
  }
  const sign = quadrantSign[quadrant & 3] ?? 1;
  const p = (quadrant & 2) !== 0 ? negative : positive;
  return polynomial(reduced.x * sign, reduced.x * reduced.x, p, reduced.n ^ offset);
}

/** C `sinf`: sine of a float, with glibc's float result. */
export function sinf(x: number): number {
  return evaluate(x, false);
}

/** C `cosf`: cosine of a float, with glibc's float result. */
export function cosf(x: number): number {
  return evaluate(x, true);
}
