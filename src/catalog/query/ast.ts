/**
 * The syntax tree of a scenario query, already resolved against the vocabulary: every leaf is
 * either a tag a segment must carry or a comparison on one of a segment's fields.
 */

/** Where a node sits in the query text (0-based, end exclusive). */
export interface Span {
  readonly start: number;
  readonly end: number;
}

/** Fields a comparison can name, and the column each reads. */
export const numericFields = ['speed_kmh', 'speed_kmh_max', 'lat', 'lon'] as const;
export const timeFields = ['start', 'end'] as const;
export const textFields = ['country', 'daylight', 'recording', 'vehicle'] as const;
export type NumericField = (typeof numericFields)[number];
export type TimeField = (typeof timeFields)[number];
export type TextField = (typeof textFields)[number];
export type Field = NumericField | TimeField | TextField;

export type CompareOp = '=' | '!=' | '<' | '<=' | '>' | '>=';

/** Values of numeric and time fields are numbers (times in epoch ms); text fields take strings. */
export type Value = number | string;

export type QueryNode =
  | { readonly kind: 'and'; readonly items: readonly QueryNode[]; readonly span: Span }
  | { readonly kind: 'or'; readonly items: readonly QueryNode[]; readonly span: Span }
  | { readonly kind: 'not'; readonly item: QueryNode; readonly span: Span }
  | { readonly kind: 'tag'; readonly tag: string; readonly span: Span }
  | {
      readonly kind: 'compare';
      readonly field: Field;
      readonly op: CompareOp;
      readonly value: Value;
      readonly span: Span;
    }
  | {
      readonly kind: 'in';
      readonly field: Field;
      readonly values: readonly Value[];
      readonly span: Span;
    };

export type TagNode = Extract<QueryNode, { kind: 'tag' }>;
export type CompareNode = Extract<QueryNode, { kind: 'compare' }>;
export type InNode = Extract<QueryNode, { kind: 'in' }>;

export function isNumericField(field: Field): field is NumericField {
  return (numericFields as readonly string[]).includes(field);
}

export function isTimeField(field: Field): field is TimeField {
  return (timeFields as readonly string[]).includes(field);
}
