import type { StoreDialect } from '../dialect.js';

/**
 * SQLite: a ticket's search document is written once per group commit instead of inside each
 * transaction (docs/decisions/009-group-commit.md, "search documents at commit").
 *
 * The triggers of migration 004 wrote to the full-text index in the middle of every
 * transaction, and FTS5 writes what it has pending at every savepoint: each create or comment
 * made a small index segment of its own (and a comment re-indexed its ticket's whole document),
 * which later merges read and wrote again. Measured at a million tickets: without those
 * triggers, 2,453 instead of 1,420 creates/s and 4,634 instead of 1,908 comments/s. Now the
 * triggers only note the ticket in `search_dirty` (`fresh` when its document does not exist
 * yet), and the group committer (sqlite.ts) rewrites the noted documents with three statements
 * just before its COMMIT: same transaction, so a search sees a ticket's words exactly when it
 * sees the ticket. A store opened after a writer that is not the server (the CLI writes no
 * tickets) is brought up to date by the first group of the next server.
 * PostgreSQL keeps its trigger (migration 004): nothing to do.
 */
export function searchAtCommitSchema(dialect: StoreDialect): string[] {
  if (dialect.name !== 'sqlite') return [];
  return [
    `CREATE TABLE search_dirty (seq INTEGER PRIMARY KEY, fresh INTEGER NOT NULL)`,
    `DROP TRIGGER ticket_search_insert`,
    `DROP TRIGGER ticket_search_update`,
    `DROP TRIGGER ticket_search_comment`,
    `CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
       INSERT OR IGNORE INTO search_dirty (seq, fresh) VALUES (new.seq, 1);
     END`,
    `CREATE TRIGGER ticket_search_update AFTER UPDATE OF title, description ON tickets BEGIN
       INSERT OR IGNORE INTO search_dirty (seq, fresh) VALUES (new.seq, 0);
     END`,
    `CREATE TRIGGER ticket_search_comment AFTER INSERT ON activities WHEN new.comment IS NOT NULL BEGIN
       INSERT OR IGNORE INTO search_dirty (seq, fresh) VALUES (new.ticket_seq, 0);
     END`,
  ];
}
