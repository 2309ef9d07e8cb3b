import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { client, errorMessage, send } from '../lib/api.js';
import { formatDateTime } from '../lib/format.js';
import type { PersonalToken } from '../lib/types.js';
import { CopyField, Dialog, Field } from './controls.js';

/**
 * A person's personal access tokens: make one (shown once), see them, revoke one. `personId` is
 * `me` for the signed-in person's own.
 */
export function TokensPanel(props: { personId: string; whose: string }) {
  const [tokens, setTokens] = useState<PersonalToken[] | null>(null);
  const [name, setName] = useState('');
  const [access, setAccess] = useState<'readWrite' | 'readOnly'>('readWrite');
  const [expires, setExpires] = useState('');
  const [shown, setShown] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const path = { id: props.personId };

  const load = useCallback(async () => {
    try {
      setTokens((await send(client.GET('/instance/users/{id}/tokens', { params: { path: { id: props.personId } } }))).items);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [props.personId]);
  useEffect(() => void load(), [load]);

  const create = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const made = await send(
        client.POST('/instance/users/{id}/tokens', {
          params: { path },
          body: { name: name.trim() || undefined, access, expiresOn: expires ? new Date(`${expires}T23:59:59`).toISOString() : null },
        }),
      );
      setShown(made.token);
      setName('');
      setExpires('');
      await load();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const revoke = async (token: PersonalToken) => {
    if (!window.confirm(`Revoke “${token.name}”? Scripts using it stop at once.`)) return;
    setError('');
    try {
      await send(client.DELETE('/instance/users/{id}/tokens/{tokenId}', { params: { path: { id: props.personId, tokenId: token.id } } }));
      await load();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div className="tokens">
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      {tokens && tokens.length === 0 && <p className="muted">{props.whose} no tokens.</p>}
      {tokens && tokens.length > 0 && (
        <ul className="rows" aria-label="Personal access tokens">
          {tokens.map((t) => (
            <li key={t.id} className="row">
              <div className="row-main">
                <strong>{t.name}</strong> <span className="badge">{t.access === 'readOnly' ? 'Read-only' : 'Read and write'}</span>
                <div className="muted small">
                  Made {formatDateTime(t.createdOn)} · {t.expiresOn ? `expires ${formatDateTime(t.expiresOn)}` : 'does not expire'}
                </div>
              </div>
              <div className="row-actions">
                <button type="button" className="danger" onClick={() => void revoke(t)}>
                  Revoke {t.name}
                </button>
              </div>
            </li>
          ))}
        </ul>
      )}
      <form onSubmit={(event) => void create(event)} className="token-form" aria-label="New personal access token">
        <div className="form-columns">
          <Field label="What is it for?" htmlFor={`token-name-${props.personId}`}>
            <input id={`token-name-${props.personId}`} type="text" value={name} onChange={(e) => setName(e.target.value)} placeholder="Nightly export" />
          </Field>
          <Field label="Access" htmlFor={`token-access-${props.personId}`}>
            <select id={`token-access-${props.personId}`} value={access} onChange={(e) => setAccess(e.target.value as 'readWrite' | 'readOnly')}>
              <option value="readWrite">Read and write</option>
              <option value="readOnly">Read-only</option>
            </select>
          </Field>
          <Field label="Expires (optional)" htmlFor={`token-expires-${props.personId}`}>
            <input id={`token-expires-${props.personId}`} type="date" value={expires} onChange={(e) => setExpires(e.target.value)} />
          </Field>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Make a token
          </button>
        </div>
      </form>
      <Dialog open={shown !== ''} title="Your new token" onClose={() => setShown('')} wide>
        <p>
          <strong>Copy it now.</strong> It is shown only this once. Use it like an API key: <code>Authorization: Bearer …</code>. Requests with it act as the
          person, with their role.
        </p>
        <CopyField value={shown} label="New token" />
        <div className="actions">
          <button type="button" className="primary" onClick={() => setShown('')}>
            I have saved it
          </button>
        </div>
      </Dialog>
    </div>
  );
}
