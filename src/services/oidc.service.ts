import * as client from 'openid-client';
import { DomainError, notFound } from '../domain/errors.js';
import type { OidcSettings } from '../domain/instance.js';
import { generateSecret, hashSecret } from '../domain/keys.js';
import { ROLES, type Person, type Role } from '../domain/people.js';
import type { Store } from '../store/db.js';
import { countInstances, findInstance, listInstances } from '../store/instances.repo.js';
import { deleteExpiredOidcFlows, insertOidcFlow, takeOidcFlow } from '../store/sessions.repo.js';
import type { PeopleService } from './people.service.js';

/** How long a sign-in at the provider may take, from our redirect to its answer. */
const FLOW_LIFETIME_MS = 10 * 60 * 1000;

/** Discovery documents are kept this long per issuer (keys rotate through the JWKS, fetched per sign-in). */
const METADATA_TTL_MS = 60 * 60 * 1000;

/** Why a sign-in with the provider was refused (the web app shows it; the log has the details). */
export type OidcRefusal = 'state' | 'nonce' | 'expired' | 'code' | 'provider' | 'unknown_person' | 'disabled' | 'not_configured';

export class OidcRefused extends Error {
  constructor(
    readonly reason: OidcRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** What a provider's answer says about the person. */
interface Claims {
  subject: string;
  email: string | undefined;
  name: string | undefined;
  role: Role | undefined;
}

/** http: issuers only on this machine (development, tests); anything else must be https. */
function isLoopback(url: URL): boolean {
  return url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
}

/**
 * The role a claim names: `admin`, `agent`, `viewer`, or a value ending in one after a dot,
 * colon or slash (`Ticketing.Admin`, as Entra ID app roles are often named); with several
 * values (a list of roles or groups), the highest.
 */
export function roleFromClaim(value: unknown): Role | undefined {
  const values = Array.isArray(value) ? value : [value];
  const named = values
    .filter((v): v is string => typeof v === 'string')
    .map((v) => v.trim().toLowerCase().split(/[.:/]/).pop()!)
    .filter((v): v is Role => (ROLES as readonly string[]).includes(v));
  return ROLES.find((role) => named.includes(role));
}

/**
 * Sign-in with the instance's OpenID Connect provider: authorization code with PKCE (S256), state
 * and nonce, via openid-client (decision 019). The code verifier, state and nonce wait in the
 * store between the redirect and the answer (any process may receive it), keyed by a random flow
 * id in a short-lived cookie; a flow is used once.
 */
export class OidcService {
  readonly now: () => string;
  private readonly metadata = new Map<string, { server: client.ServerMetadata; expires: number }>();
  constructor(private readonly deps: { store: Store; people: PeopleService; now?: () => string }) {
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  /**
   * A client configuration for the provider. Its clock follows the server's (`now`): token
   * expiry is checked against the same time as everything else (30 s tolerance).
   */
  async configuration(settings: OidcSettings): Promise<client.Configuration> {
    const issuer = new URL(settings.issuer);
    const insecure = issuer.protocol === 'http:' && isLoopback(issuer);
    const skew = Math.round((Date.parse(this.now()) - Date.now()) / 1000);
    const metadata = { client_secret: settings.clientSecret, [client.clockSkew]: skew };
    const auth = client.ClientSecretPost(settings.clientSecret);
    const cached = this.metadata.get(settings.issuer);
    let config: client.Configuration;
    if (cached && cached.expires > Date.now()) {
      config = new client.Configuration(cached.server, settings.clientId, metadata, auth);
    } else {
      config = await client.discovery(issuer, settings.clientId, metadata, auth, {
        ...(insecure ? { execute: [client.allowInsecureRequests] } : {}),
        timeout: 10,
      });
      this.metadata.set(settings.issuer, { server: config.serverMetadata(), expires: Date.now() + METADATA_TTL_MS });
    }
    if (insecure) client.allowInsecureRequests(config);
    config.timeout = 10;
    return config;
  }

  /** Checks that a provider answers discovery for these settings (before they are saved). */
  async check(settings: OidcSettings): Promise<void> {
    const issuer = URL.canParse(settings.issuer) ? new URL(settings.issuer) : undefined;
    if (!issuer || (issuer.protocol !== 'https:' && !(issuer.protocol === 'http:' && isLoopback(issuer)))) {
      throw new DomainError('validation_failed', 'issuer must be an https URL', [{ path: '/body/issuer', message: 'must be an https URL' }]);
    }
    this.metadata.delete(settings.issuer);
    try {
      const config = await this.configuration(settings);
      const server = config.serverMetadata();
      if (!server.authorization_endpoint || !server.token_endpoint) throw new Error('it names no authorization or token endpoint');
    } catch (error) {
      const message = `the provider's discovery document (${settings.issuer.replace(/\/$/, '')}/.well-known/openid-configuration) could not be read: ${(error as Error).message}`;
      throw new DomainError('validation_failed', message, [{ path: '/body/issuer', message }]);
    }
  }

  /**
   * The instance whose sign-in page this is: the one named, else the only instance of the server
   * (none when there are several: the page then signs in by e-mail across instances).
   */
  async signInInstance(instanceId: string | undefined) {
    const db = this.deps.store.db;
    if (instanceId) return findInstance(db, instanceId);
    if ((await countInstances(db)) !== 1) return undefined;
    return (await listInstances(db))[0];
  }

  /** Starts a sign-in: the provider's URL to send the browser to, and the flow id for its cookie. */
  async start(instanceId: string, returnTo: string, redirectUri: string): Promise<{ url: string; flowId: string }> {
    const instance = await findInstance(this.deps.store.db, instanceId);
    if (!instance) throw notFound('Instance');
    const settings = instance.settings.oidc;
    if (!settings) throw new DomainError('not_found', 'This instance has no OpenID Connect sign-in');
    const config = await this.configuration(settings);
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email profile',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    const flowId = generateSecret('');
    const now = this.now();
    const expiresOn = new Date(Date.parse(now) + FLOW_LIFETIME_MS).toISOString();
    // Flows are rows made by unauthenticated requests: the expired ones go as new ones come.
    await this.deps.store.dialect.transaction(this.deps.store.db, async (tx) => {
      await deleteExpiredOidcFlows(tx, now);
      await insertOidcFlow(tx, hashSecret(flowId), { instanceId, state, nonce, codeVerifier, returnTo, expiresOn }, now);
    });
    return { url: url.href, flowId };
  }

  /**
   * Finishes a sign-in with the provider's answer (`callbackUrl`: the redirect URI with the
   * answer's query). The flow is taken first, so an answer is never used twice. Throws
   * OidcRefused with the reason.
   */
  async finish(flowId: string | undefined, callbackUrl: URL): Promise<{ instanceId: string; person: Person; returnTo: string }> {
    const flow = flowId && /^[A-Za-z0-9_-]{43}$/.test(flowId) ? await takeOidcFlow(this.deps.store.db, hashSecret(flowId), this.now()) : undefined;
    if (!flow) throw new OidcRefused('state', 'no sign-in is under way in this browser (it expired, was used already, or was started elsewhere)');
    if (callbackUrl.searchParams.get('state') !== flow.state) throw new OidcRefused('state', 'the answer is not for the sign-in this browser started (state)');
    const error = callbackUrl.searchParams.get('error');
    if (error) throw new OidcRefused('provider', `the provider answered ${error}: ${callbackUrl.searchParams.get('error_description') ?? ''}`.trim());
    const instance = await findInstance(this.deps.store.db, flow.instanceId);
    const settings = instance?.settings.oidc;
    if (!settings) throw new OidcRefused('not_configured', 'the instance no longer signs in with OpenID Connect');
    let claims: Claims;
    try {
      const config = await this.configuration(settings);
      const tokens = await client.authorizationCodeGrant(config, callbackUrl, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
      });
      claims = claimsOf(tokens.claims()!, settings);
    } catch (cause) {
      throw refusalOf(cause);
    }
    const found = await this.deps.people.personForOidc(flow.instanceId, claims, settings.defaultRole);
    if ('refusal' in found) {
      throw found.refusal === 'disabled'
        ? new OidcRefused('disabled', 'this account is disabled')
        : new OidcRefused('unknown_person', `${claims.email ?? claims.subject} is not a person of this instance; ask an admin to invite you`);
    }
    return { instanceId: flow.instanceId, person: found.person, returnTo: flow.returnTo };
  }
}

function claimsOf(idToken: client.IDToken, settings: OidcSettings): Claims {
  const text = (value: unknown) => (typeof value === 'string' && value.trim() ? value.trim() : undefined);
  // Entra ID sends `email` only when the account has one set; its sign-in name
  // (preferred_username) is the address people know.
  const verified = idToken.email_verified !== false;
  const email = [verified ? text(idToken.email) : undefined, text(idToken.preferred_username)].find((v) => v && /^[^@\s]+@[^@\s]+$/.test(v));
  return {
    subject: `${idToken.iss} ${idToken.sub}`,
    email,
    name: text(idToken.name),
    role: settings.roleClaim ? roleFromClaim(idToken[settings.roleClaim]) : undefined,
  };
}

/**
 * The reason openid-client refused an answer. Its errors wrap oauth4webapi's, whose message and
 * `cause.claim` say which check failed: the whole chain is read.
 */
function refusalOf(cause: unknown): OidcRefused {
  const chain: { message?: string; error?: string; claim?: string; cause?: unknown }[] = [];
  for (let at = cause as (typeof chain)[number] | undefined; at && typeof at === 'object' && chain.length < 5; at = at.cause as (typeof chain)[number])
    chain.push(at);
  const message =
    chain
      .map((e) => e.message)
      .filter(Boolean)
      .join(': ') || String(cause);
  const claim = chain.map((e) => e.claim).find(Boolean);
  if (claim === 'nonce' || /"nonce"/.test(message)) return new OidcRefused('nonce', `the ID token is not for this sign-in (nonce): ${message}`);
  if (claim === 'exp' || /"exp"/.test(message)) return new OidcRefused('expired', `the ID token has expired: ${message}`);
  if (claim === 'state' || /\bstate\b/i.test(message)) return new OidcRefused('state', `the answer is not for this sign-in (state): ${message}`);
  if (chain.some((e) => e.error === 'invalid_grant')) return new OidcRefused('code', `the provider refused the code: ${message}`);
  return new OidcRefused('provider', `the provider's answer could not be used: ${message}`);
}
