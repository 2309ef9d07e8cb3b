import { sql, type Kysely } from 'kysely';

/*
 * A write no longer stores a row per delivery; the process that wrote it sends it and stores the
 * row with its outcome, and a sweep stores due rows for the events of each webhook that have
 * none after a while (a process that died, or stopped, holding them): docs/decisions/027.
 *
 * webhooks.swept_tx_id / swept_seq: the feed position (events.tx_id, events.seq) up to which
 * every event the webhook subscribes to has its delivery row. Existing webhooks start at the end
 * of their instance's feed: the rows of earlier events were written with the events. NULL (a
 * webhook written by code that does not know the columns: a server of the version before, during
 * a rolling upgrade) is not swept until the sweep has set it to the end of the feed; a default
 * of 0 would have sent such a webhook the instance's whole history.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  const newest = (column: string) =>
    `COALESCE((SELECT e.${column} FROM events e WHERE e.instance_id = webhooks.instance_id ORDER BY e.tx_id DESC, e.seq DESC LIMIT 1), 0)`;
  const statements = [
    `ALTER TABLE webhooks ADD COLUMN swept_tx_id BIGINT`,
    `ALTER TABLE webhooks ADD COLUMN swept_seq BIGINT`,
    `UPDATE webhooks SET swept_tx_id = ${newest('tx_id')}, swept_seq = ${newest('seq')}`,
  ];
  for (const statement of statements) await sql.raw(statement).execute(db);
}
