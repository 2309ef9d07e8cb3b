import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { presentCustomField } from '../../domain/custom-fields.js';
import type { KeyName } from '../../domain/instance.js';
import type { InstancesService } from '../../services/instances.service.js';
import { holdsPrimaryAuthority, type AuthContext, type KeyResolver } from '../auth.js';
import { DomainError } from '../../domain/errors.js';
import { CustomFieldCreate, CustomFieldUpdate, TagCategoryCreate, TagCategoryUpdate } from '../../contract/instance.schema.js';
import { SettingsUpdate } from '../../contract/settings.schema.js';
import { errorResponses, oneOf } from '../schema-helpers.js';

const IdParams = Type.Object({ id: Type.String() });

/** Settings an instance may read but only the operator may change (admin API, CLI). */
const OPERATOR_SETTINGS = ['enabled', 'rateLimit', 'storageQuotaBytes'] as const;

/**
 * Refuses, before anything is written, what a request may not change: the operator's settings
 * whoever asks; keyAccess with anything but the primary key or an admin (a secondary key could
 * otherwise make the primary read-only and lock its owner out); turning the instance keys off
 * or on with anything but an admin person (a key turning keys off would leave nobody to turn
 * them on; docs/api.md §14).
 */
function refuseOperatorSettings(body: Record<string, unknown>, auth: AuthContext): void {
  const errors = OPERATOR_SETTINGS.filter((name) => body[name] !== undefined).map((name) => ({ path: `/body/${name}`, message: 'is set by the operator' }));
  if (body.keyAccess !== undefined && !holdsPrimaryAuthority(auth))
    errors.push({ path: '/body/keyAccess', message: 'can only be changed with the primary key' });
  if (body.instanceKeysEnabled !== undefined && auth.person?.role !== 'admin') {
    errors.push({ path: '/body/instanceKeysEnabled', message: 'can only be changed by an admin, signed in or with a personal access token' });
  }
  if (errors.length === 0) return;
  throw new DomainError('forbidden', errors.map((e) => `${e.path.slice('/body/'.length)} ${e.message}`).join('; '), errors);
}

export const instanceRoutes =
  (deps: { instances: InstancesService; keys: KeyResolver }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { instances } = deps;
    app.get(
      '/instance',
      {
        schema: {
          tags: ['instance'],
          summary: 'The instance: settings, custom fields, assignees',
          response: { 200: Type.Object({ item: Type.Ref('IInstance') }), ...errorResponses(401) },
        },
      },
      async (request) => ({ item: await instances.present(request.auth.instanceId) }),
    );

    app.put(
      '/instance',
      {
        schema: {
          tags: ['instance'],
          summary: 'Change instance settings (partial; keyAccess merges field by field)',
          description:
            '`enabled`, `rateLimit` and `storageQuotaBytes` are set by the operator (PUT /admin/instances/{id} or the CLI): sending them here answers 403. Changing `keyAccess` needs the primary key.',
          body: SettingsUpdate,
          response: { 200: Type.Object({ item: Type.Ref('IInstance') }), ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        refuseOperatorSettings(request.body, request.auth);
        const item = await instances.updateSettings(request.auth.instanceId, request.body);
        deps.keys.forgetInstance(request.auth.instanceId);
        return { item };
      },
    );

    app.post(
      '/instance/customFields',
      {
        schema: {
          tags: ['instance'],
          summary: 'Create a custom field (an id may be given, to keep ids from another system)',
          description:
            'Takes our names (`name`, `type: "singleItemPicker"`, `required`, `deleted`) or the original product\'s (`title`, `type: "5_list"` or `{ key: "5_list" }` with `isMultiple`, `isMandatory`, `status`, option `key`), or both when they agree; a field answered by GET /instance can be posted as it is.',
          body: CustomFieldCreate,
          response: { 201: Type.Object({ item: Type.Ref('ICustomField') }), ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { user: _user, ...input } = request.body;
        const item = presentCustomField(await instances.createCustomField(request.auth.instanceId, input));
        reply.code(201);
        return { item };
      },
    );

    app.put(
      '/instance/customFields/:id',
      {
        schema: {
          tags: ['instance'],
          summary: 'Change a custom field (options left out are kept as deleted)',
          params: IdParams,
          body: CustomFieldUpdate,
          response: { 200: Type.Object({ item: Type.Ref('ICustomField') }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { user: _user, ...input } = request.body;
        return { item: presentCustomField(await instances.updateCustomField(request.auth.instanceId, request.params.id, input)) };
      },
    );

    app.delete(
      '/instance/customFields/:id',
      {
        schema: {
          tags: ['instance'],
          summary: 'Delete a custom field (soft: tickets keep their values)',
          params: IdParams,
          response: { 200: Type.Object({ item: Type.Ref('ICustomField') }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => ({ item: presentCustomField(await instances.deleteCustomField(request.auth.instanceId, request.params.id)) }),
    );

    app.post(
      '/instance/keys/:which/regenerate',
      {
        schema: {
          tags: ['instance'],
          summary: 'Regenerate the primary or secondary key; the new key is shown only in this answer',
          description: 'The primary key (or an admin) may regenerate either key, the secondary key only itself.',
          params: Type.Object({ which: oneOf(['primary', 'secondary'] as const) }),
          response: { 200: Type.Object({ key: Type.String(), which: Type.String() }), ...errorResponses(401, 403) },
        },
      },
      async (request) => {
        const which = request.params.which as KeyName;
        // The secondary key may rotate itself, never the primary: that would lock the primary's owner out.
        if (which === 'primary' && !holdsPrimaryAuthority(request.auth)) {
          throw new DomainError('forbidden', 'Only the primary key can regenerate the primary key');
        }
        const key = await instances.regenerateKey(request.auth.instanceId, which);
        deps.keys.forgetInstance(request.auth.instanceId);
        return { key, which };
      },
    );

    app.get(
      '/tags',
      {
        schema: {
          tags: ['tags'],
          summary: 'Tag categories and their tags',
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('ITagCategory')) }), ...errorResponses(401) },
        },
      },
      async (request) => ({ items: await instances.tagCategories(request.auth.instanceId) }),
    );

    app.post(
      '/tags',
      {
        schema: {
          tags: ['tags'],
          summary: 'Create a tag category',
          body: TagCategoryCreate,
          response: { 201: Type.Object({ item: Type.Ref('ITagCategory') }), ...errorResponses(400, 401, 403, 409) },
        },
      },
      async (request, reply) => {
        const { instanceId: _ignored, user: _user, ...input } = request.body;
        const item = await instances.createTagCategory(request.auth.instanceId, input);
        reply.code(201);
        return { item };
      },
    );

    app.put(
      '/tags/:id',
      {
        schema: {
          tags: ['tags'],
          summary: 'Change a tag category (tags replace the list)',
          params: IdParams,
          body: TagCategoryUpdate,
          response: { 200: Type.Object({ item: Type.Ref('ITagCategory') }), ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const { instanceId: _ignored, id: _id, user: _user, ...input } = request.body;
        return { item: await instances.updateTagCategory(request.auth.instanceId, request.params.id, input) };
      },
    );

    app.delete(
      '/tags/:id',
      {
        schema: {
          tags: ['tags'],
          summary: 'Delete a tag category (soft: tickets keep their tags)',
          params: IdParams,
          response: { 200: Type.Object({ item: Type.Ref('ITagCategory') }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => ({ item: await instances.deleteTagCategory(request.auth.instanceId, request.params.id) }),
    );
  };
