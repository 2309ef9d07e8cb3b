/** Wire-level shapes of the public contract (the reference's I* names live here only). */

import { DomainError } from './errors.js';

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

/** Where a ticket was created: through the API, in the web app, or from an e-mail (docs/api.md §5). */
export const ORIGINS = ['api', 'web', 'email'] as const;
export type Origin = (typeof ORIGINS)[number];

export interface ITag {
  tagCategoryId: string;
  text: string;
}

export type CustomFieldValues = Record<string, unknown>;

export interface ITicket {
  id: string;
  ticketId: number;
  /** The number again, under the name the original product's clients read (docs/api.md §5). */
  ticketNo: number;
  /** Identifies the ticket in e-mail subjects (trackingIdOf). */
  trackingId: string;
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
  /** The first-response target was missed (escalated or not). */
  isFrtBreached: boolean;
  /** A resolution target was missed (escalated or not); stays true after a reopening. */
  isRtBreached: boolean;
  origin: Origin;
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
 * A ticket as stored: without what is derived from it on the way out (ticketNo, trackingId), plus
 * when its resolution clock last (re)started, and its description's sanitised HTML when it came as
 * HTML (null or absent: made from the description when asked for, src/domain/rich-text.ts). Not on
 * the wire as such.
 */
export type StoredTicket = Omit<ITicket, 'ticketNo' | 'trackingId'> & {
  rtStartedOn: string;
  frtDueOn: string | null;
  rtDueOn: string | null;
  descriptionHtml?: string | null;
};

/*
 * A tracking id names a ticket in e-mail subjects ("[T1234-5F0C2A9B] Printer on fire"): `T`, the
 * ticket number, `-` and the last 8 hex digits of the ticket's UUID, upper-case. It is derived,
 * never stored: stable as long as the ticket is, unique in the instance by its number, and not
 * guessable from the number alone (those digits are random in a v4 or v7 UUID), so a reply cannot
 * land on another ticket by changing a digit. Clients treat it as opaque text.
 */
const TRACKING_SUFFIX = 8;

/** The tracking id of a ticket. */
export const trackingIdOf = (ticket: { id: string; ticketId: number }): string => `T${ticket.ticketId}-${ticket.id.slice(-TRACKING_SUFFIX).toUpperCase()}`;

/** The ticket number and the (lower-case) end of the UUID a tracking id names, or undefined if it is not one. */
export function parseTrackingId(value: string): { ticketNumber: number; idSuffix: string } | undefined {
  // Ticket numbers have at most 9 digits here, as in /tickets/{ticketId}: they fit every store's integer.
  const match = /^T(\d{1,9})-([0-9A-F]{8})$/i.exec(value.trim());
  return match ? { ticketNumber: Number(match[1]), idSuffix: match[2]!.toLowerCase() } : undefined;
}

/**
 * Where a new ticket comes from (docs/api.md §5): the web app's requests make `web` tickets, an
 * instance key `api` tickets, or `email` ones when the client says so (an e-mail gateway relaying
 * mail through the API). `web` is the server's to say, so no request can claim it, and the web
 * app's tickets are always `web`.
 */
export function ticketOrigin(channel: 'api' | 'web', requested: Origin | undefined): Origin {
  const refuse = (message: string) => new DomainError('validation_failed', `origin: ${message}`, [{ path: '/body/ticket/origin', message }]);
  if (channel === 'web') {
    if (requested !== undefined && requested !== 'web') throw refuse('the web app creates web tickets only');
    return 'web';
  }
  if (requested === 'web') throw refuse('is api or email: web is for the tickets of the web app');
  return requested ?? 'api';
}

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
