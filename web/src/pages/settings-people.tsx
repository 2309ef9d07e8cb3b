import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { CopyField, Dialog, Field } from '../components/controls.js';
import { FormError, Section } from '../components/settings-kit.js';
import { TokensPanel } from '../components/tokens-panel.js';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { formatDateTime, formatRelative } from '../lib/format.js';
import type { Person, Role, SignInLink } from '../lib/types.js';

const ROLE_TEXT: Record<Role, string> = {
  admin: 'Admin: settings, keys and people',
  agent: 'Agent: works tickets',
  viewer: 'Viewer: reads',
};

/** Field errors of a failed call, keyed by the body field they name. */
function fieldErrors(error: unknown): Record<string, string[]> {
  if (!(error instanceof ApiError)) return {};
  const found: Record<string, string[]> = {};
  for (const e of error.errors) (found[e.path.replace(/^\/body\//, '')] ??= []).push(e.message);
  return found;
}

/** People of the instance: invite, change a role, disable, send a reset link, their tokens and sessions. */
export function PeopleSection() {
  const { members, session, reloadPeople, notify } = useApp();
  const [email, setEmail] = useState('');
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('agent');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState('');
  const [link, setLink] = useState<{ person: Person; link: SignInLink } | null>(null);
  const [tokensOf, setTokensOf] = useState<Person | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (work: () => Promise<unknown>, message: string) => {
    setError('');
    try {
      await work();
      await reloadPeople();
      notify(message);
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    }
  };

  const invite = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setError('');
    setBusy(true);
    try {
      const added = await send(client.POST('/instance/users', { body: { email: email.trim(), ...(name.trim() ? { name: name.trim() } : {}), role } }));
      setLink({ person: added.item, link: added.invitation! });
      setEmail('');
      setName('');
      await reloadPeople();
    } catch (e) {
      setErrors(fieldErrors(e));
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const issue = async (person: Person, purpose: 'invitation' | 'password-reset') => {
    setError('');
    try {
      const made = await send(client.POST(`/instance/users/{id}/${purpose}`, { params: { path: { id: person.id } } }));
      setLink({ person, link: made.item });
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <Section
      id="people"
      title="People"
      intro="Everyone who signs in to this desk. Admins change settings, keys and people; agents work tickets; viewers read. A change takes effect on the person's next click."
    >
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <ul className="rows people-rows" aria-label="People">
        {members.map((p) => (
          <li key={p.id} className="row">
            <div className="row-main">
              <strong>{p.name}</strong> <span className="muted">{p.email}</span> {p.id === session.user.id && <span className="badge">You</span>}
              {p.disabled && <span className="badge warn">Disabled</span>}
              <div className="muted small">
                {p.lastSignInOn
                  ? `Last signed in ${formatRelative(p.lastSignInOn)}`
                  : p.hasPassword || p.hasOidc
                    ? 'Never signed in'
                    : 'Invited, has not set a password'}
              </div>
            </div>
            <div className="row-actions">
              <label className="visually-hidden" htmlFor={`role-${p.id}`}>
                Role of {p.name}
              </label>
              <select
                id={`role-${p.id}`}
                value={p.role}
                onChange={(e) =>
                  void run(
                    () => send(client.PUT('/instance/users/{id}', { params: { path: { id: p.id } }, body: { role: e.target.value as Role } })),
                    `${p.name} is now ${e.target.value}`,
                  )
                }
              >
                {(['admin', 'agent', 'viewer'] as const).map((r) => (
                  <option key={r} value={r}>
                    {ROLE_TEXT[r]}
                  </option>
                ))}
              </select>
              <button
                type="button"
                onClick={() =>
                  void run(
                    () => send(client.PUT('/instance/users/{id}', { params: { path: { id: p.id } }, body: { disabled: !p.disabled } })),
                    p.disabled ? `${p.name} can sign in again` : `${p.name} is disabled and signed out`,
                  )
                }
              >
                {p.disabled ? `Enable ${p.name}` : `Disable ${p.name}`}
              </button>
              <button type="button" onClick={() => void issue(p, p.hasPassword ? 'password-reset' : 'invitation')}>
                {p.hasPassword ? `Reset link for ${p.name}` : `New invitation for ${p.name}`}
              </button>
              <button type="button" onClick={() => setTokensOf(p)}>
                Tokens of {p.name}
              </button>
            </div>
          </li>
        ))}
      </ul>
      <form onSubmit={(event) => void invite(event)} aria-label="Invite a person">
        <h3>Invite a person</h3>
        <FormError errors={errors} />
        <div className="form-columns">
          <Field label="E-mail address" htmlFor="invite-email" errors={errors.email} required>
            <input id="invite-email" type="email" value={email} onChange={(e) => setEmail(e.target.value)} required />
          </Field>
          <Field label="Name" htmlFor="invite-name" errors={errors.name}>
            <input id="invite-name" type="text" value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field label="Role" htmlFor="invite-role">
            <select id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
              {(['agent', 'viewer', 'admin'] as const).map((r) => (
                <option key={r} value={r}>
                  {ROLE_TEXT[r]}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Invite
          </button>
        </div>
      </form>
      <Dialog
        open={link !== null}
        title={link?.link.purpose === 'invitation' ? `Invitation for ${link.person.name}` : `Reset link for ${link?.person.name ?? ''}`}
        onClose={() => setLink(null)}
        wide
      >
        <p>
          Send this link to {link?.person.email}. It works once, until {formatDateTime(link?.link.expiresOn)}; with it they choose a password and are signed in.
          It is shown only now.
        </p>
        <CopyField value={link?.link.url ?? ''} label="Link" />
        <div className="actions">
          <button type="button" className="primary" onClick={() => setLink(null)}>
            Done
          </button>
        </div>
      </Dialog>
      <Dialog open={tokensOf !== null} title={`Tokens of ${tokensOf?.name ?? ''}`} onClose={() => setTokensOf(null)} wide>
        {tokensOf && <TokensPanel personId={tokensOf.id} whose={`${tokensOf.name} has`} />}
      </Dialog>
    </Section>
  );
}

interface LiveSession {
  id: string;
  user: { id: string; name: string; email: string };
  method: string;
  address: string | null;
  userAgent: string | null;
  lastSeenOn: string;
}

/** Sign-in with an OpenID Connect provider, and the sessions that are live now. */
export function SignInSection() {
  const { notify } = useApp();
  const [oidc, setOidc] = useState<{
    issuer: string;
    clientId: string;
    displayName: string;
    roleClaim: string | null;
    defaultRole: Role | null;
    redirectUri: string;
  } | null>(null);
  const [form, setForm] = useState({ issuer: '', clientId: '', clientSecret: '', displayName: '', roleClaim: '', defaultRole: '' });
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [error, setError] = useState('');
  const [sessions, setSessions] = useState<LiveSession[]>([]);
  const [busy, setBusy] = useState(false);

  const load = useCallback(async () => {
    const [settings, live] = await Promise.all([send(client.GET('/instance/oidc')), send(client.GET('/instance/sessions'))]);
    setOidc(settings.item);
    if (settings.item) {
      const item = settings.item;
      setForm({
        issuer: item.issuer,
        clientId: item.clientId,
        clientSecret: '',
        displayName: item.displayName,
        roleClaim: item.roleClaim ?? '',
        defaultRole: item.defaultRole ?? '',
      });
    }
    setSessions(live.items);
  }, []);
  useEffect(() => {
    load().catch((e) => setError(errorMessage(e)));
  }, [load]);

  const set = (name: keyof typeof form) => (value: string) => setForm((f) => ({ ...f, [name]: value }));
  const save = async (event: FormEvent) => {
    event.preventDefault();
    setErrors({});
    setError('');
    setBusy(true);
    try {
      await send(
        client.PUT('/instance/oidc', {
          body: {
            issuer: form.issuer.trim(),
            clientId: form.clientId.trim(),
            ...(form.clientSecret ? { clientSecret: form.clientSecret } : {}),
            ...(form.displayName.trim() ? { displayName: form.displayName.trim() } : {}),
            roleClaim: form.roleClaim.trim() || null,
            defaultRole: (form.defaultRole || null) as Role | null,
          },
        }),
      );
      await load();
      notify('Sign-in with OpenID Connect saved');
    } catch (e) {
      setErrors(fieldErrors(e));
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const turnOff = async () => {
    if (!window.confirm('Turn sign-in with the provider off? People who only sign in with it will need a password (a reset link).')) return;
    await send(client.DELETE('/instance/oidc'));
    setForm({ issuer: '', clientId: '', clientSecret: '', displayName: '', roleClaim: '', defaultRole: '' });
    await load();
    notify('Sign-in with OpenID Connect turned off');
  };
  const end = async (s: LiveSession) => {
    await send(client.DELETE('/instance/sessions/{id}', { params: { path: { id: s.id } } }));
    await load();
    notify(`Signed ${s.user.name} out of that browser`);
  };

  return (
    <Section
      id="sign-in"
      title="Sign-in and sessions"
      intro="People sign in with their e-mail address and password, or with your organisation's OpenID Connect provider (Microsoft Entra ID, Google, Keycloak…)."
    >
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <form onSubmit={(event) => void save(event)} aria-label="OpenID Connect provider">
        <h3>OpenID Connect provider</h3>
        <FormError errors={errors} />
        {oidc && (
          <p className="muted small">
            Register this redirect URI with the provider: <code>{oidc.redirectUri}</code>
          </p>
        )}
        <div className="form-columns">
          <Field label="Issuer" htmlFor="oidc-issuer" errors={errors.issuer} required>
            <input
              id="oidc-issuer"
              type="url"
              value={form.issuer}
              onChange={(e) => set('issuer')(e.target.value)}
              placeholder="https://login.microsoftonline.com/<tenant>/v2.0"
            />
          </Field>
          <Field label="Client id" htmlFor="oidc-client" errors={errors.clientId} required>
            <input id="oidc-client" type="text" value={form.clientId} onChange={(e) => set('clientId')(e.target.value)} />
          </Field>
          <Field label={oidc ? 'Client secret (leave empty to keep it)' : 'Client secret'} htmlFor="oidc-secret" errors={errors.clientSecret}>
            <input id="oidc-secret" type="password" autoComplete="off" value={form.clientSecret} onChange={(e) => set('clientSecret')(e.target.value)} />
          </Field>
          <Field label="Button text: Sign in with…" htmlFor="oidc-name" errors={errors.displayName}>
            <input id="oidc-name" type="text" value={form.displayName} onChange={(e) => set('displayName')(e.target.value)} placeholder="Microsoft" />
          </Field>
          <Field label="Role claim (optional)" htmlFor="oidc-claim" errors={errors.roleClaim}>
            <input id="oidc-claim" type="text" value={form.roleClaim} onChange={(e) => set('roleClaim')(e.target.value)} placeholder="roles" />
          </Field>
          <Field label="Role of newcomers" htmlFor="oidc-default">
            <select id="oidc-default" value={form.defaultRole} onChange={(e) => set('defaultRole')(e.target.value)}>
              <option value="">None: only invited people may sign in</option>
              <option value="viewer">Viewer</option>
              <option value="agent">Agent</option>
            </select>
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Checking the provider…' : 'Save provider'}
          </button>
          {oidc && (
            <button type="button" className="danger" onClick={() => void turnOff()}>
              Turn off
            </button>
          )}
        </div>
      </form>
      <h3>Signed in now</h3>
      <ul className="rows" aria-label="Live sessions">
        {sessions.map((s) => (
          <li key={s.id} className="row">
            <div className="row-main">
              <strong>{s.user.name}</strong> <span className="muted">{s.user.email}</span>
              <div className="muted small">
                {s.method === 'oidc' ? 'With the provider' : 'With a password'} · last seen {formatRelative(s.lastSeenOn)}
                {s.address ? ` · ${s.address}` : ''}
                {s.userAgent ? ` · ${s.userAgent.slice(0, 80)}` : ''}
              </div>
            </div>
            <div className="row-actions">
              <button type="button" onClick={() => void end(s)}>
                End session of {s.user.name}
              </button>
            </div>
          </li>
        ))}
      </ul>
    </Section>
  );
}
