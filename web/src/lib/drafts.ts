import { useCallback, useMemo } from 'react';

/*
 * Comment drafts kept in the browser (localStorage), one per instance, person and ticket, so that
 * what an agent was typing survives a reload, a closed tab and a session that ended (the sign-in
 * page replaces the app; the ticket page comes back after signing in and finds its draft). Keyed
 * by person too: a shared computer does not show one person's draft to the next. A draft stays
 * on this browser only and goes once the comment is posted. Storage that is full or refused
 * (private windows, quotas) loses the draft quietly: typing must never fail for it.
 */

const PREFIX = 'ticketing.draft.';
/** Drafts not touched for this long are dropped when another draft is written. */
const MAX_AGE_MS = 30 * 24 * 60 * 60 * 1000;

interface StoredDraft {
  html: string;
  savedOn: number;
}

const keyOf = (instanceId: string, userId: string, ticketId: string) =>
  `${PREFIX}${encodeURIComponent(instanceId)}.${encodeURIComponent(userId)}.${encodeURIComponent(ticketId)}`;

function read(key: string): StoredDraft | undefined {
  try {
    const raw = localStorage.getItem(key);
    if (!raw) return undefined;
    const parsed = JSON.parse(raw) as Partial<StoredDraft>;
    return typeof parsed.html === 'string' && typeof parsed.savedOn === 'number' ? { html: parsed.html, savedOn: parsed.savedOn } : undefined;
  } catch {
    return undefined;
  }
}

function dropStale(now: number): void {
  for (let i = localStorage.length - 1; i >= 0; i--) {
    const key = localStorage.key(i);
    if (!key?.startsWith(PREFIX)) continue;
    const draft = read(key);
    if (!draft || now - draft.savedOn > MAX_AGE_MS) localStorage.removeItem(key);
  }
}

export interface CommentDraft {
  /** The HTML saved last time, or '' (read once, when the hook is first used for this ticket). */
  initialHtml: string;
  /** Keeps `html` as the draft; an empty box removes it. */
  save: (html: string, isEmpty: boolean) => void;
  /** Forgets the draft (after it was posted). */
  clear: () => void;
}

/** The comment box's draft of one ticket, for one person of one instance. */
export function useCommentDraft(instanceId: string, userId: string, ticketId: string): CommentDraft {
  const key = keyOf(instanceId, userId, ticketId);
  const initialHtml = useMemo(() => read(key)?.html ?? '', [key]);
  const save = useCallback(
    (html: string, isEmpty: boolean) => {
      try {
        if (isEmpty) return localStorage.removeItem(key);
        const now = Date.now();
        if (!read(key)) dropStale(now);
        localStorage.setItem(key, JSON.stringify({ html, savedOn: now } satisfies StoredDraft));
      } catch {
        // Storage full or refused: the draft is only in the page.
      }
    },
    [key],
  );
  const clear = useCallback(() => {
    try {
      localStorage.removeItem(key);
    } catch {
      // Nothing was stored.
    }
  }, [key]);
  return { initialHtml, save, clear };
}
