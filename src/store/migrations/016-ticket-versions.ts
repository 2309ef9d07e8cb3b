/*
 * Ticket versions (docs/decisions/020-ticket-etags.md): a counter every write of a ticket row
 * raises, from which the ticket's ETag is made and against which If-Match is checked. A counter
 * rather than lastUpdatedOn or a hash of the row: a comment does not move lastUpdatedOn, two
 * writes may share a millisecond, and a hash of equal rows is equal even after a write in
 * between. Existing tickets start at 1, as new ones do; no row is rewritten.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export function ticketVersionSchema(): string[] {
  return [`ALTER TABLE tickets ADD COLUMN version integer NOT NULL DEFAULT 1`];
}
