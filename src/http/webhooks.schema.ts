import { Type, type Static, type TSchema } from 'typebox';
import { ALERT_EVENT_TYPES, EVENT_TYPES, TEST_EVENT_TYPE } from '../domain/events.js';
import { DELIVERY_STATUSES, WEBHOOK_FORMATS } from '../domain/webhooks.js';
import { nullable, oneOf } from './schema-helpers.js';

/*
 * Wire schemas of events and webhooks (docs/api.md §13): the feed's items, webhook
 * subscriptions and their delivery log, and the bodies webhooks receive (the OpenAPI document's
 * `webhooks` section, one entry per event type).
 */

const DateTime = Type.String({ description: 'ISO 8601 UTC date-time' });
const UserRef = Type.Ref('IUser');

/** The limits of a webhook's settings. */
export const WEBHOOK_URL_MAX = 2048;
export const WEBHOOK_DESCRIPTION_MAX = 500;
export const WEBHOOK_EVENTS_MAX = 50;

const EventName = Type.String({ maxLength: 64, description: `An event type (${EVENT_TYPES.join(', ')}) or "*" for every type` });

export const WebhookSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    url: Type.String(),
    events: Type.Array(Type.String(), { description: 'The event types it receives, or ["*"]' }),
    format: oneOf(WEBHOOK_FORMATS),
    includePrivate: Type.Boolean({ description: "Whether private notes' text is sent (else it is null in the payload)" }),
    enabled: Type.Boolean(),
    description: nullable(Type.String()),
    createdOn: DateTime,
    lastUpdatedOn: DateTime,
    disabledReason: nullable(Type.String({ description: '"failing": the server disabled it after 3 days of failed deliveries' })),
    failingSince: nullable(Type.String({ description: 'The first failed delivery since the last success; null while healthy' })),
  },
  { $id: 'IWebhook' },
);

export const CreateWebhookRequest = Type.Object(
  {
    url: Type.String({
      minLength: 1,
      maxLength: WEBHOOK_URL_MAX,
      description: 'http: or https:; private, loopback and link-local addresses are refused (WEBHOOK_ALLOW_PRIVATE=1 allows them)',
    }),
    events: Type.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS_MAX }),
    format: Type.Optional(oneOf(WEBHOOK_FORMATS)),
    includePrivate: Type.Optional(Type.Boolean({ default: false })),
    enabled: Type.Optional(Type.Boolean({ default: true })),
    description: Type.Optional(nullable(Type.String({ maxLength: WEBHOOK_DESCRIPTION_MAX }))),
    user: Type.Optional(Type.Unknown({ description: 'The acting user (optional on settings writes)' })),
  },
  { additionalProperties: false, $id: 'createWebhookRequest' },
);
export type CreateWebhookBody = Static<typeof CreateWebhookRequest>;

export const UpdateWebhookRequest = Type.Object(
  {
    url: Type.Optional(Type.String({ minLength: 1, maxLength: WEBHOOK_URL_MAX })),
    events: Type.Optional(Type.Array(EventName, { minItems: 1, maxItems: WEBHOOK_EVENTS_MAX })),
    format: Type.Optional(oneOf(WEBHOOK_FORMATS)),
    includePrivate: Type.Optional(Type.Boolean()),
    enabled: Type.Optional(Type.Boolean({ description: 'true also ends a rest or failure streak: the webhook starts afresh' })),
    description: Type.Optional(nullable(Type.String({ maxLength: WEBHOOK_DESCRIPTION_MAX }))),
    user: Type.Optional(Type.Unknown({ description: 'The acting user (optional on settings writes)' })),
  },
  { additionalProperties: false, $id: 'updateWebhookRequest' },
);
export type UpdateWebhookBody = Static<typeof UpdateWebhookRequest>;

export const DeliveryAttemptSchema = Type.Object(
  {
    attempt: Type.Integer({ description: '1, 2, …; 0 for a delivery given up without an attempt (its webhook disabled or deleted)' }),
    createdOn: DateTime,
    durationMs: Type.Integer(),
    statusCode: nullable(Type.Integer({ description: "The receiver's HTTP status; null when none came" })),
    error: nullable(
      Type.String({ description: 'Why it failed: "HTTP 500", "connection refused", "no answer within 10 s", "refused: … is a private address", …' }),
    ),
    response: nullable(Type.String({ description: "The start of the receiver's answer (256 characters)" })),
  },
  { $id: 'IWebhookAttempt' },
);

export const DeliverySchema = Type.Object(
  {
    id: Type.String({ description: "The delivery's id: its event's id, which is also the webhook-id header of every attempt" }),
    webhookId: Type.String(),
    eventId: Type.String(),
    eventType: Type.String(),
    status: oneOf(DELIVERY_STATUSES),
    attemptCount: Type.Integer(),
    attempts: Type.Array(Type.Ref('IWebhookAttempt'), { description: 'Every attempt, oldest first (the newest 50)' }),
    nextAttemptOn: nullable(Type.String({ description: 'When it is tried next (pending only)' })),
    createdOn: DateTime,
    finishedOn: nullable(Type.String({ description: 'When it was delivered or given up' })),
    lastStatusCode: nullable(Type.Integer()),
    lastError: nullable(Type.String()),
  },
  { $id: 'IWebhookDelivery' },
);

export const EventTicketSchema = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    ticketId: Type.Integer({ description: 'The ticket number' }),
    title: Type.String(),
    status: Type.String(),
    priority: Type.String(),
    assignee: nullable(UserRef),
    requestor: UserRef,
    expectedDate: nullable(Type.String()),
  },
  { $id: 'IEventTicket', description: 'The ticket an event is about, as it is after the change (GET /tickets/{id} has every field)' },
);
const EventTicket = Type.Ref('IEventTicket');

export const EventSchema = Type.Object(
  {
    id: Type.String({ description: 'UUID v7; the webhook-id header of its deliveries' }),
    type: Type.String({ description: EVENT_TYPES.join(' | ') }),
    timestamp: DateTime,
    createdOn: Type.String({ description: 'Same as timestamp' }),
    ticketId: nullable(Type.Integer({ description: 'The ticket number, when it is about a ticket' })),
    ticketNo: nullable(Type.Integer({ description: 'Same as ticketId' })),
    ticket: nullable(Type.String({ description: 'The ticket UUID, when it is about a ticket' })),
    data: Type.Record(Type.String(), Type.Unknown(), {
      description: "The event's data: what webhooks receive as `data` (see the OpenAPI document's webhooks)",
    }),
    payload: Type.Record(Type.String(), Type.Unknown(), { description: 'Same as data (its earlier name)' }),
    deliveries: Type.Object(
      { pending: Type.Integer(), delivered: Type.Integer(), failed: Type.Integer() },
      { description: "Its deliveries to the instance's webhooks, by status" },
    ),
    deliveredOn: nullable(Type.String({ description: 'When its last delivery succeeded, once every delivery has; else null' })),
  },
  { $id: 'IEvent' },
);

// ------------------------------------------------------------------------------------------
// What webhooks receive (the `standard` format)

const TicketChange = { ticket: EventTicket, user: UserRef };

const DATA_SCHEMAS: Record<string, TSchema> = {
  'ticket.created': Type.Object(TicketChange),
  'ticket.updated': Type.Object({
    ...TicketChange,
    changedFields: Type.Array(Type.String(), { description: 'The fields that changed (a custom field as customFields.<id>)' }),
  }),
  'ticket.statusChanged': Type.Object({
    ...TicketChange,
    activityId: Type.String(),
    from: Type.String(),
    to: Type.String(),
    resolution: nullable(Type.String()),
    comment: nullable(Type.String()),
  }),
  'ticket.commented': Type.Object({
    ...TicketChange,
    activityId: Type.String(),
    comment: nullable(Type.String({ description: 'null for a private note unless the webhook has includePrivate' })),
    isPrivate: Type.Boolean({ description: 'An internal note' }),
    createdOn: DateTime,
  }),
  'ticket.assigned': Type.Object({ ...TicketChange, assignee: nullable(UserRef), previousAssignee: nullable(UserRef) }),
  'ticket.attachmentAdded': Type.Object(
    {
      ...TicketChange,
      activityId: Type.Optional(Type.String()),
      isPrivate: Type.Optional(Type.Boolean()),
      attachments: Type.Optional(nullable(Type.Array(Type.Unknown(), { description: 'null for a private note unless includePrivate' }))),
    },
    { additionalProperties: true },
  ),
  'webhook.disabled': Type.Object({
    webhook: Type.Object({ id: Type.String(), url: Type.String({ description: 'Scheme, host and port only' }), description: nullable(Type.String()) }),
    reason: Type.String({ description: '"failing"' }),
    failingSince: DateTime,
  }),
  [TEST_EVENT_TYPE]: Type.Object({
    webhook: Type.Object({ id: Type.String(), url: Type.String(), description: nullable(Type.String()) }),
    message: Type.String(),
  }),
};
for (const type of ALERT_EVENT_TYPES) {
  DATA_SCHEMAS[type] = Type.Object({
    ticket: EventTicket,
    dueOn: Type.Optional(Type.String({ description: 'SLA breaches: the target that passed' })),
    reassignedTo: Type.Optional(UserRef),
    idleSince: Type.Optional(Type.String({ description: 'ticket.idle: the last interaction' })),
    expectedDate: Type.Optional(nullable(Type.String({ description: 'ticket.dueSoon, ticket.overdue' }))),
  });
}

/** `ticket.created` → `TicketCreatedEvent`: the component name of its body. */
const bodyName = (type: string) =>
  type
    .split('.')
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join('') + 'Event';

/** The body of each event type, as a named schema (Standard Webhooks: `{ type, timestamp, data }`). */
export const EVENT_BODY_SCHEMAS = Object.entries(DATA_SCHEMAS).map(([type, data]) =>
  Type.Object(
    { type: Type.Literal(type), timestamp: DateTime, data },
    { $id: bodyName(type), description: `The body of a ${type} delivery (format standard)` },
  ),
);

const SIGNATURE_HEADERS = [
  {
    name: 'webhook-id',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description: "The event's id: the same on every attempt (deduplicate on it)",
  },
  { name: 'webhook-timestamp', in: 'header', required: true, schema: { type: 'string' }, description: 'Seconds since the epoch when this attempt was sent' },
  {
    name: 'webhook-signature',
    in: 'header',
    required: true,
    schema: { type: 'string' },
    description:
      '`v1,` + base64 HMAC-SHA256 of `webhook-id.webhook-timestamp.body`, keyed with the base64-decoded part of the secret after `whsec_` (Standard Webhooks)',
  },
];

/** The OpenAPI document's `webhooks`: what a receiver gets for each event type. */
export function openApiWebhooks(): Record<string, unknown> {
  return Object.fromEntries(
    Object.keys(DATA_SCHEMAS).map((type) => [
      type,
      {
        post: {
          summary: `${type}`,
          description:
            'Sent to every enabled webhook subscribed to this type (or "*"), in the webhook\'s format: `standard` (this body), `teams` (an Adaptive Card message) or `slack` (Block Kit). Answer 2xx within 10 s; anything else is retried (5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then daily, for 3 days). Redirects are not followed.',
          parameters: SIGNATURE_HEADERS,
          requestBody: { required: true, content: { 'application/json': { schema: { $ref: `#/components/schemas/${bodyName(type)}` } } } },
          responses: { '2XX': { description: 'Delivered' } },
        },
      },
    ]),
  );
}

/** Registered with Fastify (refs) and named in the OpenAPI document. */
export const WEBHOOK_SCHEMAS = [WebhookSchema, DeliveryAttemptSchema, DeliverySchema, EventTicketSchema, EventSchema, ...EVENT_BODY_SCHEMAS];
export const WEBHOOK_REQUEST_SCHEMAS = [CreateWebhookRequest, UpdateWebhookRequest];
