/*
 * Rich text (docs/decisions/015-rich-text.md): a ticket's description and a comment may come as
 * HTML. The sanitised HTML is stored beside the plain text, which stays what search indexes (the
 * full-text triggers and generated vectors read `description` and `comment` as before). NULL
 * means the HTML is the plain text's own (escaped, line breaks kept), made when it is asked for:
 * rows from before, and every text written as plain text only, so no row is rewritten here and
 * plain-text tickets do not store their text twice.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export function richTextSchema(): string[] {
  return [`ALTER TABLE tickets ADD COLUMN description_html text`, `ALTER TABLE activities ADD COLUMN comment_html text`];
}
