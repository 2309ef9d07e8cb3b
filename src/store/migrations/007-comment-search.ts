/*
 * Comments are indexed one by one: adding a comment indexes that comment's words and nothing
 * else. Until now each ticket had one search document (title, description and every comment;
 * migration 004), rewritten whole on every comment: with thirty comments of 100 KB, the
 * thirtieth re-indexed 3 MB (1.4 s on SQLite, holding the only writer and the event loop).
 *
 * A ticket still matches a search when every word is in its title, its description or any of
 * its comments; the words may now sit in different rows, so the search asks per word (see
 * fullTextCondition in src/store/sqlite/dialect.ts and src/store/postgres/dialect.ts).
 *
 * SQLite: one contentless FTS5 table of "parts", `search_parts`. A ticket's part 0 holds its
 * title and description; each comment-bearing activity is a part of its own. The rowid is
 * seq * 2^24 + part, so rowid order is still ticket storage order (the newest-first walk of
 * docs/decisions/011-search-in-store-order.md reads it the same way, `rowid >> 24` being the
 * ticket's seq), and a ticket's parts are one rowid range. A part number is the activity's rank
 * among the ticket's activities (activities are never deleted), counted on the
 * activities_by_ticket index: index entries only, never the comments' text.
 *
 * PostgreSQL: each activity already carries comment_vector (generated, migration 001); its GIN
 * index comes back and tickets lose comments_vector, whose trigger rewrote the ticket's row and
 * re-inserted every word of every comment into the ticket's GIN index on each comment.
 *
 * Plain SQL only, as text: a migration must not change when the live code does.
 */

/** Parts per ticket: rowid = seq * PARTS + part (2^24 leaves tickets 2^39 seqs). */
const PARTS = 16777216;

/** The part number of an activity just inserted: its rank among its ticket's activities. */
const partOf = (row: string) =>
  `(SELECT count(*) FROM activities WHERE instance_id = ${row}.instance_id AND ticket_seq = ${row}.ticket_seq AND seq <= ${row}.seq)`;

export function commentSearchSchema(dialect: 'sqlite' | 'postgres'): string[] {
  if (dialect === 'postgres') {
    return [
      `DROP TRIGGER ticket_search_comment ON activities`,
      `DROP FUNCTION ticket_search_comment()`,
      `DROP INDEX tickets_document_idx`,
      `ALTER TABLE tickets DROP COLUMN comments_vector`,
      // tickets_search_idx (GIN over search_vector: title and description) is still there from 001.
      `CREATE INDEX activities_comment_search_idx ON activities USING GIN (comment_vector)`,
    ];
  }
  return [
    `CREATE VIRTUAL TABLE search_parts USING fts5(text, content='', contentless_delete=1, tokenize="unicode61 remove_diacritics 0")`,
    // Written in rowid order: FTS5 then appends to its segments instead of merging them over and over.
    `INSERT INTO search_parts (rowid, text)
       SELECT part, text FROM (
         SELECT seq * ${PARTS} AS part, title || ' ' || description AS text FROM tickets
         UNION ALL
         SELECT ticket_seq * ${PARTS} + n, comment FROM (
           SELECT ticket_seq, comment, row_number() OVER (PARTITION BY instance_id, ticket_seq ORDER BY seq) AS n FROM activities)
          WHERE comment IS NOT NULL)
        ORDER BY part`,
    `INSERT INTO search_parts (search_parts) VALUES ('optimize')`,
    `DROP TRIGGER ticket_search_insert`,
    `DROP TRIGGER ticket_search_delete`,
    `DROP TRIGGER ticket_search_update`,
    `DROP TRIGGER ticket_search_comment`,
    `DROP TABLE ticket_search`,
    `CREATE TRIGGER search_parts_ticket_insert AFTER INSERT ON tickets BEGIN
       INSERT INTO search_parts (rowid, text) VALUES (new.seq * ${PARTS}, new.title || ' ' || new.description);
     END`,
    `CREATE TRIGGER search_parts_ticket_update AFTER UPDATE OF title, description ON tickets BEGIN
       DELETE FROM search_parts WHERE rowid = new.seq * ${PARTS};
       INSERT INTO search_parts (rowid, text) VALUES (new.seq * ${PARTS}, new.title || ' ' || new.description);
     END`,
    // Tickets are not deleted today; if one is, its comments' parts go with it.
    `CREATE TRIGGER search_parts_ticket_delete AFTER DELETE ON tickets BEGIN
       DELETE FROM search_parts WHERE rowid = old.seq * ${PARTS};
       DELETE FROM search_parts WHERE rowid IN (
         SELECT old.seq * ${PARTS} + row_number() OVER (ORDER BY seq) FROM activities WHERE instance_id = old.instance_id AND ticket_seq = old.seq);
     END`,
    `CREATE TRIGGER search_parts_comment AFTER INSERT ON activities WHEN new.comment IS NOT NULL BEGIN
       SELECT RAISE(ABORT, 'a ticket holds at most 16777215 activities') WHERE ${partOf('new')} >= ${PARTS};
       INSERT INTO search_parts (rowid, text) VALUES (new.ticket_seq * ${PARTS} + ${partOf('new')}, new.comment);
     END`,
  ];
}
