import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { PLACEHOLDER_NAMES } from '../../domain/canned-responses.js';
import { COMMENT_MAX } from '../../domain/limits.js';
import type { CannedResponsesService } from '../../services/canned-responses.service.js';
import { asUser } from '../../domain/people.js';
import { errorResponses, nullable } from '../schema-helpers.js';
import type { User } from '../schemas.js';

/*
 * Canned responses (docs/api.md §16): admins write them, agents read them and render them into a
 * ticket's comment box (src/domain/permissions.ts). Drafts (shared: false) are the admins' own.
 */

const UserRef = Type.Unsafe<Static<typeof User>>(Type.Ref('IUser'));
const PLACEHOLDERS_TEXT = PLACEHOLDER_NAMES.map((n) => `{{${n}}}`).join(', ');

export const CannedResponse = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    title: Type.String(),
    body: Type.String({ description: 'The plain text, placeholders as written' }),
    body_HTML: Type.String({ description: 'The sanitised HTML (made from the plain text when it came as plain text)' }),
    shared: Type.Boolean({ description: 'false: a draft, listed to admins and instance keys only' }),
    createdBy: nullable(UserRef),
    createdOn: Type.String(),
    lastUpdatedOn: Type.String(),
  },
  { $id: 'ICannedResponse', description: `A reply template. Placeholders: ${PLACEHOLDERS_TEXT}` },
);

const writable = {
  title: Type.String({ minLength: 1, maxLength: 200, pattern: '\\S' }),
  body: Type.Optional(nullable(Type.String({ maxLength: COMMENT_MAX, description: `Plain text with placeholders (${PLACEHOLDERS_TEXT})` }))),
  body_HTML: Type.Optional(
    nullable(Type.String({ maxLength: COMMENT_MAX, description: 'HTML with placeholders, sanitised on the way in as comments are (docs/api.md §5)' })),
  ),
  shared: Type.Optional(Type.Boolean({ description: 'Default true; false keeps it from the agents (a draft)' })),
  user: Type.Optional(UserRef),
};

const CreateCannedResponse = Type.Object(writable, {
  additionalProperties: false,
  $id: 'createCannedResponseRequest',
  description: 'At least one of body and body_HTML, with text. An unknown placeholder is a 400.',
});
const UpdateCannedResponse = Type.Object(
  { ...writable, title: Type.Optional(writable.title) },
  { additionalProperties: false, $id: 'updateCannedResponseRequest', description: 'The fields to change; a body (plain or HTML) replaces both.' },
);
const RenderCannedResponse = Type.Object(
  {
    ticketId: Type.Union([Type.String({ maxLength: 100 }), Type.Integer()], { description: "The ticket's UUID `id` or number `ticketId`" }),
    user: Type.Optional(UserRef),
  },
  { additionalProperties: false, $id: 'renderCannedResponseRequest' },
);
const Rendered = Type.Object(
  {
    id: Type.String(),
    title: Type.String(),
    body: Type.String({ description: 'Plain text, placeholders filled' }),
    body_HTML: Type.String({ description: 'HTML, placeholders filled with HTML-escaped values' }),
  },
  { $id: 'IRenderedCannedResponse' },
);

export const CANNED_RESPONSE_SCHEMAS = [CannedResponse, CreateCannedResponse, UpdateCannedResponse, RenderCannedResponse, Rendered];

const IdParams = Type.Object({ id: Type.String() });
const Item = Type.Object({ item: Type.Ref('ICannedResponse') });

/** Admins and instance keys see drafts; agents see what is shared. */
const withDrafts = (request: FastifyRequest) => ({ withDrafts: !request.auth.person || request.auth.person.role === 'admin' });

/** Who acts: the signed-in person (the user of the body was made theirs), or the user an instance key names, if any. */
const actor = (request: FastifyRequest, given: Static<typeof User> | undefined) => (request.auth.person ? asUser(request.auth.person) : (given ?? null));

export const cannedResponsesRoutes =
  (responses: CannedResponsesService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['canned responses'];
    app.get(
      '/instance/canned-responses',
      {
        schema: {
          tags,
          summary: 'List the canned responses, by title',
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('ICannedResponse')) }), ...errorResponses(401, 403) },
        },
      },
      async (request) => ({ items: await responses.list(request.auth.instanceId, withDrafts(request)) }),
    );

    app.post(
      '/instance/canned-responses',
      {
        schema: {
          tags,
          summary: 'Create a canned response',
          body: CreateCannedResponse,
          response: { 201: Item, ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { user, title, ...rest } = request.body;
        const item = await responses.create(request.auth.instanceId, { title, ...rest }, actor(request, user));
        reply.code(201).header('Location', `/api/v1/instance/canned-responses/${item.id}`);
        return { item };
      },
    );

    app.get(
      '/instance/canned-responses/:id',
      {
        schema: { tags, summary: 'Get a canned response', params: IdParams, response: { 200: Item, ...errorResponses(401, 403, 404) } },
      },
      async (request) => ({ item: await responses.get(request.auth.instanceId, request.params.id, withDrafts(request)) }),
    );

    app.put(
      '/instance/canned-responses/:id',
      {
        schema: {
          tags,
          summary: 'Change a canned response (partial)',
          params: IdParams,
          body: UpdateCannedResponse,
          response: { 200: Item, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { user: _user, ...changes } = request.body;
        return { item: await responses.update(request.auth.instanceId, request.params.id, changes) };
      },
    );

    app.delete(
      '/instance/canned-responses/:id',
      {
        schema: { tags, summary: 'Delete a canned response', params: IdParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } },
      },
      async (request, reply) => {
        await responses.delete(request.auth.instanceId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.post(
      '/instance/canned-responses/:id/render',
      {
        schema: {
          tags,
          summary: 'Fill a canned response in for a ticket',
          description: `The response with its placeholders filled from the ticket and the agent (the signed-in person, or the \`user\` an instance key names; empty without one): ${PLACEHOLDERS_TEXT}. In \`body_HTML\` the values are HTML-escaped. Nothing is written: post the result as a comment. docs/api.md §16.`,
          params: IdParams,
          body: RenderCannedResponse,
          response: { 200: Type.Object({ item: Type.Ref('IRenderedCannedResponse') }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { ticketId, user } = request.body;
        return {
          item: await responses.render(request.auth.instanceId, request.params.id, String(ticketId), actor(request, user), withDrafts(request)),
        };
      },
    );
  };
