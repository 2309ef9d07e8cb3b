import { Type } from 'typebox';
import { nullable, oneOf } from './schema-helpers.js';

/** The body of PUT /instance: any subset of the instance's settings. */
const User = Type.Ref('IUser');
const FieldList = Type.Array(Type.Union([Type.String(), Type.Object({ id: Type.String() })]), {
  maxItems: 500,
  description: 'Custom field ids (or field objects with an id)',
});
const Access = oneOf(['readWrite', 'readOnly'] as const);
const Priorities = ['Low', 'Medium', 'Important', 'Urgent'] as const;
const Minutes = Type.Optional(nullable(Type.Number({ minimum: 0, maximum: 525_600, description: 'working minutes' })));

/** IRule: conditions (all must hold) and who gets the ticket. */
export const Rule = Type.Object(
  {
    id: Type.Optional(Type.String({ maxLength: 100 })),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    conditions: Type.Optional(
      Type.Object(
        {
          priority: Type.Optional(Type.Array(oneOf(Priorities))),
          tags: Type.Optional(Type.Array(Type.String({ description: 'tagCategoryId_text' }))),
          customFields: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
          requestor: Type.Optional(Type.Array(Type.String({ description: 'user id or email' }))),
          titleContains: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
        },
        { additionalProperties: false },
      ),
    ),
    assignees: Type.Array(User, { minItems: 1, maxItems: 500 }),
    mode: Type.Optional(oneOf(['single', 'roundRobin'] as const)),
  },
  { additionalProperties: false, $id: 'IRule' },
);

export const SlaPolicySchema = Type.Object(
  {
    enabled: Type.Boolean(),
    timeZone: Type.String({ description: 'IANA time zone, e.g. Europe/Paris' }),
    workingDays: Type.Array(Type.Integer({ minimum: 1, maximum: 7 }), { description: 'ISO weekdays, 1 = Monday … 7 = Sunday' }),
    workingHours: Type.Object({ start: Type.String({ description: 'HH:mm' }), end: Type.String({ description: 'HH:mm (24:00 allowed)' }) }, { additionalProperties: false }),
    holidays: Type.Array(Type.String({ description: 'YYYY-MM-DD' }), { maxItems: 1000 }),
    targets: Type.Object(
      Object.fromEntries(
        Priorities.map((p) => [p, Type.Optional(Type.Object({ firstResponseMinutes: Minutes, resolutionMinutes: Minutes }, { additionalProperties: false }))]),
      ),
      { additionalProperties: false },
    ),
    breachAssignees: Type.Array(User, { maxItems: 500 }),
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

export const SettingsUpdate = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' })),
    groupId: Type.Optional(nullable(Type.String())),
    enabled: Type.Optional(Type.Boolean()),
    tenantId: Type.Optional(nullable(Type.String())),
    teamId: Type.Optional(nullable(Type.String())),
    channelId: Type.Optional(nullable(Type.String())),
    subscriptionId: Type.Optional(nullable(Type.String())),
    mailAddress: Type.Optional(nullable(Type.String())),
    customFieldsLeft: Type.Optional(FieldList),
    customFieldsRight: Type.Optional(FieldList),
    optionalFieldsLeft: Type.Optional(FieldList),
    optionalFieldsRight: Type.Optional(FieldList),
    assignees: Type.Optional(
      nullable(Type.Object({ type: oneOf(['teamsOwner', 'customAssignee'] as const), peoples: Type.Optional(Type.Array(User)) }, { additionalProperties: false })),
    ),
    assigneeRules: Type.Optional(Type.Array(Type.Ref('IRule'), { maxItems: 200 })),
    defaultRuleAssignee: Type.Optional(nullable(Type.Array(Type.Ref('IRule'), { maxItems: 200 }))),
    isAutomaticAssignTickets: Type.Optional(Type.Boolean()),
    alertNotification: Type.Optional(nullable(Type.Ref('IAlertNotification'))),
    sla: Type.Optional(nullable(Type.Ref('ISlaPolicy'))),
    isAutoAssignIdleTickets: Type.Optional(Type.Boolean()),
    dayBeforeTicketsIdle: Type.Optional(nullable(Type.Integer({ minimum: 1, maximum: 365 }))),
    idleTicketAssignedTo: Type.Optional(Type.Array(User, { maxItems: 200 })),
    isNotifyIdleTicket: Type.Optional(Type.Boolean()),
    keyAccess: Type.Optional(Type.Object({ primary: Type.Optional(Access), secondary: Type.Optional(Access) }, { additionalProperties: false })),
    rateLimit: Type.Optional(
      nullable(Type.Object({ max: Type.Integer({ minimum: 1, maximum: 1_000_000_000 }), windowSeconds: Type.Integer({ minimum: 1, maximum: 86_400 }) }, { additionalProperties: false })),
    ),
    user: Type.Optional(User),
  },
  { additionalProperties: false },
);
