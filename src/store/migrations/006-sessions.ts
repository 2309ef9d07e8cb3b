import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * Web sessions kept in the store (docs/decisions/013-server-side-sessions.md). The cookie holds
 * a random session id; only its SHA-256 is stored, so a read of this table does not give a
 * usable cookie. Frozen: this file imports nothing from the live code.
 *
 * expires_on is fixed-width ISO-8601 UTC text (docs/decisions/002), compared in SQL: byte order
 * on PostgreSQL too (COLLATE "C"), as SQLite's TEXT already compares.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const sortableText = isPostgres ? sql`text collate "C"` : sql`text`;
  await db.schema
    .createTable('sessions')
    .addColumn('id_hash', 'text', (c) => c.primaryKey())
    .addColumn('instance_id', 'text', (c) => c.notNull().references('instances.id'))
    .addColumn('which', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull())
    .addColumn('user_json', 'text', (c) => c.notNull())
    .addColumn('created_on', sortableText, (c) => c.notNull())
    .addColumn('expires_on', sortableText, (c) => c.notNull())
    .execute();
  // Regenerating a key ends the sessions made with it.
  await db.schema.createIndex('sessions_by_key').on('sessions').columns(['instance_id', 'which']).execute();
  // Sweeping expired sessions.
  await db.schema.createIndex('sessions_by_expiry').on('sessions').column('expires_on').execute();
}
