import { useWindowVirtualizer, type VirtualItem } from '@tanstack/react-virtual';
import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { EscalationBadges, PriorityBadge, Spinner, StatusBadge, TagChip } from '../components/controls.js';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { tagChipStyle } from '../lib/contrast.js';
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
import { useShortcuts } from '../lib/shortcuts.js';
import { useLiveDesk } from '../components/live.js';
import { Queues } from '../components/queues.js';
import { BulkBar, SelectAllLoaded, useSelection, type Selection } from '../components/bulk-bar.js';
import { PRIORITIES, STATUSES, type ListedTicket, type TagCategory } from '../lib/types.js';

const PAGE_SIZE = 50;
const SELECT =
  'id,ticketId,title,status,priority,requestorName,requestorEmail,assigneeName,assigneeEmail,expectedDate,createdOn,lastInteraction,tags,isFrtEscalated,isRtEscalated';
/** A row's height before it is measured (one line of title, two of person); tags make it taller. */
const ROW_ESTIMATE = 58;
/** Rows kept rendered beyond each edge of the viewport, so a quick flick shows no blank. */
const OVERSCAN = 8;
/** The next page is asked for once the end of what is loaded is this many screens below the viewport's bottom. */
const PREFETCH_SCREENS = 1.5;
/** The sticky top bar: a row moved to by the keyboard must not end up under it. */
const TOPBAR = 64;
const estimateSize = () => ROW_ESTIMATE;

/**
 * What Back returns to: the pages loaded, the scroll offset, the row heights measured and the
 * selected row, per view (the query). Kept in memory, so the list is back at once without asking
 * the server again; the desk's history entry says which view it showed (history.state.desk).
 */
interface DeskSnapshot {
  items: ListedTicket[];
  token: string | null;
  total: number | null;
  scrollY: number;
  active: number;
  measurements: VirtualItem[];
  scrollMargin: number;
}
const snapshots = new Map<string, DeskSnapshot>();
const SNAPSHOTS_KEPT = 5;
function remember(key: string, snapshot: DeskSnapshot) {
  snapshots.delete(key);
  snapshots.set(key, snapshot);
  for (const old of snapshots.keys()) if (snapshots.size > SNAPSHOTS_KEPT) snapshots.delete(old);
}
const historyView = (): string | undefined => (window.history.state as { desk?: string } | null)?.desk;

/** The desk: every ticket of the instance, filtered, searched and sorted, with the view in the URL. */
export function DeskPage() {
  const { search } = useLocation();
  const query = parseDeskQuery(search);
  const listParams = toListParams(query, browserTimezone());
  const listKey = JSON.stringify(listParams);
  // Back to this view: what it showed, as it was left.
  const [restored] = useState(() => (historyView() === listKey ? snapshots.get(listKey) : undefined));
  /** The view the snapshot is of, until the view changes. */
  const restoredFor = useRef(restored ? listKey : null);
  const [items, setItems] = useState<ListedTicket[]>(restored?.items ?? []);
  const [token, setToken] = useState<string | null>(restored?.token ?? null);
  /** How many tickets match the view, over all pages (the listing's itemCount). */
  const [total, setTotal] = useState<number | null>(restored?.total ?? null);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState('');
  const [filtersOpen, setFiltersOpen] = useState(false);
  const generation = useRef(0);
  const loadingRef = useRef(false);
  /** The view whose first page is loaded or loading (or restored): an effect run again for it (StrictMode) asks nothing. */
  const loadedFor = useRef<string | null>(restored ? listKey : null);

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
    // This history entry shows this view: Back to it restores the snapshot (see DeskSnapshot).
    if (historyView() !== listKey) window.history.replaceState({ ...(window.history.state as object | null), desk: listKey }, '');
    if (loadedFor.current === listKey) return;
    loadedFor.current = listKey;
    restoredFor.current = null;
    generation.current += 1;
    setItems([]);
    setToken(null);
    setTotal(null);
    void fetchPage(null);
  }, [fetchPage, listKey]);

  const loadMore = useCallback(() => {
    if (token && !loadingRef.current) void fetchPage(token);
  }, [token, fetchPage]);

  const liveNote = useLiveDesk({
    items,
    setItems,
    select: SELECT,
    view: listParams,
    onShowNew: () => {
      generation.current += 1;
      void fetchPage(null);
    },
  });

  // Viewers cannot write tickets: no selection, no bulk actions.
  const { session } = useApp();
  const selectable = session.role !== 'viewer';
  const selection = useSelection(listKey, items);

  const filters = activeFilterCount(query);
  return (
    <div className="page desk">
      <a
        className="skip"
        href="#desk-results"
        onClick={(e) => {
          e.preventDefault();
          focusFirstVisibleRow();
        }}
      >
        Skip to tickets
      </a>
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
      <Queues query={query} />
      <div className="desk-body">
        <Filters query={query} onChange={update} open={filtersOpen} />
        <section className="desk-list" aria-labelledby="desk-results">
          <h2 id="desk-results" className="visually-hidden" tabIndex={-1}>
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
          <TicketTable
            key={listKey}
            listKey={listKey}
            search={search}
            items={items}
            token={token}
            total={total}
            restored={restoredFor.current === listKey ? restored : undefined}
            query={query}
            selection={selectable ? selection : undefined}
            onSort={(column) => update(sortBy(query, column))}
            // Undefined while a page loads: the end is looked at again once it is in, even when
            // it changed nothing the list shows (a reload of the same first page after a reset).
            onNearEnd={error || loading ? undefined : loadMore}
          />
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
              <button type="button" onClick={loadMore}>
                Load more
              </button>
            )}
          </div>
        </section>
      </div>
      {selectable && <BulkBar selection={selection} items={items} setItems={setItems} total={total} listKey={listKey} select={SELECT} />}
    </div>
  );
}

/** The skip link's target: the first row on screen (or the list's heading when there is none). */
function focusFirstVisibleRow() {
  const rows = document.querySelectorAll<HTMLTableRowElement>('table.tickets tbody tr[data-index]');
  const first = [...rows].find((row) => row.getBoundingClientRect().bottom > TOPBAR);
  (first ?? document.getElementById('desk-results'))?.focus();
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

function TicketTable(props: {
  listKey: string;
  /** The address's query string this view is shown at. */
  search: string;
  items: ListedTicket[];
  token: string | null;
  total: number | null;
  restored: DeskSnapshot | undefined;
  query: DeskQuery;
  /** The rows selected for bulk actions; undefined: no selection boxes (viewers). */
  selection: Selection | undefined;
  onSort: (column: OrderName) => void;
  onNearEnd: (() => void) | undefined;
}) {
  const { items, listKey, restored, selection } = props;
  const { tagCategories } = useApp();
  const order = effectiveOrder(props.query);
  const arrow = (column: OrderName) => (order.by === column ? (order.order === 'ASC' ? ' ▲' : ' ▼') : '');
  // Fixed per list, so rows already shown don't render again when the next page arrives.
  const [now] = useState(() => Date.now());
  const body = useRef<HTMLTableSectionElement>(null);
  /** Where the rows start in the document: the window scrolls, the list is below the head. */
  const [scrollMargin, setScrollMargin] = useState(restored?.scrollMargin ?? 0);
  /** The row j/k moved to (or that was opened), by index; -1 before any. */
  const [active, setActive] = useState(restored?.active ?? -1);
  /** A row to give the focus once it is rendered (it may first need scrolling into the window). */
  const focusWanted = useRef<number | null>(restored && restored.active >= 0 ? restored.active : null);

  // Stable between renders: a new function each render made the virtualizer measure every row
  // again on each scroll frame.
  const getItemKey = useCallback((index: number) => items[index]?.id ?? index, [items]);
  // Only the rows in view (and OVERSCAN around them) are in the DOM: 10,000 rendered rows were
  // 190,000 nodes and froze the page (issue 18; docs/decisions/023-desk-windowing.md).
  const virtualizer = useWindowVirtualizer({
    count: items.length,
    estimateSize,
    overscan: OVERSCAN,
    scrollMargin,
    scrollPaddingStart: TOPBAR,
    getItemKey,
    initialOffset: restored?.scrollY ?? 0,
    initialMeasurementsCache: restored?.measurements,
    // Renders on scroll go through React's normal batching (flushSync in an effect warns on React 19).
    useFlushSync: false,
  });
  const rows = virtualizer.getVirtualItems();
  const lastIndex = rows.at(-1)?.index ?? -1;

  useLayoutEffect(() => {
    const top = body.current ? body.current.getBoundingClientRect().top + window.scrollY : 0;
    if (Math.abs(top - scrollMargin) >= 1) setScrollMargin(top);
  });

  // Back to the desk: the same rows at the same place (the restored rows are already laid out).
  useLayoutEffect(() => {
    if (restored) window.scrollTo(0, restored.scrollY);
  }, [restored]);

  const { onNearEnd } = props;
  const loadedEnd = scrollMargin + virtualizer.getTotalSize();
  useEffect(() => {
    const bottom = window.scrollY + window.innerHeight;
    if (onNearEnd && props.token && loadedEnd - bottom < window.innerHeight * PREFETCH_SCREENS) onNearEnd();
  }, [onNearEnd, props.token, lastIndex, loadedEnd]);

  // What Back restores, kept up to date while this view is the current history entry.
  const save = useCallback(
    (activeIndex: number) => {
      // Once a link was followed (navigate() has pushed the ticket), the scroll is no longer ours.
      if (window.location.pathname !== '/tickets' || window.location.search !== props.search) return;
      // An in-page link (#main) made a new history entry showing this view: mark it too.
      if (historyView() !== listKey) window.history.replaceState({ ...(window.history.state as object | null), desk: listKey }, '');
      remember(listKey, {
        items,
        token: props.token,
        total: props.total,
        scrollY: window.scrollY,
        active: activeIndex,
        measurements: virtualizer.takeSnapshot(),
        scrollMargin,
      });
    },
    [listKey, props.search, items, props.token, props.total, virtualizer, scrollMargin],
  );
  useEffect(() => save(active), [save, active]);
  // While scrolling only the offset changes (copying the measurements on every scroll event cost
  // a long task at thousands of rows); they are taken again when the desk is left.
  const search = props.search;
  useEffect(() => {
    const onScroll = () => {
      const snapshot = snapshots.get(listKey);
      if (snapshot && window.location.pathname === '/tickets' && window.location.search === search) snapshot.scrollY = window.scrollY;
    };
    window.addEventListener('scroll', onScroll, { passive: true });
    return () => {
      window.removeEventListener('scroll', onScroll);
      const snapshot = snapshots.get(listKey);
      if (snapshot) snapshot.measurements = virtualizer.takeSnapshot();
    };
  }, [listKey, search, virtualizer]);

  useEffect(() => {
    const wanted = focusWanted.current;
    if (wanted === null) return;
    const row = body.current?.querySelector<HTMLElement>(`tr[data-index="${wanted}"]`);
    if (!row) return;
    focusWanted.current = null;
    row.focus({ preventScroll: true });
  });

  const rowIndex = (element: Element | null) => {
    const row = element?.closest<HTMLElement>('tr[data-index]');
    return row && body.current?.contains(row) ? Number(row.dataset.index) : undefined;
  };
  const open = (index: number) => {
    const ticket = items[index];
    if (!ticket) return;
    // Recorded before leaving: after navigate() this entry is no longer the current one.
    setActive(index);
    save(index);
    navigate(`/tickets/${ticket.ticketId}`);
  };
  const openLatest = useRef(open);
  openLatest.current = open;
  // Stable, so the memoized rows don't render again on every scroll.
  const onOpen = useCallback((index: number) => openLatest.current(index), []);
  const moveTo = (index: number) => {
    if (items.length === 0) return;
    const next = Math.max(0, Math.min(items.length - 1, index));
    setActive(next);
    focusWanted.current = next;
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };
  const move = (delta: number) => {
    // A move whose focus has not landed yet (its row still rendering) is where the next one starts: keys pressed quickly are not lost.
    const current = focusWanted.current ?? rowIndex(document.activeElement) ?? (active >= 0 && rows.some((r) => r.index === active) ? active : undefined);
    if (current !== undefined) return moveTo(current + delta);
    // Nothing selected on screen: start from the first row in view.
    const inView = rows.find((r) => r.end - window.scrollY > TOPBAR + 8);
    moveTo(inView ? inView.index : 0);
  };
  /** The focused row (Space) or, for x, the row j/k last moved to. */
  const toggleFocused = (event: KeyboardEvent, fallback: boolean) => {
    if (!selection) return;
    const target = event.target instanceof Element ? event.target : null;
    // Space on a row's own box or link is theirs; x works anywhere in a row, or on the row j/k last reached.
    const index = fallback
      ? (rowIndex(target) ?? (active >= 0 && rows.some((r) => r.index === active) ? active : undefined))
      : target?.tagName === 'TR'
        ? rowIndex(target)
        : undefined;
    if (index === undefined) return;
    // Space would scroll the window.
    event.preventDefault();
    selection.toggleRow(index, event.shiftKey);
  };
  useShortcuts({
    ' ': (event) => toggleFocused(event, false),
    x: (event) => toggleFocused(event, true),
    X: (event) => toggleFocused(event, true),
    j: () => move(1),
    k: () => move(-1),
    Enter: (event) => {
      const index = event.target instanceof Element && event.target.tagName === 'TR' ? rowIndex(event.target) : undefined;
      if (index === undefined) return;
      event.preventDefault();
      open(index);
    },
    '/': (event) => {
      event.preventDefault();
      document.getElementById('desk-search')?.focus();
    },
  });

  const columns = COLUMNS.length + (selection ? 1 : 0);
  const paddingTop = rows.length ? rows[0]!.start - scrollMargin : 0;
  const paddingBottom = rows.length ? virtualizer.getTotalSize() - (rows.at(-1)!.end - scrollMargin) : 0;
  return (
    <table className="tickets" aria-rowcount={props.total === null ? -1 : props.total + 1}>
      <thead>
        <tr aria-rowindex={1}>
          {selection && (
            <th scope="col" className="col-select">
              <SelectAllLoaded items={items} selection={selection} />
            </th>
          )}
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
      <tbody
        ref={body}
        onClickCapture={(e) => {
          // A click on a row (or its link) leaves the desk: remember which row, for Back.
          const index = rowIndex(e.target as Element);
          if (index !== undefined) {
            setActive(index);
            save(index);
          }
        }}
      >
        {paddingTop > 0 && <Spacer height={paddingTop} columns={columns} />}
        {rows.map((row) => {
          const ticket = items[row.index]!;
          return (
            <TicketRow
              key={row.key}
              ticket={ticket}
              index={row.index}
              measure={virtualizer.measureElement}
              categories={tagCategories}
              now={now}
              onOpen={onOpen}
              selected={selection ? selection.ids.has(ticket.id) : undefined}
              onSelect={selection?.toggleRow}
            />
          );
        })}
        {paddingBottom > 0 && <Spacer height={paddingBottom} columns={columns} />}
      </tbody>
    </table>
  );
}

/** Stands in for the rows outside the window, so the scroll bar and offsets stay those of the whole list. */
function Spacer({ height, columns }: { height: number; columns: number }) {
  return (
    <tr className="spacer" aria-hidden="true" style={{ height }}>
      <td colSpan={columns} />
    </tr>
  );
}

/**
 * One ticket of the desk. Knows nothing of the windowing but its index (for aria-rowindex and
 * the measuring ref): what a row shows, or gains (a selection box, a live refresh), goes here.
 */
const TicketRow = memo(function TicketRow({
  ticket: t,
  index,
  measure,
  categories,
  now,
  onOpen,
  selected,
  onSelect,
}: {
  ticket: ListedTicket;
  index: number;
  measure: (element: HTMLTableRowElement | null) => void;
  categories: TagCategory[];
  now: number;
  onOpen: (index: number) => void;
  /** Whether the row is selected for bulk actions; undefined when there are no selection boxes. */
  selected: boolean | undefined;
  /** Toggles the row's selection; `range` (shift-click) from the last row toggled. */
  onSelect: ((index: number, range: boolean) => void) | undefined;
}) {
  const overdue = t.expectedDate && new Date(t.expectedDate).getTime() < now && (t.status === 'Open' || t.status === 'Reopened' || t.status === 'Started');
  return (
    <tr
      ref={measure}
      data-index={index}
      aria-rowindex={index + 2}
      tabIndex={-1}
      className={selected ? 'selected' : undefined}
      onClick={(e) => !(e.target as HTMLElement).closest('a,button,.col-select') && onOpen(index)}
    >
      {onSelect && (
        <td className="col-select">
          <input
            type="checkbox"
            checked={selected === true}
            aria-label={`Select ticket #${t.ticketId} ${t.title}`}
            // React fires onChange from the click, whose shiftKey says "a range".
            onChange={(e) => onSelect(index, (e.nativeEvent as MouseEvent).shiftKey === true)}
          />
        </td>
      )}
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
                <span key={tag} className="tag" style={tagChipStyle(category?.color)}>
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
      <label className="check">
        <input type="checkbox" checked={q.unassigned} onChange={(e) => set({ unassigned: e.target.checked })} /> Unassigned only
      </label>
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
          <option value="any">Either escalated</option>
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
