import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * Events leave the system (docs/decisions/017-webhooks.md).
 *
 * events.tx_id: the transaction that wrote the event. The feed (GET /instance/events) is read
 * in (tx_id, seq) order and only up to the oldest transaction still running, so a reader never
 * passes an event that commits later with an earlier position. On PostgreSQL it is the writing
 * transaction's id (pg_current_xact_id, set by the column default, so writers need not know);
 * on SQLite writes are serial and commit in seq order, so it stays 0. Events written before
 * this migration are committed: 0 puts them first.
 *
 * webhooks: an instance's subscriptions; the secret is kept to sign with (it is shown once).
 * webhook_deliveries: one row per (webhook, event), written in the event's transaction; its
 * attempts are a JSON list on the row. Due deliveries are found through a partial index on
 * next_attempt_at (null once delivered or given up), so finding work costs the same whatever
 * the backlog, as the engine's jobs do.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const text = isPostgres ? 'TEXT COLLATE "C"' : 'TEXT';
  const statements = [
    `ALTER TABLE events ADD COLUMN tx_id BIGINT NOT NULL DEFAULT 0`,
    ...(isPostgres ? [`ALTER TABLE events ALTER COLUMN tx_id SET DEFAULT (pg_current_xact_id()::text::bigint)`] : []),
    `CREATE UNIQUE INDEX events_by_id ON events (instance_id, id)`,
    `CREATE INDEX events_in_commit_order ON events (instance_id, tx_id, seq)`,
    `CREATE INDEX events_by_type ON events (instance_id, type, tx_id, seq)`,
    `DROP INDEX events_by_instance`,
    `CREATE TABLE webhooks (
       instance_id TEXT NOT NULL,
       id ${text} NOT NULL,
       url TEXT NOT NULL,
       events TEXT NOT NULL,
       format TEXT NOT NULL,
       include_private INTEGER NOT NULL DEFAULT 0,
       enabled INTEGER NOT NULL DEFAULT 1,
       description TEXT,
       secret TEXT NOT NULL,
       created_on ${text} NOT NULL,
       updated_on ${text} NOT NULL,
       disabled_reason TEXT,
       failing_since ${text},
       consecutive_failures INTEGER NOT NULL DEFAULT 0,
       blocked_until ${text},
       PRIMARY KEY (instance_id, id))`,
    `CREATE TABLE webhook_deliveries (
       instance_id TEXT NOT NULL,
       webhook_id ${text} NOT NULL,
       event_id ${text} NOT NULL,
       event_type TEXT NOT NULL,
       payload TEXT,
       status TEXT NOT NULL,
       attempts INTEGER NOT NULL DEFAULT 0,
       attempt_log TEXT NOT NULL DEFAULT '[]',
       next_attempt_at ${text},
       retry_until ${text} NOT NULL,
       created_on ${text} NOT NULL,
       finished_on ${text},
       PRIMARY KEY (instance_id, webhook_id, event_id))${isPostgres ? '' : ' WITHOUT ROWID'}`,
    `CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE next_attempt_at IS NOT NULL`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
