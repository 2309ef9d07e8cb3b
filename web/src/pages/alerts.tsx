import { useCallback, useEffect, useState } from 'react';
import { Spinner } from '../components/controls.js';
import { client, errorMessage, send } from '../lib/api.js';
import { ALERT_LABELS, alertLabel, alertTicketTitle, alertTone } from '../lib/engine.js';
import { formatDateTime, formatRelative, formatUser } from '../lib/format.js';
import { Link, useLocation } from '../lib/router.js';
import type { AlertEvent, User } from '../lib/types.js';
import { ALERT_TYPES, deliverySummary } from '../lib/webhooks.js';

/** The two views of the overview: the queue's numbers, and the alerts the engine wrote. */
export function OverviewTabs() {
  const { path } = useLocation();
  const tabs = [
    ['/overview', 'Queue'],
    ['/overview/alerts', 'Alerts'],
  ] as const;
  return (
    <nav className="tabs" aria-label="Overview views">
      <ul>
        {tabs.map(([href, label]) => (
          <li key={href}>
            <Link href={href} aria-current={path.replace(/\/+$/, '') === href ? 'page' : undefined}>
              {label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}

const LIMITS = [50, 200, 500];

/** GET /instance/events, the engine's alerts only: SLA breaches, idle tickets and due-date alerts, newest first, with how their webhook deliveries went. */
export function AlertsPage() {
  const [items, setItems] = useState<AlertEvent[] | null>(null);
  const [error, setError] = useState('');
  const [type, setType] = useState('');
  const [limit, setLimit] = useState(50);
  const [loading, setLoading] = useState(false);
  const [now, setNow] = useState(() => Date.now());

  const load = useCallback(async () => {
    setLoading(true);
    setError('');
    try {
      const query = { limit: String(limit), order: 'DESC', type: ALERT_TYPES.join(',') };
      setItems((await send(client.GET('/instance/events', { params: { query } }))).items);
      setNow(Date.now());
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoading(false);
    }
  }, [limit]);
  useEffect(() => {
    void load();
  }, [load]);

  const shown = (items ?? []).filter((e) => !type || e.type === type);
  const types = [...new Set([...Object.keys(ALERT_LABELS), ...(items ?? []).map((e) => e.type)])];
  return (
    <div className="page alerts-page">
      <h1>Overview</h1>
      <OverviewTabs />
      <section className="card" aria-labelledby="alerts-title">
        <div className="alerts-head">
          <h2 id="alerts-title">Alerts</h2>
          <div className="alerts-controls">
            <div className="filter">
              <label htmlFor="al-type">Show</label>
              <select id="al-type" value={type} onChange={(e) => setType(e.target.value)}>
                <option value="">All alerts</option>
                {types.map((t) => (
                  <option key={t} value={t}>
                    {alertLabel(t)}
                  </option>
                ))}
              </select>
            </div>
            <div className="filter">
              <label htmlFor="al-limit">Most recent</label>
              <select id="al-limit" value={limit} onChange={(e) => setLimit(Number(e.target.value))}>
                {LIMITS.map((n) => (
                  <option key={n} value={n}>
                    {n}
                  </option>
                ))}
              </select>
            </div>
            <button type="button" onClick={() => void load()} disabled={loading}>
              {loading ? 'Refreshing…' : 'Refresh'}
            </button>
          </div>
        </div>
        <p className="muted small">
          Written by the help-desk engine when a ticket misses an SLA target, goes idle, or nears or passes its expected date (see{' '}
          <Link href="/settings#sla">Settings</Link>), and sent to the instance's <Link href="/settings#webhooks">webhooks</Link>. Newest first.
        </p>
        {error && (
          <div className="alert error" role="alert">
            {error}
          </div>
        )}
        {items === null ? (
          !error && <Spinner label="Loading alerts…" />
        ) : shown.length === 0 ? (
          <p className="empty">{items.length === 0 ? 'No alerts yet.' : 'No alert of this kind among the most recent ones.'}</p>
        ) : (
          <table className="data alerts">
            <caption className="visually-hidden">
              {shown.length} alert{shown.length === 1 ? '' : 's'}, newest first
            </caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Alert</th>
                <th scope="col">Ticket</th>
                <th scope="col">Details</th>
                <th scope="col">Delivery</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((e) => (
                <tr key={e.id}>
                  <td data-label="When" className="nowrap">
                    <time dateTime={e.createdOn} title={formatDateTime(e.createdOn)}>
                      {formatDateTime(e.createdOn)}
                    </time>
                    <div className="muted small">{formatRelative(e.createdOn, now)}</div>
                  </td>
                  <td data-label="Alert" className="no-label">
                    <span className={`badge alert-${alertTone(e.type)}`}>{alertLabel(e.type)}</span>
                  </td>
                  <td data-label="Ticket" className="no-label">
                    {e.ticketId !== null ? (
                      <Link href={`/tickets/${e.ticketId}`}>
                        #{e.ticketId}
                        {alertTicketTitle(e.payload) ? ` ${alertTicketTitle(e.payload)}` : ''}
                      </Link>
                    ) : (
                      <span className="muted">—</span>
                    )}
                  </td>
                  <td data-label="Details">{details(e) || <span className="muted">—</span>}</td>
                  <td data-label="Delivery" className="nowrap">
                    <Delivery event={e} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
    </div>
  );
}

/** How the alert's webhook deliveries went: delivered (when), pending (retrying), failed, or no webhook to send it to. */
function Delivery({ event }: { event: AlertEvent }) {
  const summary = deliverySummary(event);
  if (summary.tone === 'muted')
    return (
      <span className="muted">
        {summary.text} (<Link href="/settings#webhooks">webhooks</Link>)
      </span>
    );
  return (
    <span className={`delivery tone-${summary.tone}`}>
      {summary.text}
      {event.deliveredOn && <div className="muted small">{formatDateTime(event.deliveredOn)}</div>}
    </span>
  );
}

/** The useful bits of an event's payload, in words. */
function details(e: AlertEvent): string {
  const p = (e.payload ?? {}) as { dueOn?: string; reassignedTo?: User; idleSince?: string; expectedDate?: string };
  const parts: string[] = [];
  if (p.dueOn) parts.push(`was due ${formatDateTime(p.dueOn)}`);
  if (p.idleSince) parts.push(`no interaction since ${formatDateTime(p.idleSince)}`);
  if (p.expectedDate) parts.push(`expected ${formatDateTime(p.expectedDate)}`);
  if (p.reassignedTo && typeof p.reassignedTo === 'object') parts.push(`reassigned to ${formatUser(p.reassignedTo)}`);
  return parts.join('; ');
}
