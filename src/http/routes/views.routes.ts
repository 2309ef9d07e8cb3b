import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type, type Static } from 'typebox';
import { VIEW_PARAMETERS, type Viewer, type ViewsService } from '../../services/views.service.js';
import { errorResponses, nullable } from '../schema-helpers.js';
import type { User } from '../schemas.js';

/*
 * Saved views (docs/api.md §17): a person's own ticket listings, and the shared ones admins and
 * instance keys keep for everyone (the desk's queues).
 */

const UserRef = Type.Unsafe<Static<typeof User>>(Type.Ref('IUser'));

const ViewQuery = Type.Record(Type.String({ maxLength: 40 }), Type.String({ maxLength: 1000 }), {
  maxProperties: VIEW_PARAMETERS.length,
  description: `The parameters of GET /tickets the view lists with (any of ${VIEW_PARAMETERS.join(', ')}), as strings, e.g. { "status": "Open,Reopened", "unassigned": "true", "orderBy": "lastInteraction", "order": "DESC" }. Checked as GET /tickets checks them.`,
});

export const SavedView = Type.Object(
  {
    id: Type.String({ format: 'uuid' }),
    name: Type.String(),
    query: ViewQuery,
    shared: Type.Boolean({ description: 'true: every person of the instance sees it (admins change it); false: one person’s own' }),
    owner: nullable(Type.Object({ id: Type.String() }, { description: 'The person whose own view it is; null when shared' })),
    createdBy: nullable(UserRef),
    createdOn: Type.String(),
    lastUpdatedOn: Type.String(),
    itemCount: Type.Optional(nullable(Type.Integer({ description: 'With withCounts=true: how many tickets it lists now (null: not countable now)' }))),
  },
  { $id: 'ISavedView', description: 'A named ticket listing: GET /tickets with its query' },
);

const name = Type.String({ minLength: 1, maxLength: 100, pattern: '\\S' });
const CreateView = Type.Object(
  {
    name,
    query: ViewQuery,
    shared: Type.Optional(Type.Boolean({ description: 'Default: false for a person (their own), true for an instance key; true needs an admin' })),
    user: Type.Optional(UserRef),
  },
  { additionalProperties: false, $id: 'createSavedViewRequest' },
);
const UpdateView = Type.Object(
  { name: Type.Optional(name), query: Type.Optional(ViewQuery), shared: Type.Optional(Type.Boolean()) },
  { additionalProperties: false, $id: 'updateSavedViewRequest', description: 'The fields to change; a query replaces the old one whole' },
);

export const SAVED_VIEW_SCHEMAS = [SavedView, CreateView, UpdateView];

const IdParams = Type.Object({ id: Type.String() });
const Item = Type.Object({ item: Type.Ref('ISavedView') });

const viewerOf = (request: FastifyRequest, user?: Static<typeof User>): Viewer =>
  request.auth.person ? { person: request.auth.person } : { person: null, user: user ?? null };

export const viewsRoutes =
  (views: ViewsService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const tags = ['views'];
    app.get(
      '/instance/views',
      {
        schema: {
          tags,
          summary: 'List the shared views and your own, by name',
          querystring: Type.Object({ withCounts: Type.Optional(Type.String({ description: 'true: each view with its itemCount' })) }),
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('ISavedView')) }), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => ({
        items: await views.list(request.auth.instanceId, viewerOf(request), { withCounts: request.query.withCounts?.trim().toLowerCase() === 'true' }),
      }),
    );

    app.post(
      '/instance/views',
      { schema: { tags, summary: 'Save a view', body: CreateView, response: { 201: Item, ...errorResponses(400, 401, 403, 409) } } },
      async (request, reply) => {
        const { user, ...input } = request.body;
        const item = await views.create(request.auth.instanceId, input, viewerOf(request, user));
        reply.code(201).header('Location', `/api/v1/instance/views/${item.id}`);
        return { item };
      },
    );

    app.get(
      '/instance/views/:id',
      { schema: { tags, summary: 'Get a view', params: IdParams, response: { 200: Item, ...errorResponses(401, 403, 404) } } },
      async (request) => ({ item: await views.get(request.auth.instanceId, request.params.id, viewerOf(request)) }),
    );

    app.put(
      '/instance/views/:id',
      {
        schema: {
          tags,
          summary: 'Change a view (partial)',
          params: IdParams,
          body: UpdateView,
          response: { 200: Item, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => ({ item: await views.update(request.auth.instanceId, request.params.id, request.body, viewerOf(request)) }),
    );

    app.delete(
      '/instance/views/:id',
      { schema: { tags, summary: 'Delete a view', params: IdParams, response: { 204: Type.Null(), ...errorResponses(401, 403, 404) } } },
      async (request, reply) => {
        await views.delete(request.auth.instanceId, request.params.id, viewerOf(request));
        return reply.code(204).send(null);
      },
    );
  };
