import type { IUser, Resolution, Status } from './ticket.js';

interface ActivityBase {
  id: string;
  /** The ticket's number, as `ticketId` is on ITicket. */
  ticketId: number;
  user: IUser;
  createdOn: string;
  comment?: string | null;
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
