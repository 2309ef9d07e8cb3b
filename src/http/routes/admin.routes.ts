import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { InstancesService } from '../../services/instances.service.js';
import type { KeyResolver } from '../auth.js';
import { SettingsUpdate } from '../../contract/settings.schema.js';
import { errorResponses } from '../schema-helpers.js';
import { EMAIL_MAX, LABEL_MAX, USER_NAME_MAX } from '../../domain/limits.js';
import { ROLES } from '../../domain/people.js';
import type { IssuedLink, PeopleService } from '../../services/people.service.js';
import type { FastifyRequest } from 'fastify';
import { oneOf } from '../schema-helpers.js';

const Created = Type.Object({
  item: Type.Ref('IInstance'),
  primaryKey: Type.String(),
  secondaryKey: Type.String(),
  admin: Type.Optional(
    Type.Object(
      { item: Type.Ref('IPerson'), invitation: Type.Ref('ISignInLink') },
      { description: 'The first admin, when named: hand them the invitation link' },
    ),
  ),
});
const Email = Type.String({ minLength: 3, maxLength: EMAIL_MAX, pattern: '^[^@\\s]+@[^@\\s]+$' });
const Invitee = Type.Object(
  { email: Email, name: Type.Optional(Type.String({ minLength: 1, maxLength: USER_NAME_MAX, pattern: '\\S' })) },
  { additionalProperties: false },
);
const CreateInstance = Type.Object(
  {
    ...SettingsUpdate.properties,
    id: Type.Optional(Type.String({ pattern: '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$' })),
    name: Type.String({ minLength: 1, maxLength: LABEL_MAX, pattern: '\\S' }),
    admin: Type.Optional(
      Type.Object(Invitee.properties, { additionalProperties: false, description: "The instance's first admin: the answer holds their invitation link" }),
    ),
    adminEmail: Type.Optional(
      Type.String({ minLength: 3, maxLength: EMAIL_MAX, pattern: '^[^@\\s]+@[^@\\s]+$', description: 'Same as admin.email (the CLI says --admin-email)' }),
    ),
  },
  { additionalProperties: false },
);

/** The operator API: instances across the server, behind ADMIN_TOKEN. */
export const adminRoutes =
  (deps: { instances: InstancesService; people: PeopleService; keys: KeyResolver; publicUrl?: string | undefined }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { instances } = deps;
    const linkOf = (request: FastifyRequest, link: IssuedLink) => ({
      ...link,
      url: `${(deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '')}/invitation#${link.token}`,
    });
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
        const { id, name, admin: named, adminEmail, ...patch } = request.body;
        const admin = named ?? (adminEmail ? { email: adminEmail } : undefined);
        const created = await deps.people.createInstance(instances, { ...(id ? { id } : {}), name: name.trim(), patch }, admin);
        reply.code(201);
        return {
          item: await instances.present(created.instance.id),
          primaryKey: created.primaryKey,
          secondaryKey: created.secondaryKey,
          ...(created.admin ? { admin: { item: created.admin.person, invitation: linkOf(request, created.admin.invitation) } } : {}),
        };
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
      '/admin/instances/:id/users',
      {
        schema: {
          tags: ['admin'],
          summary: 'Invite a person to an instance as the operator (e.g. an admin for an instance nobody manages)',
          security: [{ adminToken: [] }],
          params: Type.Object({ id: Type.String() }),
          body: Type.Object({ ...Invitee.properties, role: Type.Optional(oneOf(ROLES)) }, { additionalProperties: false }),
          response: { 201: Type.Object({ item: Type.Ref('IPerson'), invitation: Type.Ref('ISignInLink') }), ...errorResponses(400, 401, 404, 409) },
        },
      },
      async (request, reply) => {
        const { email, name, role } = request.body;
        const created = await deps.people.create(
          request.params.id,
          { email, name: name ?? email.trim().split('@')[0]!, role: role ?? 'admin' },
          { invite: true },
        );
        reply.code(201);
        return { item: created.person, invitation: linkOf(request, created.invitation!) };
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
