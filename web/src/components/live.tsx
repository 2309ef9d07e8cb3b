import { useRef, useState, type Dispatch, type SetStateAction } from 'react';
import { client, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { useLiveEvents, usePresence, type LiveEvent } from '../lib/live.js';
import type { ListedTicket } from '../lib/types.js';

/*
 * What live updates (lib/live.ts) show: on the ticket page, who else is there and that someone
 * changed the ticket; on the desk, rows that change as others work and a note of new tickets.
 */

/** Who made the change an event is about; null for the help-desk engine's own. */
const changedBy = (event: LiveEvent) => event.data.data?.user ?? null;

/**
 * The ticket page's live strip: "Ben is viewing" / "Ben is replying", and, when someone else
 * changes the ticket, reloading it (`onReload`) with "Ben updated this ticket". While the ticket
 * is being edited the form is left alone: the agent is told, and reloads when they choose.
 */
export function TicketLive(props: { ticketId: string; editing: boolean; onReload: () => void }) {
  const { session } = useApp();
  const [notice, setNotice] = useState<{ text: string; pending: boolean } | null>(null);
  const others = usePresence(props.ticketId, session.user.id, session.role !== 'viewer');
  useLiveEvents((event) => {
    if (event.type === 'presence' || event.type === 'reset') {
      if (event.type === 'reset') props.onReload();
      return;
    }
    if (event.data.ticket !== props.ticketId) return;
    const user = changedBy(event);
    if (user && user.id === session.user.id) return;
    const who = user?.name ?? 'The help desk';
    if (props.editing) setNotice({ text: `${who} updated this ticket while you were editing it.`, pending: true });
    else {
      props.onReload();
      setNotice({ text: `${who} updated this ticket.`, pending: false });
    }
  });
  const present = others.map((o) => `${o.name} is ${o.state}`);
  if (!notice && present.length === 0) return null;
  return (
    <div className="live-strip" aria-live="polite">
      {present.length > 0 && <span className="live-presence">{present.join(' · ')}</span>}
      {notice && (
        <span className="live-notice">
          {notice.text}{' '}
          {notice.pending ? (
            <button
              type="button"
              className="link"
              onClick={() => {
                props.onReload();
                setNotice(null);
              }}
            >
              Show the changes
            </button>
          ) : (
            <button type="button" className="link" onClick={() => setNotice(null)}>
              Dismiss
            </button>
          )}
        </span>
      )}
    </div>
  );
}

/** Listing parameters that order a view or read its dates without leaving any ticket out. */
const UNFILTERED_PARAMS = new Set(['timezone', 'orderBy', 'order']);

/** How many of the tickets `numbers` the view `params` shows; all of them if the server cannot say (better a note too many than a ticket missed). */
async function countShown(params: Readonly<Record<string, string>>, numbers: number[]): Promise<number> {
  try {
    const page = await send(
      client.GET('/tickets', {
        params: { query: { ...params, ticketNo: numbers.join(','), select: 'ticketId', limit: String(numbers.length) } as Record<string, string> },
      }),
    );
    return page.items.length;
  } catch {
    return numbers.length;
  }
}

/**
 * Keeps the desk's rows current: a row whose ticket changes is read again (the columns of
 * `select`), in place; tickets created meanwhile that the view (`view`: the listing's filters)
 * shows are counted, and shown when the agent asks (`onShowNew`), so the list does not jump
 * under the pointer. Answers the note to show.
 */
export function useLiveDesk(props: {
  items: ListedTicket[];
  setItems: Dispatch<SetStateAction<ListedTicket[]>>;
  select: string;
  view: Readonly<Record<string, string>>;
  onShowNew: () => void;
}) {
  const [created, setCreated] = useState(0);
  const [pending] = useState(() => ({ numbers: new Set<number>(), timer: undefined as ReturnType<typeof setTimeout> | undefined }));
  const [arrivals] = useState(() => ({ numbers: new Set<number>(), timer: undefined as ReturnType<typeof setTimeout> | undefined }));
  // The view now, for a count that comes back after it changed.
  const viewKey = JSON.stringify(props.view);
  const view = useRef({ params: props.view, key: viewKey });
  if (view.current.key !== viewKey) {
    // Another view: what came in before it is in its first page, or not in it at all.
    view.current = { params: props.view, key: viewKey };
    arrivals.numbers.clear();
    if (created !== 0) setCreated(0);
  }
  /** Counts the tickets created meanwhile that the view shows: one request for those that came together. */
  const countArrivals = async () => {
    arrivals.timer = undefined;
    const numbers = [...arrivals.numbers];
    arrivals.numbers.clear();
    if (numbers.length === 0) return;
    const asked = view.current;
    // A view without filters shows every new ticket: no request (they count against the instance's rate limit).
    const filtered = Object.keys(asked.params).some((name) => !UNFILTERED_PARAMS.has(name));
    const matching = filtered ? await countShown(asked.params, numbers) : numbers.length;
    if (matching > 0 && view.current === asked) setCreated((n) => n + matching);
  };
  const refresh = async () => {
    pending.timer = undefined;
    const numbers = [...pending.numbers];
    pending.numbers.clear();
    if (numbers.length === 0) return;
    try {
      const page = await send(
        client.GET('/tickets', {
          params: { query: { ticketNo: numbers.join(','), select: props.select, limit: String(numbers.length) } as Record<string, string> },
        }),
      );
      const fresh = new Map(page.items.map((item) => [item.ticketId, item]));
      props.setItems((current) => current.map((item) => fresh.get(item.ticketId) ?? item));
    } catch {
      // The next change, or a reload, brings the row up to date.
    }
  };
  useLiveEvents((event) => {
    if (event.type === 'reset') return props.onShowNew();
    if (event.type === 'presence' || event.data.ticketId === null) return;
    if (event.type === 'ticket.created') {
      arrivals.numbers.add(event.data.ticketId);
      arrivals.timer ??= setTimeout(() => void countArrivals(), 250);
      return;
    }
    if (!props.items.some((item) => item.ticketId === event.data.ticketId)) return;
    // Changes that come together (one write makes several events) are read once.
    pending.numbers.add(event.data.ticketId);
    pending.timer ??= setTimeout(() => void refresh(), 250);
  });
  if (created === 0) return null;
  return (
    <div className="live-strip" aria-live="polite">
      {created === 1 ? 'A new ticket came in.' : `${created} new tickets came in.`}{' '}
      <button
        type="button"
        className="link"
        onClick={() => {
          setCreated(0);
          props.onShowNew();
        }}
      >
        Show
      </button>
    </div>
  );
}
