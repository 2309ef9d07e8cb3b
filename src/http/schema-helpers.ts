import { Type } from 'typebox';

/*
 * Small builders shared by the route schemas. The wire-type builders live in src/contract/ (the
 * services read request types from there too); they are named here as well, where every route
 * has always found them.
 */
export { nullable, oneOf } from '../contract/schema-helpers.js';

/** Problem-details responses for the given statuses. */
export const errorResponses = (...codes: number[]) => Object.fromEntries(codes.map((c) => [c, Type.Ref('Problem')]));
