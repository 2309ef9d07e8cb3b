/* Frozen: imports nothing from the live code (see 001-initial.ts). */

/** The meta key prefix the store reads (tickets.repo.ts OUT_OF_CREATION_ORDER), as it was written then. */
const OUT_OF_CREATION_ORDER = 'tickets-out-of-creation-order:';

/**
 * SQLite answers a search in the default order (newest first) by walking the full-text index
 * from its highest rowid down, which is creation order only while every ticket of the instance
 * was stored after the ones created before it (docs/decisions/011-search-in-store-order.md).
 * The service keeps that so from now on; this marks the instances whose existing tickets are
 * not so (a clock set back, an import of older tickets), so that they keep the general plan.
 * PostgreSQL does not use the shortcut: nothing to do.
 */
export function creationOrderSchema(dialect: 'sqlite' | 'postgres'): string[] {
  if (dialect !== 'sqlite') return [];
  return [
    `INSERT OR IGNORE INTO meta (key, value)
       SELECT '${OUT_OF_CREATION_ORDER}' || instance_id, '1' FROM (
         SELECT instance_id, created_on, ticket_number,
                lag(created_on) OVER (PARTITION BY instance_id ORDER BY seq) AS previous_created_on,
                lag(ticket_number) OVER (PARTITION BY instance_id ORDER BY seq) AS previous_number
           FROM tickets)
        WHERE created_on < previous_created_on OR ticket_number < previous_number
        GROUP BY instance_id`,
  ];
}
