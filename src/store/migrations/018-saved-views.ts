import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * Saved views (docs/api.md §17): a named ticket listing (the query of GET /tickets, as JSON),
 * either shared with the instance (owner_id '') or one person's own (owner_id: their id). Few
 * per instance, read whole: the primary key is the only index.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const text = isPostgres ? 'TEXT COLLATE "C"' : 'TEXT';
  const statements = [
    `CREATE TABLE saved_views (
       instance_id TEXT NOT NULL,
       id ${text} NOT NULL,
       owner_id ${text} NOT NULL,
       name TEXT NOT NULL,
       query TEXT NOT NULL,
       created_by TEXT NOT NULL,
       created_on ${text} NOT NULL,
       updated_on ${text} NOT NULL,
       PRIMARY KEY (instance_id, id))`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
