import { DomainError } from './errors.js';

/*
 * Entity tags of tickets and the If-Match check of their writes (docs/api.md §5,
 * docs/decisions/020-ticket-etags.md). A tag names one version of the ticket (its row's version
 * counter, raised by every write) in one representation: with include=description_HTML the JSON
 * has another field, so it gets another tag. Tags are strong: If-Match compares strongly
 * (RFC 9110 §13.1.1), and a weak tag could never satisfy it.
 */

/** The strong ETag of a ticket's JSON at `version`; `withHtml`: the representation with description_HTML. */
export function ticketEtag(ticketNumber: number, version: number, withHtml: boolean): string {
  return `"${ticketNumber}.${version}${withHtml ? '.h' : ''}"`;
}

/** An If-Match header as the check needs it: any current representation (`*`), or the strong tags listed. */
export type IfMatch = { any: true } | { any: false; tags: string[] };

/**
 * The tags a conditional header lists (RFC 9110 §8.8.3: `*`, or quoted tags, weak ones marked
 * `W/`), or undefined without the header. Text that is not a quoted tag is passed over.
 */
function tagList(header: string | string[] | undefined): { any: true } | { any: false; tags: { tag: string; weak: boolean }[] } | undefined {
  const value = Array.isArray(header) ? header.join(',') : header;
  if (value === undefined) return undefined;
  if (value.trim() === '*') return { any: true };
  return { any: false, tags: [...value.matchAll(/(W\/)?"([^"]*)"/g)].map((match) => ({ tag: match[2]!, weak: Boolean(match[1]) })) };
}

/**
 * The If-Match header of a request, or undefined without one. Weak tags (`W/"…"`) are kept out
 * of the list: they never match strongly. Text that is not a list of quoted tags matches nothing.
 */
export function parseIfMatch(header: string | string[] | undefined): IfMatch | undefined {
  const list = tagList(header);
  if (!list || list.any) return list;
  return { any: false, tags: list.tags.filter((t) => !t.weak).map((t) => t.tag) };
}

/** Whether If-Match holds for the ticket at `version`, in any of its representations. */
export function ifMatchHolds(ifMatch: IfMatch | undefined, ticketNumber: number, version: number): boolean {
  if (!ifMatch || ifMatch.any) return true;
  const current = `${ticketNumber}.${version}`;
  return ifMatch.tags.some((tag) => tag === current || tag === `${current}.h`);
}

/**
 * A write whose If-Match names a version of the ticket that is no longer current: answered 412
 * with the ticket as it is now (`item`) and its ETag, so the client can show what changed and retry.
 */
export class StaleTicket extends DomainError {
  constructor(
    readonly item: unknown,
    readonly etag: string,
  ) {
    super('precondition_failed', 'the ticket changed since the version named in If-Match; the current ticket is in item, its ETag in the ETag header');
    this.name = 'StaleTicket';
  }
}

/**
 * Whether a read's If-None-Match names the representation it would get (RFC 9110 §13.1.2: weak
 * comparison, so `W/"…"` counts as the tag inside; `*` names any): then the answer is 304 Not
 * Modified, without the body the client already has.
 */
export function ifNoneMatchNames(header: string | string[] | undefined, etag: string): boolean {
  const list = tagList(header);
  return list !== undefined && (list.any || list.tags.some((t) => `"${t.tag}"` === etag));
}
