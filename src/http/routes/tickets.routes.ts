import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { parseTimezone } from '../../domain/dates.js';
import { parseActivityQuery } from '../../domain/activity.js';
import { DomainError } from '../../domain/errors.js';
import { ifNoneMatchNames, parseIfMatch } from '../../domain/etag.js';
import { ACTIVITY_LIMIT_MAX } from '../../domain/limits.js';
import { COUNT_GROUPS, ORDER_NAMES, parseCountQuery, parseListQuery, SELECTABLE_FIELDS, type RawListQuery } from '../../domain/listing.js';
import { INCLUDABLE, parseInclude } from '../../domain/rich-text.js';
import { ORIGINS, parseStatus, ticketOrigin } from '../../domain/ticket.js';
import type { TicketsService } from '../../services/tickets.service.js';
import type { AttachmentsService } from '../../services/attachments.service.js';
import { errorResponses } from '../schema-helpers.js';
import {
  InsertCommentRequest,
  InsertTicketRequest,
  ListedTicket,
  Problem,
  TicketItem,
  TicketRef,
  Timezone,
  UpdateTicketRequest,
  UpdateTicketStatusRequest,
  type InsertCommentBody,
} from '../schemas.js';

/** The caller's timezone from the query, or a 400 that says what is allowed. */
export function timezoneOf(query: unknown): number {
  const raw = (query as { timezone?: string } | undefined)?.timezone;
  const timezone = parseTimezone(raw);
  if (timezone === undefined) {
    throw new DomainError('invalid_request', 'timezone is an offset in hours from -12 to 14, in steps of 0.25', [
      { path: '/query/timezone', message: `"${raw}" is not a valid offset` },
    ]);
  }
  return timezone;
}

/**
 * Sends a response that is already JSON text (written by src/store/ticket-json.ts, which
 * test/ticket-json.test.ts holds to the route's response schema): Fastify sends a string with a
 * JSON content type as it is.
 */
function sendJsonText(reply: FastifyReply, text: string | Buffer): FastifyReply {
  return reply.type('application/json; charset=utf-8').send(text as never);
}

const TicketParams = Type.Object({ ticketId: Type.String({ description: 'The ticket UUID `id` or its number `ticketId`' }) });
const Include = Type.Optional(
  Type.String({
    description: `Comma-separated: ${INCLUDABLE.join(', ')}. Adds the sanitised HTML of the description (tickets) or of comments (activities); a name that does not apply to the route is ignored, an unknown one is a 400`,
  }),
);
const TimezoneQuery = Type.Object({ timezone: Timezone, include: Include }, { additionalProperties: true });
/** The headers of a conditional ticket write (docs/api.md §5). */
const IfMatchHeaders = Type.Object({
  'if-match': Type.Optional(
    Type.String({
      description:
        'An ETag of the ticket (from a read or a write of it), or a comma-separated list, or `*`. The write happens only while the ticket is at that version; otherwise 412 precondition_failed with the current ticket in `item`. Without it, or with `*`, the write happens whatever the version',
    }),
  ),
});
/** The ETag header of an answer that is one representation of the ticket. */
const ETagHeader = {
  ETag: Type.String({ description: 'A strong entity tag of this representation of the ticket; send it back in If-Match to write only if nobody wrote since' }),
};
/** A 412 of a stale If-Match: the problem, the current ticket and (in the ETag header) its tag. */
const STALE = 'precondition_failed: the ticket changed since the If-Match tag; `item` is the ticket as it is now, the ETag header its current tag';
const StaleResponse = Type.Object({ ...Problem.properties, item: TicketRef }, { description: STALE });
// Declared under its real content type: the 412 is a problem document (RFC 9457).
const staleResponse = { 412: { description: STALE, headers: ETagHeader, content: { 'application/problem+json': { schema: StaleResponse } } } };
/** The If-Match of a request (see src/domain/etag.ts). */
const ifMatchOf = (request: { headers: Record<string, unknown> }) => parseIfMatch(request.headers['if-match'] as string | string[] | undefined);

/** `include` of the request: the names asked for, or a 400. */
const includeOf = (query: unknown) => parseInclude((query as { include?: string } | undefined)?.include);

/** The filters of GET /tickets (docs/api.md §7), also taken by GET /tickets/counts. */
const listFilterSchema = {
  timezone: Timezone,
  search: Type.Optional(Type.String({ description: 'Full text over title, description and comments; a number also matches ticketId' })),
  title: Type.Optional(Type.String({ description: 'Case-insensitive substring of the title' })),
  status: Type.Optional(Type.String({ description: 'One status or a comma-separated list' })),
  priority: Type.Optional(Type.String({ description: 'One priority or a comma-separated list' })),
  tags: Type.Optional(Type.String({ description: 'Comma-separated tagCategoryId_tagText; any of them matches' })),
  assignee: Type.Optional(Type.String({ description: 'User id or email' })),
  unassigned: Type.Optional(Type.String({ description: 'true: tickets without an assignee; false: tickets with one' })),
  requestor: Type.Optional(Type.String({ description: 'User id or email' })),
  createdAfter: Type.Optional(Type.String({ description: 'Inclusive; ISO date or date-time, local to timezone without offset' })),
  createdBefore: Type.Optional(Type.String({ description: 'Exclusive' })),
  lastUpdateAfter: Type.Optional(Type.String()),
  lastUpdateBefore: Type.Optional(Type.String()),
  expectedDateAfter: Type.Optional(Type.String()),
  expectedDateBefore: Type.Optional(Type.String()),
  isFrtEscalated: Type.Optional(Type.String({ description: 'true or false' })),
  isRtEscalated: Type.Optional(Type.String({ description: 'true or false' })),
  isFrtBreached: Type.Optional(Type.String({ description: 'true or false: the first-response target was missed (escalated or not)' })),
  isRtBreached: Type.Optional(Type.String({ description: 'true or false: a resolution target was missed (escalated or not)' })),
  isEscalated: Type.Optional(Type.String({ description: 'true: the first response or the resolution escalated (either); false: neither' })),
  isResolved: Type.Optional(Type.String({ description: 'true: Resolved and Closed tickets; false: the others' })),
  statusId: Type.Optional(Type.String({ description: "A status's id, or a comma-separated list; a built-in status's id is its name (Open, …)" })),
  origin: Type.Optional(Type.String({ description: `One of ${ORIGINS.join(', ')}, or a comma-separated list` })),
  trackingId: Type.Optional(Type.String({ description: 'The ticket with this trackingId' })),
  ticketNo: Type.Optional(Type.String({ description: 'A ticket number, or a comma-separated list' })),
};

const listQuerySchema = Type.Object(
  {
    ...listFilterSchema,
    orderBy: Type.Optional(Type.String({ description: `One of ${ORDER_NAMES.join(', ')}. Default: createdDateTime DESC` })),
    order: Type.Optional(Type.String({ description: 'ASC (default with orderBy) or DESC' })),
    select: Type.Optional(Type.String({ description: `Comma-separated: ${SELECTABLE_FIELDS.join(', ')}` })),
    offset: Type.Optional(Type.String({ description: 'Default 0; ignored when a continuationToken is given' })),
    limit: Type.Optional(Type.String({ description: '1..1000, default 10' })),
    continuationToken: Type.Optional(Type.String({ description: 'Also accepted as a request header' })),
    include: Include,
  },
  { additionalProperties: true },
);

const ActivitiesQuery = Type.Object(
  {
    limit: Type.Optional(Type.String({ description: `1..${ACTIVITY_LIMIT_MAX}; default: all of them, up to ${ACTIVITY_LIMIT_MAX}` })),
    order: Type.Optional(Type.String({ description: 'ASC (default: oldest first) or DESC' })),
    continuationToken: Type.Optional(Type.String({ description: 'Also accepted as a request header' })),
    include: Include,
  },
  { additionalProperties: true },
);

/** The continuationToken of a request: its header, else its query parameter. */
function continuationTokenOf(request: { headers: Record<string, unknown>; query: unknown }): string | undefined {
  const header = request.headers['continuationtoken'];
  const token = (typeof header === 'string' ? header : undefined) ?? (request.query as { continuationToken?: string }).continuationToken;
  return token?.trim() || undefined;
}

export const ticketsRoutes =
  (tickets: TicketsService, attachments: AttachmentsService): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/tickets',
      {
        schema: {
          tags: ['tickets'],
          summary: 'List tickets',
          description:
            'Newest first by default. Follow `continuationToken` (send it back in the `continuationToken` header) for the next page: keyset pagination that neither skips nor repeats tickets while others write. Filters, ordering and tokens in detail: docs/api.md §7.',
          querystring: listQuerySchema,
          headers: Type.Object({ continuationToken: Type.Optional(Type.String()) }),
          response: {
            200: Type.Object({
              items: Type.Array(ListedTicket),
              continuationToken: Type.Union([Type.String(), Type.Null()]),
              itemCount: Type.Integer({ description: 'How many tickets match the filters, over all pages (docs/api.md §7)' }),
            }),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request, reply) => {
        const raw = request.query as RawListQuery;
        const query = parseListQuery(raw);
        const include = includeOf(raw);
        return sendJsonText(reply, await tickets.listJson(request.auth.instanceId, query, continuationTokenOf(request), include));
      },
    );

    app.get(
      '/tickets/counts',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Count tickets',
          description:
            'How many tickets match the filters of `GET /tickets` (the same parameters), exactly; with `groupBy`, also how many per status, priority, origin, or local day (in `timezone`) of creation or of last resolution. docs/api.md §7.',
          querystring: Type.Object(
            {
              ...listFilterSchema,
              groupBy: Type.Optional(Type.String({ description: `One of ${COUNT_GROUPS.join(', ')}` })),
            },
            { additionalProperties: true },
          ),
          response: {
            200: Type.Object({
              itemCount: Type.Integer({ description: 'How many tickets match the filters' }),
              groups: Type.Optional(
                Type.Array(
                  Type.Object({
                    key: Type.Union([Type.String(), Type.Null()], {
                      description: 'The status, priority or origin; for a day grouping `YYYY-MM-DD`, null for tickets without that date',
                    }),
                    itemCount: Type.Integer(),
                  }),
                  { description: 'With groupBy: each value that has tickets, with their number; statuses and priorities in their order, others ascending' },
                ),
              ),
            }),
            ...errorResponses(400, 401),
          },
        },
      },
      async (request) => {
        const { filters, groupBy, timezone } = parseCountQuery(request.query as RawListQuery);
        return tickets.counts(request.auth.instanceId, filters, groupBy, timezone);
      },
    );

    app.post(
      '/tickets',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Create a ticket',
          querystring: TimezoneQuery,
          body: InsertTicketRequest,
          response: { 201: { ...TicketItem, headers: ETagHeader }, ...errorResponses(400, 401, 403, 413, 415) },
        },
      },
      async (request, reply) => {
        const { ticket, user } = request.body;
        const { origin, ...fields } = ticket;
        const { item: created, etag } = await tickets.create(request.auth.instanceId, fields, user, timezoneOf(request.query), {
          include: includeOf(request.query),
          origin: ticketOrigin(request.auth.channel, origin),
        });
        reply.code(201).header('Location', `/api/v1/tickets/${created.id}`).header('ETag', etag);
        return { item: created };
      },
    );

    app.get(
      '/tickets/:ticketId',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Get a ticket by id or number',
          params: TicketParams,
          querystring: TimezoneQuery,
          headers: Type.Object({
            'if-none-match': Type.Optional(
              Type.String({ description: 'ETags the client holds (or `*`): when one is the current one, the answer is 304 Not Modified, without a body' }),
            ),
          }),
          response: {
            200: { ...TicketItem, headers: ETagHeader },
            304: { description: 'Not modified: the ticket is still at the version If-None-Match names', headers: ETagHeader },
            ...errorResponses(401, 404),
          },
        },
      },
      async (request, reply) => {
        timezoneOf(request.query);
        const { json, etag } = await tickets.getJson(request.auth.instanceId, request.params.ticketId, includeOf(request.query));
        reply.header('ETag', etag);
        if (ifNoneMatchNames(request.headers['if-none-match'], etag)) return reply.code(304).send();
        return sendJsonText(reply, json);
      },
    );

    app.put(
      '/tickets/:ticketId',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Update a ticket (partial)',
          description: 'Only the given fields change. customFields merge key by key (null clears one); tags replace the list. The status has its own route.',
          params: TicketParams,
          querystring: TimezoneQuery,
          body: UpdateTicketRequest,
          headers: IfMatchHeaders,
          response: { 200: { ...TicketItem, headers: ETagHeader }, ...errorResponses(400, 401, 403, 404), ...staleResponse },
        },
      },
      async (request, reply) => {
        const { updates, ticket, user } = request.body;
        const person = request.auth.person;
        const changes = updates ?? ticket;
        if (!changes) {
          throw new DomainError('validation_failed', 'Send the changes as { updates: { … }, user }', [{ path: '/body/updates', message: 'is required' }]);
        }
        // A person's edits follow the instance's userPermission (docs/api.md §14); a key's do not.
        const editor = person ? { id: person.id, email: person.email, role: person.role } : undefined;
        const { item, etag } = await tickets.update(
          request.auth.instanceId,
          request.params.ticketId,
          changes,
          user,
          timezoneOf(request.query),
          includeOf(request.query),
          editor,
          ifMatchOf(request),
        );
        reply.header('ETag', etag);
        return { item };
      },
    );

    const statusRoute = {
      schema: {
        tags: ['tickets'],
        summary: 'Change the status of a ticket',
        description:
          'Open → Started, Resolved, Closed; Started → Resolved, Closed; Reopened → Started, Resolved, Closed; Resolved → Closed, Reopened; Closed → Reopened. Resolved needs a resolution (docs/api.md §6).',
        params: TicketParams,
        querystring: TimezoneQuery,
        body: UpdateTicketStatusRequest,
        headers: IfMatchHeaders,
        response: { 200: { ...TicketItem, headers: ETagHeader }, ...errorResponses(400, 401, 403, 404, 409), ...staleResponse },
      },
    };
    const changeStatus = async (
      request: {
        auth: { instanceId: string };
        params: { ticketId: string };
        headers: Record<string, unknown>;
        query: unknown;
        body: {
          status: string;
          resolution?: 'fixed' | 'cannotResolve' | 'cancelled' | null;
          comment?: string | null;
          user: { id: string; name: string; email: string };
        };
      },
      reply: { header(name: string, value: string): unknown },
    ) => {
      timezoneOf(request.query);
      const include = includeOf(request.query);
      const status = parseStatus(request.body.status);
      if (!status) {
        throw new DomainError('validation_failed', `unknown status "${request.body.status}"`, [
          { path: '/body/status', message: 'one of Open, Reopened, Started, Resolved, Closed' },
        ]);
      }
      const { resolution, comment, user } = request.body;
      const { item, etag } = await tickets.changeStatus(
        request.auth.instanceId,
        request.params.ticketId,
        { status, ...(resolution ? { resolution } : {}), ...(comment ? { comment } : {}) },
        user,
        include,
        ifMatchOf(request),
      );
      reply.header('ETag', etag);
      return { item };
    };
    app.put('/tickets/:ticketId/status', statusRoute, changeStatus);
    app.post('/tickets/:ticketId/status', statusRoute, changeStatus);

    app.get(
      '/tickets/:ticketId/activities',
      {
        schema: {
          tags: ['activities'],
          summary: 'List the activities of a ticket, oldest first',
          description:
            'All of them (up to 1,000) by default, as the reference has it; with `limit`, a page, and `continuationToken` (send it back in the `continuationToken` header or query parameter) for the next. `itemCount` is how many the ticket has in all. Shapes: docs/api.md §6.',
          params: TicketParams,
          querystring: ActivitiesQuery,
          headers: Type.Object({ continuationToken: Type.Optional(Type.String()) }),
          response: {
            200: Type.Object({
              items: Type.Array(Type.Ref('IActivity')),
              continuationToken: Type.Union([Type.String(), Type.Null()]),
              itemCount: Type.Integer({ description: 'How many activities the ticket has, over all pages' }),
            }),
            ...errorResponses(400, 401, 404),
          },
        },
      },
      async (request) => {
        const { instanceId } = request.auth;
        const page = await tickets.activities(instanceId, request.params.ticketId, parseActivityQuery(request.query), continuationTokenOf(request));
        // The page's attachments, in one query (contract §11).
        const byActivity = await attachments.forActivities(
          instanceId,
          page.items.map((a) => a.id),
        );
        return { ...page, items: page.items.map((a) => ({ ...a, attachments: byActivity.get(a.id) ?? [] })) };
      },
    );

    const commentRoute = {
      schema: {
        tags: ['activities'],
        summary: 'Add a comment (isPrivate: an internal note)',
        description:
          'The comment as plain text (`comment`), HTML (`comment_HTML`, sanitised) or both; the answer carries both, and `activityId` (= `id`). docs/api.md §6.',
        params: TicketParams,
        querystring: TimezoneQuery,
        body: InsertCommentRequest,
        headers: IfMatchHeaders,
        response: { 201: Type.Object({ item: Type.Ref('IComment') }), ...errorResponses(400, 401, 403, 404, 409), ...staleResponse },
      },
    };
    const addComment = async (
      request: { auth: { instanceId: string }; params: { ticketId: string }; headers: Record<string, unknown>; query: unknown; body: InsertCommentBody },
      reply: { code(n: number): unknown },
    ) => {
      // comment_HTML is always in the answer; include is read only to refuse unknown names.
      includeOf(request.query);
      const { user, ...comment } = request.body;
      // The answer is the comment, not the ticket: it carries no ETag of the ticket (docs/api.md §5).
      const item = await tickets.addComment(request.auth.instanceId, request.params.ticketId, comment, user, undefined, ifMatchOf(request));
      reply.code(201);
      return { item };
    };
    app.post('/tickets/:ticketId/activities', commentRoute, addComment);
    app.post('/tickets/:ticketId/comments', commentRoute, addComment);
  };
