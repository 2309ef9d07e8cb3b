/*
 * Rich text (docs/decisions/015-rich-text.md): a ticket's description and a comment may come as
 * HTML. The sanitised HTML is stored beside the plain text, which stays what search indexes (the
 * full-text triggers and generated vectors read `description` and `comment` as before). NULL
 * means the HTML is the plain text's own (escaped, line breaks kept), made when it is asked for:
 * rows from before, and every text written as plain text only, so no row is rewritten here and
 * plain-text tickets do not store their text twice.
 *
 * A listed ticket may now carry its description twice (include=description_HTML), so the size a
 * listing counts for it grows by its HTML, or by its description where the HTML is made from it
 * (src/store/tickets.repo.ts, LISTED_BYTES_SQL). Instances holding a ticket that is large by
 * that count are marked as migration 008 marks them, with the count written out here so that
 * this migration stays what it was.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export function richTextSchema(): string[] {
  const listedBytes =
    '1200 + coalesce(octet_length(t.title), 0) + coalesce(octet_length(t.description), 0) + coalesce(octet_length(t.custom_fields), 0)' +
    ' + coalesce(octet_length(t.tags), 0) + coalesce(octet_length(t.requestor_id), 0) + 2 * coalesce(octet_length(t.requestor_name), 0)' +
    ' + 2 * coalesce(octet_length(t.requestor_email), 0) + coalesce(octet_length(t.assignee_id), 0) + 2 * coalesce(octet_length(t.assignee_name), 0)' +
    ' + 2 * coalesce(octet_length(t.assignee_email), 0) + coalesce(octet_length(t.last_resolution_comment), 0) + coalesce(octet_length(t.created_by), 0)' +
    ' + coalesce(octet_length(t.last_updated_by), 0) + coalesce(octet_length(t.description), 0)';
  return [
    `ALTER TABLE tickets ADD COLUMN description_html text`,
    `ALTER TABLE activities ADD COLUMN comment_html text`,
    `INSERT INTO meta (key, value)
       SELECT 'tickets-large:' || t.instance_id, '1' FROM tickets t WHERE ${listedBytes} > 8386 GROUP BY t.instance_id
     ON CONFLICT (key) DO NOTHING`,
  ];
}
