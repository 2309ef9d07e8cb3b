import { useEffect, useState } from 'react';
import { Spinner } from '../components/controls.js';
import { OverviewTabs } from './alerts.js';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { formatDeskQuery, EMPTY_QUERY, type DeskQuery } from '../lib/desk-query.js';
import { countPerDay, lastDays, niceCeiling, summarizeQueue, type QueueSummary } from '../lib/overview.js';
import { Link } from '../lib/router.js';
import { ACTIVE_STATUSES, PRIORITIES, type ListedTicket, type ListPage, type Status } from '../lib/types.js';

const DAYS = 30;
/** Each count walks the list a page (1,000 tickets) at a time, and stops after this many pages. */
const MAX_PAGES = 10;

interface Walk {
  items: ListedTicket[];
  /** More tickets matched than were walked. */
  capped: boolean;
}

async function walk(params: Record<string, string>, select: string): Promise<Walk> {
  const items: ListedTicket[] = [];
  let token: string | null | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r: ListPage = await send(
      client.GET('/tickets', {
        params: { query: { ...params, select, limit: '1000', timezone: String(browserTimezone()) }, header: token ? { continuationToken: token } : {} },
      }),
    );
    items.push(...r.items);
    token = r.continuationToken;
    if (!token) return { items, capped: false };
  }
  return { items, capped: true };
}

interface Data {
  queue: QueueSummary;
  queueCapped: boolean;
  resolved: Walk;
  closed: Walk;
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
    Promise.all([
      walk({ status: ACTIVE_STATUSES.join(',') }, 'id,status,priority,isFrtEscalated,isRtEscalated,expectedDate'),
      walk({ status: 'Resolved' }, 'id'),
      walk({ status: 'Closed' }, 'id'),
      walk({ createdAfter: since }, 'id,createdOn'),
      // A resolution updates the ticket, so every ticket resolved since `since` was updated since then.
      walk({ lastUpdateAfter: since }, 'id,lastResolutionOn'),
    ])
      .then(([active, resolved, closed, created, updated]) => {
        setData({
          queue: summarizeQueue(active.items),
          queueCapped: active.capped,
          resolved,
          closed,
          days,
          created: countPerDay(
            created.items.map((t) => t.createdOn),
            days,
          ),
          resolvedPerDay: countPerDay(
            updated.items.map((t) => t.lastResolutionOn),
            days,
          ),
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
  const plus = (capped: boolean) => (capped ? '+' : '');
  const deskLink = (patch: Partial<DeskQuery>) => `/tickets${formatDeskQuery({ ...EMPTY_QUERY, ...patch })}`;
  const statusCount = (s: Status) =>
    s === 'Resolved'
      ? `${data.resolved.items.length}${plus(data.resolved.capped)}`
      : s === 'Closed'
        ? `${data.closed.items.length}${plus(data.closed.capped)}`
        : `${data.queue.byStatus[s]}${plus(data.queueCapped)}`;
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
                <span className="stat-value">{statusCount(s)}</span>
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
              const total = Math.max(1, ...PRIORITIES.map((x) => data.queue.byPriority[x]));
              return (
                <li key={p}>
                  <Link href={deskLink({ status: ACTIVE_STATUSES, priority: [p] })} className="bar-row">
                    <span className="bar-label">{p}</span>
                    <span className="bar-track" aria-hidden="true">
                      <span className={`bar-fill priority-${p.toLowerCase()}`} style={{ width: `${(data.queue.byPriority[p] / total) * 100}%` }} />
                    </span>
                    <span className="bar-value">{data.queue.byPriority[p]}</span>
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
                <span className="stat-value">{data.queue.escalatedFrt}</span>
                <span className="stat-label">First response escalated</span>
              </Link>
            </li>
            <li className="stat warn">
              <Link href={deskLink({ status: ACTIVE_STATUSES, escalated: 'rt' })}>
                <span className="stat-value">{data.queue.escalatedRt}</span>
                <span className="stat-label">Resolution escalated</span>
              </Link>
            </li>
            <li className="stat danger">
              <Link href={deskLink({ status: ACTIVE_STATUSES, dueTo: lastDays(2)[0] })}>
                <span className="stat-value">{data.queue.overdue}</span>
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
