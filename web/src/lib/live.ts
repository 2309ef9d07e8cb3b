import { useEffect, useRef, useState } from 'react';
import { ALERT_EVENT_TYPES, TICKET_EVENT_TYPES, WEBHOOK_EVENT_TYPES } from '../../../src/domain/event-types.js';
import { client } from './api.js';

/*
 * Live updates (docs/api.md §13.1): one EventSource per tab on GET /api/v1/events/stream,
 * shared by every page that listens, open only while one does. The browser reconnects by itself
 * and sends Last-Event-ID, so no event is missed across a dropped connection.
 */

/** An event of the stream: a feed item (`ticket` is the ticket's UUID), or `presence` / `reset`. */
export interface LiveEvent {
  type: string;
  data: LiveItem & PresenceData & { reason?: string };
}

export interface LiveItem {
  id: string;
  ticket: string | null;
  ticketId: number | null;
  timestamp: string;
  data: { user?: { id: string; name: string; email: string }; ticket?: { title: string }; [key: string]: unknown };
}

export interface PresenceData {
  ticket: { id: string; ticketId: number };
  user: { id: string; name: string };
  state: 'viewing' | 'replying' | 'left';
  expiresOn: string;
}

/** How long to wait before opening the stream again after the server refused it. */
const RETRY_AFTER_FAILURE_MS = 30_000;
const NAMES = [...TICKET_EVENT_TYPES, ...ALERT_EVENT_TYPES, ...WEBHOOK_EVENT_TYPES, 'presence', 'reset'];
const listeners = new Set<(event: LiveEvent) => void>();
let source: EventSource | undefined;
let closeTimer: ReturnType<typeof setTimeout> | undefined;

function open(): void {
  if (closeTimer) clearTimeout(closeTimer);
  closeTimer = undefined;
  if (source) return;
  const opened = new EventSource('/api/v1/events/stream', { withCredentials: true });
  source = opened;
  // The browser retries a dropped connection by itself, but gives up on an error answer (a 429,
  // a 503 while the database is away, a 401 when the session ended): try again later.
  opened.addEventListener('error', () => {
    if (opened.readyState !== EventSource.CLOSED || source !== opened) return;
    source = undefined;
    setTimeout(() => {
      if (listeners.size > 0 && !source) open();
    }, RETRY_AFTER_FAILURE_MS);
  });
  for (const name of NAMES) {
    opened.addEventListener(name, (message) => {
      let data: LiveEvent['data'];
      try {
        data = JSON.parse((message as MessageEvent<string>).data) as LiveEvent['data'];
      } catch {
        return;
      }
      for (const listener of [...listeners]) listener({ type: name, data });
    });
  }
}

function release(): void {
  // Moving from page to page keeps the one connection.
  if (listeners.size > 0 || closeTimer) return;
  closeTimer = setTimeout(() => {
    closeTimer = undefined;
    if (listeners.size === 0) {
      source?.close();
      source = undefined;
    }
  }, 5_000);
}

/** Calls `handler` with each live event while the component is mounted (the latest handler, without re-subscribing). */
export function useLiveEvents(handler: (event: LiveEvent) => void): void {
  const latest = useRef(handler);
  latest.current = handler;
  useEffect(() => {
    const listener = (event: LiveEvent) => latest.current(event);
    listeners.add(listener);
    open();
    return () => {
      listeners.delete(listener);
      release();
    };
  }, []);
}

// ------------------------------------------------------------------------------------------
// Presence

/**
 * How often a visible page says again that it is there (the server keeps a presence 60 s). Each
 * is a request counted against the instance's rate limit, so not more often, and not from a tab
 * in the background (nobody is viewing it).
 */
const PRESENCE_REFRESH_MS = 25_000;
/** A presence not heard of again for this long has lapsed (the server's 60 s). */
const PRESENCE_LAPSE_MS = 60_000;

const replying = new Map<string, boolean>();
const replyingListeners = new Set<() => void>();

/** The comment box says whether it holds text (state `replying` rather than `viewing`). */
export function reportReplying(ticketId: string, isReplying: boolean): void {
  if ((replying.get(ticketId) ?? false) === isReplying) return;
  replying.set(ticketId, isReplying);
  for (const listener of replyingListeners) listener();
}

function sendPresence(ticketId: string, state: PresenceData['state']): void {
  void client.POST('/tickets/{ticketId}/presence', { params: { path: { ticketId } }, body: { state } }).catch(() => undefined);
}

/**
 * Says this person is on the ticket (viewing, or replying while the comment box has text) while
 * the page is open, and answers the others who are, newest state first.
 */
export function usePresence(ticketId: string, selfId: string, enabled: boolean): { name: string; state: 'viewing' | 'replying' }[] {
  const [others, setOthers] = useState<Map<string, { name: string; state: 'viewing' | 'replying'; expires: number }>>(new Map());

  /** Says it again now (someone new came: they should not wait for the next refresh to see us). */
  const announceAgain = useRef<() => void>(() => undefined);
  useEffect(() => {
    if (!enabled) return;
    let state: PresenceData['state'] = replying.get(ticketId) ? 'replying' : 'viewing';
    const say = () => {
      if (document.visibilityState !== 'hidden') sendPresence(ticketId, state);
    };
    say();
    const timer = setInterval(say, PRESENCE_REFRESH_MS);
    document.addEventListener('visibilitychange', say);
    // Bounded: each side answers a newcomer once (a known person's presence is not answered).
    announceAgain.current = say;
    const onReplying = () => {
      const next = replying.get(ticketId) ? 'replying' : 'viewing';
      if (next === state) return;
      state = next;
      say();
    };
    replyingListeners.add(onReplying);
    return () => {
      clearInterval(timer);
      document.removeEventListener('visibilitychange', say);
      announceAgain.current = () => undefined;
      replyingListeners.delete(onReplying);
      replying.delete(ticketId);
      sendPresence(ticketId, 'left');
    };
  }, [ticketId, enabled]);

  useLiveEvents((event) => {
    if (event.type !== 'presence' || event.data.ticket.id !== ticketId || event.data.user.id === selfId) return;
    const { user, state } = event.data;
    if (state !== 'left' && !others.has(user.id)) announceAgain.current();
    setOthers((current) => {
      const next = new Map(current);
      if (state === 'left') next.delete(user.id);
      // Timed by this tab's clock, which may differ from the server's.
      else next.set(user.id, { name: user.name, state, expires: Date.now() + PRESENCE_LAPSE_MS });
      return next;
    });
  });

  // Presences lapse when not refreshed (a closed tab says nothing).
  useEffect(() => {
    if (others.size === 0) return;
    const timer = setInterval(() => {
      setOthers((current) => {
        const now = Date.now();
        const kept = [...current].filter(([, p]) => p.expires > now);
        return kept.length === current.size ? current : new Map(kept);
      });
    }, 5_000);
    return () => clearInterval(timer);
  }, [others.size]);

  return [...others.values()].map(({ name, state }) => ({ name, state }));
}
