import { TokensPanel } from '../components/tokens-panel.js';
import { useApp } from '../lib/app-context.js';
import { formatDateTime } from '../lib/format.js';

const ROLE_TEXT = { admin: 'an admin: you change settings, keys and people', agent: 'an agent: you work tickets', viewer: 'a viewer: you read' } as const;

/** The signed-in person: who they are, their session, their personal access tokens. */
export function AccountPage() {
  const { session } = useApp();
  return (
    <div className="page narrow">
      <h1>Your account</h1>
      <p>
        <strong>{session.user.name}</strong> &lt;{session.user.email}&gt;, {ROLE_TEXT[session.role]} in {session.instance.name}.
      </p>
      <p className="muted small">
        Signed in {session.method === 'oidc' ? 'with your organisation' : 'with your password'}; this session ends by {formatDateTime(session.expiresOn)} at the
        latest, sooner after a while without use.
      </p>
      <h2>Personal access tokens</h2>
      <p className="muted">
        For scripts and integrations that act as you: they get what your role allows, and what they write carries your name. Send one as{' '}
        <code>Authorization: Bearer tkp_…</code>.
      </p>
      <TokensPanel personId="me" whose="You have" />
    </div>
  );
}
