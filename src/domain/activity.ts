import { FieldErrors } from './errors.js';
import { ACTIVITY_LIMIT_MAX } from './limits.js';
import { htmlOf, readInclude, type Includable } from './rich-text.js';
import type { IUser, Resolution, Status } from './ticket.js';

/** An activity as stored (the activities table). The wire shapes are IActivity and IComment below. */
interface ActivityBase {
  id: string;
  /**
   * The ticket's number, as stored. On the wire it is `ticketNo`, and `ticketId` is the ticket's
   * UUID, as the live product has it (presentActivity).
   */
  ticketId: number;
  user: IUser;
  createdOn: string;
  comment?: string | null;
  /** The comment's sanitised HTML when it came as HTML; null or absent: made from `comment` when asked for. */
  commentHtml?: string | null;
  isPrivate?: boolean;
}

export interface CommentActivity extends ActivityBase {
  type: 'comment';
  comment: string;
  isPrivate: boolean;
}

export interface StatusChangeActivity extends ActivityBase {
  type: 'statusChange';
  from: Status;
  to: Status;
  resolution: Resolution | null;
}

export interface FieldChangeActivity extends ActivityBase {
  type: 'fieldChange';
  field: string;
  from: unknown;
  to: unknown;
  /** For automatic assignments: the name of the rule that matched. */
  rule?: string;
}

/** An SLA target passed unmet. */
export interface EscalationActivity extends ActivityBase {
  type: 'escalation';
  escalation: 'firstResponse' | 'resolution';
  dueOn: string;
}

/** A ticket went idle and nobody was there to reassign it to (the notice itself). */
export interface IdleActivity extends ActivityBase {
  type: 'idle';
  idleDays: number;
}

export type Activity = CommentActivity | StatusChangeActivity | FieldChangeActivity | EscalationActivity | IdleActivity;

/** One changed value of an activity, as text (docs/api.md §6): what a client shows without knowing each field's shape. */
export interface IActivityChange {
  name: string;
  oldValue: string | null;
  newValue: string | null;
}

/** The ticket an activity belongs to, as its answer names it. */
export interface ActivityTicket {
  id: string;
  ticketId: number;
}

/** What the activity answers share with the comment answer (docs/api.md §6, contract §10). */
interface PresentedBase {
  id: string;
  /** The ticket's UUID. */
  ticketId: string;
  /** The ticket's number. */
  ticketNo: number;
  user: IUser;
  createdBy: IUser;
  createdOn: string;
  createdDateTime: string;
  comment: string | null;
  comment_HTML?: string | null;
  isPrivate: boolean;
  /** Filled by the attachments of the activity (contract §11); empty until those exist. */
  attachments: readonly unknown[];
}

/** An activity on the wire: the stored one's type-specific fields (from, to, field, …) plus the shared ones and `changes`. */
export type IActivity = PresentedBase & { type: Activity['type']; changes: IActivityChange[] } & Record<string, unknown>;

/** The answer to adding a comment: `activityId` is its `id`. */
export type IComment = PresentedBase & { activityId: string; comment: string; comment_HTML: string };

export interface PresentOptions {
  /** Answer `comment_HTML` (include=comment_HTML). */
  commentHtml: boolean;
  /** The activity's attachments, as the attachments feature presents them. */
  attachments?: readonly unknown[];
}

function presentBase(activity: Activity, ticket: ActivityTicket, options: PresentOptions): PresentedBase {
  const comment = activity.comment ?? null;
  return {
    id: activity.id,
    ticketId: ticket.id,
    ticketNo: ticket.ticketId,
    user: activity.user,
    createdBy: activity.user,
    createdOn: activity.createdOn,
    createdDateTime: activity.createdOn,
    comment,
    ...(options.commentHtml ? { comment_HTML: comment === null ? null : htmlOf({ plain: comment, html: activity.commentHtml ?? null }) } : {}),
    isPrivate: activity.isPrivate ?? false,
    attachments: options.attachments ?? [],
  };
}

/** The one presentation of a stored activity on the wire (GET /tickets/{ticketId}/activities). */
export function presentActivity(activity: Activity, ticket: ActivityTicket, options: PresentOptions): IActivity {
  const { id: _id, ticketId: _number, user: _user, createdOn: _on, comment: _comment, commentHtml: _html, isPrivate: _private, ...specific } = activity;
  return { ...specific, ...presentBase(activity, ticket, options), changes: changesOf(activity) };
}

/** The answer to POST /tickets/{ticketId}/comments (and /activities): the comment, with its HTML always. */
export function presentComment(activity: CommentActivity, ticket: ActivityTicket, attachments: readonly unknown[] = []): IComment {
  const base = presentBase(activity, ticket, { commentHtml: true, attachments });
  return { ...base, activityId: activity.id, comment: activity.comment, comment_HTML: base.comment_HTML ?? '' };
}

/** What changed, as `{ name, oldValue, newValue }` texts: field changes, status changes and escalations. */
export function changesOf(activity: Activity): IActivityChange[] {
  switch (activity.type) {
    case 'fieldChange':
      return [{ name: activity.field, oldValue: changeText(activity.from), newValue: changeText(activity.to) }];
    case 'statusChange':
      return [
        { name: 'status', oldValue: activity.from, newValue: activity.to },
        // Only Open, Started and Reopened tickets can be resolved, and they have no resolution.
        ...(activity.resolution ? [{ name: 'resolution', oldValue: null, newValue: activity.resolution }] : []),
      ];
    case 'escalation':
      return [{ name: activity.escalation === 'firstResponse' ? 'isFrtEscalated' : 'isRtEscalated', oldValue: 'false', newValue: 'true' }];
    default:
      return [];
  }
}

/**
 * A field's value as text: a person as "Name <email>", a tag as its text, a list as its items
 * joined by ", ", nothing (null, empty list) as null. The typed value stays in `from` / `to`.
 */
export function changeText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) {
    const items = value.map(changeText).filter((item): item is string => item !== null);
    return items.length > 0 ? items.join(', ') : null;
  }
  if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (typeof record.email === 'string') return typeof record.name === 'string' && record.name ? `${record.name} <${record.email}>` : record.email;
    if (typeof record.text === 'string') return record.text;
  }
  return JSON.stringify(value);
}

/** A page of a ticket's activities, as asked (GET /tickets/{ticketId}/activities). */
export interface ActivityQuery {
  limit: number;
  descending: boolean;
  include: ReadonlySet<Includable>;
}

/**
 * `limit` (1..ACTIVITY_LIMIT_MAX, default ACTIVITY_LIMIT_MAX), `order` (ASC, the default: oldest
 * first; or DESC, case-insensitive) and `include`, reporting every invalid one.
 */
export function parseActivityQuery(raw: { limit?: string | undefined; order?: string | undefined; include?: string | undefined }): ActivityQuery {
  const errors = new FieldErrors();
  let limit = ACTIVITY_LIMIT_MAX;
  const rawLimit = raw.limit?.trim();
  if (rawLimit) {
    const n = Number(rawLimit);
    if (/^\d+$/.test(rawLimit) && n >= 1 && n <= ACTIVITY_LIMIT_MAX) limit = n;
    else errors.add('/query/limit', `limit is an integer from 1 to ${ACTIVITY_LIMIT_MAX}`);
  }
  const order = raw.order?.trim().toUpperCase();
  if (order && order !== 'ASC' && order !== 'DESC') errors.add('/query/order', 'order is ASC or DESC');
  const include = readInclude(raw.include, errors);
  errors.throwIfAny('Some query parameters are invalid');
  return { limit, descending: order === 'DESC', include };
}
