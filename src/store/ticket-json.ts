import { formatUserInstant } from '../domain/dates.js';
import type { Priority, Resolution, Status, StoredTicket } from '../domain/ticket.js';

/*
 * The read path of tickets, from stored row to response text without building objects.
 *
 * A ticket row already holds its JSON parts as JSON text (custom_fields, tags, created_by,
 * last_updated_by, written by toColumns with JSON.stringify), so a response can splice them in
 * as they are instead of parsing them to objects and serialising the objects again. Rows are
 * read as arrays in WIRE_COLUMNS order (better-sqlite3 raw mode, pg rowMode 'array'), which
 * also skips making one object per row with forty keys. At a million tickets this is most of
 * the CPU a read spends outside the store (docs/decisions/008-read-path.md).
 *
 * ticketJson must answer exactly what the ITicket response schema would serialise from
 * present(toTicket(row)); test/ticket-json.test.ts checks that on generated tickets.
 */

export const WIRE_COLUMNS = [
  'id',
  'ticket_number',
  'title',
  'description',
  'status',
  'priority',
  'requestor_id',
  'requestor_name',
  'requestor_email',
  'assignee_id',
  'assignee_name',
  'assignee_email',
  'custom_fields',
  'tags',
  'expected_date',
  'resolution',
  'last_resolution_comment',
  'first_response_on',
  'first_resolution_on',
  'last_resolution_on',
  'created_on',
  'last_updated_on',
  'last_interaction',
  'is_frt_escalated',
  'is_rt_escalated',
  'created_by',
  'last_updated_by',
  'frt_due_on',
  'rt_due_on',
  'rt_started_on',
] as const;

/** A ticket row as read: the WIRE_COLUMNS values, then whatever the query selected after them. */
export type WireRow = readonly unknown[];

const str = JSON.stringify as (value: unknown) => string;
const nullableStr = (value: unknown): string => (value === null || value === undefined ? 'null' : str(value));
/** Stored JSON columns are written by JSON.stringify; an unexpected NULL reads as the empty value. */
const rawJson = (value: unknown, empty: string): string => (typeof value === 'string' && value !== '' ? value : empty);

/** The ITicket JSON of a row, as the ticket response schema serialises it. */
export function ticketJson(r: WireRow): string {
  const assignee = r[9] === null ? 'null' : `{"id":${str(r[9])},"name":${str(r[10] ?? '')},"email":${str(r[11] ?? '')}}`;
  const expected = r[14] === null ? 'null' : str(formatUserInstant(r[14] as string));
  let json =
    `{"id":${str(r[0])},"ticketId":${Number(r[1])},"title":${str(r[2])},"description":${str(r[3])},"status":${str(r[4])},"priority":${str(r[5])}` +
    `,"requestor":{"id":${str(r[6])},"name":${str(r[7])},"email":${str(r[8])}},"assignee":${assignee}` +
    `,"customFields":${rawJson(r[12], '{}')},"tags":${rawJson(r[13], '[]')},"expectedDate":${expected}` +
    `,"resolution":${nullableStr(r[15])},"lastResolutionComment":${nullableStr(r[16])},"firstResponseOn":${nullableStr(r[17])}` +
    `,"firstResolutionOn":${nullableStr(r[18])},"lastResolutionOn":${nullableStr(r[19])},"createdOn":${str(r[20])}` +
    `,"lastUpdatedOn":${str(r[21])},"lastInteraction":${str(r[22])},"isFrtEscalated":${Number(r[23]) === 1},"isRtEscalated":${Number(r[24]) === 1}` +
    `,"createdBy":${rawJson(r[25], 'null')},"lastUpdatedBy":${rawJson(r[26], 'null')}`;
  // SLA due dates appear only while something is due (as present() leaves them out).
  if (r[27] !== null && r[27] !== undefined) json += `,"frtDueOn":${str(r[27])}`;
  if (r[28] !== null && r[28] !== undefined) json += `,"rtDueOn":${str(r[28])}`;
  return `${json}}`;
}

/** The stored ticket of a row (for the paths that need objects: `select` projections, writes). */
export function wireRowToTicket(r: WireRow): StoredTicket {
  return {
    id: r[0] as string,
    ticketId: Number(r[1]),
    title: r[2] as string,
    description: r[3] as string,
    status: r[4] as Status,
    priority: r[5] as Priority,
    requestor: { id: r[6] as string, name: r[7] as string, email: r[8] as string },
    assignee: r[9] === null ? null : { id: r[9] as string, name: (r[10] as string | null) ?? '', email: (r[11] as string | null) ?? '' },
    customFields: JSON.parse(r[12] as string),
    tags: JSON.parse(r[13] as string),
    expectedDate: r[14] as string | null,
    resolution: r[15] as Resolution | null,
    lastResolutionComment: r[16] as string | null,
    firstResponseOn: r[17] as string | null,
    firstResolutionOn: r[18] as string | null,
    lastResolutionOn: r[19] as string | null,
    createdOn: r[20] as string,
    lastUpdatedOn: r[21] as string,
    lastInteraction: r[22] as string,
    isFrtEscalated: Number(r[23]) === 1,
    isRtEscalated: Number(r[24]) === 1,
    createdBy: JSON.parse(r[25] as string),
    lastUpdatedBy: JSON.parse(r[26] as string),
    frtDueOn: r[27] as string | null,
    rtDueOn: r[28] as string | null,
    rtStartedOn: (r[29] as string | null) ?? (r[20] as string),
  };
}
