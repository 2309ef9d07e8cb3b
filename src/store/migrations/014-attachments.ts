import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * Attachments (docs/decisions/018-attachments.md). Frozen: plain SQL, importing nothing from the
 * live code.
 *
 * attachment_blobs: the files' bytes, one row per content (instance, SHA-256) in storage under
 * storage_key. ref_count counts the attachments pointing at it; pinned_until holds it for an
 * upload in flight. The nightly sweep deletes rows with neither, queueing their objects in
 * attachment_blob_deletions and removing them from storage after the commit.
 * attachment_usage: the bytes an instance holds in storage, for its quota.
 * attachments: one row per file or link, with the activity that added it.
 *
 * Times are fixed-width ISO-8601 text compared in SQL: byte order on PostgreSQL too (COLLATE "C").
 */
export async function up(db: Kysely<any>): Promise<void> {
  const isPostgres = db.getExecutor().adapter instanceof PostgresAdapter;
  const time = isPostgres ? 'TEXT COLLATE "C"' : 'TEXT';
  const seq = isPostgres ? 'seq BIGINT GENERATED ALWAYS AS IDENTITY' : 'seq INTEGER PRIMARY KEY';
  const seqKey = isPostgres ? ', PRIMARY KEY (instance_id, seq)' : '';
  const statements = [
    `CREATE TABLE attachment_blobs (
       instance_id TEXT NOT NULL,
       sha256 TEXT NOT NULL,
       storage_key TEXT NOT NULL,
       size BIGINT NOT NULL,
       ref_count INTEGER NOT NULL DEFAULT 0,
       pinned_until ${time},
       created_on ${time} NOT NULL,
       PRIMARY KEY (instance_id, sha256))`,
    `CREATE INDEX attachment_blobs_unreferenced ON attachment_blobs (instance_id, ref_count, pinned_until)`,
    `CREATE TABLE attachment_blob_deletions (
       instance_id TEXT NOT NULL,
       storage_key TEXT NOT NULL,
       queued_on ${time} NOT NULL,
       PRIMARY KEY (instance_id, storage_key))`,
    `CREATE TABLE attachment_usage (
       instance_id TEXT NOT NULL PRIMARY KEY,
       used_bytes BIGINT NOT NULL)`,
    `CREATE TABLE attachments (
       ${seq},
       instance_id TEXT NOT NULL,
       id TEXT NOT NULL,
       ticket_seq BIGINT NOT NULL,
       ticket_id TEXT NOT NULL,
       ticket_number INTEGER NOT NULL,
       activity_id TEXT NOT NULL,
       filename TEXT NOT NULL,
       caption TEXT,
       link TEXT,
       sha256 TEXT,
       size BIGINT,
       content_type TEXT,
       storage_key TEXT,
       is_image INTEGER NOT NULL,
       is_archive INTEGER NOT NULL,
       is_private INTEGER NOT NULL,
       created_on ${time} NOT NULL,
       created_by TEXT NOT NULL
       ${seqKey})`,
    `CREATE UNIQUE INDEX attachments_by_id ON attachments (instance_id, id)`,
    `CREATE INDEX attachments_by_ticket ON attachments (instance_id, ticket_seq, seq)`,
    `CREATE INDEX attachments_by_activity ON attachments (instance_id, activity_id, seq)`,
    // GET /tickets/activity/{activityId}/attachments finds the activity by its id.
    `CREATE INDEX activities_by_id ON activities (instance_id, id)`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
