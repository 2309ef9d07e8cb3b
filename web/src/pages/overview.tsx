import { useEffect, useState } from 'react';
import { Spinner } from '../components/controls.js';
import { OverviewTabs } from './alerts.js';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { formatDeskQuery, EMPTY_QUERY, type DeskQuery } from '../lib/desk-query.js';
import { countsByKey, countsPerDay, lastDays, niceCeiling } from '../lib/overview.js';
import { Link } from '../lib/router.js';
import { ACTIVE_STATUSES, PRIORITIES, STATUSES, type Priority, type Status, type TicketCounts } from '../lib/types.js';

const DAYS = 30;

/** GET /tickets/counts: how many tickets match, exactly, counted by the server (docs/api.md §7). */
function count(query: Record<string, string>): Promise<TicketCounts> {
  return send(client.GET('/tickets/counts', { params: { query: { ...query, timezone: String(browserTimezone()) } } }));
}

interface Data {
  byStatus: Record<Status, number>;
  /** Active tickets (Open, Reopened, Started) by priority. */
  byPriority: Record<Priority, number>;
  escalatedFrt: number;
  escalatedRt: number;
  overdue: number;
  days: string[];
  created: number[];
  resolvedPerDay: number[];
}

/** Overview: the queue by status and priority, escalations, overdue work, and 30 days of flow. */
export function OverviewPage() {
  const [data, setData] = useState<Data | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const days = lastDays(DAYS);
    const since = days[0]!;
    const active = { isResolved: 'false' };
    Promise.all([
      count({ groupBy: 'status' }),
      count({ ...active, groupBy: 'priority' }),
      count({ ...active, isFrtEscalated: 'true' }),
      count({ ...active, isRtEscalated: 'true' }),
      count({ ...active, expectedDateBefore: new Date().toISOString() }),
      count({ createdAfter: since, groupBy: 'createdOn' }),
      // A resolution updates the ticket, so every ticket resolved since `since` was updated since then.
      count({ lastUpdateAfter: since, groupBy: 'lastResolutionOn' }),
    ])
      .then(([status, priority, frt, rt, overdue, created, resolved]) => {
        setData({
          byStatus: countsByKey(STATUSES, status.groups),
          byPriority: countsByKey(PRIORITIES, priority.groups),
          escalatedFrt: frt.itemCount,
          escalatedRt: rt.itemCount,
          overdue: overdue.itemCount,
          days,
          created: countsPerDay(days, created.groups),
          resolvedPerDay: countsPerDay(days, resolved.groups),
        });
      })
      .catch((e) => setError(errorMessage(e)));
  }, []);

  if (error)
    return (
      <div className="page">
        <h1>Overview</h1>
        <OverviewTabs />
        <div className="alert error" role="alert">
          {error}
        </div>
      </div>
    );
  if (!data)
    return (
      <div className="page">
        <h1>Overview</h1>
        <OverviewTabs />
        <Spinner label="Counting tickets…" />
      </div>
    );
  const deskLink = (patch: Partial<DeskQuery>) => `/tickets${formatDeskQuery({ ...EMPTY_QUERY, ...patch })}`;
  return (
    <div className="page overview">
      <h1>Overview</h1>
      <OverviewTabs />
      <section aria-labelledby="ov-status">
        <h2 id="ov-status">Tickets by status</h2>
        <ul className="stats">
          {(['Open', 'Reopened', 'Started', 'Resolved', 'Closed'] as Status[]).map((s) => (
            <li key={s} className={`stat status-${s.toLowerCase()}`}>
              <Link href={deskLink({ status: [s] })}>
                <span className="stat-value">{data.byStatus[s].toLocaleString()}</span>
                <span className="stat-label">{s}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
      <div className="overview-grid">
        <section aria-labelledby="ov-priority" className="card">
          <h2 id="ov-priority">Active tickets by priority</h2>
          <ul className="bars">
            {[...PRIORITIES].reverse().map((p) => {
              const total = Math.max(1, ...PRIORITIES.map((x) => data.byPriority[x]));
              return (
                <li key={p}>
                  <Link href={deskLink({ status: ACTIVE_STATUSES, priority: [p] })} className="bar-row">
                    <span className="bar-label">{p}</span>
                    <span className="bar-track" aria-hidden="true">
                      <span className={`bar-fill priority-${p.toLowerCase()}`} style={{ width: `${(data.byPriority[p] / total) * 100}%` }} />
                    </span>
                    <span className="bar-value">{data.byPriority[p].toLocaleString()}</span>
                  </Link>
                </li>
              );
            })}
          </ul>
        </section>
        <section aria-labelledby="ov-attention" className="card">
          <h2 id="ov-attention">Needs attention</h2>
          <ul className="stats compact">
            <li className="stat warn">
              <Link href={deskLink({ status: ACTIVE_STATUSES, escalated: 'frt' })}>
                <span className="stat-value">{data.escalatedFrt.toLocaleString()}</span>
                <span className="stat-label">First response escalated</span>
              </Link>
            </li>
            <li className="stat warn">
              <Link href={deskLink({ status: ACTIVE_STATUSES, escalated: 'rt' })}>
                <span className="stat-value">{data.escalatedRt.toLocaleString()}</span>
                <span className="stat-label">Resolution escalated</span>
              </Link>
            </li>
            <li className="stat danger">
              <Link href={deskLink({ status: ACTIVE_STATUSES, dueTo: lastDays(2)[0] })}>
                <span className="stat-value">{data.overdue.toLocaleString()}</span>
                <span className="stat-label">Overdue</span>
              </Link>
            </li>
          </ul>
          <p className="muted small">Active tickets (Open, Reopened, Started) that escalated, or whose expected date has passed.</p>
        </section>
      </div>
      <section aria-labelledby="ov-flow" className="card">
        <h2 id="ov-flow">Created and resolved per day, last {DAYS} days</h2>
        <FlowChart days={data.days} created={data.created} resolved={data.resolvedPerDay} />
      </section>
    </div>
  );
}

/** A small grouped bar chart in inline SVG, with a table behind it for screen readers. */
function FlowChart({ days, created, resolved }: { days: string[]; created: number[]; resolved: number[] }) {
  const width = 1000;
  const height = 240;
  const pad = { left: 34, right: 8, top: 10, bottom: 28 };
  const max = niceCeiling(Math.max(1, ...created, ...resolved));
  const slot = (width - pad.left - pad.right) / days.length;
  const bar = Math.max(2, slot / 2 - 2);
  const y = (n: number) => pad.top + (height - pad.top - pad.bottom) * (1 - n / max);
  const totalCreated = created.reduce((a, b) => a + b, 0);
  const totalResolved = resolved.reduce((a, b) => a + b, 0);
  return (
    <figure className="chart">
      <div className="legend" aria-hidden="true">
        <span className="key created" /> Created ({totalCreated}) <span className="key resolved" /> Resolved ({totalResolved})
      </div>
      <svg
        viewBox={`0 0 ${width} ${height}`}
        role="img"
        aria-label={`Bar chart: ${totalCreated} tickets created and ${totalResolved} resolved over the last ${days.length} days`}
      >
        {[0, max / 2, max].map((tick) => (
          <g key={tick}>
            <line x1={pad.left} x2={width - pad.right} y1={y(tick)} y2={y(tick)} className="grid" />
            <text x={pad.left - 6} y={y(tick) + 4} textAnchor="end" className="axis">
              {Number.isInteger(tick) ? tick : ''}
            </text>
          </g>
        ))}
        {days.map((day, i) => {
          const x = pad.left + i * slot + 1;
          return (
            <g key={day}>
              <title>{`${day}: ${created[i]} created, ${resolved[i]} resolved`}</title>
              <rect x={x} y={y(created[i]!)} width={bar} height={y(0) - y(created[i]!)} className="created" />
              <rect x={x + bar + 1} y={y(resolved[i]!)} width={bar} height={y(0) - y(resolved[i]!)} className="resolved" />
              {i % 5 === 4 || i === days.length - 1 ? (
                <text x={x + bar} y={height - 8} textAnchor="middle" className="axis">
                  {day.slice(5)}
                </text>
              ) : null}
            </g>
          );
        })}
      </svg>
      <details>
        <summary>Show as a table</summary>
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Day</th>
              <th scope="col">Created</th>
              <th scope="col">Resolved</th>
            </tr>
          </thead>
          <tbody>
            {days.map((d, i) => (
              <tr key={d}>
                <td>{d}</td>
                <td>{created[i]}</td>
                <td>{resolved[i]}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
