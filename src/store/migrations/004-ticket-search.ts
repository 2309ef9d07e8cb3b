/* Frozen: imports nothing from the live code (see 001-initial.ts). */

/** Words are letters and digits on both stores (SQLite's unicode61 tokenizer does the same). */
const searchable = (column: string) => `to_tsvector('simple'::regconfig, regexp_replace(coalesce(${column}, ''), '[^[:alnum:]]+', ' ', 'g'))`;

/** The text of one ticket's search document: its comments (and status-change comments). */
export const commentsOf = (instance: string, seq: string) =>
  `coalesce((SELECT group_concat(comment, ' ') FROM activities WHERE instance_id = ${instance} AND ticket_seq = ${seq} AND comment IS NOT NULL), '')`;

/**
 * SQLite: one full-text document per ticket (title, description, all its comments) instead of
 * one index over tickets and another over comments.
 *
 * A search asks which tickets hold every word. With comments indexed on their own, each
 * matching comment had to be looked up in the activities table to find its ticket: thousands
 * of random reads for a mid-frequency word, 75 searches a second at a million tickets. Keyed by
 * the ticket's seq, the index answers ticket numbers directly, and one MATCH of all the words
 * replaces one subquery per word. A new comment re-indexes its ticket's document (a few
 * comments, from the activities_by_ticket index). The table is contentless: the text already
 * lives in tickets and activities.
 *
 * PostgreSQL, the same idea: tickets get `comments_vector` (the words of its comments, kept by a
 * trigger on activities; positions stripped, as the search needs none, so it stays small) and
 * one GIN index over search_vector || comments_vector replaces the index on activities.
 */
export function ticketSearchSchema(dialect: 'sqlite' | 'postgres'): string[] {
  if (dialect === 'postgres') return postgresTicketSearch();
  return [
    `CREATE VIRTUAL TABLE ticket_search USING fts5(title, description, comments, content='', contentless_delete=1, tokenize="unicode61 remove_diacritics 0")`,
    `INSERT INTO ticket_search(rowid, title, description, comments)
       SELECT t.seq, t.title, t.description, ${commentsOf('t.instance_id', 't.seq')} FROM tickets t`,
    `DROP TRIGGER tickets_fts_insert`,
    `DROP TRIGGER tickets_fts_delete`,
    `DROP TRIGGER tickets_fts_update`,
    `DROP TRIGGER activities_fts_insert`,
    `DROP TABLE tickets_fts`,
    `DROP TABLE activities_fts`,
    `CREATE TRIGGER ticket_search_insert AFTER INSERT ON tickets BEGIN
       INSERT INTO ticket_search(rowid, title, description, comments) VALUES (new.seq, new.title, new.description, '');
     END`,
    `CREATE TRIGGER ticket_search_delete AFTER DELETE ON tickets BEGIN
       DELETE FROM ticket_search WHERE rowid = old.seq;
     END`,
    `CREATE TRIGGER ticket_search_update AFTER UPDATE OF title, description ON tickets BEGIN
       DELETE FROM ticket_search WHERE rowid = new.seq;
       INSERT INTO ticket_search(rowid, title, description, comments)
         VALUES (new.seq, new.title, new.description, ${commentsOf('new.instance_id', 'new.seq')});
     END`,
    `CREATE TRIGGER ticket_search_comment AFTER INSERT ON activities WHEN new.comment IS NOT NULL BEGIN
       DELETE FROM ticket_search WHERE rowid = new.ticket_seq;
       INSERT INTO ticket_search(rowid, title, description, comments)
         SELECT t.seq, t.title, t.description, ${commentsOf('new.instance_id', 'new.ticket_seq')} FROM tickets t WHERE t.seq = new.ticket_seq;
     END`,
  ];
}

function postgresTicketSearch(): string[] {
  return [
    `ALTER TABLE tickets ADD COLUMN comments_vector tsvector NOT NULL DEFAULT ''::tsvector`,
    `UPDATE tickets t SET comments_vector = c.words
       FROM (SELECT instance_id, ticket_seq, strip(${searchable("string_agg(comment, ' ')")}) AS words
               FROM activities WHERE comment IS NOT NULL GROUP BY instance_id, ticket_seq) c
      WHERE t.instance_id = c.instance_id AND t.seq = c.ticket_seq`,
    `CREATE INDEX tickets_document_idx ON tickets USING GIN ((search_vector || comments_vector))`,
    `DROP INDEX activities_search_idx`,
    `CREATE FUNCTION ticket_search_comment() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       UPDATE tickets SET comments_vector = strip(comments_vector || ${searchable('NEW.comment')})
        WHERE instance_id = NEW.instance_id AND seq = NEW.ticket_seq;
       RETURN NULL;
     END $$`,
    `CREATE TRIGGER ticket_search_comment AFTER INSERT ON activities FOR EACH ROW WHEN (NEW.comment IS NOT NULL)
       EXECUTE FUNCTION ticket_search_comment()`,
  ];
}
