import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * Canned responses (docs/api.md §16): an instance's reply templates. body is the plain text,
 * body_html the sanitised HTML or null when it is made from the plain text (as comments keep
 * theirs, migration 011). created_by is the JSON of the user who wrote it. Few per instance, read
 * whole: the primary key is the only index.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const text = isPostgres ? 'TEXT COLLATE "C"' : 'TEXT';
  const statements = [
    `CREATE TABLE canned_responses (
       instance_id TEXT NOT NULL,
       id ${text} NOT NULL,
       title TEXT NOT NULL,
       body TEXT NOT NULL,
       body_html TEXT,
       shared INTEGER NOT NULL DEFAULT 1,
       created_by TEXT NOT NULL,
       created_on ${text} NOT NULL,
       updated_on ${text} NOT NULL,
       PRIMARY KEY (instance_id, id))`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
