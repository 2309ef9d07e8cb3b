import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { hashSecret } from '../../domain/keys.js';
import type { InstancesService } from '../../services/instances.service.js';
import { readSession, SESSION_COOKIE, type KeyResolver, type SessionData } from '../auth.js';
import { sendProblem } from '../errors.js';
import { errorResponses } from '../schema-helpers.js';

const SessionInfo = Type.Object({
  instance: Type.Object({ id: Type.String(), name: Type.String() }),
  user: Type.Ref('IUser'),
  which: Type.String(),
  access: Type.String(),
});

/*
 * The web app's sign-in: an instance key plus who the person is, exchanged for an HttpOnly,
 * SameSite=Strict cookie, so no script ever holds the key. The cookie is signed and carries
 * the key's hash: regenerating the key ends every session made with it.
 */
export const sessionRoutes =
  (deps: { keys: KeyResolver; instances: InstancesService; secureCookies: boolean }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies, signed: true };

    app.post(
      '/session',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign in to the web app with an instance key',
          security: [],
          body: Type.Object(
            {
              key: Type.String({ minLength: 1, maxLength: 200 }),
              user: Type.Object(
                { id: Type.Optional(Type.String({ minLength: 1 })), name: Type.String({ minLength: 1, pattern: '\\S' }), email: Type.String({ minLength: 3, pattern: '^[^@\\s]+@[^@\\s]+$' }) },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: SessionInfo, ...errorResponses(400, 401) },
        },
      },
      async (request, reply) => {
        const keyHash = hashSecret(request.body.key.trim());
        const context = await deps.keys.resolveHash(keyHash);
        if (!context) return sendProblem(reply, 'unauthorized', 'The API key is not valid');
        const { name, email } = request.body.user;
        const user = { id: request.body.user.id ?? email.trim().toLowerCase(), name: name.trim(), email: email.trim() };
        const session: SessionData = { keyHash, user };
        reply.setCookie(SESSION_COOKIE, JSON.stringify(session), { ...cookieOptions, maxAge: 60 * 60 * 24 * 14 });
        const instance = await deps.instances.get(context.instanceId);
        return { instance: { id: instance.id, name: instance.name }, user, which: context.which, access: context.access };
      },
    );

    app.get(
      '/session',
      { schema: { tags: ['session'], summary: 'Who is signed in', security: [], response: { 200: SessionInfo, ...errorResponses(401) } } },
      async (request, reply) => {
        const session = readSession(request);
        const context = session && (await deps.keys.resolveHash(session.keyHash));
        if (!session || !context) return sendProblem(reply, 'unauthorized', 'Not signed in');
        const instance = await deps.instances.get(context.instanceId);
        return { instance: { id: instance.id, name: instance.name }, user: session.user, which: context.which, access: context.access };
      },
    );

    app.delete(
      '/session',
      { schema: { tags: ['session'], summary: 'Sign out (answers 204)', security: [] } },
      async (_request, reply) => {
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return reply.code(204).send();
      },
    );
  };
