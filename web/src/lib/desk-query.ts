import { PRIORITIES, STATUSES, type Priority, type Status } from './types.js';

/*
 * The desk's view (filters, search, order) lives in the URL, so a view can be bookmarked and
 * shared. These functions turn the URL into that state, the state back into a URL, and the
 * state into the query of GET /tickets. No DOM here: they are unit-tested under Node.
 */

export const ORDER_NAMES = [
  'ticketId',
  'title',
  'status',
  'priority',
  'requestorName',
  'requestorEmail',
  'assigneeName',
  'assigneeEmail',
  'expectedDate',
  'createdDateTime',
  'lastInteraction',
] as const;
export type OrderName = (typeof ORDER_NAMES)[number];
/** '' any; 'any': either target escalated; 'frt' / 'rt': that one; 'none': neither. */
export type Escalation = '' | 'any' | 'frt' | 'rt' | 'none';

export interface DeskQuery {
  search: string;
  status: Status[];
  priority: Priority[];
  /** `tagCategoryId_text`, as the API's tags filter takes them. */
  tags: string[];
  assignee: string;
  requestor: string;
  /** Only tickets nobody is assigned to. */
  unassigned: boolean;
  escalated: Escalation;
  /** Date ranges as picked (YYYY-MM-DD, both ends inclusive). */
  createdFrom: string;
  createdTo: string;
  updatedFrom: string;
  updatedTo: string;
  dueFrom: string;
  dueTo: string;
  /** Empty: the API's default, newest first. */
  orderBy: OrderName | '';
  order: 'ASC' | 'DESC';
}

export const EMPTY_QUERY: DeskQuery = {
  search: '',
  status: [],
  priority: [],
  tags: [],
  assignee: '',
  requestor: '',
  unassigned: false,
  escalated: '',
  createdFrom: '',
  createdTo: '',
  updatedFrom: '',
  updatedTo: '',
  dueFrom: '',
  dueTo: '',
  orderBy: '',
  order: 'ASC',
};

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const TEXT_PARAMS = { search: 'q', assignee: 'assignee', requestor: 'requestor' } as const;
const DATE_PARAMS = {
  createdFrom: 'createdFrom',
  createdTo: 'createdTo',
  updatedFrom: 'updatedFrom',
  updatedTo: 'updatedTo',
  dueFrom: 'dueFrom',
  dueTo: 'dueTo',
} as const;

const list = (value: string | null): string[] =>
  (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

/** The desk state of a URL query string (unknown or malformed values are dropped). */
export function parseDeskQuery(search: string): DeskQuery {
  const params = new URLSearchParams(search);
  const query: DeskQuery = { ...EMPTY_QUERY, status: [], priority: [], tags: [] };
  for (const [key, name] of Object.entries(TEXT_PARAMS)) query[key as keyof typeof TEXT_PARAMS] = params.get(name)?.trim() ?? '';
  for (const [key, name] of Object.entries(DATE_PARAMS)) {
    const value = params.get(name) ?? '';
    query[key as keyof typeof DATE_PARAMS] = DATE.test(value) ? value : '';
  }
  query.status = STATUSES.filter((s) => list(params.get('status')).includes(s));
  query.priority = PRIORITIES.filter((p) => list(params.get('priority')).includes(p));
  query.tags = [...new Set(list(params.get('tags')).filter((t) => t.includes('_')))];
  const escalated = params.get('escalated') ?? '';
  query.escalated = escalated === 'any' || escalated === 'frt' || escalated === 'rt' || escalated === 'none' ? escalated : '';
  query.unassigned = params.get('unassigned') === '1';
  const sort = params.get('sort') ?? '';
  query.orderBy = (ORDER_NAMES as readonly string[]).includes(sort) ? (sort as OrderName) : '';
  query.order = params.get('order')?.toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
  return query;
}

/** The URL query string of a desk state: only what differs from the default, in a stable order. */
export function formatDeskQuery(query: DeskQuery): string {
  const params = new URLSearchParams();
  if (query.search.trim()) params.set('q', query.search.trim());
  if (query.status.length) params.set('status', query.status.join(','));
  if (query.priority.length) params.set('priority', query.priority.join(','));
  if (query.tags.length) params.set('tags', query.tags.join(','));
  if (query.assignee.trim()) params.set('assignee', query.assignee.trim());
  if (query.requestor.trim()) params.set('requestor', query.requestor.trim());
  if (query.unassigned) params.set('unassigned', '1');
  if (query.escalated) params.set('escalated', query.escalated);
  for (const [key, name] of Object.entries(DATE_PARAMS)) {
    const value = query[key as keyof typeof DATE_PARAMS];
    if (value) params.set(name, value);
  }
  if (query.orderBy) {
    params.set('sort', query.orderBy);
    if (query.order === 'DESC') params.set('order', 'DESC');
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The day after a YYYY-MM-DD date: the API's `…Before` bounds are exclusive, the desk's "to" dates inclusive. */
export function nextDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const next = new Date(Date.UTC(y, m - 1, d + 1));
  return next.toISOString().slice(0, 10);
}

/** The parameters of GET /tickets for a desk state (dates are local days in `timezone`). */
export function toListParams(query: DeskQuery, timezone: number): Record<string, string> {
  const params: Record<string, string> = { timezone: String(timezone) };
  // "#42" is how people write a ticket number; the API's search matches the bare number.
  if (query.search.trim()) params.search = query.search.trim().replace(/^#(\d+)$/, '$1');
  if (query.status.length) params.status = query.status.join(',');
  if (query.priority.length) params.priority = query.priority.join(',');
  if (query.tags.length) params.tags = query.tags.join(',');
  if (query.assignee.trim()) params.assignee = query.assignee.trim();
  if (query.requestor.trim()) params.requestor = query.requestor.trim();
  if (query.unassigned) params.unassigned = 'true';
  if (query.escalated === 'any') params.isEscalated = 'true';
  if (query.escalated === 'frt') params.isFrtEscalated = 'true';
  if (query.escalated === 'rt') params.isRtEscalated = 'true';
  if (query.escalated === 'none') {
    params.isFrtEscalated = 'false';
    params.isRtEscalated = 'false';
  }
  if (query.createdFrom) params.createdAfter = query.createdFrom;
  if (query.createdTo) params.createdBefore = nextDay(query.createdTo);
  if (query.updatedFrom) params.lastUpdateAfter = query.updatedFrom;
  if (query.updatedTo) params.lastUpdateBefore = nextDay(query.updatedTo);
  if (query.dueFrom) params.expectedDateAfter = query.dueFrom;
  if (query.dueTo) params.expectedDateBefore = nextDay(query.dueTo);
  if (query.orderBy) {
    params.orderBy = query.orderBy;
    params.order = query.order;
  }
  return params;
}

/** The order the desk shows: the API's default is createdDateTime, newest first. */
export function effectiveOrder(query: DeskQuery): { by: OrderName; order: 'ASC' | 'DESC' } {
  return query.orderBy ? { by: query.orderBy, order: query.order } : { by: 'createdDateTime', order: 'DESC' };
}

/** Clicking a column header: sort by it ascending, or flip the direction when it already sorts. */
export function sortBy(query: DeskQuery, column: OrderName): DeskQuery {
  const current = effectiveOrder(query);
  if (current.by === column) return { ...query, orderBy: column, order: current.order === 'ASC' ? 'DESC' : 'ASC' };
  return { ...query, orderBy: column, order: 'ASC' };
}

/** How many filters (search aside) narrow the view. */
export function activeFilterCount(query: DeskQuery): number {
  let count = 0;
  if (query.status.length) count++;
  if (query.priority.length) count++;
  if (query.tags.length) count++;
  if (query.assignee.trim()) count++;
  if (query.requestor.trim()) count++;
  if (query.unassigned) count++;
  if (query.escalated) count++;
  for (const key of Object.keys(DATE_PARAMS)) if (query[key as keyof typeof DATE_PARAMS]) count++;
  return count;
}

/** The day before a YYYY-MM-DD date. */
function previousDay(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d - 1)).toISOString().slice(0, 10);
}

/**
 * The desk state of GET /tickets parameters (a saved view's query): toListParams undone. What the
 * desk cannot show (another filter of the API) is left out; `complete` says whether anything was.
 */
export function fromListParams(params: Readonly<Record<string, string>>): { query: DeskQuery; complete: boolean } {
  const query: DeskQuery = { ...EMPTY_QUERY, status: [], priority: [], tags: [] };
  const used = new Set(['timezone']);
  const take = (name: string): string | undefined => {
    const value = params[name];
    if (value === undefined) return undefined;
    used.add(name);
    return value;
  };
  query.search = take('search') ?? '';
  query.status = STATUSES.filter((s) => list(take('status') ?? null).includes(s));
  query.priority = PRIORITIES.filter((p) => list(take('priority') ?? null).includes(p));
  query.tags = list(take('tags') ?? null);
  query.assignee = take('assignee') ?? '';
  query.requestor = take('requestor') ?? '';
  query.unassigned = take('unassigned') === 'true';
  const frt = take('isFrtEscalated');
  const rt = take('isRtEscalated');
  if (take('isEscalated') === 'true') query.escalated = 'any';
  else if (frt === 'false' && rt === 'false') query.escalated = 'none';
  else if (frt === 'true') query.escalated = 'frt';
  else if (rt === 'true') query.escalated = 'rt';
  const day = (value: string | undefined) => (value && DATE.test(value.slice(0, 10)) ? value.slice(0, 10) : '');
  query.createdFrom = day(take('createdAfter'));
  query.updatedFrom = day(take('lastUpdateAfter'));
  query.dueFrom = day(take('expectedDateAfter'));
  const until = (value: string | undefined) => (day(value) ? previousDay(day(value)) : '');
  query.createdTo = until(take('createdBefore'));
  query.updatedTo = until(take('lastUpdateBefore'));
  query.dueTo = until(take('expectedDateBefore'));
  const by = take('orderBy') ?? '';
  query.orderBy = (ORDER_NAMES as readonly string[]).includes(by) ? (by as OrderName) : '';
  query.order = take('order')?.toUpperCase() === 'DESC' ? 'DESC' : 'ASC';
  return { query, complete: Object.keys(params).every((name) => used.has(name)) };
}

/** The statuses of work not yet done. */
export const ACTIVE: Status[] = ['Open', 'Reopened', 'Started'];

/** The desk's built-in queues, for the signed-in agent (`me`: their e-mail) on `today` (YYYY-MM-DD, local). */
export function builtInQueues(me: string, today: string): { id: string; name: string; query: DeskQuery }[] {
  const active = { ...EMPTY_QUERY, status: ACTIVE, priority: [], tags: [] };
  return [
    { id: 'mine', name: 'My open tickets', query: { ...active, assignee: me } },
    { id: 'unassigned', name: 'Unassigned', query: { ...active, unassigned: true } },
    { id: 'escalated', name: 'Escalated', query: { ...active, escalated: 'any' } },
    { id: 'due-today', name: 'Due today', query: { ...active, dueFrom: today, dueTo: today } },
  ];
}
