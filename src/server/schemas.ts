import { Type, type TSchema } from 'typebox';
import { errorCodes } from '../platform/index.js';

/** A string that is one of the given values (`{type: string, enum: […]}` in the OpenAPI document). */
export function StringEnum<const Values extends readonly string[]>(values: Values) {
  return Type.Unsafe<Values[number]>({ type: 'string', enum: [...values] });
}

/** The problem+json body every error response carries. */
export const ProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: StringEnum(errorCodes),
    instance: Type.String(),
  },
  {
    $id: 'Problem',
    additionalProperties: true,
    description: 'RFC 9457 problem details with a stable code',
  },
);

/** Query of every list endpoint. */
export const PageQuery = {
  limit: Type.Optional(
    Type.Integer({ minimum: 1, maximum: 500, description: 'page size (default 50)' }),
  ),
  cursor: Type.Optional(
    Type.String({ maxLength: 1024, description: 'the `next` cursor of the previous page' }),
  ),
};

/** A page of items with the cursor of the next page. */
export function PageOf<T extends TSchema>(item: T) {
  return Type.Object(
    { items: Type.Array(item), next: Type.Union([Type.String(), Type.Null()]) },
    { additionalProperties: false },
  );
}

export const IdParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);

export const IsoTime = Type.String({ format: 'date-time' });
export const NullableIsoTime = Type.Union([IsoTime, Type.Null()]);
