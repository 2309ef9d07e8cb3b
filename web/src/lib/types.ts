/*
 * The API's wire shapes as the web app names them. Every type here is an alias of the types
 * generated from the server's OpenAPI document (api.generated.d.ts, `npm run generate:api`),
 * and the statuses, priorities, resolutions and the status machine come from the server's pure
 * domain modules: one definition of each, shared with the server.
 */
import type { components, paths } from './api.generated.js';
import { PRIORITIES, RESOLUTIONS, STATUSES } from '../../../src/domain/ticket.js';
import { TRANSITIONS } from '../../../src/domain/status.js';

type Schemas = components['schemas'];
/** The JSON body a route answers with on success (200). */
type Answer<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { responses: { 200: { content: { 'application/json': infer T } } } }
  ? T
  : never;
/** The JSON body a route takes. */
type Body<P extends keyof paths, M extends keyof paths[P]> = paths[P][M] extends { requestBody?: { content: { 'application/json': infer T } } } ? T : never;

export type User = Schemas['IUser'];

export { PRIORITIES, RESOLUTIONS, STATUSES };
export type Status = Schemas['ITicket']['status'];
export type Priority = Schemas['ITicket']['priority'];
export type Resolution = NonNullable<Schemas['ITicket']['resolution']>;
export const RESOLUTION_LABELS: Record<Resolution, string> = { fixed: 'Fixed', cannotResolve: 'Cannot resolve', cancelled: 'Cancelled' };

/** The status machine (src/domain/status.ts): where each status may go next. */
export const NEXT_STATUSES: Readonly<Record<Status, readonly Status[]>> = TRANSITIONS;
export const ACTIVE_STATUSES: Status[] = ['Open', 'Reopened', 'Started'];

export type TicketTag = Schemas['ITag'];
export type Ticket = Schemas['ITicket'];
/** POST /tickets: the new ticket's fields. */
export type NewTicket = Body<'/tickets', 'post'>['ticket'];

export type ListPage = Answer<'/tickets', 'get'>;
/** A listed ticket: the selected fields only, always with its id. */
export type ListedTicket = ListPage['items'][number];
/** GET /tickets/counts: how many tickets match (and per group, with groupBy). */
export type TicketCounts = Answer<'/tickets/counts', 'get'>;

export type Activity = Schemas['IActivity'];
/** A reply template (docs/api.md §16). */
export type CannedResponse = Schemas['ICannedResponse'];
/** A file or link on a ticket (IAttachment). */
export type Attachment = Schemas['IAttachment'];

/** Activities written by the help-desk engine carry a user whose id starts with `system:`. */
export const isSystemUser = (user: User | null | undefined): boolean => !!user && user.id.startsWith('system:');

/** Our names of the field types (a field's `typeName`), their labels and kinds: the server's domain module. */
export { CUSTOM_FIELD_TYPE_LABELS, CUSTOM_FIELD_TYPES, hasOptions, isEmailAddress } from '../../../src/domain/custom-fields.js';
export type CustomFieldType = Schemas['ICustomField']['typeName'];

export type CustomField = Schemas['ICustomField'];
export type CustomFieldOption = NonNullable<CustomField['options']>[number];

export type Instance = Schemas['IInstance'];
/** PUT /instance: any subset of the settings. */
export type SettingsUpdate = Body<'/instance', 'put'>;
export type KeyName = keyof Instance['keyAccess'];
export type KeyAccess = Instance['keyAccess'][KeyName];

/** ISlaPolicy: targets per priority, counted in working time. */
export type SlaPolicy = Schemas['ISlaPolicy'];
export type SlaTarget = NonNullable<SlaPolicy['targets'][Priority]>;

/** IRule: every given condition must hold; within one condition, any value matches. */
export type Rule = Schemas['IRule'];
export type RuleConditions = NonNullable<Rule['conditions']>;

export type AlertNotification = Schemas['IAlertNotification'];

/** An entry of GET /instance/events (the alert outbox). */
export type AlertEvent = Answer<'/instance/events', 'get'>['items'][number];

export type TagCategory = Schemas['ITagCategory'];

export type Session = Answer<'/session', 'get'>;
export type Role = Session['role'];
/** A person of the instance (an account with a role). */
export type Person = Schemas['IPerson'];
export type PersonalToken = Schemas['IPersonalToken'];
export type SignInLink = Schemas['ISignInLink'];

export type FieldError = NonNullable<Schemas['Problem']['errors']>[number];
export type SavedView = Answer<'/instance/views', 'get'>['items'][number];
