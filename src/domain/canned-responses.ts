import type { IUser } from './ticket.js';

/*
 * Canned responses (docs/api.md §16): reply templates with placeholders such as
 * `{{requester.name}}`, filled from a ticket and the agent who answers it.
 */

export interface CannedResponse {
  id: string;
  title: string;
  /** The plain text (made from the HTML when only that was given). */
  body: string;
  /** The sanitised HTML, or null when it is made from the plain text. */
  bodyHtml: string | null;
  /** false: a draft, listed to admins (and instance keys) only. */
  shared: boolean;
  /** Null when an instance key wrote it without naming a user. */
  createdBy: IUser | null;
  createdOn: string;
  lastUpdatedOn: string;
}

/** What a placeholder is filled from. */
export interface PlaceholderContext {
  ticket: { ticketId: number; title: string; trackingId: string; requestor: IUser; assignee: IUser | null };
  /** Who answers: the signed-in person, or the `user` an instance key names; null when nobody is named. */
  agent: IUser | null;
}

/**
 * Every placeholder, with what fills it. `requester` (the usual spelling) and `requestor` (the
 * API's) are both accepted.
 */
const PLACEHOLDERS: Record<string, (c: PlaceholderContext) => string> = {
  'requester.name': (c) => c.ticket.requestor.name,
  'requester.email': (c) => c.ticket.requestor.email,
  'requestor.name': (c) => c.ticket.requestor.name,
  'requestor.email': (c) => c.ticket.requestor.email,
  'ticket.number': (c) => String(c.ticket.ticketId),
  'ticket.title': (c) => c.ticket.title,
  'ticket.trackingId': (c) => c.ticket.trackingId,
  'assignee.name': (c) => c.ticket.assignee?.name ?? '',
  'assignee.email': (c) => c.ticket.assignee?.email ?? '',
  'agent.name': (c) => c.agent?.name ?? '',
  'agent.email': (c) => c.agent?.email ?? '',
};

export const PLACEHOLDER_NAMES = Object.keys(PLACEHOLDERS);

/** `{{ name }}`: letters, digits and dots, spaces inside the braces allowed. */
const PLACEHOLDER = /\{\{\s*([A-Za-z][A-Za-z0-9_.]*)\s*\}\}/g;

/** The placeholders of `text` that are not known (each once), so that a typo is refused when the template is saved rather than sent to a customer. */
export function unknownPlaceholders(text: string): string[] {
  const unknown = new Set<string>();
  for (const [, name] of text.matchAll(PLACEHOLDER)) if (!(name! in PLACEHOLDERS)) unknown.add(name!);
  return [...unknown];
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const escapeHtml = (value: string) => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);

/**
 * The text with its placeholders filled. In HTML the values are escaped: a requester named
 * `<script>` stays text (the values come from tickets, that is from anyone who writes in).
 * Unknown placeholders (saved before a name was retired, say) are left as they are.
 */
export function fillPlaceholders(text: string, context: PlaceholderContext, options: { html: boolean }): string {
  return text.replace(PLACEHOLDER, (whole, name: string) => {
    const fill = PLACEHOLDERS[name];
    if (!fill) return whole;
    const value = fill(context);
    return options.html ? escapeHtml(value) : value;
  });
}
