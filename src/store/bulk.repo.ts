import { openPostgresLoader } from './postgres/bulk-loader.js';
import { openSqliteLoader } from './sqlite/bulk-loader.js';
import type { BulkLoader } from './bulk-load.js';

export type { BulkLoader, BulkLoadResult, BulkTicket } from './bulk-load.js';

/*
 * Bulk loading of tickets with their activities: what the benchmark suite (or an importer) uses
 * to write a million tickets in minutes rather than hours. Rows have exactly the shape
 * tickets.repo.ts writes (tickets through its toColumns, ticket_tags, activities as
 * insertActivity writes them); the full-text indexes stay complete (SQLite: the loader writes
 * the search parts itself, as the triggers of migration 007 would, with those triggers dropped
 * for the load and re-created; PostgreSQL: search_vector and comment_vector are generated
 * columns).
 *
 * Made for loading into a store no server is writing to. The whole load is ONE transaction:
 * the secondary indexes of tickets, ticket_tags and activities are dropped at its start and
 * re-created from their own stored definitions at its end (one sort per index instead of
 * maintaining ~20 B-trees row by row), so until finish() commits nothing is visible, and an
 * abort or a crash leaves the store as it was.
 *
 * The instance must have no SLA policy, automatic assignment or alerts that would give the
 * tickets pending jobs: the loader writes no `jobs` rows (the service's engine would).
 */

/** Opens a loader on `sqlite:PATH` (or a bare path) or `postgres://…`, read as openStore reads DATABASE_URL. */
export async function openBulkLoader(databaseUrl: string, instanceId: string): Promise<BulkLoader> {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) return openPostgresLoader(databaseUrl, instanceId);
  return openSqliteLoader(databaseUrl.replace(/^sqlite:(\/\/)?/i, ''), instanceId);
}
