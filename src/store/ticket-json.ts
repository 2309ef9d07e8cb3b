import { formatUserInstant } from '../domain/dates.js';
import { htmlOf } from '../domain/rich-text.js';
import { trackingIdOf, type Origin, type Priority, type Resolution, type Status, type StoredTicket } from '../domain/ticket.js';

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
  'description_html',
  'origin',
  'is_frt_breached',
  'is_rt_breached',
] as const;

/** A ticket row as read: the WIRE_COLUMNS values, then whatever the query selected after them. */
export type WireRow = readonly unknown[];

export type WireColumn = (typeof WIRE_COLUMNS)[number];

/**
 * Where each column sits in a WireRow: rows stay arrays (no object per row on the read path),
 * and the code that reads them says which column it means, from the one list above.
 */
export const WIRE: { readonly [C in WireColumn]: number } = Object.freeze(
  Object.fromEntries(WIRE_COLUMNS.map((column, i) => [column, i])) as { [C in WireColumn]: number },
);

const str = JSON.stringify as (value: unknown) => string;
const nullableStr = (value: unknown): string => (value === null || value === undefined ? 'null' : str(value));
/** Stored JSON columns are written by JSON.stringify; an unexpected NULL reads as the empty value. */
const rawJson = (value: unknown, empty: string): string => (typeof value === 'string' && value !== '' ? value : empty);

/**
 * The ITicket JSON of a row, as the ticket response schema serialises it; with
 * `descriptionHtml`, also its description_HTML (include=description_HTML).
 */
export function ticketJson(r: WireRow, descriptionHtml = false): string {
  const assigneeId = r[WIRE.assignee_id];
  const assignee =
    assigneeId === null ? 'null' : `{"id":${str(assigneeId)},"name":${str(r[WIRE.assignee_name] ?? '')},"email":${str(r[WIRE.assignee_email] ?? '')}}`;
  const expectedDate = r[WIRE.expected_date];
  const expected = expectedDate === null ? 'null' : str(formatUserInstant(expectedDate as string));
  const id = r[WIRE.id] as string;
  const number = Number(r[WIRE.ticket_number]);
  let json =
    `{"id":${str(id)},"ticketId":${number},"ticketNo":${number},"trackingId":${str(trackingIdOf({ id, ticketId: number }))}` +
    `,"title":${str(r[WIRE.title])},"description":${str(r[WIRE.description])}` +
    `,"status":${str(r[WIRE.status])},"priority":${str(r[WIRE.priority])}` +
    `,"requestor":{"id":${str(r[WIRE.requestor_id])},"name":${str(r[WIRE.requestor_name])},"email":${str(r[WIRE.requestor_email])}},"assignee":${assignee}` +
    `,"customFields":${rawJson(r[WIRE.custom_fields], '{}')},"tags":${rawJson(r[WIRE.tags], '[]')},"expectedDate":${expected}` +
    `,"resolution":${nullableStr(r[WIRE.resolution])},"lastResolutionComment":${nullableStr(r[WIRE.last_resolution_comment])}` +
    `,"firstResponseOn":${nullableStr(r[WIRE.first_response_on])},"firstResolutionOn":${nullableStr(r[WIRE.first_resolution_on])}` +
    `,"lastResolutionOn":${nullableStr(r[WIRE.last_resolution_on])},"createdOn":${str(r[WIRE.created_on])}` +
    `,"lastUpdatedOn":${str(r[WIRE.last_updated_on])},"lastInteraction":${str(r[WIRE.last_interaction])}` +
    `,"isFrtEscalated":${Number(r[WIRE.is_frt_escalated]) === 1},"isRtEscalated":${Number(r[WIRE.is_rt_escalated]) === 1}` +
    `,"isFrtBreached":${Number(r[WIRE.is_frt_breached]) === 1},"isRtBreached":${Number(r[WIRE.is_rt_breached]) === 1},"origin":${str(r[WIRE.origin])}` +
    `,"createdBy":${rawJson(r[WIRE.created_by], 'null')},"lastUpdatedBy":${rawJson(r[WIRE.last_updated_by], 'null')}`;
  // The schema's serialiser writes the optional fields after the required ones, in schema order.
  if (descriptionHtml) json += `,"description_HTML":${str(htmlOf({ plain: r[WIRE.description] as string, html: r[WIRE.description_html] as string | null }))}`;
  // SLA due dates appear only while something is due (as present() leaves them out).
  const frtDueOn = r[WIRE.frt_due_on];
  if (frtDueOn !== null && frtDueOn !== undefined) json += `,"frtDueOn":${str(frtDueOn)}`;
  const rtDueOn = r[WIRE.rt_due_on];
  if (rtDueOn !== null && rtDueOn !== undefined) json += `,"rtDueOn":${str(rtDueOn)}`;
  return `${json}}`;
}

/** The stored ticket of a row (for the paths that need objects: `select` projections, writes). */
export function wireRowToTicket(r: WireRow): StoredTicket {
  const assigneeId = r[WIRE.assignee_id];
  return {
    id: r[WIRE.id] as string,
    ticketId: Number(r[WIRE.ticket_number]),
    title: r[WIRE.title] as string,
    description: r[WIRE.description] as string,
    status: r[WIRE.status] as Status,
    priority: r[WIRE.priority] as Priority,
    requestor: { id: r[WIRE.requestor_id] as string, name: r[WIRE.requestor_name] as string, email: r[WIRE.requestor_email] as string },
    assignee:
      assigneeId === null
        ? null
        : { id: assigneeId as string, name: (r[WIRE.assignee_name] as string | null) ?? '', email: (r[WIRE.assignee_email] as string | null) ?? '' },
    customFields: JSON.parse(r[WIRE.custom_fields] as string),
    tags: JSON.parse(r[WIRE.tags] as string),
    expectedDate: r[WIRE.expected_date] as string | null,
    resolution: r[WIRE.resolution] as Resolution | null,
    lastResolutionComment: r[WIRE.last_resolution_comment] as string | null,
    firstResponseOn: r[WIRE.first_response_on] as string | null,
    firstResolutionOn: r[WIRE.first_resolution_on] as string | null,
    lastResolutionOn: r[WIRE.last_resolution_on] as string | null,
    createdOn: r[WIRE.created_on] as string,
    lastUpdatedOn: r[WIRE.last_updated_on] as string,
    lastInteraction: r[WIRE.last_interaction] as string,
    isFrtEscalated: Number(r[WIRE.is_frt_escalated]) === 1,
    isRtEscalated: Number(r[WIRE.is_rt_escalated]) === 1,
    isFrtBreached: Number(r[WIRE.is_frt_breached]) === 1,
    isRtBreached: Number(r[WIRE.is_rt_breached]) === 1,
    origin: r[WIRE.origin] as Origin,
    createdBy: JSON.parse(r[WIRE.created_by] as string),
    lastUpdatedBy: JSON.parse(r[WIRE.last_updated_by] as string),
    frtDueOn: r[WIRE.frt_due_on] as string | null,
    rtDueOn: r[WIRE.rt_due_on] as string | null,
    rtStartedOn: (r[WIRE.rt_started_on] as string | null) ?? (r[WIRE.created_on] as string),
    descriptionHtml: (r[WIRE.description_html] as string | null | undefined) ?? null,
  };
}
