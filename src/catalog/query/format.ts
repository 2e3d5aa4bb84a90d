import { isTimeField, type QueryNode, type Value } from './ast.js';

function quote(text: string): string {
  return `"${text.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function value(field: string, v: Value): string {
  if (typeof v === 'number') {
    return isTimeField(field as never) ? quote(new Date(v).toISOString()) : String(v);
  }
  return quote(v);
}

/**
 * The canonical text of a query: fully parenthesised where precedence matters, tags quoted,
 * times as ISO-8601. Parsing the result gives back the same tree (positions aside).
 */
export function formatQuery(node: QueryNode): string {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.items
        .map((item) =>
          item.kind === 'and' || item.kind === 'or' ? `(${formatQuery(item)})` : formatQuery(item),
        )
        .join(` ${node.kind} `);
    case 'not': {
      const inner = formatQuery(node.item);
      return node.item.kind === 'and' || node.item.kind === 'or'
        ? `not (${inner})`
        : `not ${inner}`;
    }
    case 'tag':
      return quote(node.tag);
    case 'compare':
      return `${node.field} ${node.op} ${value(node.field, node.value)}`;
    case 'in':
      return `${node.field} in (${node.values.map((v) => value(node.field, v)).join(', ')})`;
  }
}
