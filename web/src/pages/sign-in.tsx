import { useState, type FormEvent } from 'react';
import { Field } from '../components/controls.js';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import type { Session } from '../lib/types.js';

const REMEMBER = 'ticketing.signin.who';

/** Sign in with an instance key plus who you are; the key goes to the server once and stays there. */
export function SignInPage(props: { onSignedIn: (session: Session) => void }) {
  const remembered = readRemembered();
  const [key, setKey] = useState('');
  const [name, setName] = useState(remembered.name);
  const [email, setEmail] = useState(remembered.email);
  const [error, setError] = useState('');
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string> = {};
    if (!key.trim()) found.key = 'Paste the primary or secondary key of your instance';
    if (!name.trim()) found.name = 'Your name is shown on what you change';
    if (!/^[^@\s]+@[^@\s]+$/.test(email.trim())) found.email = 'An email address like you@example.com';
    setFieldErrors(found);
    setError('');
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const session = await send(client.POST('/session', { body: { key: key.trim(), user: { name: name.trim(), email: email.trim() } } }), { quiet401: true });
      localStorage.setItem(REMEMBER, JSON.stringify({ name: name.trim(), email: email.trim() }));
      setKey('');
      props.onSignedIn(session);
    } catch (e) {
      setError(
        e instanceof ApiError && e.status === 401 ? 'That key is not valid for any instance. Check it, or ask your operator for a new one.' : errorMessage(e),
      );
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin" id="main">
      <form className="card" onSubmit={(event) => void submit(event)} noValidate aria-labelledby="signin-title">
        <div className="signin-brand" aria-hidden="true">
          <svg viewBox="0 0 32 32" width="40" height="40">
            <rect width="32" height="32" rx="7" fill="#2456c7" />
            <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#fff" />
          </svg>
        </div>
        <h1 id="signin-title">Sign in to Ticketing</h1>
        <p className="muted">
          Use one of your instance's API keys (printed when the server first started, or in Settings). Your name and email are recorded on every change you
          make.
        </p>
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        <Field label="Instance key" htmlFor="signin-key" errors={fieldErrors.key ? [fieldErrors.key] : undefined} required>
          <input
            id="signin-key"
            type="password"
            autoComplete="off"
            spellCheck={false}
            value={key}
            onChange={(e) => setKey(e.target.value)}
            placeholder="tkt_…"
            autoFocus
          />
        </Field>
        <Field label="Your name" htmlFor="signin-name" errors={fieldErrors.name ? [fieldErrors.name] : undefined} required>
          <input id="signin-name" type="text" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Your email" htmlFor="signin-email" errors={fieldErrors.email ? [fieldErrors.email] : undefined} required>
          <input id="signin-email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <button type="submit" className="primary wide" disabled={busy}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
        <p className="muted small">
          The key is exchanged for a session cookie that scripts cannot read; it is not stored in the browser. API docs: <a href="/api/docs">/api/docs</a>
        </p>
      </form>
    </main>
  );
}

function readRemembered(): { name: string; email: string } {
  try {
    const value = JSON.parse(localStorage.getItem(REMEMBER) ?? '{}') as { name?: unknown; email?: unknown };
    return { name: typeof value.name === 'string' ? value.name : '', email: typeof value.email === 'string' ? value.email : '' };
  } catch {
    return { name: '', email: '' };
  }
}
