import { useEffect, useState, type FormEvent } from 'react';
import { Field } from '../components/controls.js';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import type { Session } from '../lib/types.js';

/** The instance this browser signed in to last (or was invited to): its sign-in options come first. */
const LAST_INSTANCE = 'ticketing.instance';

/**
 * Remembers the instance of a session however it began (password, link or OpenID Connect), so
 * that after signing out, on a server with several instances, the sign-in page still offers
 * that instance's provider.
 */
export function rememberInstance(instanceId: string): void {
  localStorage.setItem(LAST_INSTANCE, instanceId);
}

/** What the server answers to a refused OpenID Connect sign-in (`/signin?error=…`), in words. */
const OIDC_ERRORS: Record<string, string> = {
  state: 'The sign-in did not come back to the browser that started it, or it took too long. Try again.',
  nonce: 'The sign-in answer was not for this sign-in. Try again.',
  expired: 'The sign-in answer had expired. Try again.',
  code: 'The sign-in provider refused to finish the sign-in. Try again.',
  provider: 'The sign-in provider could not sign you in.',
  unknown_person: 'You are not a person of this instance yet. Ask an admin to invite you.',
  disabled: 'Your account is disabled. Ask an admin of the instance.',
  not_configured: 'This instance no longer signs in with that provider.',
};

interface Methods {
  instance: { id: string; name: string } | null;
  oidc: { displayName: string; url: string } | null;
}

function Brand() {
  return (
    <div className="signin-brand" aria-hidden="true">
      <svg viewBox="0 0 32 32" width="40" height="40">
        <rect width="32" height="32" rx="7" fill="#2456c7" />
        <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#fff" />
      </svg>
    </div>
  );
}

/** Sign in with e-mail and password, or with the instance's OpenID Connect provider. */
export function SignInPage(props: { onSignedIn: (session: Session) => void; ended?: boolean }) {
  const params = new URLSearchParams(window.location.search);
  const named = params.get('instance') ?? localStorage.getItem(LAST_INSTANCE) ?? undefined;
  const [methods, setMethods] = useState<Methods | null>(null);
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState(() => OIDC_ERRORS[params.get('error') ?? ''] ?? '');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    const load = async (instance: string | undefined) => {
      try {
        setMethods(await send(client.GET('/session/methods', { params: { query: instance ? { instance } : {} } }), { quiet401: true }));
      } catch (e) {
        // A remembered instance that is gone: ask the server without it.
        if (instance && e instanceof ApiError && e.status === 404) return load(undefined);
        setMethods({ instance: null, oidc: null });
      }
    };
    void load(named);
  }, [named]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) found.email = 'An e-mail address like you@example.com';
    if (!password) found.password = 'Your password';
    setFieldErrors(found);
    setError('');
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const instance = methods?.instance?.id;
      const session = await send(client.POST('/session', { body: { email: email.trim(), password, ...(instance ? { instance } : {}) } }), { quiet401: true });
      rememberInstance(session.instance.id);
      setPassword('');
      // Back where the person was (the ticket they were on when the session ended, the link they
      // followed), without the sign-in page's own parameters; the app sends / and /signin to the desk.
      const back = new URLSearchParams(window.location.search);
      back.delete('instance');
      back.delete('error');
      window.history.replaceState(null, '', window.location.pathname + (back.size ? `?${back}` : ''));
      props.onSignedIn(session);
    } catch (e) {
      setError(e instanceof ApiError && e.status === 401 ? 'The e-mail address or the password is wrong.' : errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="card" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="signin-title">
        <Brand />
        <h1 id="signin-title">Sign in to {methods?.instance?.name ?? 'Ticketing'}</h1>
        {props.ended && !error && (
          <div className="alert" role="status">
            Your session ended. Sign in again to carry on where you were: what you were typing is kept.
          </div>
        )}
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        {methods?.oidc && (
          <>
            <a className="button primary wide" href={methods.oidc.url}>
              Sign in with {methods.oidc.displayName}
            </a>
            <p className="or muted small">or with your e-mail address and password</p>
          </>
        )}
        <Field label="E-mail address" htmlFor="signin-email" errors={fieldErrors.email ? [fieldErrors.email] : undefined} required>
          <input id="signin-email" type="email" autoComplete="username" value={email} onChange={(e) => setEmail(e.target.value)} autoFocus />
        </Field>
        <Field label="Password" htmlFor="signin-password" errors={fieldErrors.password ? [fieldErrors.password] : undefined} required>
          <input id="signin-password" type="password" autoComplete="current-password" value={password} onChange={(e) => setPassword(e.target.value)} />
        </Field>
        <button type="submit" className={methods?.oidc ? 'wide' : 'primary wide'} disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          No password yet? Open the invitation link an admin sent you. Forgot it? Ask an admin for a reset link. API docs: <a href="/api/docs">/api/docs</a>
        </p>
      </form>
    </main>
  );
}

/**
 * The page an invitation or reset link opens (`/invitation#tki_…`, `/password-reset#tki_…`): the
 * token is in the fragment, which the browser never sends to a server; it goes to the API once,
 * with the chosen password, and leaves the address bar.
 */
export function SetPasswordPage(props: { purpose: 'invitation' | 'reset'; onSignedIn: (session: Session) => void }) {
  const [token] = useState(() => window.location.hash.slice(1));
  const [password, setPassword] = useState('');
  const [again, setAgain] = useState('');
  const [error, setError] = useState(token ? '' : 'This link has no token in it: open the whole link you were given.');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    // Out of the address bar and the history, now that it is read.
    window.history.replaceState(null, '', window.location.pathname);
  }, []);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if ([...password].length < 10) found.password = 'At least 10 characters';
    else if (password !== again) found.again = 'The two passwords differ';
    setFieldErrors(found);
    setError('');
    if (Object.keys(found).length || !token) return;
    setBusy(true);
    try {
      const session = await send(client.POST('/session/password', { body: { token, password } }), { quiet401: true });
      rememberInstance(session.instance.id);
      window.history.replaceState(null, '', '/tickets');
      props.onSignedIn(session);
    } catch (e) {
      if (e instanceof ApiError && e.errors.some((x) => x.path === '/body/password')) {
        setFieldErrors({ password: e.errors.find((x) => x.path === '/body/password')!.message });
      } else {
        setError(
          e instanceof ApiError && e.status === 401
            ? 'This link does not work any more: it was used, it expired, or a newer one was made. Ask an admin for a new one.'
            : errorMessage(e),
        );
      }
    } finally {
      setBusy(false);
    }
  };

  const title = props.purpose === 'invitation' ? 'Welcome: choose your password' : 'Choose a new password';
  return (
    <main className="signin" id="main">
      <form className="card" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="setpw-title">
        <Brand />
        <h1 id="setpw-title">{title}</h1>
        <p className="muted">At least 10 characters; a few words you will remember make a good one.</p>
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        <Field label="New password" htmlFor="setpw-password" errors={fieldErrors.password ? [fieldErrors.password] : undefined} required>
          <input id="setpw-password" type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} autoFocus />
        </Field>
        <Field label="The same password again" htmlFor="setpw-again" errors={fieldErrors.again ? [fieldErrors.again] : undefined} required>
          <input id="setpw-again" type="password" autoComplete="new-password" value={again} onChange={(e) => setAgain(e.target.value)} />
        </Field>
        <button type="submit" className="primary wide" disabled={busy || !token}>
          {busy ? 'Saving…' : 'Save and sign in'}
        </button>
      </form>
    </main>
  );
}
