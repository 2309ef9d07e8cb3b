import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InstancesService } from '../../services/instances.service.js';
import type { KeyResolver } from '../auth.js';
import { SettingsUpdate } from '../../contract/settings.schema.js';
import { errorResponses } from '../schema-helpers.js';
import { LABEL_MAX } from '../../domain/limits.js';

const Created = Type.Object({ item: Type.Ref('IInstance'), primaryKey: Type.String(), secondaryKey: Type.String() });
const CreateInstance = Type.Object(
  {
    ...SettingsUpdate.properties,
    id: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })),
    name: Type.String({ minLength: 1, maxLength: LABEL_MAX, pattern: '\\S' }),
  },
  { additionalProperties: false },
);

/** The operator API: instances across the server, behind ADMIN_TOKEN. */
export const adminRoutes =
  (deps: { instances: InstancesService; keys: KeyResolver }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { instances } = deps;
    app.post(
      '/admin/instances',
      {
        schema: {
          tags: ['admin'],
          summary: 'Create an instance; its keys are shown only in this answer',
          security: [{ adminToken: [] }],
          body: CreateInstance,
          response: { 201: Created, ...errorResponses(400, 401, 409) },
        },
      },
      async (request, reply) => {
        const { id, name, ...patch } = request.body;
        const created = await instances.createWithSettings({ ...(id ? { id } : {}), name: name.trim(), patch });
        reply.code(201);
        return { item: await instances.present(created.instance.id), primaryKey: created.primaryKey, secondaryKey: created.secondaryKey };
      },
    );

    app.get(
      '/admin/instances',
      {
        schema: {
          tags: ['admin'],
          summary: 'List every instance',
          security: [{ adminToken: [] }],
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('IInstance')) }), ...errorResponses(401) },
        },
      },
      async () => ({ items: await instances.list() }),
    );

    app.put(
      '/admin/instances/:id',
      {
        schema: {
          tags: ['admin'],
          summary: "Change an instance's settings as the operator (e.g. make a read-only key writable again)",
          security: [{ adminToken: [] }],
          params: Type.Object({ id: Type.String() }),
          body: SettingsUpdate,
          response: { 200: Type.Object({ item: Type.Ref('IInstance') }), ...errorResponses(400, 401, 404) },
        },
      },
      async (request) => {
        const item = await instances.updateSettings(request.params.id, request.body);
        deps.keys.forgetInstance(request.params.id);
        return { item };
      },
    );

    app.post(
      '/admin/instances/:id/sandbox',
      {
        schema: {
          tags: ['admin'],
          summary: 'Copy an instance (settings, custom fields, tags; no tickets) into a new one with its own keys',
          security: [{ adminToken: [] }],
          params: Type.Object({ id: Type.String() }),
          body: Type.Optional(Type.Object({ name: Type.Optional(Type.String({ minLength: 1, maxLength: LABEL_MAX })) }, { additionalProperties: false })),
          response: { 201: Created, ...errorResponses(401, 404) },
        },
        // The body is optional: `POST …/sandbox` without one copies under the default name.
        preValidation: async (request) => {
          if (request.body === undefined || request.body === null) (request as { body: unknown }).body = {};
        },
      },
      async (request, reply) => {
        const created = await instances.sandbox(request.params.id, request.body?.name);
        reply.code(201);
        return { item: await instances.present(created.instance.id), primaryKey: created.primaryKey, secondaryKey: created.secondaryKey };
      },
    );
  };
