import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { DomainError } from '../../domain/errors.js';
import { EMAIL_MAX, LABEL_MAX, USER_NAME_MAX } from '../../domain/limits.js';
import { ROLES, type LinkPurpose } from '../../domain/people.js';
import type { InstancesService } from '../../services/instances.service.js';
import type { OidcService } from '../../services/oidc.service.js';
import type { IssuedLink, PeopleService } from '../../services/people.service.js';
import type { SessionsService } from '../../services/sessions.service.js';
import { errorResponses, nullable, oneOf } from '../schema-helpers.js';

export const PersonSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    email: Type.String(),
    role: oneOf(ROLES),
    disabled: Type.Boolean(),
    hasPassword: Type.Boolean({ description: 'A password is set (an invited person has none until they accept)' }),
    hasOidc: Type.Boolean({ description: "They have signed in with the instance's OpenID Connect provider" }),
    createdOn: Type.String(),
    lastSignInOn: nullable(Type.String({ description: 'Their last sign-in to the web app' })),
  },
  { $id: 'IPerson', description: 'A person of the instance (docs/api.md §14). As the `user` of what they write: `{ id, name, email }`.' },
);

export const LinkSchema = Type.Object(
  {
    purpose: oneOf(['invitation', 'reset'] as const),
    url: Type.String({ description: 'The link to hand to the person: it opens the web app, where they choose a password' }),
    token: Type.String({ description: 'The secret in the link (tki_…), for POST /session/password; shown only now' }),
    expiresOn: Type.String(),
  },
  { $id: 'ISignInLink' },
);

const TokenSchema = Type.Object(
  {
    id: Type.String(),
    personId: Type.String(),
    name: Type.String(),
    access: oneOf(['readWrite', 'readOnly'] as const),
    createdOn: Type.String(),
    expiresOn: nullable(Type.String()),
  },
  { $id: 'IPersonalToken' },
);

const Email = Type.String({ minLength: 3, maxLength: EMAIL_MAX, pattern: '^[^@\\s]+@[^@\\s]+$' });
const Name = Type.String({ minLength: 1, maxLength: USER_NAME_MAX, pattern: '\\S' });
const PersonId = Type.String({
  pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$',
  description: 'Letters, digits, dots, dashes and underscores (a UUID in practice); generated when left out',
});

const PersonCreate = Type.Object(
  {
    id: Type.Optional(PersonId),
    name: Type.Optional(Name),
    email: Email,
    role: Type.Optional(oneOf(ROLES)),
    disabled: Type.Optional(Type.Boolean()),
    invite: Type.Optional(Type.Boolean({ description: 'Make an invitation link (default true); false for people who sign in only with OpenID Connect' })),
  },
  { additionalProperties: false },
);

const PersonUpdate = Type.Object(
  {
    id: Type.Optional(Type.String({ description: 'Ignored (the id is in the path)' })),
    name: Type.Optional(Name),
    email: Type.Optional(Email),
    role: Type.Optional(oneOf(ROLES)),
    disabled: Type.Optional(Type.Boolean({ description: 'true ends their sessions and stops their tokens at once' })),
  },
  { additionalProperties: false },
);

const TokenCreate = Type.Object(
  {
    name: Type.Optional(Type.String({ maxLength: LABEL_MAX, description: 'What the token is for' })),
    access: Type.Optional(oneOf(['readWrite', 'readOnly'] as const)),
    expiresOn: Type.Optional(nullable(Type.String({ format: 'date-time', description: 'ISO 8601; absent or null: until revoked' }))),
  },
  { additionalProperties: false },
);

const OidcView = Type.Object(
  {
    issuer: Type.String(),
    clientId: Type.String(),
    hasClientSecret: Type.Boolean({ description: 'The secret is never shown' }),
    displayName: Type.String(),
    roleClaim: nullable(Type.String()),
    defaultRole: nullable(oneOf(ROLES)),
    redirectUri: Type.String({ description: 'Register this with the provider' }),
  },
  { $id: 'IOidcSettings' },
);

const OidcUpdate = Type.Object(
  {
    issuer: Type.String({ minLength: 8, maxLength: 500, description: 'e.g. https://login.microsoftonline.com/<tenant>/v2.0' }),
    clientId: Type.String({ minLength: 1, maxLength: 500 }),
    clientSecret: Type.Optional(Type.String({ minLength: 1, maxLength: 2000, description: 'Required the first time; left out, the stored one is kept' })),
    displayName: Type.Optional(Type.String({ minLength: 1, maxLength: LABEL_MAX, description: 'Shown as "Sign in with <displayName>"' })),
    roleClaim: Type.Optional(
      nullable(Type.String({ minLength: 1, maxLength: 100, description: 'An ID token claim naming admin, agent or viewer (e.g. roles)' })),
    ),
    defaultRole: Type.Optional(nullable(oneOf(ROLES))),
  },
  { additionalProperties: false },
);

const IdParams = Type.Object({ id: Type.String() });

/** `me` in a path is the person acting (a session or personal token). */
function personIdOf(request: FastifyRequest, id: string): string {
  if (id !== 'me') return id;
  if (!request.auth.person) throw new DomainError('not_found', '"me" is the person of a session or personal token; an instance key is no person');
  return request.auth.person.id;
}

/** A person manages their own tokens; an admin (or an instance key, which the reference makes all-powerful) anyone's. */
function refuseOthersTokens(request: FastifyRequest, personId: string): void {
  const person = request.auth.person;
  if (person && person.id !== personId && person.role !== 'admin') throw new DomainError('forbidden', "Only an admin manages another person's tokens");
}

/** The people of an instance, their links and tokens, sessions and the OpenID Connect settings (docs/api.md §14). */
export const peopleRoutes =
  (deps: {
    people: PeopleService;
    sessions: SessionsService;
    oidc: OidcService;
    instances: InstancesService;
    publicUrl?: string | undefined;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { people } = deps;
    const baseUrl = (request: FastifyRequest) => (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    const linkOf = (request: FastifyRequest, link: IssuedLink) => ({
      ...link,
      url: `${baseUrl(request)}/${link.purpose === 'invitation' ? 'invitation' : 'password-reset'}#${link.token}`,
    });

    app.get(
      '/instance/users',
      {
        schema: {
          tags: ['people'],
          summary: 'The people of the instance',
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('IPerson')) }), ...errorResponses(401, 403) },
        },
      },
      async (request) => ({ items: await people.list(request.auth.instanceId) }),
    );

    app.post(
      '/instance/users',
      {
        schema: {
          tags: ['people'],
          summary: 'Add a person; answers an invitation link to set their password',
          body: PersonCreate,
          response: {
            201: Type.Object({ item: Type.Ref('IPerson'), invitation: Type.Optional(Type.Ref('ISignInLink')) }),
            ...errorResponses(400, 401, 403, 409),
          },
        },
      },
      async (request, reply) => {
        const { invite, name, ...input } = request.body;
        const created = await people.create(
          request.auth.instanceId,
          { ...input, name: name ?? input.email.trim().split('@')[0]!, role: input.role ?? 'agent' },
          { invite: invite ?? true },
        );
        reply.code(201).header('Location', `/api/v1/instance/users/${encodeURIComponent(created.person.id)}`);
        return { item: created.person, ...(created.invitation ? { invitation: linkOf(request, created.invitation) } : {}) };
      },
    );

    app.get(
      '/instance/users/:id',
      {
        schema: {
          tags: ['people'],
          summary: 'One person (`me`: the person of the session or token)',
          params: IdParams,
          response: { 200: Type.Object({ item: Type.Ref('IPerson') }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => ({ item: await people.get(request.auth.instanceId, personIdOf(request, request.params.id)) }),
    );

    app.put(
      '/instance/users/:id',
      {
        schema: {
          tags: ['people'],
          summary: 'Change a person: name, e-mail, role, disabled (takes effect on their next request)',
          params: IdParams,
          body: PersonUpdate,
          response: { 200: Type.Object({ item: Type.Ref('IPerson') }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request) => {
        const { id: _ignored, ...changes } = request.body;
        return { item: await people.update(request.auth.instanceId, personIdOf(request, request.params.id), changes) };
      },
    );

    app.delete(
      '/instance/users/:id',
      {
        schema: {
          tags: ['people'],
          summary: 'Remove a person with their sessions, tokens and links (answers 204; tickets keep their name)',
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        await people.remove(request.auth.instanceId, personIdOf(request, request.params.id));
        return reply.code(204).send(null);
      },
    );

    for (const [path, purpose, summary] of [
      ['/instance/users/:id/invitation', 'invitation', 'A new invitation link (earlier links of the person stop working)'],
      ['/instance/users/:id/password-reset', 'reset', 'A password-reset link, valid one day (earlier links of the person stop working)'],
    ] as const) {
      app.post(
        path,
        {
          schema: {
            tags: ['people'],
            summary,
            params: IdParams,
            response: { 201: Type.Object({ item: Type.Ref('ISignInLink') }), ...errorResponses(401, 403, 404, 409) },
          },
        },
        async (request, reply) => {
          const link = await people.issueLink(request.auth.instanceId, personIdOf(request, request.params.id), purpose satisfies LinkPurpose);
          reply.code(201);
          return { item: linkOf(request, link) };
        },
      );
    }

    app.get(
      '/instance/users/:id/tokens',
      {
        schema: {
          tags: ['people'],
          summary: "A person's personal access tokens (never their secrets)",
          params: IdParams,
          response: { 200: Type.Object({ items: Type.Array(Type.Ref('IPersonalToken')) }), ...errorResponses(401, 403, 404) },
        },
      },
      async (request) => {
        const personId = personIdOf(request, request.params.id);
        refuseOthersTokens(request, personId);
        return { items: await people.listTokens(request.auth.instanceId, personId) };
      },
    );

    app.post(
      '/instance/users/:id/tokens',
      {
        schema: {
          tags: ['people'],
          summary: 'Make a personal access token: requests with it act as the person; the token is shown only in this answer',
          description:
            "Use it like a key (`Authorization: Bearer tkp_…`, `X-API-Key` or `?key=`). `readOnly` tokens only read; either way the person's role decides, as it is at each request.",
          params: IdParams,
          body: TokenCreate,
          response: { 201: Type.Object({ item: Type.Ref('IPersonalToken'), token: Type.String() }), ...errorResponses(400, 401, 403, 404, 409) },
        },
      },
      async (request, reply) => {
        const personId = personIdOf(request, request.params.id);
        refuseOthersTokens(request, personId);
        const { name, access, expiresOn } = request.body;
        const created = await people.createToken(request.auth.instanceId, personId, {
          ...(name !== undefined ? { name } : {}),
          access: access ?? 'readWrite',
          expiresOn: expiresOn ? new Date(expiresOn).toISOString() : null,
        });
        reply.code(201);
        return created;
      },
    );

    app.delete(
      '/instance/users/:id/tokens/:tokenId',
      {
        schema: {
          tags: ['people'],
          summary: 'Revoke a personal access token (answers 204; it stops at once)',
          params: Type.Object({ id: Type.String(), tokenId: Type.String() }),
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const personId = personIdOf(request, request.params.id);
        refuseOthersTokens(request, personId);
        await people.revokeToken(request.auth.instanceId, personId, request.params.tokenId);
        return reply.code(204).send(null);
      },
    );

    app.get(
      '/instance/sessions',
      {
        schema: {
          tags: ['people'],
          summary: 'The web sessions that are live now, most recently used first',
          response: {
            200: Type.Object({
              items: Type.Array(
                Type.Object({
                  id: Type.String(),
                  user: Type.Ref('IUser'),
                  method: oneOf(['password', 'oidc', 'link'] as const),
                  address: nullable(Type.String()),
                  userAgent: nullable(Type.String()),
                  createdOn: Type.String(),
                  lastSeenOn: Type.String({ description: 'Within a minute' }),
                  expiresOn: Type.String(),
                }),
              ),
            }),
            ...errorResponses(401, 403),
          },
        },
      },
      async (request) => ({ items: await deps.sessions.list(request.auth.instanceId) }),
    );

    app.delete(
      '/instance/sessions/:id',
      {
        schema: {
          tags: ['people'],
          summary: 'End a web session (answers 204; it ends at once)',
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        await deps.sessions.revoke(request.auth.instanceId, request.params.id);
        return reply.code(204).send(null);
      },
    );

    app.delete(
      '/instance/users/:id/sessions',
      {
        schema: {
          tags: ['people'],
          summary: 'End every web session of a person (answers 204; their tokens are not touched)',
          params: IdParams,
          response: { 204: Type.Null(), ...errorResponses(401, 403, 404) },
        },
      },
      async (request, reply) => {
        const personId = personIdOf(request, request.params.id);
        await people.get(request.auth.instanceId, personId);
        await deps.sessions.endAll(request.auth.instanceId, personId);
        return reply.code(204).send(null);
      },
    );

    const presentOidc = async (request: FastifyRequest) => {
      const instance = await deps.instances.get(request.auth.instanceId);
      const oidc = instance.settings.oidc;
      if (!oidc) return { item: null };
      const { clientSecret, ...shown } = oidc;
      return { item: { ...shown, hasClientSecret: clientSecret !== '', redirectUri: `${baseUrl(request)}/api/v1/session/oidc/callback` } };
    };
    const OidcItem = Type.Object({ item: Type.Union([Type.Ref('IOidcSettings'), Type.Null()]) });

    app.get(
      '/instance/oidc',
      {
        schema: {
          tags: ['people'],
          summary: 'Sign-in with OpenID Connect: the settings (never the client secret)',
          response: { 200: OidcItem, ...errorResponses(401, 403) },
        },
      },
      async (request) => presentOidc(request),
    );

    app.put(
      '/instance/oidc',
      {
        schema: {
          tags: ['people'],
          summary: 'Set up sign-in with an OpenID Connect provider (Microsoft Entra ID, Google, Keycloak…)',
          description:
            'The provider must answer discovery at `<issuer>/.well-known/openid-configuration` (400 otherwise). Register the `redirectUri` of the answer with it. `roleClaim` names an ID token claim holding admin, agent or viewer; `defaultRole` is the role of someone the provider vouches for who is not a person of the instance yet (null: only invited people may sign in).',
          body: OidcUpdate,
          response: { 200: OidcItem, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const current = (await deps.instances.get(request.auth.instanceId)).settings.oidc;
        const body = request.body;
        const clientSecret =
          body.clientSecret ?? (current && current.issuer === body.issuer && current.clientId === body.clientId ? current.clientSecret : undefined);
        if (!clientSecret) {
          throw new DomainError('validation_failed', 'clientSecret is required for a new provider or client', [
            { path: '/body/clientSecret', message: 'is required' },
          ]);
        }
        const next = {
          issuer: body.issuer.trim(),
          clientId: body.clientId.trim(),
          clientSecret,
          displayName: body.displayName?.trim() || current?.displayName || 'your organisation',
          roleClaim: body.roleClaim === undefined ? (current?.roleClaim ?? null) : body.roleClaim,
          defaultRole: body.defaultRole === undefined ? (current?.defaultRole ?? null) : body.defaultRole,
        };
        await deps.oidc.check(next);
        await deps.instances.setOidc(request.auth.instanceId, next);
        return presentOidc(request);
      },
    );

    app.delete(
      '/instance/oidc',
      {
        schema: {
          tags: ['people'],
          summary: 'Turn sign-in with OpenID Connect off (people keep their accounts; sessions live on)',
          response: { 200: OidcItem, ...errorResponses(401, 403) },
        },
      },
      async (request) => {
        await deps.instances.setOidc(request.auth.instanceId, null);
        return { item: null };
      },
    );
  };

export const PEOPLE_SCHEMAS = [PersonSchema, LinkSchema, TokenSchema, OidcView];
