import { Type } from 'typebox';

/** Small builders shared by the wire schemas. */

export const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);

/** A string enum (plain `enum` in JSON Schema and OpenAPI), typed as the union of its values. */
export const oneOf = <T extends string>(values: readonly T[], options: { description?: string } = {}) =>
  Type.Unsafe<T>({ type: 'string', enum: [...values], ...options });
