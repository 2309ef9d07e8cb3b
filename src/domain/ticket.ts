/** Wire-level shapes of the public contract (the reference's I* names live here only). */

export interface IUser {
  id: string;
  name: string;
  email: string;
}

export const STATUSES = ['Open', 'Reopened', 'Started', 'Resolved', 'Closed'] as const;
export type Status = (typeof STATUSES)[number];

export const PRIORITIES = ['Low', 'Medium', 'Important', 'Urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const RESOLUTIONS = ['fixed', 'cannotResolve', 'cancelled'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export interface ITag {
  tagCategoryId: string;
  text: string;
}

export type CustomFieldValues = Record<string, unknown>;

export interface ITicket {
  id: string;
  ticketId: number;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  requestor: IUser;
  assignee: IUser | null;
  customFields: CustomFieldValues;
  tags: ITag[];
  expectedDate: string | null;
  resolution: Resolution | null;
  lastResolutionComment: string | null;
  firstResponseOn: string | null;
  firstResolutionOn: string | null;
  lastResolutionOn: string | null;
  createdOn: string;
  lastUpdatedOn: string;
  lastInteraction: string;
  isFrtEscalated: boolean;
  isRtEscalated: boolean;
  createdBy: IUser;
  lastUpdatedBy: IUser;
  /** When the first response is due under the instance's SLA policy (absent/null: nothing due). */
  frtDueOn?: string | null;
  /** When resolution is due under the SLA policy (absent/null: no target, or resolved). */
  rtDueOn?: string | null;
  /** The description as sanitised HTML: only when the request has include=description_HTML. */
  description_HTML?: string;
}

/**
 * A ticket as stored: plus when its resolution clock last (re)started, and its description's
 * sanitised HTML when it came as HTML (null or absent: made from the description when asked for,
 * src/domain/rich-text.ts). Not on the wire as such.
 */
export type StoredTicket = ITicket & { rtStartedOn: string; frtDueOn: string | null; rtDueOn: string | null; descriptionHtml?: string | null };

/** Status rank = the reference's order; priority rank = severity. Both drive sorting. */
export const statusRank = (status: Status): number => STATUSES.indexOf(status) + 1;
export const priorityRank = (priority: Priority): number => PRIORITIES.indexOf(priority) + 1;

/** The reference writes `' Closed'`; `In Progress` is also accepted for `Started` (docs/api.md §6). */
export function parseStatus(value: string): Status | undefined {
  const trimmed = value.trim();
  if (trimmed.toLowerCase() === 'in progress') return 'Started';
  return STATUSES.find((s) => s.toLowerCase() === trimmed.toLowerCase());
}

export function parsePriority(value: string): Priority | undefined {
  const trimmed = value.trim().toLowerCase();
  return PRIORITIES.find((p) => p.toLowerCase() === trimmed);
}

export function isSameUser(a: IUser, b: IUser): boolean {
  return a.id === b.id;
}
