import { createHash } from 'node:crypto';
import { createQueryId, type Compilable, type CompiledQuery } from 'kysely';
import { Internal } from '../errors.js';

/** Statement names of the SQL texts prepared queries compiled to, by text. */
const statementNames = new Map<string, string>();

/**
 * The server-side statement name for a SQL text that a prepared query compiled to, or undefined
 * for any other text. Only these are named: their number is fixed by the code, whereas naming
 * every text (lists of varying length, one-off queries) would grow each connection's statements
 * without bound.
 */
export function preparedStatementName(sql: string): string | undefined {
  return statementNames.get(sql);
}

/** Stand-ins for the parameters while a query is compiled, recognised by identity afterwards. */
class ParameterStandIn {
  constructor(readonly name: string) {}
}

/**
 * A query compiled once, on first use, and bound to new parameter values on each call. Building
 * and compiling a Kysely query costs more than running a small one, so queries on the paths
 * every request takes (the team list every page of the UI loads) compile their shapes once.
 *
 * `build` receives the parameters as stand-ins: it must use them only as values (never to choose
 * the query's shape, which would be fixed by the first compile) and use every one of them.
 */
export function preparedQuery<Params extends Record<string, unknown>, Row>(
  names: readonly (keyof Params & string)[],
  build: (params: Params) => Compilable<Row>,
): (params: Params) => CompiledQuery<Row> {
  let compiled: { readonly query: CompiledQuery<Row>; readonly slots: Slot[] } | undefined;
  return (params) => {
    compiled ??= compile(names, build);
    const { query, slots } = compiled;
    return {
      query: query.query,
      queryId: createQueryId(),
      sql: query.sql,
      parameters: slots.map((slot) => (typeof slot === 'string' ? params[slot] : slot.constant)),
    };
  };
}

/** A parameter of the compiled query: the name of a caller's parameter, or a value fixed in it. */
type Slot = string | { readonly constant: unknown };

function compile<Params extends Record<string, unknown>, Row>(
  names: readonly string[],
  build: (params: Params) => Compilable<Row>,
): { query: CompiledQuery<Row>; slots: Slot[] } {
  const standIns = Object.fromEntries(names.map((name) => [name, new ParameterStandIn(name)]));
  const query = build(standIns as unknown as Params).compile();
  const slots = query.parameters.map((value): Slot =>
    value instanceof ParameterStandIn ? value.name : { constant: value },
  );
  for (const name of names) {
    if (!slots.includes(name)) {
      throw new Internal(`prepared query does not use its parameter "${name}": ${query.sql}`);
    }
  }
  if (!statementNames.has(query.sql)) {
    statementNames.set(
      query.sql,
      `dt_${createHash('sha256').update(query.sql).digest('hex').slice(0, 24)}`,
    );
  }
  return { query, slots };
}
