import { parseInstant, parseTimezone } from './dates.js';
import { FieldErrors } from './errors.js';
import { LIST_LIMIT_MAX } from './limits.js';
import { ORIGINS, parsePriority, parseStatus, parseTrackingId, STATUSES, type ITicket, type Origin, type Priority, type Status } from './ticket.js';

/** orderBy names: the reference's list, plus createdOn/lastUpdatedOn as the ticket's own field names. */
export const ORDER_NAMES = [
  'status',
  'ticketId',
  'ticketNo',
  'title',
  'requestorName',
  'requestorEmail',
  'assigneeName',
  'assigneeEmail',
  'expectedDate',
  'priority',
  'createdDateTime',
  'lastInteraction',
  'createdOn',
  'lastUpdatedOn',
] as const;
export type OrderName = (typeof ORDER_NAMES)[number];

export const SELECTABLE_FIELDS = [
  'id',
  'ticketId',
  'ticketNo',
  'trackingId',
  'title',
  'description',
  'status',
  'priority',
  'requestor',
  'assignee',
  'customFields',
  'tags',
  'expectedDate',
  'resolution',
  'lastResolutionComment',
  'firstResponseOn',
  'firstResolutionOn',
  'lastResolutionOn',
  'createdOn',
  'lastUpdatedOn',
  'lastInteraction',
  'isFrtEscalated',
  'isRtEscalated',
  'isFrtBreached',
  'isRtBreached',
  'origin',
  'createdBy',
  'lastUpdatedBy',
  'frtDueOn',
  'rtDueOn',
  'requestorName',
  'requestorEmail',
  'assigneeName',
  'assigneeEmail',
] as const;
export type SelectableField = (typeof SELECTABLE_FIELDS)[number];

export interface ListFilters {
  search?: { terms: string[]; number?: number };
  title?: string;
  /** The statuses asked for by `status`, `statusId` and `isResolved` together (may be empty: nothing matches). */
  status?: Status[];
  priority?: Priority[];
  tags?: string[];
  assignee?: string;
  /** true: tickets without an assignee; false: tickets with one. */
  unassigned?: boolean;
  requestor?: string;
  createdAfter?: string;
  createdBefore?: string;
  lastUpdateAfter?: string;
  lastUpdateBefore?: string;
  expectedDateAfter?: string;
  expectedDateBefore?: string;
  isFrtEscalated?: boolean;
  isRtEscalated?: boolean;
  isFrtBreached?: boolean;
  isRtBreached?: boolean;
  /** true: the first response or the resolution escalated (either); false: neither. */
  isEscalated?: boolean;
  origin?: Origin[];
  ticketNo?: number[];
  /** Every ticket but this number: set by the service for a search by number, whose ticket it lists first (never a query parameter). */
  exceptTicketNo?: number;
  /** The ticket a `trackingId` names: its number and the end of its UUID (src/domain/ticket.ts). */
  trackingId?: { ticketNumber: number; idSuffix: string };
}

/** The flag filters, each `true` or `false`. */
export const FLAG_FILTERS = ['isFrtEscalated', 'isRtEscalated', 'isFrtBreached', 'isRtBreached'] as const;

export interface ListQuery {
  filters: ListFilters;
  order: { by: OrderName; direction: 'ASC' | 'DESC' };
  select: SelectableField[] | undefined;
  limit: number;
  offset: number;
}

export type RawListQuery = Record<string, string | undefined>;

const list = (value: string) =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/**
 * Bounds of `search`, so that no accepted search holds the store for long (on SQLite a query
 * runs on the event loop): each word is looked up in the full-text index on its own, and a
 * prefix is expanded to every indexed word that starts with it.
 */
export const SEARCH_LIMITS = {
  /** Characters of the whole search text. */
  maxLength: 200,
  /** Words (letters and digits) in it. */
  maxWords: 10,
  /** Characters of one word. */
  maxWordLength: 64,
  /**
   * Shorter words match whole words only: "vp" finds "vp", not "vpn". A one- or two-letter
   * prefix stands for a large part of the vocabulary (`p*` alone: 0.26 s at 300,000 tickets).
   */
  minPrefixLength: 3,
} as const;

/** Whether a search word matches as a prefix (see SEARCH_LIMITS.minPrefixLength). */
export const isPrefixTerm = (term: string): boolean => term.length >= SEARCH_LIMITS.minPrefixLength;

/** Words of a search text: letters and digits, the same split the full-text indexes use. */
const searchWords = (text: string): string[] => text.split(/[^\p{L}\p{N}]+/u).filter((t) => t !== '');

/**
 * The search's terms, lowercased. Repeated words, and prefixes of another word of the search
 * ("print printer"), add nothing and are dropped.
 */
function searchTerms(words: string[]): string[] {
  words = [...new Set(words.map((word) => word.toLowerCase()))];
  return words.filter((word) => !isPrefixTerm(word) || !words.some((other) => other !== word && other.startsWith(word)));
}

function parseSearch(raw: string, path: string, errors: FieldErrors): ListFilters['search'] {
  const { maxLength, maxWords, maxWordLength } = SEARCH_LIMITS;
  if (raw.length > maxLength) {
    errors.add(path, `search is at most ${maxLength} characters`);
    return undefined;
  }
  const words = searchWords(raw);
  if (words.length > maxWords) errors.add(path, `search is at most ${maxWords} words`);
  const long = words.find((word) => word.length > maxWordLength);
  if (long !== undefined) errors.add(path, `a search word is at most ${maxWordLength} characters ("${long.slice(0, 20)}…")`);
  const number = /^#?\d{1,9}$/.test(raw) ? Number(raw.replace('#', '')) : undefined;
  return { terms: searchTerms(words), ...(number !== undefined ? { number } : {}) };
}

const at = (name: string) => `/query/${name}`;

/** Turns GET /tickets query parameters into a ListQuery, reporting every invalid one. */
export function parseListQuery(raw: RawListQuery): ListQuery {
  const errors = new FieldErrors();
  const { filters } = readFilters(raw, errors);
  let by: OrderName = 'createdDateTime';
  let direction: 'ASC' | 'DESC' = 'DESC';
  const orderBy = raw.orderBy?.trim();
  if (orderBy) {
    const found = ORDER_NAMES.find((n) => n.toLowerCase() === orderBy.toLowerCase());
    if (!found) errors.add(at('orderBy'), `unknown orderBy "${orderBy}"; one of ${ORDER_NAMES.join(', ')}`);
    else by = found;
    direction = 'ASC';
  }
  const order = raw.order?.trim().toUpperCase();
  if (order) {
    if (order !== 'ASC' && order !== 'DESC') errors.add(at('order'), 'order is ASC or DESC');
    else direction = order;
  }

  let select: SelectableField[] | undefined;
  if (raw.select !== undefined && raw.select.trim() !== '') {
    select = [];
    for (const name of list(raw.select)) {
      const found = SELECTABLE_FIELDS.find((f) => f === name);
      if (!found) errors.add(at('select'), `unknown field "${name}" in select`);
      else if (!select.includes(found)) select.push(found);
    }
    // Answer the fields in the order of the ITicket schema, whatever order they were asked in.
    select.sort((a, b) => SELECTABLE_FIELDS.indexOf(a) - SELECTABLE_FIELDS.indexOf(b));
  }

  const limit = integerParam(raw.limit, 10, 1, LIST_LIMIT_MAX, at('limit'), errors);
  const offset = integerParam(raw.offset, 0, 0, 1_000_000_000, at('offset'), errors);
  errors.throwIfAny('Some query parameters are invalid');
  return { filters, order: { by, direction }, select, limit, offset };
}

/** The filters of GET /tickets (and GET /tickets/counts) and the caller's timezone, errors added to `errors`. */
function readFilters(raw: RawListQuery, errors: FieldErrors): { filters: ListFilters; timezone: number } {
  const timezone = parseTimezone(raw.timezone);
  if (timezone === undefined) errors.add(at('timezone'), 'timezone is an offset in hours from -12 to 14, in steps of 0.25');
  const tz = timezone ?? 0;
  const filters: ListFilters = {};

  const search = raw.search?.trim();
  if (search) {
    const parsed = parseSearch(search, at('search'), errors);
    if (parsed) filters.search = parsed;
  }
  if (raw.title?.trim()) filters.title = raw.title.trim();

  // A list with no values (`status=,`) is no filter, like an empty one.
  const statusList = (name: 'status' | 'statusId'): Status[] | undefined => {
    const values = raw[name] === undefined ? [] : list(raw[name]);
    if (values.length === 0) return undefined;
    const parsed = values.map((v) => [v, parseStatus(v)] as const);
    for (const [v, s] of parsed) if (!s) errors.add(at(name), `unknown status "${v}"`);
    return [...new Set(parsed.flatMap(([, s]) => (s ? [s] : [])))];
  };
  const status = statusList('status');
  // A status's id is its name for the built-in statuses (the original product's statusId).
  const statusId = statusList('statusId');
  const isResolved = booleanParam(raw.isResolved, at('isResolved'), errors);
  if (status || statusId || isResolved !== undefined) {
    // `status` keeps its order (and so its continuation tokens); the others narrow it.
    filters.status = (status ?? [...STATUSES]).filter(
      (s) => (!statusId || statusId.includes(s)) && (isResolved === undefined || isResolved === (s === 'Resolved' || s === 'Closed')),
    );
  }
  if (raw.priority !== undefined && list(raw.priority).length > 0) {
    const values = list(raw.priority).map((v) => [v, parsePriority(v)] as const);
    for (const [v, p] of values) if (!p) errors.add(at('priority'), `unknown priority "${v}"`);
    filters.priority = [...new Set(values.flatMap(([, p]) => (p ? [p] : [])))];
  }
  if (raw.tags !== undefined && list(raw.tags).length > 0) {
    filters.tags = list(raw.tags).map((tag) => {
      const cut = tag.indexOf('_');
      if (cut <= 0 || cut === tag.length - 1) errors.add(at('tags'), `"${tag}" is not tagCategoryId_tagText`);
      return `${tag.slice(0, cut).trim()}_${tag
        .slice(cut + 1)
        .trim()
        .toLowerCase()}`;
    });
  }
  if (raw.assignee?.trim()) filters.assignee = raw.assignee.trim();
  const unassigned = booleanParam(raw.unassigned, at('unassigned'), errors);
  if (unassigned !== undefined) filters.unassigned = unassigned;
  if (raw.requestor?.trim()) filters.requestor = raw.requestor.trim();

  for (const name of ['createdAfter', 'createdBefore', 'lastUpdateAfter', 'lastUpdateBefore', 'expectedDateAfter', 'expectedDateBefore'] as const) {
    const value = raw[name]?.trim();
    if (!value) continue;
    const instant = parseInstant(value, tz);
    if (!instant) errors.add(at(name), `"${value}" is not an ISO 8601 date or date-time`);
    else filters[name] = instant;
  }
  for (const name of FLAG_FILTERS) {
    const value = booleanParam(raw[name], at(name), errors);
    if (value !== undefined) filters[name] = value;
  }
  const escalated = booleanParam(raw.isEscalated, at('isEscalated'), errors);
  if (escalated !== undefined) filters.isEscalated = escalated;
  if (raw.origin !== undefined && list(raw.origin).length > 0) {
    const values = list(raw.origin).map((v) => [v, ORIGINS.find((o) => o === v.toLowerCase())] as const);
    for (const [v, o] of values) if (!o) errors.add(at('origin'), `unknown origin "${v}"; one of ${ORIGINS.join(', ')}`);
    filters.origin = [...new Set(values.flatMap(([, o]) => (o ? [o] : [])))];
  }
  if (raw.ticketNo !== undefined && list(raw.ticketNo).length > 0) {
    const values = list(raw.ticketNo);
    for (const v of values) if (!/^\d{1,9}$/.test(v)) errors.add(at('ticketNo'), `"${v}" is not a ticket number`);
    filters.ticketNo = [...new Set(values.filter((v) => /^\d{1,9}$/.test(v)).map(Number))];
  }
  const trackingId = raw.trackingId?.trim();
  if (trackingId) {
    const parsed = parseTrackingId(trackingId);
    if (!parsed) errors.add(at('trackingId'), `"${trackingId.slice(0, 40)}" is not a tracking id (T<ticket number>-<8 hexadecimal digits>)`);
    else filters.trackingId = parsed;
  }
  return { filters, timezone: tz };
}

/** What a count can be grouped by (GET /tickets/counts): days are local days in `timezone`. */
export const COUNT_GROUPS = ['status', 'priority', 'origin', 'createdOn', 'lastResolutionOn'] as const;
export type CountGroup = (typeof COUNT_GROUPS)[number];

/** Turns GET /tickets/counts query parameters (the filters of GET /tickets, groupBy) into a count's, reporting every invalid one. */
export function parseCountQuery(raw: RawListQuery): { filters: ListFilters; groupBy: CountGroup | undefined; timezone: number } {
  const errors = new FieldErrors();
  const { filters, timezone } = readFilters(raw, errors);
  const name = raw.groupBy?.trim();
  const groupBy = name ? COUNT_GROUPS.find((g) => g.toLowerCase() === name.toLowerCase()) : undefined;
  if (name && !groupBy) errors.add(at('groupBy'), `unknown groupBy "${name}"; one of ${COUNT_GROUPS.join(', ')}`);
  errors.throwIfAny('Some query parameters are invalid');
  return { filters, groupBy, timezone };
}

/** `true` or `false` (any case), undefined when absent or empty; anything else is an error. */
function booleanParam(raw: string | undefined, path: string, errors: FieldErrors): boolean | undefined {
  const value = raw?.trim().toLowerCase();
  if (!value) return undefined;
  if (value !== 'true' && value !== 'false') errors.add(path, `${path.split('/').pop()} is true or false`);
  return value === 'true' ? true : value === 'false' ? false : undefined;
}

function integerParam(raw: string | undefined, fallback: number, min: number, max: number, path: string, errors: FieldErrors): number {
  const value = raw?.trim();
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!/^-?\d+$/.test(value) || n < min || n > max) {
    errors.add(path, `${path.split('/').pop()} is an integer from ${min} to ${max}`);
    return fallback;
  }
  return n;
}

/** Projects a ticket onto the selected fields (always with id), flattening requestor/assignee names. */
export function selectFields(ticket: ITicket, select: readonly SelectableField[]): Record<string, unknown> {
  const out: Record<string, unknown> = { id: ticket.id };
  for (const name of select) {
    switch (name) {
      case 'requestorName':
        out[name] = ticket.requestor.name;
        break;
      case 'requestorEmail':
        out[name] = ticket.requestor.email;
        break;
      case 'assigneeName':
        out[name] = ticket.assignee?.name ?? null;
        break;
      case 'assigneeEmail':
        out[name] = ticket.assignee?.email ?? null;
        break;
      default:
        out[name] = ticket[name];
    }
  }
  return out;
}
