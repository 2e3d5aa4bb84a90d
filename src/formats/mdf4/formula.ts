/**
 * Algebraic conversion formulas (MDF 4 CC type 3): an arithmetic expression in the variable
 * `X`, e.g. `X * 0.25 - 40` or `sqrt(X^2 + 1)`. Parsed once into a closure; a formula that
 * does not parse yields an error message instead of a function, so only the channels that use
 * it are affected.
 */

type Node = (x: number) => number;

const functions: Readonly<Record<string, (v: number) => number>> = {
  abs: Math.abs,
  sqrt: Math.sqrt,
  exp: Math.exp,
  ln: Math.log,
  log: Math.log,
  log10: Math.log10,
  sin: Math.sin,
  cos: Math.cos,
  tan: Math.tan,
  asin: Math.asin,
  acos: Math.acos,
  atan: Math.atan,
  arcsin: Math.asin,
  arccos: Math.acos,
  arctan: Math.atan,
  sinh: Math.sinh,
  cosh: Math.cosh,
  tanh: Math.tanh,
  floor: Math.floor,
  ceil: Math.ceil,
  round: Math.round,
  sign: Math.sign,
  trunc: Math.trunc,
};

const MAX_FORMULA_LENGTH = 4096;

/** Compiles `formula` to a function of X, or returns why it cannot be compiled. */
export function compileFormula(formula: string): Node | { error: string } {
  if (formula.length > MAX_FORMULA_LENGTH)
    return { error: `formula longer than ${MAX_FORMULA_LENGTH} characters` };
  const tokens =
    formula.match(
      /\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z_0-9]*|\*\*|[-+*/^(),%]|\S/g,
    ) ?? [];
  let pos = 0;
  const peek = (): string | undefined => tokens[pos];
  const fail = (message: string): never => {
    throw new FormulaError(`${message} in formula ${JSON.stringify(formula)}`);
  };

  const primary = (depth: number): Node => {
    if (depth > 200) fail('nesting too deep');
    const token = tokens[pos++];
    if (token === undefined) return fail('unexpected end');
    if (token === '(') {
      const inner = sum(depth + 1);
      if (tokens[pos++] !== ')') fail('missing )');
      return inner;
    }
    if (token === '-') {
      const operand = power(depth + 1);
      return (x) => -operand(x);
    }
    if (token === '+') return power(depth + 1);
    if (/^[\d.]/.test(token)) {
      const value = Number(token);
      if (!Number.isFinite(value)) fail(`bad number ${token}`);
      return () => value;
    }
    if (/^[A-Za-z_]/.test(token)) {
      const name = token.toLowerCase();
      if (name === 'x' || name === 'x1') return (x) => x;
      if (name === 'pi') return () => Math.PI;
      const fn = functions[name];
      if (fn === undefined) return fail(`unknown name ${token}`);
      if (tokens[pos++] !== '(') fail(`expected ( after ${token}`);
      const argument = sum(depth + 1);
      if (tokens[pos++] !== ')') fail(`missing ) after ${token}(`);
      return (x) => fn(argument(x));
    }
    return fail(`unexpected ${JSON.stringify(token)}`);
  };

  const power = (depth: number): Node => {
    const base = primary(depth);
    if (peek() === '^' || peek() === '**') {
      pos++;
      const exponent = power(depth + 1);
      return (x) => Math.pow(base(x), exponent(x));
    }
    return base;
  };

  const product = (depth: number): Node => {
    let left = power(depth);
    for (let op = peek(); op === '*' || op === '/' || op === '%'; op = peek()) {
      pos++;
      const l = left;
      const r = power(depth);
      left = op === '*' ? (x) => l(x) * r(x) : op === '/' ? (x) => l(x) / r(x) : (x) => l(x) % r(x);
    }
    return left;
  };

  const sum = (depth: number): Node => {
    let left = product(depth);
    for (let op = peek(); op === '+' || op === '-'; op = peek()) {
      pos++;
      const l = left;
      const r = product(depth);
      left = op === '+' ? (x) => l(x) + r(x) : (x) => l(x) - r(x);
    }
    return left;
  };

  try {
    const node = sum(0);
    if (pos !== tokens.length) fail(`unexpected ${JSON.stringify(tokens[pos])}`);
    return node;
  } catch (error) {
    if (error instanceof FormulaError) return { error: error.message };
    throw error;
  }
}

class FormulaError extends Error {}
