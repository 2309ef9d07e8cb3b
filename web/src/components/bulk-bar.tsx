import { BULK_MAX_TICKETS } from '../../../src/domain/limits.js';
import { useCallback, useEffect, useMemo, useRef, useState, type Dispatch, type FormEvent, type ReactNode, type SetStateAction } from 'react';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import type { paths } from '../lib/api.generated.js';
import { useApp } from '../lib/app-context.js';
import { Dialog, Field, ResolutionSelect, TagPicker } from './controls.js';
import { PRIORITIES, type ListedTicket, type ListPage, type Priority, type Resolution, type Status, type TicketTag } from '../lib/types.js';

/*
 * Bulk actions on the desk (issue 18; docs/api.md §15): the rows selected, kept by ticket id while
 * the windowed list scrolls, and the bar that assigns, prioritises, tags or changes the status of
 * all of them with one POST /tickets/bulk.
 */

/** Ticket numbers per re-read of changed rows: keeps the query string short. */
const REREAD_CHUNK = 200;

type BulkChanges = paths['/tickets/bulk']['post']['requestBody']['content']['application/json']['changes'];

export interface Selection {
  /** The selected tickets: UUID → number, in the order they were selected. */
  ids: ReadonlyMap<string, number>;
  /** Toggles the row at `index` of `items`; with `range`, every row from the last one toggled to it takes its new state. */
  toggleRow: (index: number, range: boolean) => void;
  /** Selects (or unselects) every loaded row. */
  setAllLoaded: (on: boolean) => void;
  /** Replaces the selection. */
  replace: (entries: Iterable<[string, number]>) => void;
  clear: () => void;
}

const NONE: ReadonlyMap<string, number> = new Map();

/**
 * The desk's selection for the view `listKey`: a new view (filters, search, order) starts with
 * nothing selected. Rows are selected by ticket id, so a row that scrolls out of the window (and
 * out of the DOM) stays selected. The callbacks are stable: the memoized rows don't re-render
 * because a neighbour was selected.
 */
export function useSelection(listKey: string, items: ListedTicket[]): Selection {
  const [state, setState] = useState<{ key: string; ids: ReadonlyMap<string, number> }>({ key: listKey, ids: NONE });
  const ids = state.key === listKey ? state.ids : NONE;
  /** The row a shift-click extends from, by ticket id (indexes move when the list is loaded again). */
  const anchor = useRef<{ key: string; id: string } | null>(null);
  const latest = useRef({ items, ids, listKey });
  latest.current = { items, ids, listKey };

  const change = useCallback((entries: Iterable<[string, number]>, on: boolean) => {
    const key = latest.current.listKey;
    setState((s) => {
      const next = new Map(s.key === key ? s.ids : NONE);
      for (const [id, number] of entries) {
        if (on) next.set(id, number);
        else next.delete(id);
      }
      return { key, ids: next };
    });
  }, []);

  const toggleRow = useCallback(
    (index: number, range: boolean) => {
      const { items, ids, listKey } = latest.current;
      const ticket = items[index];
      if (!ticket) return;
      const on = !ids.has(ticket.id);
      const from = range && anchor.current?.key === listKey ? items.findIndex((t) => t.id === anchor.current!.id) : -1;
      const rows = from >= 0 ? items.slice(Math.min(from, index), Math.max(from, index) + 1) : [ticket];
      anchor.current = { key: listKey, id: ticket.id };
      change(
        rows.map((t) => [t.id, t.ticketId!]),
        on,
      );
    },
    [change],
  );
  const setAllLoaded = useCallback(
    (on: boolean) =>
      change(
        latest.current.items.map((t) => [t.id, t.ticketId!]),
        on,
      ),
    [change],
  );
  const replace = useCallback((entries: Iterable<[string, number]>) => setState({ key: latest.current.listKey, ids: new Map(entries) }), []);
  const clear = useCallback(() => setState({ key: latest.current.listKey, ids: NONE }), []);
  return useMemo(() => ({ ids, toggleRow, setAllLoaded, replace, clear }), [ids, toggleRow, setAllLoaded, replace, clear]);
}

/** The header's checkbox: every loaded row, mixed when some are. */
export function SelectAllLoaded(props: { items: ListedTicket[]; selection: Selection }) {
  const { items, selection } = props;
  const selected = useMemo(() => items.reduce((n, t) => n + (selection.ids.has(t.id) ? 1 : 0), 0), [items, selection.ids]);
  const all = items.length > 0 && selected === items.length;
  return (
    <input
      type="checkbox"
      aria-label="Select all loaded"
      checked={all}
      ref={(box) => {
        if (box) box.indeterminate = selected > 0 && !all;
      }}
      disabled={items.length === 0}
      onChange={() => selection.setAllLoaded(!all)}
    />
  );
}

interface Failure {
  ticketId: number | null;
  title: string | undefined;
  reason: string;
}
interface Notice {
  text: string;
  failures: Failure[];
  kind: 'ok' | 'error';
}
type Action = 'assign' | 'priority' | 'tags' | 'status';

const plural = (n: number) => `${n.toLocaleString()} ticket${n === 1 ? '' : 's'}`;

/**
 * The bar shown while tickets are selected (sticky at the bottom of the window): how many, select
 * every matching ticket, and the actions, each one POST /tickets/bulk. Afterwards it says what
 * happened, re-reads the changed rows that are loaded, and keeps the failed tickets selected.
 */
export function BulkBar(props: {
  selection: Selection;
  items: ListedTicket[];
  setItems: Dispatch<SetStateAction<ListedTicket[]>>;
  /** How many tickets the view matches (its itemCount). */
  total: number | null;
  /** The view's GET /tickets parameters (the desk's listKey). */
  listKey: string;
  /** The columns the desk's rows are read with. */
  select: string;
}) {
  const { selection, items, setItems, total, listKey, select } = props;
  const { session } = useApp();
  const [open, setOpen] = useState<Action | null>(null);
  const [busy, setBusy] = useState('');
  const [notice, setNotice] = useState<Notice | null>(null);
  const [capped, setCapped] = useState(false);
  const noticeRef = useRef<HTMLDivElement>(null);
  // After an action the bar may be gone (nothing left selected) with the button that had the
  // focus: the focus goes to what happened instead of the page's top. Runs after the dialog closed
  // (a child's effect runs first), which would hand the focus back to that button.
  useEffect(() => {
    if (notice) noticeRef.current?.focus();
  }, [notice]);
  const count = selection.ids.size;
  const tooMany = count > BULK_MAX_TICKETS;

  const titleOf = (id: string | null) => (id ? items.find((t) => t.id === id)?.title : undefined);

  const reread = async (numbers: number[]) => {
    const loaded = new Set(items.map((t) => t.ticketId));
    const wanted = numbers.filter((n) => loaded.has(n));
    for (let i = 0; i < wanted.length; i += REREAD_CHUNK) {
      const chunk = wanted.slice(i, i + REREAD_CHUNK);
      try {
        const page = await send(
          client.GET('/tickets', { params: { query: { ticketNo: chunk.join(','), select, limit: String(chunk.length) } as Record<string, string> } }),
        );
        const fresh = new Map(page.items.map((item) => [item.ticketId, item]));
        setItems((current) => current.map((item) => fresh.get(item.ticketId) ?? item));
      } catch {
        // The live refresh, or the next load of the view, brings the rows up to date.
      }
    }
  };

  const apply = async (changes: BulkChanges, what: string) => {
    const entries = [...selection.ids];
    setBusy(`Updating ${plural(entries.length)}…`);
    setNotice(null);
    try {
      const answer = await send(
        client.POST('/tickets/bulk', {
          params: { query: { timezone: String(browserTimezone()) } },
          body: { ids: entries.map(([id]) => id), changes, user: session.user },
        }),
      );
      const failed: [string, number][] = [];
      const failures: Failure[] = [];
      const changed: number[] = [];
      answer.items.forEach((result, i) => {
        const [id, number] = entries[i]!;
        if (result.status === 200) changed.push(result.ticketId ?? number);
        else {
          failed.push([id, number]);
          failures.push({ ticketId: result.ticketId ?? number, title: titleOf(result.id ?? id), reason: result.error?.detail ?? `HTTP ${result.status}` });
        }
      });
      selection.replace(failed);
      setCapped(false);
      setOpen(null);
      setNotice(
        failures.length === 0
          ? { kind: 'ok', text: `${plural(changed.length)} updated (${what}).`, failures }
          : {
              kind: 'error',
              text: `${changed.length.toLocaleString()} updated, ${failures.length.toLocaleString()} failed (${what}); the failed ones are still selected:`,
              failures,
            },
      );
      await reread(changed);
    } catch (e) {
      // The call as a whole was refused (or never arrived): nothing changed, the selection stays.
      setOpen(null);
      setNotice({ kind: 'error', text: `Nothing was changed: ${errorMessage(e)}`, failures: [] });
    } finally {
      setBusy('');
    }
  };

  const selectAllMatching = async () => {
    setBusy('Selecting every matching ticket…');
    setNotice(null);
    try {
      const found: [string, number][] = [];
      let token: string | null = null;
      // Pages of up to 1,000 (the listing's limit), until the bulk API's cap.
      do {
        const page: ListPage = await send(
          client.GET('/tickets', {
            params: {
              query: { ...(JSON.parse(listKey) as Record<string, string>), select: 'ticketId', limit: String(BULK_MAX_TICKETS - found.length) },
              header: token ? { continuationToken: token } : {},
            },
          }),
        );
        for (const item of page.items) found.push([item.id, item.ticketId!]);
        token = page.continuationToken ?? null;
      } while (token && found.length < BULK_MAX_TICKETS);
      selection.replace(found);
      setCapped(token !== null);
    } catch (e) {
      setNotice({ kind: 'error', text: `The matching tickets could not be selected: ${errorMessage(e)}`, failures: [] });
    } finally {
      setBusy('');
    }
  };

  const matching = total ?? 0;
  const canSelectMatching = count > 0 && matching > items.length && count < Math.min(matching, BULK_MAX_TICKETS);
  const disabled = busy !== '' || tooMany;
  const forCount = `${plural(count)}`;

  return (
    <div className="bulk">
      <div ref={noticeRef} className={`bulk-notice${notice ? ` ${notice.kind}` : ''}`} role="status" tabIndex={-1}>
        {notice && (
          <>
            <span>{notice.text}</span>
            {notice.failures.length > 0 && (
              <ul aria-label="Tickets not updated">
                {notice.failures.map((f, i) => (
                  <li key={`${f.ticketId ?? 'none'}-${i}`}>
                    <strong>#{f.ticketId ?? '?'}</strong>
                    {f.title ? ` ${f.title}` : ''}: {f.reason}
                  </li>
                ))}
              </ul>
            )}
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          </>
        )}
      </div>
      {count > 0 && (
        <div className="bulk-bar" role="toolbar" aria-label="Bulk actions">
          <strong className="bulk-count">{count.toLocaleString()} selected</strong>
          {canSelectMatching && (
            <button type="button" className="link" disabled={busy !== ''} onClick={() => void selectAllMatching()}>
              Select all {matching.toLocaleString()} matching
            </button>
          )}
          <button type="button" disabled={disabled} onClick={() => setOpen('assign')}>
            Assign…
          </button>
          <button type="button" disabled={disabled} onClick={() => setOpen('priority')}>
            Priority…
          </button>
          <button type="button" disabled={disabled} onClick={() => setOpen('tags')}>
            Add tags…
          </button>
          <button type="button" disabled={disabled} onClick={() => setOpen('status')}>
            Status…
          </button>
          <button type="button" disabled={busy !== ''} onClick={selection.clear}>
            Clear selection
          </button>
          {busy && <span className="muted">{busy}</span>}
          {capped && count === BULK_MAX_TICKETS && (
            <span className="bulk-note">
              The first {BULK_MAX_TICKETS.toLocaleString()} are selected; bulk actions act on at most {BULK_MAX_TICKETS.toLocaleString()} at a time.
            </span>
          )}
          {tooMany && (
            <span className="bulk-note">
              Bulk actions act on at most {BULK_MAX_TICKETS.toLocaleString()} tickets at a time: select fewer ({count.toLocaleString()} now).
            </span>
          )}
        </div>
      )}
      <AssignDialog open={open === 'assign'} count={forCount} busy={busy} onClose={() => setOpen(null)} onApply={apply} />
      <PriorityDialog open={open === 'priority'} count={forCount} busy={busy} onClose={() => setOpen(null)} onApply={apply} />
      <TagsDialog open={open === 'tags'} count={forCount} busy={busy} onClose={() => setOpen(null)} onApply={apply} />
      <StatusDialog open={open === 'status'} count={forCount} busy={busy} onClose={() => setOpen(null)} onApply={apply} />
    </div>
  );
}

interface ActionDialogProps {
  open: boolean;
  /** "3 tickets" */
  count: string;
  busy: string;
  onClose: () => void;
  onApply: (changes: BulkChanges, what: string) => Promise<void>;
}

/** A bulk action's dialog: its fields, and the button that applies it to the selection. */
function ActionForm(props: { title: string; submit: string; busy: string; open: boolean; onClose: () => void; onSubmit: () => void; children: ReactNode }) {
  return (
    <Dialog open={props.open} title={props.title} onClose={props.onClose}>
      <form
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          props.onSubmit();
        }}
      >
        {props.children}
        <div className="actions">
          <button type="submit" className="primary" disabled={props.busy !== ''}>
            {props.submit}
          </button>
          <button type="button" onClick={props.onClose}>
            Cancel
          </button>
        </div>
        {props.busy && <p className="muted">{props.busy}</p>}
      </form>
    </Dialog>
  );
}

function AssignDialog(props: ActionDialogProps) {
  const { people, session } = useApp();
  const [email, setEmail] = useState(session.user.email);
  return (
    <ActionForm
      title={`Assign ${props.count}`}
      submit={`Assign ${props.count}`}
      busy={props.busy}
      open={props.open}
      onClose={props.onClose}
      onSubmit={() => {
        const person = people.find((p) => p.email === email) ?? (email === session.user.email ? session.user : null);
        void props.onApply(
          { assignee: person ? { id: person.id, name: person.name, email: person.email } : null },
          person ? `assigned to ${person.name}` : 'unassigned',
        );
      }}
    >
      <Field label="Assignee" htmlFor="bulk-assignee">
        <select id="bulk-assignee" value={email} onChange={(e) => setEmail(e.target.value)}>
          {people.map((p) => (
            <option key={p.email} value={p.email}>
              {p.name} ({p.email})
            </option>
          ))}
          <option value="">Nobody (unassign)</option>
        </select>
      </Field>
    </ActionForm>
  );
}

function PriorityDialog(props: ActionDialogProps) {
  const [priority, setPriority] = useState<Priority>('Important');
  return (
    <ActionForm
      title={`Priority of ${props.count}`}
      submit={`Set the priority of ${props.count}`}
      busy={props.busy}
      open={props.open}
      onClose={props.onClose}
      onSubmit={() => void props.onApply({ priority }, `priority ${priority}`)}
    >
      <Field label="Priority" htmlFor="bulk-priority">
        <select id="bulk-priority" value={priority} onChange={(e) => setPriority(e.target.value as Priority)}>
          {PRIORITIES.map((p) => (
            <option key={p} value={p}>
              {p}
            </option>
          ))}
        </select>
      </Field>
    </ActionForm>
  );
}

function TagsDialog(props: ActionDialogProps) {
  const { tagCategories } = useApp();
  const [tags, setTags] = useState<TicketTag[]>([]);
  const [problem, setProblem] = useState('');
  return (
    <ActionForm
      title={`Add tags to ${props.count}`}
      submit={`Add tags to ${props.count}`}
      busy={props.busy}
      open={props.open}
      onClose={props.onClose}
      onSubmit={() => {
        if (tags.length === 0) return setProblem('Add at least one tag first');
        setProblem('');
        void props.onApply({ addTags: tags }, `tagged ${tags.map((t) => t.text).join(', ')}`).then(() => setTags([]));
      }}
    >
      <Field label="Tags to add" htmlFor="bulk-tags" errors={problem ? [problem] : []}>
        <TagPicker id="bulk-tags" value={tags} onChange={setTags} categories={tagCategories} />
      </Field>
    </ActionForm>
  );
}

/** Where a bulk status change may go: Open is only ever the first status. */
const TARGETS: Status[] = ['Started', 'Resolved', 'Closed', 'Reopened'];

function StatusDialog(props: ActionDialogProps) {
  const [status, setStatus] = useState<Status>('Resolved');
  const [resolution, setResolution] = useState<Resolution | ''>('');
  const [comment, setComment] = useState('');
  const [problem, setProblem] = useState('');
  return (
    <ActionForm
      title={`Status of ${props.count}`}
      submit={`Change the status of ${props.count}`}
      busy={props.busy}
      open={props.open}
      onClose={props.onClose}
      onSubmit={() => {
        // The API refuses Resolved without a resolution for the whole call: said here first.
        if (status === 'Resolved' && !resolution) return setProblem('A resolved ticket needs a resolution');
        setProblem('');
        void props.onApply(
          { status, ...(status === 'Resolved' && resolution ? { resolution } : {}), ...(comment.trim() ? { comment: comment.trim() } : {}) },
          `status ${status}`,
        );
      }}
    >
      <Field label="New status" htmlFor="bulk-status">
        <select id="bulk-status" value={status} onChange={(e) => setStatus(e.target.value as Status)}>
          {TARGETS.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </Field>
      {status === 'Resolved' && (
        <Field label="Resolution" htmlFor="bulk-resolution" errors={problem ? [problem] : []} required>
          <ResolutionSelect id="bulk-resolution" value={resolution} invalid={!!problem} onChange={setResolution} />
        </Field>
      )}
      <Field label="Comment (optional)" htmlFor="bulk-comment" hint="Recorded with each ticket's status change">
        <textarea id="bulk-comment" rows={3} value={comment} onChange={(e) => setComment(e.target.value)} />
      </Field>
    </ActionForm>
  );
}
