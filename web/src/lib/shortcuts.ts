import { useEffect, useRef } from 'react';

/** What the shortcuts dialog lists, per page; the handlers live with the pages. */
export const SHORTCUTS: { page: string; keys: { key: string; does: string }[] }[] = [
  {
    page: 'Desk',
    keys: [
      { key: 'j', does: 'Next ticket' },
      { key: 'k', does: 'Previous ticket' },
      { key: 'Enter', does: 'Open the selected ticket' },
      { key: 'Space', does: 'Select the focused ticket for bulk actions (Shift: the rows since the last one)' },
      { key: 'x', does: 'Select the focused ticket for bulk actions' },
      { key: '/', does: 'Search tickets' },
    ],
  },
  {
    page: 'Ticket',
    keys: [
      { key: 'c', does: 'Write a comment' },
      { key: 'a', does: 'Assign the ticket' },
      { key: 's', does: 'Change the status' },
    ],
  },
  { page: 'Everywhere', keys: [{ key: '?', does: 'List the keyboard shortcuts' }] },
];

/** Keys typed into a field are text, not commands. */
function typing(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  const tag = target.tagName;
  if (tag === 'TEXTAREA' || tag === 'SELECT') return true;
  if (tag !== 'INPUT') return false;
  const type = (target as HTMLInputElement).type;
  // A checkbox or radio takes no text: j/k/c… stay shortcuts there (Space and arrows are theirs).
  return !['checkbox', 'radio', 'button', 'submit', 'reset', 'range', 'color', 'file'].includes(type);
}

/**
 * Single-key shortcuts while `enabled`: ignored while typing, with a modifier (Ctrl/Alt/Meta
 * belong to the browser and the screen reader), or while a modal dialog is open.
 */
export function useShortcuts(handlers: Record<string, (event: KeyboardEvent) => void>, enabled = true): void {
  const latest = useRef(handlers);
  latest.current = handlers;
  useEffect(() => {
    if (!enabled) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
      if (typing(event.target) || document.querySelector('dialog[open]')) return;
      const handler = latest.current[event.key];
      if (!handler) return;
      handler(event);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [enabled]);
}
