import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { EMAIL_MAX } from '../../domain/limits.js';
import { asUser, emailKey, PASSWORD_MAX, ROLES, type Person } from '../../domain/people.js';
import { OidcRefused, type OidcService } from '../../services/oidc.service.js';
import type { PeopleService } from '../../services/people.service.js';
import type { SessionsService, SignInMethod } from '../../services/sessions.service.js';
import { readSession, refuseDisabled, sessionContext, SESSION_COOKIE, type KeyResolver, type RateLimitHooks } from '../auth.js';
import { sendProblem } from '../errors.js';
import { errorResponses, oneOf } from '../schema-helpers.js';

const SessionInfo = Type.Object(
  {
    instance: Type.Object({ id: Type.String(), name: Type.String() }),
    user: Type.Ref('IUser'),
    role: oneOf(ROLES),
    method: oneOf(['password', 'oidc', 'link'] as const),
    expiresOn: Type.String({ description: 'The absolute end of the session; it ends sooner after SESSION_IDLE_MINUTES without a request' }),
  },
  { $id: 'ISession' },
);

/** The cookie that binds an OpenID Connect sign-in to the browser that started it. */
const OIDC_COOKIE = 'ticketing_oidc';
const OIDC_PATH = '/api/v1/session/oidc';

/** Where to go after signing in: a path of the web app, never another site. */
function safeReturnPath(value: unknown): string {
  return typeof value === 'string' && /^\/(?![/\\])[^\s]*$/.test(value) && value.length <= 500 ? value : '/tickets';
}

/*
 * Signing in to the web app as a person (docs/api.md §11, decision 019): e-mail and password,
 * an invitation or reset link, or the instance's OpenID Connect provider. Each gives an
 * HttpOnly, SameSite=Strict cookie naming a session kept in the store.
 */
export const sessionRoutes =
  (deps: {
    keys: KeyResolver;
    people: PeopleService;
    sessions: SessionsService;
    oidc: OidcService;
    secureCookies: boolean;
    /** PUBLIC_URL; without it, links and the OIDC redirect URI use the request's own host. */
    publicUrl?: string | undefined;
    rateLimit?: RateLimitHooks | undefined;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    const cookieOptions = { path: '/', httpOnly: true, sameSite: 'strict' as const, secure: deps.secureCookies };
    const baseUrl = (request: FastifyRequest) => (deps.publicUrl ?? `${request.protocol}://${request.host}`).replace(/\/+$/, '');
    const redirectUri = (request: FastifyRequest) => `${baseUrl(request)}${OIDC_PATH}/callback`;

    /** Starts a session for a person who just proved who they are; answers what GET /session answers. */
    const signIn = async (request: FastifyRequest, reply: FastifyReply, instanceId: string, person: Person, method: SignInMethod) => {
      const flags = await deps.keys.instanceFlags(instanceId);
      if (!flags || refuseDisabled(flags, reply)) return reply;
      const userAgent = request.headers['user-agent'];
      const session = await deps.sessions.create({
        instanceId,
        personId: person.id,
        method,
        address: request.ip,
        userAgent: typeof userAgent === 'string' ? userAgent.slice(0, 300) : null,
      });
      reply.setCookie(SESSION_COOKIE, session.id, { ...cookieOptions, maxAge: deps.sessions.timeouts.absoluteMs / 1000 });
      const instance = await deps.oidc.signInInstance(instanceId);
      return { instance: { id: instanceId, name: instance?.name ?? '' }, user: asUser(person), role: person.role, method, expiresOn: session.expiresOn };
    };

    app.post(
      '/session',
      {
        schema: {
          tags: ['session'],
          summary: 'Sign in to the web app with e-mail and password',
          description:
            'Sets the session cookie. A wrong address and a wrong password answer the same 401, in the same time. Failures are limited per client address and per account (429). Without `instance`, the address is looked up in every instance.',
          security: [],
          body: Type.Object(
            {
              email: Type.String({ minLength: 3, maxLength: EMAIL_MAX }),
              password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }),
              instance: Type.Optional(Type.String({ maxLength: 100, description: 'The instance id, when the address is a person in several instances' })),
            },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('ISession'), ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        const { email, password, instance } = request.body;
        const account = emailKey(email);
        // Past either limit even the right password is refused, so guessing can't tell right from wrong.
        if (deps.rateLimit && (await deps.rateLimit.refuseBlockedAddress(request, reply))) return reply;
        if (deps.rateLimit && (await deps.rateLimit.refuseBlockedAccount(account, reply))) return reply;
        const result = await deps.people.checkPassword(email, password, instance?.trim() || undefined);
        if (!result.ok) {
          if (result.refusal === 'wrong') {
            if (deps.rateLimit && ((await deps.rateLimit.countAccountFailure(account, reply)) || (await deps.rateLimit.countAuthFailure(request, reply))))
              return reply;
            return sendProblem(reply, 'unauthorized', 'The e-mail address or the password is wrong');
          }
          if (result.refusal === 'disabled') return sendProblem(reply, 'forbidden', 'This account is disabled; ask an admin of the instance');
          return sendProblem(reply, 'validation_failed', 'This address and password open several instances: name one', [
            { path: '/body/instance', message: 'is required: the address is a person in several instances' },
          ]);
        }
        await deps.people.recordSignIn(result.instanceId, result.person.id);
        return signIn(request, reply, result.instanceId, result.person, 'password');
      },
    );

    app.post(
      '/session/password',
      {
        schema: {
          tags: ['session'],
          summary: 'Set a password with an invitation or reset link, and sign in',
          description: 'The link (`tki_…`, from the invitation or reset URL) works once and expires; only its hash is stored.',
          security: [],
          body: Type.Object(
            { token: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: PASSWORD_MAX }) },
            { additionalProperties: false },
          ),
          response: { 200: Type.Ref('ISession'), ...errorResponses(400, 401, 403, 429) },
        },
      },
      async (request, reply) => {
        if (deps.rateLimit && (await deps.rateLimit.refuseBlockedAddress(request, reply))) return reply;
        try {
          const { instanceId, person } = await deps.people.setPasswordWithLink(request.body.token, request.body.password);
          return await signIn(request, reply, instanceId, person, 'link');
        } catch (error) {
          // Guessing links shares the address's budget of failed authentications.
          if ((error as { code?: string }).code === 'unauthorized' && deps.rateLimit && (await deps.rateLimit.countAuthFailure(request, reply))) return reply;
          throw error;
        }
      },
    );

    app.get(
      '/session',
      {
        schema: { tags: ['session'], summary: 'Who is signed in', security: [], response: { 200: Type.Ref('ISession'), ...errorResponses(401, 403) } },
      },
      async (request, reply) => {
        const session = await readSession(request, deps.sessions);
        const context = await sessionContext(session, deps.keys);
        if (!session || !context?.person) return sendProblem(reply, 'unauthorized', 'Not signed in');
        if (refuseDisabled(context, reply)) return reply;
        const instance = await deps.oidc.signInInstance(context.instanceId);
        return {
          instance: { id: context.instanceId, name: instance?.name ?? '' },
          user: asUser(context.person),
          role: context.person.role,
          method: session.method,
          expiresOn: session.expiresOn,
        };
      },
    );

    app.delete('/session', { schema: { tags: ['session'], summary: 'Sign out: ends the session (answers 204)', security: [] } }, async (request, reply) => {
      const id = request.cookies?.[SESSION_COOKIE];
      if (id) await deps.sessions.end(id);
      reply.clearCookie(SESSION_COOKIE, cookieOptions);
      return reply.code(204).send();
    });

    app.get(
      '/session/methods',
      {
        schema: {
          tags: ['session'],
          summary: "How to sign in to an instance: the sign-in page's options",
          description:
            "Without `instance`: the server's only instance, if it has one; with several, `instance` is null and password sign-in looks the address up in every instance.",
          security: [],
          querystring: Type.Object({ instance: Type.Optional(Type.String({ maxLength: 100 })) }),
          response: {
            200: Type.Object({
              instance: Type.Union([Type.Object({ id: Type.String(), name: Type.String() }), Type.Null()]),
              password: Type.Boolean(),
              oidc: Type.Union([
                Type.Object({ displayName: Type.String(), url: Type.String({ description: 'Send the browser here to sign in' }) }),
                Type.Null(),
              ]),
            }),
            ...errorResponses(400, 404),
          },
        },
      },
      async (request, reply) => {
        const named = request.query.instance?.trim() || undefined;
        const instance = await deps.oidc.signInInstance(named);
        if (named && !instance) return sendProblem(reply, 'not_found', 'Instance not found');
        const oidc = instance?.settings.oidc;
        return {
          instance: instance ? { id: instance.id, name: instance.name } : null,
          password: true,
          oidc: instance && oidc ? { displayName: oidc.displayName, url: `${OIDC_PATH}/start?instance=${encodeURIComponent(instance.id)}` } : null,
        };
      },
    );

    app.get(
      '/session/oidc/start',
      {
        schema: {
          tags: ['session'],
          summary: "Sign in with the instance's OpenID Connect provider: redirects the browser there",
          security: [],
          querystring: Type.Object({
            instance: Type.String({ minLength: 1, maxLength: 100 }),
            returnTo: Type.Optional(Type.String({ maxLength: 500, description: 'A path of the web app to land on afterwards' })),
          }),
          response: { 302: Type.Null(), ...errorResponses(400, 404) },
        },
      },
      async (request, reply) => {
        const { url, flowId } = await deps.oidc.start(request.query.instance, safeReturnPath(request.query.returnTo), redirectUri(request));
        // Lax, not Strict: the provider sends the browser back with a cross-site navigation.
        reply.setCookie(OIDC_COOKIE, flowId, { path: OIDC_PATH, httpOnly: true, sameSite: 'lax', secure: deps.secureCookies, maxAge: 600 });
        return reply.redirect(url, 302);
      },
    );

    app.get(
      '/session/oidc/callback',
      {
        schema: {
          tags: ['session'],
          summary: "The provider's answer (the redirect URI to register with it)",
          description:
            'Checks the state, exchanges the code with the PKCE verifier, checks the ID token (signature, issuer, audience, expiry, nonce), then starts a session and redirects to the web app; on refusal, to `/signin?error=<reason>`.',
          security: [],
          querystring: Type.Object({}, { additionalProperties: true }),
          response: { 303: Type.Null() },
        },
      },
      async (request, reply) => {
        const flowId = request.cookies?.[OIDC_COOKIE];
        reply.clearCookie(OIDC_COOKIE, { path: OIDC_PATH });
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
        try {
          const { instanceId, person, returnTo } = await deps.oidc.finish(flowId, new URL(`${redirectUri(request)}${query}`));
          await signIn(request, reply, instanceId, person, 'oidc');
          if (reply.sent) return reply;
          return reply.redirect(returnTo, 303);
        } catch (error) {
          if (!(error instanceof OidcRefused)) throw error;
          request.log.warn({ reason: error.reason, detail: error.message }, 'OpenID Connect sign-in refused');
          if (deps.rateLimit && (await deps.rateLimit.countAuthFailure(request, reply))) return reply;
          return reply.redirect(`/signin?error=${error.reason}`, 303);
        }
      },
    );
  };

export const SESSION_SCHEMAS = [SessionInfo];
