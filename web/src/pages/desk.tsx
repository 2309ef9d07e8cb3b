import { memo, useCallback, useEffect, useRef, useState } from 'react';
import { EscalationBadges, PriorityBadge, Spinner, StatusBadge, TagChip } from '../components/controls.js';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import {
  activeFilterCount,
  effectiveOrder,
  EMPTY_QUERY,
  formatDeskQuery,
  parseDeskQuery,
  sortBy,
  toListParams,
  type DeskQuery,
  type OrderName,
} from '../lib/desk-query.js';
import { formatShortDate, formatRelative } from '../lib/format.js';
import { Link, navigate, useLocation } from '../lib/router.js';
import { useLiveDesk } from '../components/live.js';
import { PRIORITIES, STATUSES, type ListedTicket, type TagCategory } from '../lib/types.js';

const PAGE_SIZE = 50;
const SELECT =
  'id,ticketId,title,status,priority,requestorName,requestorEmail,assigneeName,assigneeEmail,expectedDate,createdOn,lastInteraction,tags,isFrtEscalated,isRtEscalated';

/** The desk: every ticket of the instance, filtered, searched and sorted, with the view in the URL. */
export function DeskPage() {
  const { search } = useLocation();
  const query = parseDeskQuery(search);
  const listParams = toListParams(query, browserTimezone());
  const listKey = JSON.stringify(listParams);
  const [items, setItems] = useState<ListedTicket[]>([]);
  const [token, setToken] = useState<string | null>(null);
  /** How many tickets match the view, over all pages (the listing's itemCount). */
  const [total, setTotal] = useState<number | null>(null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [filtersOpen, setFiltersOpen] = useState(false);
  const generation = useRef(0);
  const loadingRef = useRef(false);
  const sentinel = useRef<HTMLDivElement>(null);

  const update = (next: DeskQuery, replace = false) => navigate(`/tickets${formatDeskQuery(next)}`, { replace });

  const fetchPage = useCallback(
    async (continuationToken: string | null) => {
      const mine = generation.current;
      loadingRef.current = true;
      setLoading(true);
      setError('');
      try {
        const page = await send(
          client.GET('/tickets', {
            params: {
              query: { ...(JSON.parse(listKey) as Record<string, string>), select: SELECT, limit: String(PAGE_SIZE) },
              header: continuationToken ? { continuationToken } : {},
            },
          }),
        );
        if (mine !== generation.current) return;
        setItems((current) => (continuationToken ? [...current, ...page.items] : page.items));
        setToken(page.continuationToken ?? null);
        setTotal(page.itemCount);
      } catch (e) {
        if (mine === generation.current) setError(errorMessage(e));
      } finally {
        if (mine === generation.current) {
          loadingRef.current = false;
          setLoading(false);
        }
      }
    },
    [listKey],
  );

  useEffect(() => {
    generation.current += 1;
    setItems([]);
    setToken(null);
    setTotal(null);
    void fetchPage(null);
  }, [fetchPage]);

  // Infinite scroll: the next page loads when the end of the list comes near.
  useEffect(() => {
    const target = sentinel.current;
    if (!target || !token) return;
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !loadingRef.current) void fetchPage(token);
      },
      { rootMargin: '600px 0px' },
    );
    observer.observe(target);
    return () => observer.disconnect();
  }, [token, fetchPage]);

  const liveNote = useLiveDesk({
    items,
    setItems,
    select: SELECT,
    onShowNew: () => {
      generation.current += 1;
      void fetchPage(null);
    },
  });

  const filters = activeFilterCount(query);
  return (
    <div className="page desk">
      <div className="desk-head">
        <h1>Desk</h1>
        {total !== null && (
          <span className="desk-total muted" aria-live="polite">
            {total.toLocaleString()} ticket{total === 1 ? '' : 's'}
          </span>
        )}
        <SearchBox value={query.search} onSearch={(text) => update({ ...query, search: text }, true)} />
        <button type="button" className="filters-toggle" aria-expanded={filtersOpen} aria-controls="desk-filters" onClick={() => setFiltersOpen((o) => !o)}>
          Filters{filters ? ` (${filters})` : ''}
        </button>
        <Link href="/tickets/new" className="button primary">
          New ticket
        </Link>
        <SortSelect query={query} onChange={update} />
      </div>
      <div className="desk-body">
        <Filters query={query} onChange={update} open={filtersOpen} />
        <section className="desk-list" aria-labelledby="desk-results">
          <h2 id="desk-results" className="visually-hidden">
            Tickets
          </h2>
          {error && (
            <div className="alert error" role="alert">
              {error}{' '}
              <button type="button" className="link" onClick={() => void fetchPage(items.length ? token : null)}>
                Retry
              </button>
            </div>
          )}
          {liveNote}
          <TicketTable key={listKey} items={items} query={query} onSort={(column) => update(sortBy(query, column))} />
          {!loading && !error && items.length === 0 && (
            <div className="empty">
              {query.search || filters ? (
                <>
                  <p>No ticket matches this view.</p>
                  <button type="button" onClick={() => update({ ...EMPTY_QUERY })}>
                    Clear search and filters
                  </button>
                </>
              ) : (
                <>
                  <p>No tickets yet.</p>
                  <Link href="/tickets/new" className="button primary">
                    Create the first ticket
                  </Link>
                </>
              )}
            </div>
          )}
          <div ref={sentinel} className="sentinel" aria-hidden="true" />
          <div className="list-foot" aria-live="polite">
            {loading ? (
              <Spinner label={items.length ? 'Loading more tickets…' : 'Loading tickets…'} />
            ) : items.length > 0 ? (
              <span className="muted">
                {total !== null && total > items.length
                  ? `${items.length.toLocaleString()} of ${total.toLocaleString()} tickets shown`
                  : `${items.length.toLocaleString()} ticket${items.length === 1 ? '' : 's'} shown — that is all of them`}
              </span>
            ) : null}
            {token && !loading && (
              <button type="button" onClick={() => void fetchPage(token)}>
                Load more
              </button>
            )}
          </div>
        </section>
      </div>
    </div>
  );
}

function SearchBox(props: { value: string; onSearch: (text: string) => void }) {
  const [text, setText] = useState(props.value);
  const latest = useRef(props.onSearch);
  latest.current = props.onSearch;
  useEffect(() => setText(props.value), [props.value]);
  useEffect(() => {
    if (text.trim() === props.value.trim()) return;
    const timer = setTimeout(() => latest.current(text), 350);
    return () => clearTimeout(timer);
  }, [text, props.value]);
  return (
    <form
      role="search"
      className="search"
      onSubmit={(e) => {
        e.preventDefault();
        latest.current(text);
      }}
    >
      <label htmlFor="desk-search" className="visually-hidden">
        Search tickets
      </label>
      <input
        id="desk-search"
        type="search"
        placeholder="Search title, description, comments or #number"
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
    </form>
  );
}

/** On a phone the column headers are hidden; the order is picked here instead. */
function SortSelect(props: { query: DeskQuery; onChange: (q: DeskQuery) => void }) {
  const order = effectiveOrder(props.query);
  const labels: Record<OrderName, string> = {
    ticketId: 'Number',
    title: 'Title',
    status: 'Status',
    priority: 'Priority',
    requestorName: 'Requestor',
    requestorEmail: 'Requestor email',
    assigneeName: 'Assignee',
    assigneeEmail: 'Assignee email',
    expectedDate: 'Expected date',
    createdDateTime: 'Created',
    lastInteraction: 'Last interaction',
  };
  return (
    <div className="phone-only inline">
      <label htmlFor="desk-sort" className="muted small">
        Sort
      </label>
      <select
        id="desk-sort"
        value={`${order.by} ${order.order}`}
        onChange={(e) => {
          const [by, dir] = e.target.value.split(' ') as [OrderName, 'ASC' | 'DESC'];
          props.onChange({ ...props.query, orderBy: by, order: dir });
        }}
      >
        {(Object.keys(labels) as OrderName[]).flatMap((by) => [
          <option key={`${by} ASC`} value={`${by} ASC`}>
            {labels[by]} ↑
          </option>,
          <option key={`${by} DESC`} value={`${by} DESC`}>
            {labels[by]} ↓
          </option>,
        ])}
      </select>
    </div>
  );
}

const COLUMNS: { label: string; sort: OrderName[]; sortLabels?: string[]; className?: string }[] = [
  { label: '#', sort: ['ticketId'], className: 'col-id' },
  { label: 'Title', sort: ['title'], className: 'col-title' },
  { label: 'Status', sort: ['status'] },
  { label: 'Priority', sort: ['priority'] },
  { label: 'Requestor', sort: ['requestorName', 'requestorEmail'], sortLabels: ['Requestor', 'email'] },
  { label: 'Assignee', sort: ['assigneeName', 'assigneeEmail'], sortLabels: ['Assignee', 'email'] },
  { label: 'Expected', sort: ['expectedDate'] },
  { label: 'Created', sort: ['createdDateTime'] },
  { label: 'Last interaction', sort: ['lastInteraction'] },
];

function TicketTable(props: { items: ListedTicket[]; query: DeskQuery; onSort: (column: OrderName) => void }) {
  const { tagCategories } = useApp();
  const order = effectiveOrder(props.query);
  const arrow = (column: OrderName) => (order.by === column ? (order.order === 'ASC' ? ' ▲' : ' ▼') : '');
  // Fixed per list, so rows already shown don't render again when the next page arrives.
  const [now] = useState(() => Date.now());
  return (
    <table className="tickets">
      <thead>
        <tr>
          {COLUMNS.map((c) => {
            const sorted = c.sort.includes(order.by);
            return (
              <th key={c.label} scope="col" className={c.className} aria-sort={sorted ? (order.order === 'ASC' ? 'ascending' : 'descending') : undefined}>
                {c.sort.map((column, i) => (
                  <button
                    key={column}
                    type="button"
                    className={`sort${i > 0 ? ' sub' : ''}${order.by === column ? ' active' : ''}`}
                    onClick={() => props.onSort(column)}
                    aria-label={`Sort by ${i > 0 ? `${c.label} ${c.sortLabels?.[i] ?? column}` : c.label}${order.by === column ? (order.order === 'ASC' ? ', sorted ascending' : ', sorted descending') : ''}`}
                  >
                    {(c.sortLabels?.[i] ?? c.label) + arrow(column)}
                  </button>
                ))}
              </th>
            );
          })}
        </tr>
      </thead>
      <tbody>
        {props.items.map((t) => (
          <TicketRow key={t.id} ticket={t} categories={tagCategories} now={now} />
        ))}
      </tbody>
    </table>
  );
}

const TicketRow = memo(function TicketRow({ ticket: t, categories, now }: { ticket: ListedTicket; categories: TagCategory[]; now: number }) {
  const overdue = t.expectedDate && new Date(t.expectedDate).getTime() < now && (t.status === 'Open' || t.status === 'Reopened' || t.status === 'Started');
  return (
    <tr onClick={(e) => !(e.target as HTMLElement).closest('a,button') && navigate(`/tickets/${t.ticketId}`)}>
      <td className="col-id" data-label="#">
        {t.ticketId}
      </td>
      <td className="col-title" data-label="Title">
        <Link href={`/tickets/${t.ticketId}`}>{t.title}</Link>
        {(t.tags?.length ?? 0) > 0 && (
          <div className="row-tags">
            {t.tags!.map((tag) => (
              <TagChip key={`${tag.tagCategoryId}_${tag.text}`} tag={tag} categories={categories} />
            ))}
          </div>
        )}
      </td>
      <td data-label="Status" className="no-label">
        <StatusBadge status={t.status} />
        <EscalationBadges frt={t.isFrtEscalated} rt={t.isRtEscalated} compact />
      </td>
      <td data-label="Priority" className="no-label">
        <PriorityBadge priority={t.priority} />
      </td>
      <td data-label="Requestor" className="person">
        <div>{t.requestorName}</div>
        <div className="muted small">{t.requestorEmail}</div>
      </td>
      <td data-label="Assignee" className="person">
        {t.assigneeName ? (
          <>
            <div>{t.assigneeName}</div>
            <div className="muted small">{t.assigneeEmail}</div>
          </>
        ) : (
          <span className="muted">Unassigned</span>
        )}
      </td>
      <td data-label="Expected" className={overdue ? 'nowrap overdue' : 'nowrap'}>
        {t.expectedDate ? formatShortDate(t.expectedDate) : null}
        {overdue && <span className="visually-hidden"> (overdue)</span>}
      </td>
      <td data-label="Created" className="nowrap" title={t.createdOn}>
        {formatShortDate(t.createdOn)}
      </td>
      <td data-label="Last interaction" className="nowrap" title={t.lastInteraction}>
        {formatRelative(t.lastInteraction, now)}
      </td>
    </tr>
  );
});

function Filters(props: { query: DeskQuery; onChange: (q: DeskQuery) => void; open: boolean }) {
  const { tagCategories, people, session } = useApp();
  const q = props.query;
  const set = (patch: Partial<DeskQuery>) => props.onChange({ ...q, ...patch });
  const toggle = <T extends string>(list: T[], value: T, on: boolean): T[] => (on ? [...list, value] : list.filter((v) => v !== value));
  const tagLabel = (tag: string) => {
    const at = tag.indexOf('_');
    const category = tagCategories.find((c) => c.id === tag.slice(0, at));
    return { text: tag.slice(at + 1), category };
  };
  return (
    <aside id="desk-filters" className={`filters${props.open ? ' open' : ''}`} aria-label="Filters">
      <fieldset>
        <legend>Status</legend>
        {STATUSES.map((s) => (
          <label key={s} className="check">
            <input type="checkbox" checked={q.status.includes(s)} onChange={(e) => set({ status: toggle(q.status, s, e.target.checked) })} />
            {s}
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Priority</legend>
        {PRIORITIES.map((p) => (
          <label key={p} className="check">
            <input type="checkbox" checked={q.priority.includes(p)} onChange={(e) => set({ priority: toggle(q.priority, p, e.target.checked) })} />
            {p}
          </label>
        ))}
      </fieldset>
      <div className="filter">
        <label htmlFor="f-tags">Tags</label>
        {q.tags.length > 0 && (
          <div className="chips">
            {q.tags.map((tag) => {
              const { text, category } = tagLabel(tag);
              return (
                <span key={tag} className="tag" style={{ ['--tag' as string]: category?.color ?? '#6b7280' }}>
                  {text}
                  <button
                    type="button"
                    className="chip-remove"
                    aria-label={`Remove tag filter ${text}`}
                    onClick={() => set({ tags: q.tags.filter((t) => t !== tag) })}
                  >
                    ×
                  </button>
                </span>
              );
            })}
          </div>
        )}
        <select id="f-tags" value="" onChange={(e) => e.target.value && set({ tags: [...q.tags, e.target.value] })}>
          <option value="">Add a tag…</option>
          {tagCategories
            .filter((c) => c.tags.length > 0)
            .map((c) => (
              <optgroup key={c.id} label={c.text + (c.deleted ? ' (deleted)' : '')}>
                {c.tags
                  .filter((t) => !q.tags.includes(`${c.id}_${t.text}`))
                  .map((t) => (
                    <option key={t.text} value={`${c.id}_${t.text}`}>
                      {t.text}
                    </option>
                  ))}
              </optgroup>
            ))}
        </select>
      </div>
      <PersonFilter id="f-assignee" label="Assignee" value={q.assignee} onChange={(assignee) => set({ assignee })} people={people} me={session.user.email} />
      <PersonFilter
        id="f-requestor"
        label="Requestor"
        value={q.requestor}
        onChange={(requestor) => set({ requestor })}
        people={people}
        me={session.user.email}
      />
      <div className="filter">
        <label htmlFor="f-escalated">Escalated</label>
        <select id="f-escalated" value={q.escalated} onChange={(e) => set({ escalated: e.target.value as DeskQuery['escalated'] })}>
          <option value="">Any</option>
          <option value="frt">First response escalated</option>
          <option value="rt">Resolution escalated</option>
          <option value="none">Not escalated</option>
        </select>
      </div>
      <DateRange label="Created" from={q.createdFrom} to={q.createdTo} onChange={(createdFrom, createdTo) => set({ createdFrom, createdTo })} />
      <DateRange label="Last updated" from={q.updatedFrom} to={q.updatedTo} onChange={(updatedFrom, updatedTo) => set({ updatedFrom, updatedTo })} />
      <DateRange label="Expected" from={q.dueFrom} to={q.dueTo} onChange={(dueFrom, dueTo) => set({ dueFrom, dueTo })} />
      {activeFilterCount(q) > 0 && (
        <button type="button" onClick={() => props.onChange({ ...EMPTY_QUERY, search: q.search, orderBy: q.orderBy, order: q.order })}>
          Clear filters
        </button>
      )}
    </aside>
  );
}

function PersonFilter(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  people: { email: string; name: string }[];
  me: string;
}) {
  const [text, setText] = useState(props.value);
  useEffect(() => setText(props.value), [props.value]);
  const commit = () => text.trim() !== props.value && props.onChange(text.trim());
  return (
    <div className="filter">
      <label htmlFor={props.id}>{props.label}</label>
      <div className="inline">
        <input
          id={props.id}
          type="text"
          list={`${props.id}-people`}
          placeholder="Email or id"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => e.key === 'Enter' && commit()}
        />
        <button
          type="button"
          aria-label={`${props.label}: me`}
          onClick={() => props.onChange(props.value === props.me ? '' : props.me)}
          aria-pressed={props.value === props.me}
        >
          Me
        </button>
      </div>
      <datalist id={`${props.id}-people`}>
        {props.people.map((p) => (
          <option key={p.email} value={p.email}>
            {p.name}
          </option>
        ))}
      </datalist>
    </div>
  );
}

function DateRange(props: { label: string; from: string; to: string; onChange: (from: string, to: string) => void }) {
  const id = props.label.toLowerCase().replace(/\s+/g, '-');
  return (
    <fieldset className="date-range">
      <legend>{props.label}</legend>
      <label htmlFor={`f-${id}-from`}>From</label>
      <input id={`f-${id}-from`} type="date" value={props.from} max={props.to || undefined} onChange={(e) => props.onChange(e.target.value, props.to)} />
      <label htmlFor={`f-${id}-to`}>To</label>
      <input id={`f-${id}-to`} type="date" value={props.to} min={props.from || undefined} onChange={(e) => props.onChange(props.from, e.target.value)} />
    </fieldset>
  );
}
