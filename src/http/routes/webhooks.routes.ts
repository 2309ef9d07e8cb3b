import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { eventForReader } from '../../domain/live.js';
import { DELIVERY_STATUSES, type DeliveryStatus } from '../../domain/webhooks.js';
import type { EventsService } from '../../services/events.service.js';
import type { WebhooksService } from '../../services/webhooks.service.js';
import { eventReaderOf } from '../auth.js';
import { errorResponses } from '../schema-helpers.js';
import { CreateWebhookRequest, UpdateWebhookRequest } from '../webhooks.schema.js';

/*
 * Events and webhooks (docs/api.md §13): the event feed, and an instance's webhook
 * subscriptions with their delivery logs.
 */

const WebhookItem = Type.Object({ item: Type.Ref('IWebhook') });
const DeliveryItem = Type.Object({ item: Type.Ref('IWebhookDelivery') });
const IdParams = Type.Object({ id: Type.String() });

/** An integer query parameter from `min` to `max` (`fallback` when absent), else a 400 that names it. */
function integerParam(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined || value.trim() === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new DomainError('validation_failed', `/query/${name}: an integer from ${min} to ${max}`, [
      { path: `/query/${name}`, message: `from ${min} to ${max}` },
    ]);
  }
  return n;
}

/** A continuation token from the header (the listing's way) or the query. */
function tokenOf(headers: Record<string, unknown>, query: { continuationToken?: string | undefined }): string | undefined {
  const header = headers['continuationtoken'];
  return (typeof header === 'string' && header.trim() ? header : query.continuationToken?.trim()) || undefined;
}

/**
 * A webhook's URL can itself be a credential (Teams' and Slack's are), and its log holds what
 * receivers answered: webhooks are read and changed with a read-write key only.
 */
async function readWriteOnly(request: FastifyRequest): Promise<void> {
  if (request.auth.access === 'readOnly') throw new DomainError('forbidden', `Webhooks need a read-write key; the ${request.auth.which} key is read-only`);
}

const FeedQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ description: 'An event id: the page starts after it (a poller passes the last id it read)' })),
    limit: Type.Optional(Type.String({ description: '1..1000, default 50' })),
    order: Type.Optional(Type.String({ description: 'ASC (default: oldest first, the feed order) or DESC (newest first)' })),
    type: Type.Optional(Type.String({ description: 'Only these event types, comma-separated' })),
    continuationToken: Type.Optional(Type.String({ description: 'Also accepted as a request header; takes precedence over after' })),
  },
  { additionalProperties: true },
);

const DeliveriesQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ description: '1..100, default 20' })),
    status: Type.Optional(Type.String({ description: DELIVERY_STATUSES.join(' | ') })),
    continuationToken: Type.Optional(Type.String({ description: 'Also accepted as a request header' })),
  },
  { additionalProperties: true },
);

export const webhooksRoutes =
  (deps: { events: EventsService; webhooks: WebhooksService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { events, webhooks } = deps;

    app.get(
      '/instance/events',
      {
        schema: {
          tags: ['events'],
          summary: 'The event feed: every ticket change and alert, in order',
          description:
            'Events are written in the transaction of the change that caused them. Oldest first by default; a poller reads every event exactly once by following `continuationToken` to the end and then asking again with `after=<the last id it read>`. As on the live stream, a viewer gets private notes with their text null, and `webhook.*` events go only to admins and read-write keys (a page may hold fewer than `limit`). docs/api.md §13.',
          querystring: FeedQuery,
          headers: Type.Object({ continuationToken: Type.Optional(Type.String()) }),
          response: {
            200: Type.Object({
              items: Type.Array(Type.Ref('IEvent')),
              continuationToken: Type.Union([Type.String(), Type.Null()], { description: 'Present exactly when more events can be read now' }),
            }),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request) => {
        const query = request.query;
        const order = (query.order ?? 'ASC').trim().toUpperCase();
        if (order !== 'ASC' && order !== 'DESC') {
          throw new DomainError('validation_failed', '/query/order: ASC or DESC', [{ path: '/query/order', message: 'ASC or DESC' }]);
        }
        const types = query.type
          ?.split(',')
          .map((t) => t.trim())
          .filter(Boolean);
        const page = await events.page(request.auth.instanceId, {
          after: query.after?.trim() || undefined,
          limit: integerParam(query.limit, 'limit', 50, 1, 1000),
          desc: order === 'DESC',
          types: types && types.length > 0 ? types : undefined,
          continuationToken: tokenOf(request.headers, query),
        });
        // As the live stream: a viewer gets private notes without their text, webhook events
        // only those who may read the webhooks (a page may then hold fewer than `limit`).
        const reader = eventReaderOf(request.auth);
        if (reader.seesPrivateNotes && reader.seesWebhooks) return page;
        return { ...page, items: page.items.flatMap((item) => eventForReader(item, reader) ?? []) };
      },
    );

    app.get(
      '/instance/webhooks',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: "The instance's webhooks",
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('IWebhook')) }), ...errorResponses(401, 403) },
        },
      },
      async (request) => ({ items: await webhooks.list(request.auth.instanceId) }),
    );

    app.post(
      '/instance/webhooks',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: 'Create a webhook; its signing secret is in this answer only',
          description:
            'Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature signed with the secret). `format`: `standard` (JSON `{ type, timestamp, data }`), `teams` (an Adaptive Card a Microsoft Teams Workflows webhook posts), `slack` (Block Kit). docs/api.md §13.',
          body: CreateWebhookRequest,
          response: {
            201: Type.Object({ item: Type.Ref('IWebhook'), secret: Type.String({ description: '`whsec_…`: shown only now' }) }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request, reply) => {
        const { user: _user, ...input } = request.body;
        const created = await webhooks.create(request.auth.instanceId, input);
        reply.code(201).header('location', `/api/v1/instance/webhooks/${created.item.id}`);
        return created;
      },
    );

    app.get(
      '/instance/webhooks/:id',
      {
        preHandler: readWriteOnly,
        schema: { tags: ['webhooks'], summary: 'A webhook', params: IdParams, response: { 200: WebhookItem, ...errorResponses(401, 403, 404) } },
      },
      async (request) => ({ item: await webhooks.get(request.auth.instanceId, request.params.id) }),
    );

    app.put(
      '/instance/webhooks/:id',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: 'Change a webhook (partial)',
          params: IdParams,
          body: UpdateWebhookRequest,
          response: { 200: WebhookItem, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { user: _user, ...input } = request.body;
        return { item: await webhooks.update(request.auth.instanceId, request.params.id, input) };
      },
    );

    app.delete(
      '/instance/webhooks/:id',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: 'Delete a webhook and its delivery log',
          params: IdParams,
          response: { 204: Type.Null({ description: 'Deleted' }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await webhooks.delete(request.auth.instanceId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/instance/webhooks/:id/test',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: 'Send a webhook.test event now and answer the delivery',
          description: 'Sent even to a disabled webhook (to check an endpoint before enabling it); not retried; in the delivery log, not in the event feed.',
          params: IdParams,
          response: { 200: DeliveryItem, ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => ({ item: await webhooks.test(request.auth.instanceId, request.params.id) }),
    );

    app.get(
      '/instance/webhooks/:id/deliveries',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: "The webhook's deliveries, newest first, each with every attempt",
          params: IdParams,
          querystring: DeliveriesQuery,
          headers: Type.Object({ continuationToken: Type.Optional(Type.String()) }),
          response: {
            200: Type.Object({ items: Type.Array(Type.Ref('IWebhookDelivery')), continuationToken: Type.Union([Type.String(), Type.Null()]) }),
            ...errorResponses(400, 401, 403, 404),
          },
        },
      },
      async (request) => {
        const query = request.query;
        const status = query.status?.trim() || undefined;
        if (status !== undefined && !(DELIVERY_STATUSES as readonly string[]).includes(status)) {
          throw new DomainError('validation_failed', `/query/status: one of ${DELIVERY_STATUSES.join(', ')}`, [
            { path: '/query/status', message: `one of ${DELIVERY_STATUSES.join(', ')}` },
          ]);
        }
        return webhooks.deliveries(request.auth.instanceId, request.params.id, {
          limit: integerParam(query.limit, 'limit', 20, 1, 100),
          status: status as DeliveryStatus | undefined,
          continuationToken: tokenOf(request.headers, query),
        });
      },
    );

    app.post(
      '/instance/webhooks/:id/deliveries/:deliveryId/redeliver',
      {
        preHandler: readWriteOnly,
        schema: {
          tags: ['webhooks'],
          summary: 'Send a delivery again (same event, same webhook-id), with a fresh 3-day retry window',
          params: Type.Object({ id: Type.String(), deliveryId: Type.String() }),
          response: { 202: DeliveryItem, ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const item = await webhooks.redeliver(request.auth.instanceId, request.params.id, request.params.deliveryId);
        reply.code(202);
        return { item };
      },
    );
  };
