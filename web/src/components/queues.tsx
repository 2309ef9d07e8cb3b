import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { builtInQueues, formatDeskQuery, fromListParams, toListParams, type DeskQuery } from '../lib/desk-query.js';
import { useLiveEvents } from '../lib/live.js';
import { Link } from '../lib/router.js';
import type { SavedView } from '../lib/types.js';
import { Dialog, useConfirm } from './controls.js';

/** Counts are asked again this long after a ticket changed, at most (a burst of changes asks once). */
const RECOUNT_AFTER_MS = 2_000;
/** And this often anyway (changes the stream did not carry: another instance key's bulk load). */
const RECOUNT_EVERY_MS = 60_000;

/** Today in the browser's time zone, YYYY-MM-DD. */
function localToday(now = new Date()): string {
  return new Date(now.getTime() - now.getTimezoneOffset() * 60_000).toISOString().slice(0, 10);
}

/**
 * The desk's queues: the built-in ones (mine, unassigned, escalated, due today) and the saved
 * views (shared ones and the agent's own), each with its live count, and saving the view on
 * screen as a new one (docs/api.md §17).
 */
export function Queues(props: { query: DeskQuery }) {
  const { session, notify } = useApp();
  const timezone = browserTimezone();
  const builtIns = builtInQueues(session.user.email, localToday());
  const [views, setViews] = useState<SavedView[]>([]);
  const [counts, setCounts] = useState<Record<string, number | null>>({});
  const [saving, setSaving] = useState(false);
  const [confirm, confirmDialog] = useConfirm();
  const current = formatDeskQuery(props.query);
  const builtInKey = JSON.stringify(builtIns.map((q) => toListParams(q.query, timezone)));

  const recount = useCallback(async () => {
    try {
      const [saved, ...builtInCounts] = await Promise.all([
        send(client.GET('/instance/views', { params: { query: { withCounts: 'true' } } })),
        ...(JSON.parse(builtInKey) as Record<string, string>[]).map((query) => send(client.GET('/tickets/counts', { params: { query } }))),
      ]);
      setViews(saved.items);
      const next: Record<string, number | null> = {};
      builtIns.forEach((q, i) => (next[q.id] = builtInCounts[i]?.itemCount ?? null));
      for (const view of saved.items) next[view.id] = view.itemCount ?? null;
      setCounts(next);
    } catch {
      // Counts are a convenience: the queues still open without them.
    }
    // builtIns is derived from builtInKey: the counts are asked again when the queues change (a new day).
  }, [builtInKey]);

  useEffect(() => {
    void recount();
    const timer = setInterval(() => void recount(), RECOUNT_EVERY_MS);
    return () => clearInterval(timer);
  }, [recount]);

  const pending = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  useEffect(() => () => clearTimeout(pending.current), []);
  useLiveEvents((event) => {
    if (!event.type.startsWith('ticket.') || pending.current) return;
    pending.current = setTimeout(() => {
      pending.current = undefined;
      void recount();
    }, RECOUNT_AFTER_MS);
  });

  const mayChange = (view: SavedView) => !view.shared || session.role === 'admin';
  const remove = async (view: SavedView) => {
    const ok = await confirm({
      title: `Delete the view “${view.name}”?`,
      message: view.shared ? 'It is shared: it goes for everyone on the desk. The tickets stay as they are.' : 'The tickets stay as they are.',
      confirmLabel: 'Delete view',
    });
    if (!ok) return;
    try {
      await send(client.DELETE('/instance/views/{id}', { params: { path: { id: view.id } } }));
      notify(`View “${view.name}” deleted`);
      await recount();
    } catch (e) {
      notify(errorMessage(e), 'error');
    }
  };

  const count = (id: string) => {
    const n = counts[id];
    return n === undefined || n === null ? null : <span className="queue-count">{n.toLocaleString()}</span>;
  };
  const entry = (key: string, name: string, query: DeskQuery, extra?: ReactNode) => {
    const href = `/tickets${formatDeskQuery(query)}`;
    return (
      <li key={key}>
        <Link href={href} aria-current={formatDeskQuery(query) === current ? 'page' : undefined}>
          <span className="queue-name">{name}</span>
          {count(key)}
        </Link>
        {extra}
      </li>
    );
  };

  return (
    <nav className="queues" aria-label="Queues">
      <ul>
        {builtIns.map((q) => entry(q.id, q.name, q.query))}
        {views.map((view) =>
          entry(
            view.id,
            view.name,
            fromListParams(view.query).query,
            <>
              {view.shared && <span className="visually-hidden"> (shared)</span>}
              {mayChange(view) && (
                <button
                  type="button"
                  className="queue-remove"
                  aria-label={`Delete the view ${view.name}`}
                  title="Delete this view"
                  onClick={() => void remove(view)}
                >
                  ×
                </button>
              )}
            </>,
          ),
        )}
      </ul>
      <button type="button" className="link queue-save" onClick={() => setSaving(true)}>
        Save this view…
      </button>
      {saving && (
        <SaveView
          query={props.query}
          mayShare={session.role === 'admin'}
          onClose={() => setSaving(false)}
          onSaved={async (view) => {
            setSaving(false);
            notify(`View “${view.name}” saved`);
            await recount();
          }}
        />
      )}
      {confirmDialog}
    </nav>
  );
}

function SaveView(props: { query: DeskQuery; mayShare: boolean; onClose: () => void; onSaved: (view: SavedView) => Promise<void> }) {
  const [name, setName] = useState('');
  const [shared, setShared] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const { timezone: _timezone, ...query } = toListParams(props.query, browserTimezone());
  // Dates are local days: a view with dates keeps the time zone they were picked in.
  const kept = Object.keys(query).some((k) => k.endsWith('After') || k.endsWith('Before')) ? { ...query, timezone: _timezone! } : query;
  const save = async () => {
    setBusy(true);
    setError('');
    try {
      const made = await send(client.POST('/instance/views', { body: { name: name.trim(), query: kept, shared } }));
      await props.onSaved(made.item);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog open title="Save this view" onClose={props.onClose}>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void save();
        }}
      >
        <div className="field">
          <label htmlFor="view-name">Name</label>
          <input id="view-name" value={name} maxLength={100} required onChange={(e) => (setName(e.target.value), setError(''))} />
        </div>
        <p className="muted small">The desk’s filters, search and order as they are now{Object.keys(query).length === 0 ? ' (every ticket)' : ''}.</p>
        {props.mayShare && (
          <label className="check">
            <input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Share with everyone on the desk
          </label>
        )}
        {error && (
          <p className="field-error" role="alert">
            {error}
          </p>
        )}
        <div className="actions">
          <button type="submit" className="primary" disabled={busy || name.trim() === ''}>
            Save view
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
