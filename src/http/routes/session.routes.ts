import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { EMAIL_MAX, USER_ID_MAX, USER_NAME_MAX } from '../../domain/limits.js';
import { hashSecret } from '../../domain/keys.js';
import type { InstancesService } from '../../services/instances.service.js';
import { SESSION_LIFETIME_MS, type SessionsService } from '../../services/sessions.service.js';
import { readSession, refuseDisabled, resolveSession, SESSION_COOKIE, type KeyResolver, type RateLimitHooks } from '../auth.js';
import { sendProblem } from '../errors.js';
import { errorResponses, oneOf } from '../schema-helpers.js';

const SessionInfo = Type.Object({
  instance: Type.Object({ id: Type.String(), name: Type.String() }),
  user: Type.Ref('IUser'),
  which: oneOf(['primary', 'secondary'] as const),
  access: oneOf(['readWrite', 'readOnly'] as const),
});

/*
 * The web app's sign-in: an instance key plus who the person is, exchanged for an HttpOnly,
 * SameSite=Strict cookie, so no script ever holds the key. The cookie holds a random session
 * id; the session lives in the store (docs/decisions/013-server-side-sessions.md) and ends on
 * sign-out, on regeneration of the key it was made with, or after 14 days.
 */
export const sessionRoutes =
  (deps: {
    keys: KeyResolver;
    instances: InstancesService;
    sessions: SessionsService;
    secureCookies: boolean;
    rateLimit?: RateLimitHooks;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies };

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
                {
                  id: Type.Optional(Type.String({ minLength: 1, maxLength: USER_ID_MAX })),
                  name: Type.String({ minLength: 1, maxLength: USER_NAME_MAX, pattern: '\\S' }),
                  email: Type.String({ minLength: 3, maxLength: EMAIL_MAX, pattern: '^[^@\\s]+@[^@\\s]+$' }),
                },
                { additionalProperties: false },
              ),
            },
            { additionalProperties: false },
          ),
          response: { 200: SessionInfo, ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        // Guessing keys here shares the address's budget of failed authentications with the API.
        if (deps.rateLimit && (await deps.rateLimit.refuseBlockedAddress(request, reply))) return reply;
        const keyHash = hashSecret(request.body.key.trim());
        const context = await deps.keys.resolveHash(keyHash);
        if (!context) {
          if (deps.rateLimit && (await deps.rateLimit.countAuthFailure(request, reply))) return reply;
          return sendProblem(reply, 'unauthorized', 'The API key is not valid');
        }
        if (refuseDisabled(context, reply)) return reply;
        const { name, email } = request.body.user;
        const user = { id: request.body.user.id ?? email.trim().toLowerCase(), name: name.trim(), email: email.trim() };
        const session = await deps.sessions.create({ instanceId: context.instanceId, which: context.which, keyHash, user });
        reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOptions, maxAge: SESSION_LIFETIME_MS / 1000 });
        const instance = await deps.instances.get(context.instanceId);
        return { instance: { id: instance.id, name: instance.name }, user, which: context.which, access: context.access };
      },
    );

    app.get(
      '/session',
      { schema: { tags: ['session'], summary: 'Who is signed in', security: [], response: { 200: SessionInfo, ...errorResponses(401, 403) } } },
      async (request, reply) => {
        const session = await readSession(request, deps.sessions);
        const context = await resolveSession(session, deps.keys);
        if (!session || !context) return sendProblem(reply, 'unauthorized', 'Not signed in');
        if (refuseDisabled(context, reply)) return reply;
        const instance = await deps.instances.get(context.instanceId);
        return { instance: { id: instance.id, name: instance.name }, user: session.user, which: context.which, access: context.access };
      },
    );

    app.delete('/session', { schema: { tags: ['session'], summary: 'Sign out: ends the session (answers 204)', security: [] } }, async (request, reply) => {
      const id = request.cookies?.[SESSION_COOKIE];
      if (id) await deps.sessions.end(id);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(204).send();
    });
  };
