import { Type, type Static } from 'typebox';
import { CUSTOM_FIELD_TYPE_KEYS, CUSTOM_FIELD_TYPES } from '../domain/custom-fields.js';
import {
  COMMENT_MAX,
  CUSTOM_FIELDS_PER_INSTANCE,
  DESCRIPTION_MAX,
  EMAIL_MAX,
  ID_MAX,
  TAG_TEXT_MAX,
  TAGS_PER_TICKET,
  TEXT_AREA_MAX,
  TEXT_FIELD_MAX,
  TITLE_MAX,
  CUSTOM_FIELD_VALUES_MAX,
  PEOPLE_PER_VALUE,
  USER_ID_MAX,
  USER_NAME_MAX,
} from '../domain/limits.js';
import { ORIGINS, PRIORITIES, RESOLUTIONS, STATUSES } from '../domain/ticket.js';
import { AlertNotificationSchema, FieldPermissionSchema, Rule, SlaPolicySchema } from '../contract/settings.schema.js';
import { nullable, oneOf } from './schema-helpers.js';

/*
 * Wire schemas. The same objects validate requests, serialise responses and make the OpenAPI
 * document, so the three cannot drift apart.
 */

export const User = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: USER_ID_MAX, description: 'Any non-empty string (e.g. an Entra ID object id).' }),
    name: Type.String({ maxLength: USER_NAME_MAX }),
    email: Type.String({ maxLength: EMAIL_MAX }),
  },
  { $id: 'IUser', description: 'A person. Consistency of id, name and email is not verified.' },
);
const UserRef = Type.Unsafe<Static<typeof User>>(Type.Ref('IUser'));

export const Tag = Type.Object(
  { tagCategoryId: Type.String({ minLength: 1, maxLength: ID_MAX }), text: Type.String({ minLength: 1, maxLength: TAG_TEXT_MAX }) },
  { $id: 'ITag' },
);
const TagRef = Type.Unsafe<Static<typeof Tag>>(Type.Ref('ITag'));

const Status = oneOf(STATUSES);
const Priority = oneOf(PRIORITIES);
const Resolution = oneOf(RESOLUTIONS);
const Origin = oneOf(ORIGINS, { description: 'Where the ticket was created: api (an instance key), web (the web app) or email (given by an e-mail gateway)' });
const DateTime = Type.String({ description: 'ISO 8601 UTC date-time' });

export const Ticket = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ticketId: Type.Integer({ description: 'Per-instance ticket number: 1, 2, 3…' }),
    ticketNo: Type.Integer({ description: 'The ticket number again (= ticketId), as the original product names it' }),
    trackingId: Type.String({
      description:
        'Identifies the ticket in e-mail subjects. Opaque to clients; today `T`, the ticket number, `-` and 8 hexadecimal digits (`T1234-5F0C2A9B`); stable for the life of the ticket. docs/api.md §5',
    }),
    title: Type.String(),
    description: Type.String(),
    description_HTML: Type.Optional(
      Type.String({
        description: 'The description as sanitised HTML (made from the plain text when it came as plain text); only with include=description_HTML',
      }),
    ),
    status: Status,
    priority: Priority,
    requestor: UserRef,
    assignee: nullable(UserRef),
    customFields: Type.Record(Type.String(), Type.Unknown(), { description: 'Values keyed by custom field id' }),
    tags: Type.Array(TagRef),
    expectedDate: nullable(DateTime),
    resolution: nullable(Resolution),
    lastResolutionComment: nullable(Type.String()),
    firstResponseOn: nullable(DateTime),
    firstResolutionOn: nullable(DateTime),
    lastResolutionOn: nullable(DateTime),
    createdOn: DateTime,
    lastUpdatedOn: DateTime,
    lastInteraction: DateTime,
    isFrtEscalated: Type.Boolean(),
    isRtEscalated: Type.Boolean(),
    isFrtBreached: Type.Boolean({ description: 'The first-response target was missed, whether or not the engine escalated (docs/api.md §5)' }),
    isRtBreached: Type.Boolean({ description: 'A resolution target was missed, whether or not the engine escalated; stays true after a reopening' }),
    origin: Origin,
    createdBy: UserRef,
    lastUpdatedBy: UserRef,
    frtDueOn: Type.Optional(nullable(Type.String({ description: 'When the first response is due under the SLA policy; absent when nothing is due' }))),
    rtDueOn: Type.Optional(nullable(Type.String({ description: 'When resolution is due under the SLA policy; absent when nothing is due' }))),
  },
  { $id: 'ITicket' },
);
export const TicketRef = Type.Unsafe<Static<typeof Ticket>>(Type.Ref('ITicket'));

/** A listed ticket: the selected fields only (all of them without `select`), always with its id. */
export const ListedTicket = Type.Object({
  ...Type.Partial(
    Type.Object({
      ...Ticket.properties,
      requestorName: Type.String(),
      requestorEmail: Type.String(),
      assigneeName: nullable(Type.String()),
      assigneeEmail: nullable(Type.String()),
    }),
  ).properties,
  id: Ticket.properties.id,
});

const ticketWritable = {
  title: Type.String({ minLength: 1, maxLength: TITLE_MAX, pattern: '\\S' }),
  description: Type.String({ maxLength: DESCRIPTION_MAX, description: 'Plain text; made from description_HTML when only that is given' }),
  description_HTML: Type.String({
    maxLength: DESCRIPTION_MAX,
    description: 'HTML, sanitised on the way in with an allow-list (no script, event handlers, style or javascript: links; docs/api.md §5)',
  }),
  priority: Priority,
  requestor: UserRef,
  assignee: nullable(UserRef),
  customFields: Type.Record(Type.String(), Type.Unknown(), {
    maxProperties: CUSTOM_FIELDS_PER_INSTANCE,
    propertyNames: { maxLength: ID_MAX },
    description: `Values keyed by custom field id; a textField takes up to ${TEXT_FIELD_MAX.toLocaleString('en')} characters, a textArea ${TEXT_AREA_MAX.toLocaleString('en')}, a peoplePicker ${PEOPLE_PER_VALUE} people, an emailPicker ${PEOPLE_PER_VALUE} addresses; all values of a ticket together at most ${CUSTOM_FIELD_VALUES_MAX.toLocaleString('en')} characters of JSON`,
  }),
  tags: Type.Array(TagRef, { maxItems: TAGS_PER_TICKET }),
  expectedDate: nullable(Type.String({ description: 'ISO 8601 date-time, or a date (local midnight in `timezone`)' })),
};

export const InsertTicketRequest = Type.Object(
  {
    ticket: Type.Object(
      {
        ...ticketWritable,
        title: ticketWritable.title,
        requestor: UserRef,
        description: Type.Optional(ticketWritable.description),
        description_HTML: Type.Optional(ticketWritable.description_HTML),
        priority: Type.Optional(Priority),
        assignee: Type.Optional(ticketWritable.assignee),
        customFields: Type.Optional(ticketWritable.customFields),
        tags: Type.Optional(ticketWritable.tags),
        expectedDate: Type.Optional(ticketWritable.expectedDate),
        status: Type.Optional(Type.String({ description: 'Only "Open" is accepted on create' })),
        origin: Type.Optional(
          oneOf(['api', 'email'] as const, {
            description:
              'Where the ticket comes from: api (the default with a key) or email (a gateway relaying mail). The web app’s tickets are web; no request can say web',
          }),
        ),
      },
      { additionalProperties: false },
    ),
    user: UserRef,
  },
  { additionalProperties: false, $id: 'insertTicketRequest' },
);

const TicketUpdates = Type.Object(
  {
    ...Object.fromEntries(Object.entries(ticketWritable).map(([k, v]) => [k, Type.Optional(v)])),
    status: Type.Optional(Type.Unknown({ description: 'Not accepted here: use PUT /tickets/{ticketId}/status' })),
  } as { [K in keyof typeof ticketWritable]: ReturnType<typeof Type.Optional<(typeof ticketWritable)[K]>> } & {
    status: ReturnType<typeof Type.Optional<ReturnType<typeof Type.Unknown>>>;
  },
  { additionalProperties: false },
);

export const UpdateTicketRequest = Type.Object(
  {
    updates: Type.Optional(TicketUpdates),
    ticket: Type.Optional(TicketUpdates),
    user: UserRef,
  },
  { additionalProperties: false, $id: 'updateTicketRequest', description: 'The fields to change, under `updates` (or `ticket`).' },
);

export const UpdateTicketStatusRequest = Type.Object(
  {
    status: Type.String({ maxLength: 50, description: 'Open, Reopened, Started (or "In Progress"), Resolved, Closed; trimmed' }),
    resolution: Type.Optional(nullable(Resolution)),
    comment: Type.Optional(nullable(Type.String({ maxLength: COMMENT_MAX, description: 'Kept as the lastResolutionComment when resolving' }))),
    user: UserRef,
  },
  { additionalProperties: false, $id: 'updateTicketStatusRequest' },
);

const commentText = Type.Optional(nullable(Type.String({ maxLength: COMMENT_MAX, description: 'Plain text; made from comment_HTML when only that is given' })));
const commentHtml = Type.Optional(
  nullable(
    Type.String({
      maxLength: COMMENT_MAX,
      description: 'HTML, sanitised on the way in with an allow-list (no script, event handlers, style or javascript: links; docs/api.md §6)',
    }),
  ),
);

export const InsertCommentRequest = Type.Object(
  {
    comment: commentText,
    comment_HTML: commentHtml,
    isPrivate: Type.Optional(Type.Boolean({ description: 'An internal note, never sent to the requestor' })),
    user: UserRef,
  },
  { additionalProperties: false, $id: 'insertCommentRequest', description: 'At least one of comment and comment_HTML, with text.' },
);

/** What every activity answer and the comment answer carry (contract §10). */
const activityBase = {
  id: Type.String(),
  ticketId: Type.String({ format: 'uuid', description: "The ticket's UUID `id` (a string); its number is `ticketNo`" }),
  ticketNo: Type.Integer({ description: "The ticket's number (ITicket's `ticketId`)" }),
  comment: nullable(Type.String()),
  comment_HTML: nullable(Type.String({ description: 'The comment as sanitised HTML (made from the plain text when it came as plain text)' })),
  isPrivate: Type.Boolean(),
  attachments: Type.Array(Type.Ref('IAttachment'), { description: 'The files and links added with the activity (contract §11, docs/api.md §12)' }),
  user: UserRef,
  createdBy: UserRef,
  createdOn: DateTime,
  createdDateTime: DateTime,
};

export const Comment = Type.Object(
  {
    id: activityBase.id,
    activityId: Type.String({ description: 'The same as `id`' }),
    ticketId: activityBase.ticketId,
    ticketNo: activityBase.ticketNo,
    comment: Type.String(),
    comment_HTML: Type.String({ description: 'The comment as sanitised HTML (made from the plain text when it came as plain text)' }),
    isPrivate: activityBase.isPrivate,
    attachments: activityBase.attachments,
    user: activityBase.user,
    createdBy: activityBase.createdBy,
    createdOn: activityBase.createdOn,
    createdDateTime: activityBase.createdDateTime,
  },
  { $id: 'IComment' },
);

export const ActivityChange = Type.Object(
  {
    name: Type.String({
      description:
        'The field: status, resolution, title, description, description_HTML, priority, requestor, assignee, expectedDate, tags, customFields.<id>, isFrtEscalated, isRtEscalated',
    }),
    oldValue: nullable(Type.String()),
    newValue: nullable(Type.String()),
  },
  {
    $id: 'IActivityChange',
    description: 'A value as text: a person "Name <email>", a list its items joined by ", ", nothing null. The typed values are in from/to.',
  },
);

export const Activity = Type.Object(
  {
    id: activityBase.id,
    type: Type.String({ description: 'comment | statusChange | fieldChange | escalation | idle' }),
    ticketId: activityBase.ticketId,
    ticketNo: activityBase.ticketNo,
    createdDateTime: activityBase.createdDateTime,
    createdOn: activityBase.createdOn,
    createdBy: activityBase.createdBy,
    user: activityBase.user,
    comment: activityBase.comment,
    comment_HTML: Type.Optional(activityBase.comment_HTML),
    isPrivate: activityBase.isPrivate,
    attachments: activityBase.attachments,
    changes: Type.Array(Type.Unsafe<Static<typeof ActivityChange>>(Type.Ref('IActivityChange')), {
      description: 'fieldChange: the field; statusChange: status (and resolution); escalation: the flag; otherwise empty',
    }),
    from: Type.Optional(Type.Unknown()),
    to: Type.Optional(Type.Unknown()),
    resolution: Type.Optional(nullable(Type.String())),
    field: Type.Optional(Type.String()),
    rule: Type.Optional(Type.String({ description: 'fieldChange by automatic assignment: the rule that matched' })),
    escalation: Type.Optional(Type.String({ description: 'escalation: firstResponse or resolution' })),
    dueOn: Type.Optional(Type.String({ description: 'escalation: the target that passed' })),
    idleDays: Type.Optional(Type.Integer({ description: 'idle: days without interaction' })),
  },
  { $id: 'IActivity' },
);

export const CustomFieldOption = Type.Object({
  key: Type.String({ description: 'The option id (the original product names it so)' }),
  id: Type.String(),
  text: Type.String(),
  deleted: Type.Boolean(),
});
export const CustomField = Type.Object(
  {
    id: Type.String(),
    title: Type.String({ description: 'The name (the original product names it so)' }),
    name: Type.String(),
    type: Type.Object(
      { key: oneOf(CUSTOM_FIELD_TYPE_KEYS), text: Type.String({ description: 'The type, for people to read' }) },
      { description: "The original product's type key; single and multiple choice lists are both `5_list`, told apart by `isMultiple`" },
    ),
    typeName: oneOf(CUSTOM_FIELD_TYPES),
    isMandatory: Type.Boolean({ description: 'The same as `required`' }),
    required: Type.Boolean(),
    isMultiple: Type.Boolean({ description: 'Whether a value may hold several entries (multiple choice lists, people and e-mail pickers)' }),
    status: oneOf(['active', 'deleted'] as const),
    defaultValue: Type.Unknown({
      description:
        "The value a new ticket's field starts with, in the field's value shape. Always null here (a new ticket starts with the values it is given); typed loosely so that clients do not rely on that",
    }),
    options: Type.Array(CustomFieldOption, { description: 'Empty unless the field is a list' }),
    deleted: Type.Boolean({ description: 'The same as `status: "deleted"`' }),
  },
  {
    $id: 'ICustomField',
    description:
      "A custom field definition, under our names and the original product's (docs/decisions/016-custom-field-shapes.md). Values: textField, textArea a string; toggle a boolean; datePicker a date-time; lists an array of option ids; peoplePicker IUser[]; emailPicker an array of e-mail addresses.",
  },
);
const CustomFieldRef = Type.Unsafe<Static<typeof CustomField>>(Type.Ref('ICustomField'));

const KeyAccess = oneOf(['readWrite', 'readOnly'] as const);

/** IPersonaProps: a person as the original product lists them, as Fluent UI personas are. */
export const Persona = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    email: Type.String(),
    text: Type.String({ description: 'The same as `name`' }),
    secondaryText: Type.String({ description: 'The same as `email`' }),
  },
  { $id: 'IPersonaProps', description: 'A person, with the persona names of the original product (`text`, `secondaryText`) beside ours' },
);
const PersonaRef = Type.Unsafe<Static<typeof Persona>>(Type.Ref('IPersonaProps'));

export const Instance = Type.Object(
  {
    id: Type.String(),
    groupId: nullable(Type.String()),
    name: Type.String(),
    instanceName: Type.String({ description: 'The same as `name`' }),
    displayName: Type.String({ description: 'The same as `name`' }),
    enabled: Type.Boolean(),
    tenantId: nullable(Type.String()),
    teamId: nullable(Type.String()),
    channelId: nullable(Type.String()),
    subscriptionId: nullable(Type.String()),
    mailAddress: nullable(Type.String()),
    customFields: Type.Array(CustomFieldRef),
    customFieldsLeft: Type.Array(CustomFieldRef),
    customFieldsRight: Type.Array(CustomFieldRef),
    optionalFieldsLeft: Type.Array(CustomFieldRef),
    optionalFieldsRight: Type.Array(CustomFieldRef),
    assignees: nullable(Type.Object({ type: oneOf(['teamsOwner', 'customAssignee'] as const), peoples: Type.Array(PersonaRef) })),
    assigneeRules: Type.Array(Type.Ref('IRule')),
    defaultRuleAssignee: Type.Array(Type.Ref('IRule')),
    isAutomaticAssignTickets: Type.Boolean(),
    alertNotification: Type.Union([Type.Ref('IAlertNotification'), Type.Null()]),
    isAutoAssignIdleTickets: Type.Boolean(),
    dayBeforeTicketsIdle: nullable(Type.Number()),
    idleTicketAssignedTo: Type.Array(PersonaRef),
    isNotifyIdleTicket: Type.Boolean(),
    keyAccess: Type.Object({ primary: KeyAccess, secondary: KeyAccess }),
    rateLimit: Type.Object({ max: Type.Integer(), windowSeconds: Type.Integer() }),
    sla: Type.Union([Type.Ref('ISlaPolicy'), Type.Null()]),
    storageQuotaBytes: nullable(Type.Integer({ description: "The operator's cap on the bytes of attachments the instance stores (507 beyond); null: none" })),
    storageUsedBytes: Type.Integer({ description: 'Bytes of attachments the instance stores (each distinct content once)' }),
    userPermission: Type.Array(Type.Ref('IFieldPermission')),
    instanceKeysEnabled: Type.Boolean({ description: 'False: the instance keys are refused (403); only people get in (docs/api.md §14)' }),
  },
  { $id: 'IInstance' },
);

export const TagCategory = Type.Object(
  {
    id: Type.String(),
    instanceId: Type.String(),
    text: Type.String(),
    color: Type.String(),
    tags: Type.Array(Type.Object({ text: Type.String(), deleted: Type.Boolean() })),
    deleted: Type.Boolean(),
  },
  { $id: 'ITagCategory' },
);

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.String(),
    errors: Type.Optional(Type.Array(Type.Object({ path: Type.String(), message: Type.String() }))),
    error: Type.Literal(true),
    message: Type.String(),
    statusCode: Type.Integer(),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details (application/problem+json)' },
);

export const Timezone = Type.Optional(Type.String({ description: "The caller's UTC offset in hours (-12..14, multiples of 0.25; 7 means GMT+7). Default 0." }));

/** Schemas with an $id, registered once with Fastify (refs) and named in the OpenAPI document. */
export const SHARED_SCHEMAS = [
  User,
  Tag,
  Rule,
  SlaPolicySchema,
  AlertNotificationSchema,
  FieldPermissionSchema,
  Ticket,
  Comment,
  ActivityChange,
  Activity,
  CustomField,
  Persona,
  Instance,
  TagCategory,
  Problem,
];
export const REQUEST_SCHEMAS = [InsertTicketRequest, UpdateTicketRequest, UpdateTicketStatusRequest, InsertCommentRequest];

export const item = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) => Type.Object({ item: schema });
export const items = <T extends Parameters<typeof Type.Object>[0][string]>(schema: T) => Type.Object({ items: Type.Array(schema) });
export const TicketItem = item(TicketRef);

export type InsertTicketBody = Static<typeof InsertTicketRequest>;
/** The fields of a new ticket, as POST /tickets takes them. */
export type TicketCreateInput = InsertTicketBody['ticket'];
/** The fields of a ticket update, as PUT /tickets/{ticketId} takes them (under `updates` or `ticket`). */
export type TicketUpdateInput = Static<typeof TicketUpdates>;
export type UpdateTicketBody = Static<typeof UpdateTicketRequest>;
export type UpdateTicketStatusBody = Static<typeof UpdateTicketStatusRequest>;
export type InsertCommentBody = Static<typeof InsertCommentRequest>;
