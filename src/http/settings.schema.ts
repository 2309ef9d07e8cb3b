import { Type } from 'typebox';

/** The body of PUT /instance: any subset of the instance's settings. */
const User = Type.Ref('IUser');
const nullable = <T extends Parameters<typeof Type.Union>[0][number]>(schema: T) => Type.Union([schema, Type.Null()]);
const oneOf = <T extends string>(values: readonly T[]) => Type.Unsafe<T>({ type: 'string', enum: [...values] });
const FieldList = Type.Array(Type.Union([Type.String(), Type.Object({ id: Type.String() })]), {
  maxItems: 500,
  description: 'Custom field ids (or field objects with an id)',
});
const Access = oneOf(['readWrite', 'readOnly'] as const);

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
    assigneeRules: Type.Optional(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 200 })),
    defaultRuleAssignee: Type.Optional(nullable(Type.Array(Type.Object({}, { additionalProperties: true }), { maxItems: 200 }))),
    isAutomaticAssignTickets: Type.Optional(Type.Boolean()),
    alertNotification: Type.Optional(nullable(Type.Object({}, { additionalProperties: true }))),
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
