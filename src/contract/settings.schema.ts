import { Type, type Static } from 'typebox';
import type { IUser } from '../domain/ticket.js';
import { nullable, oneOf } from './schema-helpers.js';
import {
  ASSIGNEE_RULES_MAX,
  CUSTOM_FIELDS_PER_INSTANCE,
  EMAIL_MAX,
  HOLIDAYS_MAX,
  ID_MAX,
  LABEL_MAX,
  PEOPLE_PER_LIST,
  RULE_CONDITION_VALUES_MAX,
  SETTING_TEXT_MAX,
  TAG_TEXT_MAX,
  TEXT_FIELD_MAX,
  TITLE_MAX,
  USER_ID_MAX,
  USER_NAME_MAX,
} from '../domain/limits.js';

/*
 * The settings an instance is written with (PUT /instance, the operator API): one schema that
 * validates the request, documents it in OpenAPI and types it for the services (SettingsPatch).
 */
const User = Type.Unsafe<IUser>(Type.Ref('IUser'));
const FieldId = Type.String({ maxLength: ID_MAX });
const FieldList = Type.Array(Type.Union([FieldId, Type.Object({ id: FieldId })]), {
  maxItems: CUSTOM_FIELDS_PER_INSTANCE,
  description: 'Custom field ids (or field objects with an id)',
});
const Access = oneOf(['readWrite', 'readOnly'] as const);
const Priorities = ['Low', 'Medium', 'Important', 'Urgent'] as const;
const People = Type.Array(User, { maxItems: PEOPLE_PER_LIST });
/**
 * A person as the original product lists them (IPersonaProps, as Fluent UI personas are):
 * `text` and `secondaryText` name the person and their e-mail; `name` and `email` are the same.
 * Other persona properties are ignored; the person is kept as `{ id, name, email }`.
 */
export const PersonaWrite = Type.Object(
  {
    id: Type.String({ minLength: 1, maxLength: USER_ID_MAX }),
    name: Type.Optional(Type.String({ maxLength: USER_NAME_MAX })),
    email: Type.Optional(Type.String({ maxLength: EMAIL_MAX })),
    text: Type.Optional(Type.String({ maxLength: USER_NAME_MAX, description: 'The name (Fluent UI persona); same as `name`' })),
    secondaryText: Type.Optional(Type.String({ maxLength: EMAIL_MAX, description: 'The e-mail (Fluent UI persona); same as `email`' })),
  },
  { description: 'A person: `{ id, name, email }`, or a persona `{ id, text, secondaryText }`' },
);
const Personas = Type.Array(PersonaWrite, { maxItems: PEOPLE_PER_LIST });
const SettingText = Type.String({ maxLength: SETTING_TEXT_MAX });
const Values = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Array(item, { maxItems: RULE_CONDITION_VALUES_MAX });
/** A custom-field value a rule compares with: one value, or a list of them. */
const RuleValue = Type.Union([
  Type.String({ maxLength: TEXT_FIELD_MAX }),
  Type.Number(),
  Type.Boolean(),
  Type.Null(),
  Values(Type.Union([Type.String({ maxLength: TEXT_FIELD_MAX }), Type.Number(), Type.Boolean(), Type.Object({ id: Type.String({ maxLength: USER_ID_MAX }) })])),
  Type.Object({ id: Type.String({ maxLength: USER_ID_MAX }) }),
]);
const Minutes = Type.Optional(nullable(Type.Number({ minimum: 0, maximum: 525_600, description: 'working minutes' })));

/** IRule: conditions (all must hold) and who gets the ticket. */
export const Rule = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: LABEL_MAX })),
    name: Type.Optional(Type.String({ maxLength: LABEL_MAX })),
    conditions: Type.Optional(
      Type.Object(
        {
          priority: Type.Optional(Values(oneOf(Priorities))),
          tags: Type.Optional(Values(Type.String({ maxLength: ID_MAX + 1 + TAG_TEXT_MAX, description: 'tagCategoryId_text' }))),
          customFields: Type.Optional(
            Type.Record(Type.String(), RuleValue, { maxProperties: CUSTOM_FIELDS_PER_INSTANCE, propertyNames: { maxLength: ID_MAX } }),
          ),
          requestor: Type.Optional(Values(Type.String({ maxLength: Math.max(USER_ID_MAX, EMAIL_MAX), description: 'user id or email' }))),
          titleContains: Type.Optional(Values(Type.String({ minLength: 1, maxLength: TITLE_MAX }))),
        },
        { additionalProperties: false },
      ),
    ),
    assignees: Type.Array(User, { minItems: 1, maxItems: PEOPLE_PER_LIST }),
    mode: Type.Optional(oneOf(['single', 'roundRobin'] as const)),
  },
  { additionalProperties: false, $id: 'IRule' },
);

export const SlaPolicySchema = Type.Object(
  {
    enabled: Type.Boolean(),
    timeZone: Type.String({ maxLength: SETTING_TEXT_MAX, description: 'IANA time zone, e.g. Europe/Paris' }),
    workingDays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { description: 'ISO weekdays, 1 = Monday … 7 = Sunday' }),
    workingHours: Type.Object(
      { start: Type.String({ maxLength: 5, description: 'HH:mm' }), end: Type.String({ maxLength: 5, description: 'HH:mm (24:00 allowed)' }) },
      { additionalProperties: false },
    ),
    holidays: Type.Array(Type.String({ maxLength: 10, description: 'YYYY-MM-DD' }), { maxItems: HOLIDAYS_MAX }),
    targets: Type.Object(
      Object.fromEntries(
        Priorities.map((p) => [p, Type.Optional(Type.Object({ firstResponseMinutes: Minutes, resolutionMinutes: Minutes }, { additionalProperties: false }))]),
      ),
      { additionalProperties: false },
    ),
    breachAssignees: People,
  },
  { additionalProperties: false, $id: 'ISlaPolicy', description: 'Targets per priority, counted in working time' },
);

export const AlertNotificationSchema = Type.Object(
  {
    enabled: Type.Boolean(),
    daysBeforeExpectedDate: nullable(Type.Number({ minimum: 0, maximum: 365 })),
    whenOverdue: Type.Boolean(),
  },
  { additionalProperties: false, $id: 'IAlertNotification' },
);

const RuleRef = Type.Unsafe<Static<typeof Rule>>(Type.Ref('IRule'));
const instanceName = (description?: string) => Type.String({ minLength: 1, maxLength: LABEL_MAX, pattern: '\\S', ...(description ? { description } : {}) });

export const SettingsUpdate = Type.Object(
  {
    name: Type.Optional(instanceName()),
    displayName: Type.Optional(instanceName('The same as `name` (the original product names it so); give one of them')),
    instanceName: Type.Optional(instanceName('The same as `name` (the original product names it so); give one of them')),
    groupId: Type.Optional(nullable(SettingText)),
    enabled: Type.Optional(Type.Boolean()),
    tenantId: Type.Optional(nullable(SettingText)),
    teamId: Type.Optional(nullable(SettingText)),
    channelId: Type.Optional(nullable(SettingText)),
    subscriptionId: Type.Optional(nullable(SettingText)),
    mailAddress: Type.Optional(nullable(Type.String({ maxLength: EMAIL_MAX }))),
    customFieldsLeft: Type.Optional(FieldList),
    customFieldsRight: Type.Optional(FieldList),
    optionalFieldsLeft: Type.Optional(FieldList),
    optionalFieldsRight: Type.Optional(FieldList),
    assignees: Type.Optional(
      nullable(Type.Object({ type: oneOf(['teamsOwner', 'customAssignee'] as const), peoples: Type.Optional(Personas) }, { additionalProperties: false })),
    ),
    assigneeRules: Type.Optional(Type.Array(RuleRef, { maxItems: ASSIGNEE_RULES_MAX })),
    defaultRuleAssignee: Type.Optional(nullable(Type.Array(RuleRef, { maxItems: ASSIGNEE_RULES_MAX }))),
    isAutomaticAssignTickets: Type.Optional(Type.Boolean()),
    alertNotification: Type.Optional(nullable(Type.Unsafe<Static<typeof AlertNotificationSchema>>(Type.Ref('IAlertNotification')))),
    sla: Type.Optional(nullable(Type.Unsafe<Static<typeof SlaPolicySchema>>(Type.Ref('ISlaPolicy')))),
    slaAppliesTo: Type.Optional(
      oneOf(['openTickets', 'newTickets'] as const, {
        description:
          'When `sla` changes: `openTickets` (the default) re-applies it to every open ticket; `newTickets` leaves open tickets on the policy they follow and applies the new one to tickets created from now on (docs/api.md §8)',
      }),
    ),
    isAutoAssignIdleTickets: Type.Optional(Type.Boolean()),
    dayBeforeTicketsIdle: Type.Optional(nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
    idleTicketAssignedTo: Type.Optional(Personas),
    isNotifyIdleTicket: Type.Optional(Type.Boolean()),
    keyAccess: Type.Optional(Type.Object({ primary: Type.Optional(Access), secondary: Type.Optional(Access) }, { additionalProperties: false })),
    rateLimit: Type.Optional(
      nullable(
        Type.Object(
          { max: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }) },
          { additionalProperties: false },
        ),
      ),
    ),
    storageQuotaBytes: Type.Optional(
      nullable(
        Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: "Operator only: the cap on the instance's attachment bytes; null: none" }),
      ),
    ),
    userPermission: Type.Optional(Type.Array(Type.Ref('IFieldPermission'), { maxItems: CUSTOM_FIELDS_PER_INSTANCE + 10 })),
    instanceKeysEnabled: Type.Optional(
      Type.Boolean({ description: 'False turns the instance keys off (only people get in); only an admin person may change it (docs/api.md §14)' }),
    ),
    user: Type.Optional(User),
  },
  { additionalProperties: false },
);

/** One entry of `userPermission`: who may change one ticket field (docs/api.md §14). */
export const FieldPermissionSchema = Type.Object(
  {
    key: Type.String({
      minLength: 1,
      maxLength: ID_MAX,
      description: 'title, description, assignee, expectedDate, priority, requestor, tags, or a custom field id',
    }),
    selectedKey: Type.String({
      pattern: '^(\\d+_)?(allCanEdit|assigneeCannotEdit|requestorCannotEdit)$',
      description: '1_allCanEdit, 3_assigneeCannotEdit or 4_requestorCannotEdit (admins may always)',
    }),
  },
  { $id: 'IFieldPermission', additionalProperties: false },
);

/** A settings write as the services take it (the body of PUT /instance). */
export type SettingsPatch = Static<typeof SettingsUpdate>;
