import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_TYPES_FILE, renderApiTypes } from '../scripts/generate-api-types.js';

/*
 * The web app's wire types are generated from the server's OpenAPI document and committed
 * (so the web app type-checks and builds without a running server). A schema changed without
 * regenerating them would let the web app compile against answers the server no longer gives:
 * regenerate in memory and compare. The document does not depend on the store, so one run
 * (on an in-memory SQLite store) covers both.
 */
describe('generated web API types', () => {
  it("web/src/lib/api.generated.d.ts is what the server's OpenAPI document generates today (else run `npm run generate:api`)", async () => {
    const committed = readFileSync(API_TYPES_FILE, 'utf8');
    const fresh = await renderApiTypes();
    expect(committed, 'web/src/lib/api.generated.d.ts is stale: run `npm run generate:api` and commit the result').toBe(fresh);
  });
});
