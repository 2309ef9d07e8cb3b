import sanitizeHtml from 'sanitize-html';
import type { IAttachment } from './attachments.js';
import type { CommentActivity } from './activity.js';
import type { IUser } from './ticket.js';

/*
 * The comment that an upload or a set of links is recorded with, and the §10 comment shape the
 * upload answers with.
 *
 * MERGE(dropin-activities): that branch owns rich text (comment_HTML stored, sanitised with its
 * allow-list, docs/decisions/015) and the presentation of activities and comments. When it is in,
 * `commentTexts` gives way to its sanitiser/derivation and `presentCommentAnswer` to its comment
 * presenter (called with these attachments); nothing else here depends on them.
 */

const ALLOWED = {
  allowedTags: ['p', 'br', 'b', 'strong', 'i', 'em', 'u', 's', 'a', 'ul', 'ol', 'li', 'code', 'pre', 'blockquote'],
  allowedAttributes: { a: ['href'] },
  allowedSchemes: ['http', 'https', 'mailto'],
  transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer', target: '_blank' }) },
} satisfies sanitizeHtml.IOptions;

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function htmlToText(html: string): string {
  const spaced = html.replace(/<br\s*\/?>/gi, '\n').replace(/<\/(p|li|pre|blockquote)>/gi, '\n');
  const text = sanitizeHtml(spaced, { allowedTags: [], allowedAttributes: {} });
  return text
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .trim();
}

/** The plain comment and its HTML, each derived from the other when only one is given. */
export function commentTexts(comment: string | undefined, commentHtml: string | undefined): { comment: string; commentHtml: string } {
  const html = commentHtml === undefined ? undefined : sanitizeHtml(commentHtml, ALLOWED);
  const plain = comment ?? (html === undefined ? '' : htmlToText(html));
  return { comment: plain, commentHtml: html ?? escapeHtml(plain).replace(/\r?\n/g, '<br>') };
}

/**
 * The §10 comment shape (`activityId` = `id`, `ticketId` the ticket's UUID, `ticketNo` its number)
 * of the activity an upload recorded, with its attachments.
 */
export function presentCommentAnswer(activity: CommentActivity, ticket: { id: string; ticketId: number }, commentHtml: string, attachments: IAttachment[]) {
  const user: IUser = activity.user;
  return {
    activityId: activity.id,
    id: activity.id,
    type: activity.type,
    ticketId: ticket.id,
    ticketNo: ticket.ticketId,
    comment: activity.comment,
    comment_HTML: commentHtml,
    isPrivate: activity.isPrivate,
    attachments,
    user,
    createdBy: user,
    createdOn: activity.createdOn,
    createdDateTime: activity.createdOn,
  };
}
