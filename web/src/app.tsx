import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Spinner } from './components/controls.js';
import { client, errorMessage, send, setUnauthorizedHandler } from './lib/api.js';
import { AppContext, useApp, type AppState } from './lib/app-context.js';
import { uniquePeople } from './lib/format.js';
import { Link, navigate, useLocation } from './lib/router.js';
import { SHORTCUTS, useShortcuts } from './lib/shortcuts.js';
import type { Instance, Person, Session, TagCategory } from './lib/types.js';
import { AccountPage } from './pages/account.js';
import { AlertsPage } from './pages/alerts.js';
import { DeskPage } from './pages/desk.js';
import { NewTicketPage } from './pages/new-ticket.js';
import { OverviewPage } from './pages/overview.js';
import { SettingsPage } from './pages/settings.js';
import { rememberInstance, SetPasswordPage, SignInPage } from './pages/sign-in.js';
import { TicketPage } from './pages/ticket.js';

/** How many notices show at once; older ones give way. */
const MAX_TOASTS = 3;

interface Toast {
  id: number;
  message: string;
  kind: 'ok' | 'error';
}

export function App() {
  const [session, setSession] = useState<Session | null | undefined>(undefined);
  const [instance, setInstance] = useState<Instance | null>(null);
  const [tagCategories, setTagCategories] = useState<TagCategory[]>([]);
  const [members, setMembers] = useState<Person[]>([]);
  const [loadError, setLoadError] = useState('');
  const [toasts, setToasts] = useState<Toast[]>([]);
  const toastId = useRef(0);

  const dismiss = useCallback((id: number) => setToasts((t) => t.filter((x) => x.id !== id)), []);
  // A success goes by itself; an error stays until dismissed, so it can be read. Only the newest
  // few are kept: a burst of saves must not cover the page.
  const notify = useCallback(
    (message: string, kind: 'ok' | 'error' = 'ok') => {
      const id = ++toastId.current;
      setToasts((t) => [...t, { id, message, kind }].slice(-MAX_TOASTS));
      if (kind === 'ok') setTimeout(() => dismiss(id), 5000);
    },
    [dismiss],
  );

  const reloadInstance = useCallback(async () => setInstance((await send(client.GET('/instance'))).item), []);
  const reloadTags = useCallback(async () => setTagCategories((await send(client.GET('/tags'))).items), []);
  const reloadPeople = useCallback(async () => setMembers((await send(client.GET('/instance/users'))).items), []);

  // Set when the API said the session ended under the person's feet (not on a first visit):
  // the sign-in page says so, and signing in comes back to the same page.
  const [ended, setEnded] = useState(false);
  const signedIn = useRef(false);
  useEffect(() => {
    signedIn.current = !!session;
  }, [session]);

  useEffect(() => {
    setUnauthorizedHandler(() => {
      if (signedIn.current) setEnded(true);
      setSession(null);
    });
    send(client.GET('/session'), { quiet401: true })
      .then(setSession)
      .catch(() => setSession(null));
    return () => setUnauthorizedHandler(undefined);
  }, []);

  useEffect(() => {
    if (session) rememberInstance(session.instance.id);
  }, [session]);

  useEffect(() => {
    if (!session) {
      setInstance(null);
      return;
    }
    setLoadError('');
    Promise.all([reloadInstance(), reloadTags(), reloadPeople()]).catch((error) => setLoadError(errorMessage(error)));
  }, [session, reloadInstance, reloadTags, reloadPeople]);

  const state = useMemo<AppState | null>(() => {
    if (!session || !instance) return null;
    // Who tickets can go to: the instance's agents and admins ("Assign to me" works for each), then configured people.
    const agents = members.filter((m) => !m.disabled && m.role !== 'viewer').map(({ id, name, email }) => ({ id, name, email }));
    const people = uniquePeople([session.user, ...agents, ...(instance.assignees?.peoples ?? []), ...instance.idleTicketAssignedTo]);
    return { session, instance, tagCategories, people, members, reloadInstance, reloadTags, reloadPeople, setSession, notify };
  }, [session, instance, tagCategories, members, reloadInstance, reloadTags, reloadPeople, notify]);

  const toastRegion = (
    <div className="toasts" aria-live="polite">
      {toasts.map((t) => (
        <div key={t.id} className={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span className="toast-text">{t.message}</span>
          <button type="button" className="toast-dismiss" aria-label={`Dismiss: ${t.message}`} onClick={() => dismiss(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );

  const path = window.location.pathname;
  if (path === '/invitation' || path === '/password-reset') {
    return <SetPasswordPage purpose={path === '/invitation' ? 'invitation' : 'reset'} onSignedIn={setSession} />;
  }
  if (session === undefined) return <Spinner />;
  if (session === null) {
    return (
      <SignInPage
        ended={ended}
        onSignedIn={(next) => {
          setEnded(false);
          setSession(next);
        }}
      />
    );
  }
  if (!state) {
    return loadError ? (
      <main className="page narrow">
        <div className="alert error" role="alert">
          {loadError}
        </div>
        <button type="button" onClick={() => setSession({ ...session })}>
          Try again
        </button>
      </main>
    ) : (
      <Spinner />
    );
  }
  return (
    <AppContext.Provider value={state}>
      <Shell />
      {toastRegion}
    </AppContext.Provider>
  );
}

const NAV = [
  { href: '/tickets', label: 'Desk', least: 'viewer' },
  { href: '/tickets/new', label: 'New ticket', least: 'agent' },
  { href: '/overview', label: 'Overview', least: 'viewer' },
  { href: '/settings', label: 'Settings', least: 'admin' },
] as const;
const RANK = { viewer: 0, agent: 1, admin: 2 } as const;
const ROLE_LABELS = { admin: 'Admin', agent: 'Agent', viewer: 'Viewer' } as const;

function Shell() {
  const { path } = useLocation();
  const app = useApp();
  useEffect(() => {
    if (path === '/' || path === '/signin' || path === '/index.html' || path === '/invitation' || path === '/password-reset')
      navigate('/tickets', { replace: true });
  }, [path]);
  const signOut = async () => {
    try {
      await send(client.DELETE('/session'));
    } finally {
      // Signing in again (maybe as someone else) starts at the desk, not on this page.
      window.history.replaceState(null, '', '/');
      app.setSession(null);
    }
  };
  const current = (href: string) => (href === '/tickets' ? path === '/tickets' : path.startsWith(href));
  return (
    <>
      <a className="skip" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link href="/tickets" className="brand" aria-label={`Ticketing: ${app.instance.name}`}>
          <svg viewBox="0 0 32 32" width="24" height="24" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path d="M8 11h16v3a2 2 0 0 0 0 4v3H8v-3a2 2 0 0 0 0-4z" fill="#fff" />
          </svg>
          <span>{app.instance.name}</span>
        </Link>
        <nav aria-label="Main">
          <ul>
            {NAV.filter((n) => RANK[app.session.role] >= RANK[n.least]).map((n) => (
              <li key={n.href}>
                <Link href={n.href} aria-current={current(n.href) ? 'page' : undefined}>
                  {n.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="me">
          <Link
            href="/account"
            className="me-name"
            title={`${app.session.user.email} · ${ROLE_LABELS[app.session.role]}`}
            aria-label={`Your account: ${app.session.user.name}, ${ROLE_LABELS[app.session.role]}`}
          >
            {app.session.user.name} <span className="badge">{ROLE_LABELS[app.session.role]}</span>
          </Link>
          <button type="button" className="link" onClick={() => void signOut()}>
            Sign out
          </button>
        </div>
      </header>
      {app.session.role === 'viewer' && (
        <div className="banner" role="note">
          You are a viewer: you can look, but changes will be refused. An admin can change your role.
        </div>
      )}
      <main id="main" tabIndex={-1}>
        <Route path={path} />
      </main>
      <ShortcutsDialog />
    </>
  );
}

/**
 * `?` lists the keyboard shortcuts. A modal <dialog> makes the rest of the page inert (the focus
 * stays inside), closes on Escape and gives the focus back to where it was.
 */
function ShortcutsDialog() {
  const dialog = useRef<HTMLDialogElement>(null);
  useShortcuts({
    '?': (event) => {
      event.preventDefault();
      if (!dialog.current?.open) dialog.current?.showModal();
    },
  });
  return (
    <dialog
      ref={dialog}
      className="shortcuts"
      aria-labelledby="shortcuts-title"
      onKeyDown={(event) => {
        // Tab cycles inside: a modal dialog alone would let it leave for the browser's own controls.
        if (event.key !== 'Tab') return;
        const focusable = [...event.currentTarget.querySelectorAll<HTMLElement>('a[href], button:not(:disabled), input, select, textarea, [tabindex="0"]')];
        const at = focusable.indexOf(document.activeElement as HTMLElement);
        const next = event.shiftKey ? (at <= 0 ? focusable.length - 1 : at - 1) : at === focusable.length - 1 ? 0 : at + 1;
        event.preventDefault();
        focusable[next]?.focus();
      }}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      {SHORTCUTS.map((group) => (
        <section key={group.page} aria-label={group.page}>
          <h3>{group.page}</h3>
          <dl>
            {group.keys.map((k) => (
              <div key={k.key}>
                <dt>
                  <kbd>{k.key}</kbd>
                </dt>
                <dd>{k.does}</dd>
              </div>
            ))}
          </dl>
        </section>
      ))}
      <p className="muted small">Shortcuts are off while you type in a field.</p>
      <form method="dialog">
        <button type="submit" autoFocus>
          Close
        </button>
      </form>
    </dialog>
  );
}

function Route({ path: raw }: { path: string }) {
  const path = raw.length > 1 ? raw.replace(/\/+$/, '') : raw;
  if (path === '/tickets' || path === '/' || path === '/signin') return <DeskPage />;
  if (path === '/tickets/new') return <NewTicketPage />;
  const ticket = /^\/tickets\/([^/]+)$/.exec(path);
  if (ticket) return <TicketPage key={ticket[1]} id={decodeURIComponent(ticket[1]!)} />;
  if (path === '/overview') return <OverviewPage />;
  if (path === '/overview/alerts') return <AlertsPage />;
  if (path === '/settings') return <AdminOnly />;
  if (path === '/account') return <AccountPage />;
  return (
    <div className="page narrow">
      <h1>Not found</h1>
      <p>
        There is no page at <code>{path}</code>. <Link href="/tickets">Go to the desk</Link>.
      </p>
    </div>
  );
}

/** Settings are the admins'; others are told so rather than shown forms the server would refuse. */
function AdminOnly() {
  const { session } = useApp();
  if (session.role === 'admin') return <SettingsPage />;
  return (
    <div className="page narrow">
      <h1>Settings</h1>
      <p>
        Only admins change the settings. Your own tokens are in <Link href="/account">your account</Link>.
      </p>
    </div>
  );
}
