/** The API's wire shapes (see /api/v1/openapi.json), as the web app uses them. */

export interface User {
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
export const RESOLUTION_LABELS: Record<Resolution, string> = { fixed: 'Fixed', cannotResolve: 'Cannot resolve', cancelled: 'Cancelled' };

/** The status machine of docs/api.md §6: where each status may go next. */
export const NEXT_STATUSES: Record<Status, Status[]> = {
  Open: ['Started', 'Resolved', 'Closed'],
  Reopened: ['Started', 'Resolved', 'Closed'],
  Started: ['Resolved', 'Closed'],
  Resolved: ['Closed', 'Reopened'],
  Closed: ['Reopened'],
};
export const ACTIVE_STATUSES: Status[] = ['Open', 'Reopened', 'Started'];

export interface TicketTag {
  tagCategoryId: string;
  text: string;
}

export interface Ticket {
  id: string;
  ticketId: number;
  title: string;
  description: string;
  status: Status;
  priority: Priority;
  requestor: User;
  assignee: User | null;
  customFields: Record<string, unknown>;
  tags: TicketTag[];
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
  /** When the first response is due under the SLA policy; absent while nothing is due. */
  frtDueOn?: string | null;
  /** When resolution is due under the SLA policy; absent while nothing is due. */
  rtDueOn?: string | null;
  createdBy: User;
  lastUpdatedBy: User;
}

/** A listed ticket: the selected fields only. */
export type ListedTicket = Partial<Ticket> & {
  id: string;
  requestorName?: string;
  requestorEmail?: string;
  assigneeName?: string | null;
  assigneeEmail?: string | null;
};

export interface ListPage {
  items: ListedTicket[];
  continuationToken?: string | null;
  itemCount: number;
}

export interface Activity {
  id: string;
  ticketId: number;
  type: string;
  user: User;
  createdOn: string;
  comment?: string | null;
  isPrivate?: boolean;
  from?: unknown;
  to?: unknown;
  resolution?: string | null;
  field?: string;
  /** fieldChange by the rules: the name of the rule that matched. */
  rule?: string;
  /** escalation: which target was missed, and when it was due. */
  escalation?: 'firstResponse' | 'resolution';
  dueOn?: string;
  /** idle: how many days without interaction. */
  idleDays?: number;
}

/** Activities written by the help-desk engine carry a user whose id starts with `system:`. */
export const isSystemUser = (user: User | null | undefined): boolean => !!user && user.id.startsWith('system:');

export const CUSTOM_FIELD_TYPES = ['peoplePicker', 'multipleItemsPicker', 'singleItemPicker', 'textField', 'textArea', 'toggle', 'datePicker'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];
export const CUSTOM_FIELD_TYPE_LABELS: Record<CustomFieldType, string> = {
  peoplePicker: 'People picker',
  multipleItemsPicker: 'Multiple items picker',
  singleItemPicker: 'Single item picker',
  textField: 'Text field',
  textArea: 'Text area',
  toggle: 'Toggle',
  datePicker: 'Date picker',
};
export const hasOptions = (type: CustomFieldType): boolean => type === 'multipleItemsPicker' || type === 'singleItemPicker';

export interface CustomFieldOption {
  id: string;
  text: string;
  deleted: boolean;
}

export interface CustomField {
  id: string;
  name: string;
  type: CustomFieldType;
  required: boolean;
  options?: CustomFieldOption[];
  deleted: boolean;
}

export type KeyName = 'primary' | 'secondary';
export type KeyAccess = 'readWrite' | 'readOnly';

export interface Instance {
  id: string;
  name: string;
  groupId: string | null;
  enabled: boolean;
  tenantId: string | null;
  teamId: string | null;
  channelId: string | null;
  subscriptionId: string | null;
  mailAddress: string | null;
  customFields: CustomField[];
  customFieldsLeft: CustomField[];
  customFieldsRight: CustomField[];
  optionalFieldsLeft: CustomField[];
  optionalFieldsRight: CustomField[];
  assignees: { type: string; peoples: User[] } | null;
  assigneeRules: Rule[];
  defaultRuleAssignee: Rule[];
  isAutomaticAssignTickets: boolean;
  alertNotification: AlertNotification | null;
  isAutoAssignIdleTickets: boolean;
  dayBeforeTicketsIdle: number | null;
  idleTicketAssignedTo: User[];
  isNotifyIdleTicket: boolean;
  keyAccess: Record<KeyName, KeyAccess>;
  rateLimit: { max: number; windowSeconds: number };
  sla: SlaPolicy | null;
}

export interface SlaTarget {
  firstResponseMinutes?: number | null;
  resolutionMinutes?: number | null;
}

/** ISlaPolicy: targets per priority, counted in working time. */
export interface SlaPolicy {
  enabled: boolean;
  /** IANA time zone name. */
  timeZone: string;
  /** ISO weekdays: 1 = Monday … 7 = Sunday. */
  workingDays: number[];
  /** HH:mm; end may be 24:00. */
  workingHours: { start: string; end: string };
  /** YYYY-MM-DD. */
  holidays: string[];
  targets: Partial<Record<Priority, SlaTarget>>;
  breachAssignees: User[];
}

/** IRule: every given condition must hold; within one condition, any value matches. */
export interface RuleConditions {
  priority?: Priority[];
  /** `tagCategoryId_text`. */
  tags?: string[];
  /** Field id -> value (or values, any of which). */
  customFields?: Record<string, unknown>;
  /** Requestor ids or emails. */
  requestor?: string[];
  titleContains?: string[];
}

export interface Rule {
  id?: string;
  name?: string;
  conditions?: RuleConditions;
  assignees: User[];
  mode?: 'single' | 'roundRobin';
}

export interface AlertNotification {
  enabled: boolean;
  daysBeforeExpectedDate: number | null;
  whenOverdue: boolean;
}

/** An entry of GET /instance/events (the alert outbox). */
export interface AlertEvent {
  id: string;
  type: string;
  /** The ticket number. */
  ticketId: number | null;
  /** The ticket UUID. */
  ticket: string | null;
  payload: unknown;
  createdOn: string;
  deliveredOn: string | null;
}

export interface TagCategory {
  id: string;
  instanceId: string;
  text: string;
  color: string;
  tags: { text: string; deleted: boolean }[];
  deleted: boolean;
}

export interface Session {
  instance: { id: string; name: string };
  user: User;
  which: KeyName;
  access: KeyAccess;
}

export interface FieldError {
  path: string;
  message: string;
}
