/**
 * Listings keep a page of GET /tickets within its byte budget by measuring the page first, but
 * only in instances marked as holding a ticket of more than 8,386 bytes as listed (a thousandth
 * of the 8 MiB budget, less the page's envelope): the service marks an instance when it writes
 * such a ticket. This marks the instances whose existing tickets are already that large. The
 * size is counted as the store counts it for a listing (src/store/tickets.repo.ts,
 * LISTED_BYTES_SQL), written out here so that this migration stays what it was.
 */
export function largeTicketsSchema(): string[] {
  const listedBytes =
    '1200 + coalesce(octet_length(t.title), 0) + coalesce(octet_length(t.description), 0) + coalesce(octet_length(t.custom_fields), 0)' +
    ' + coalesce(octet_length(t.tags), 0) + coalesce(octet_length(t.requestor_id), 0) + 2 * coalesce(octet_length(t.requestor_name), 0)' +
    ' + 2 * coalesce(octet_length(t.requestor_email), 0) + coalesce(octet_length(t.assignee_id), 0) + 2 * coalesce(octet_length(t.assignee_name), 0)' +
    ' + 2 * coalesce(octet_length(t.assignee_email), 0) + coalesce(octet_length(t.last_resolution_comment), 0) + coalesce(octet_length(t.created_by), 0)' +
    ' + coalesce(octet_length(t.last_updated_by), 0)';
  return [
    `INSERT INTO meta (key, value)
       SELECT 'tickets-large:' || t.instance_id, '1' FROM tickets t WHERE ${listedBytes} > 8386 GROUP BY t.instance_id
     ON CONFLICT (key) DO NOTHING`,
  ];
}
