import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger } from 'fastify';
import { Type, type Static } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { COMMENT_MAX, TAGS_PER_TICKET } from '../../domain/limits.js';
import { INCLUDABLE, parseInclude } from '../../domain/rich-text.js';
import { parseStatus, PRIORITIES, RESOLUTIONS } from '../../domain/ticket.js';
import { BULK_MAX_TICKETS } from '../../domain/limits.js';
import type { BulkService } from '../../services/bulk.service.js';
import { problemBody } from '../errors.js';
import { errorResponses, nullable, oneOf } from '../schema-helpers.js';
import { type Tag, Timezone, type User } from '../schemas.js';
import { timezoneOf } from './tickets.routes.js';

/*
 * POST /tickets/bulk (docs/api.md §15): one change, many tickets, one result per ticket.
 * Kept out of tickets.routes.ts so that the two evolve without stepping on each other.
 */

const UserRef = Type.Unsafe<Static<typeof User>>(Type.Ref('IUser'));
const TagRef = Type.Unsafe<Static<typeof Tag>>(Type.Ref('ITag'));

export const BulkRequest = Type.Object(
  {
    ids: Type.Array(Type.Union([Type.String({ maxLength: 100 }), Type.Integer({ minimum: 1 })]), {
      minItems: 1,
      maxItems: BULK_MAX_TICKETS,
      description: `The tickets: each its UUID \`id\` or its number \`ticketId\`; 1 to ${BULK_MAX_TICKETS.toLocaleString('en')} of them`,
    }),
    changes: Type.Object(
      {
        assignee: Type.Optional(nullable(UserRef)),
        priority: Type.Optional(oneOf(PRIORITIES)),
        customFields: Type.Optional(
          Type.Record(Type.String({ maxLength: 100 }), Type.Unknown(), { description: 'Merged key by key, as on PUT /tickets/{ticketId} (null clears one)' }),
        ),
        addTags: Type.Optional(Type.Array(TagRef, { maxItems: TAGS_PER_TICKET, description: 'Added to the tags each ticket has' })),
        removeTags: Type.Optional(Type.Array(TagRef, { maxItems: TAGS_PER_TICKET, description: 'Taken off each ticket (the text case-insensitively)' })),
        status: Type.Optional(Type.String({ maxLength: 50, description: 'As on PUT /tickets/{ticketId}/status; applied after the other changes' })),
        resolution: Type.Optional(oneOf(RESOLUTIONS, { description: 'Required with status Resolved, and only with it' })),
        comment: Type.Optional(Type.String({ maxLength: COMMENT_MAX, description: "The status change's comment (with status only)" })),
      },
      { additionalProperties: false, minProperties: 1 },
    ),
    user: UserRef,
  },
  { additionalProperties: false, $id: 'bulkTicketsRequest' },
);

const BulkResult = Type.Object(
  {
    id: nullable(Type.String({ description: "The ticket's UUID; when it was not found, the id given if it was a UUID" })),
    ticketId: nullable(Type.Integer({ description: "The ticket's number; when it was not found, the id given if it was a number" })),
    status: Type.Integer({ description: "This ticket's outcome as an HTTP status: 200, or the status its own request would have had (400, 403, 404, 409…)" }),
    item: Type.Optional(Type.Ref('ITicket', { description: 'The ticket as it is now (status 200)' })),
    error: Type.Optional(Type.Ref('Problem', { description: 'Why the ticket was left unchanged (other statuses)' })),
  },
  { $id: 'IBulkResult' },
);

export const BULK_SCHEMAS = [BulkRequest, BulkResult];

const Include = Type.Optional(Type.String({ description: `Comma-separated: ${INCLUDABLE.join(', ')}` }));

/** The problem body of one ticket's failure; unknown errors are logged and answered as a bare 500, as a whole request would be. */
function problemOf(error: unknown, log: FastifyBaseLogger) {
  if (error instanceof DomainError) return problemBody(error.code, error.message, error.errors);
  log.error({ err: error }, 'bulk action: unhandled error on one ticket');
  return problemBody('internal', 'Something went wrong on our side with this ticket; the error was logged');
}

export const bulkRoutes =
  (deps: { bulk: BulkService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/tickets/bulk',
      {
        schema: {
          tags: ['tickets'],
          summary: 'Change many tickets at once',
          description: `The same changes to each ticket of \`ids\` (1 to ${BULK_MAX_TICKETS.toLocaleString('en')}), each ticket in a transaction of its own, in the order given: one that cannot take them (an invalid transition, a missing ticket…) is left unchanged and the others are changed. Answers 200 whenever the request itself is valid, with one result per id, in order, each with the HTTP status its own request would have had. Activities and events are written per ticket, exactly as PUT /tickets/{ticketId} and PUT /tickets/{ticketId}/status write them. docs/api.md §15.`,
          querystring: Type.Object({ timezone: Timezone, include: Include }, { additionalProperties: true }),
          body: BulkRequest,
          response: {
            200: Type.Object({ items: Type.Array(Type.Ref('IBulkResult')) }),
            ...errorResponses(400, 401, 403),
          },
        },
      },
      async (request) => {
        const body = request.body;
        const timezone = timezoneOf(request.query);
        const include = parseInclude((request.query as { include?: string }).include);
        const { status: rawStatus, resolution, comment, ...rest } = body.changes;
        // What would fail on every ticket alike is refused as a whole, before any ticket changes.
        const status = rawStatus === undefined ? undefined : parseStatus(rawStatus);
        if (rawStatus !== undefined && !status) {
          throw new DomainError('validation_failed', `unknown status "${rawStatus}"`, [
            { path: '/body/changes/status', message: 'one of Reopened, Started, Resolved, Closed' },
          ]);
        }
        if (status === 'Resolved' && !resolution) {
          throw new DomainError('validation_failed', 'resolving needs a resolution', [
            { path: '/body/changes/resolution', message: 'is required when status is Resolved (fixed, cannotResolve or cancelled)' },
          ]);
        }
        if (resolution && status !== 'Resolved') {
          throw new DomainError('validation_failed', 'a resolution goes with status Resolved', [
            { path: '/body/changes/resolution', message: 'only with status Resolved' },
          ]);
        }
        if (comment !== undefined && !status) {
          throw new DomainError('validation_failed', "comment is the status change's comment", [
            { path: '/body/changes/comment', message: 'only with status' },
          ]);
        }
        const person = request.auth.person;
        const outcomes = await deps.bulk.apply(
          request.auth.instanceId,
          body.ids,
          { ...rest, ...(status ? { status } : {}), ...(resolution ? { resolution } : {}), ...(comment ? { comment } : {}) },
          body.user,
          { timezone, include, ...(person ? { editor: { id: person.id, email: person.email, role: person.role } } : {}) },
        );
        return {
          items: outcomes.map(({ id, ticketId, item, error }) => {
            if (item) return { id, ticketId, status: 200, item };
            const problem = problemOf(error, request.log);
            return { id, ticketId, status: problem.status, error: problem };
          }),
        };
      },
    );
  };
