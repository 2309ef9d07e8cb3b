import type { User } from './types.js';

/** Dates as the person reads them: in the browser's locale and timezone. */
/*
 * One formatter each, made once: toLocaleString(undefined, options) builds a new Intl.DateTimeFormat
 * on every call, which was the desk's biggest cost while scrolling (2 s of 25 s over 5,000 rows).
 */
const DATE_TIME = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
const DATE = new Intl.DateTimeFormat(undefined, { year: 'numeric', month: 'short', day: 'numeric' });
const DAY_AND_MONTH = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });

export function formatDateTime(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return DATE_TIME.format(date);
}

export function formatDate(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return DATE.format(date);
}

/** A compact date for lists: "Mar 4" this year, "Mar 4, 2025" otherwise. */
export function formatShortDate(iso: string | null | undefined, now = new Date()): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return (date.getFullYear() === now.getFullYear() ? DAY_AND_MONTH : DATE).format(date);
}

/** "3 h ago", "in 2 d": short relative time for lists. */
export function formatRelative(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '';
  const diff = new Date(iso).getTime() - now;
  const abs = Math.abs(diff);
  const units: [number, string][] = [
    [86_400_000 * 365, 'y'],
    [86_400_000 * 30, 'mo'],
    [86_400_000, 'd'],
    [3_600_000, 'h'],
    [60_000, 'min'],
  ];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const n = Math.floor(abs / size);
      return diff < 0 ? `${n} ${unit} ago` : `in ${n} ${unit}`;
    }
  }
  return 'just now';
}

/** The local calendar day (YYYY-MM-DD) of an instant, for <input type="date">. */
export function toDateInput(iso: string | null | undefined): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

export const formatUser = (user: User | null | undefined): string => (user ? (user.name ? `${user.name} <${user.email}>` : user.email) : '');

/**
 * A person typed as "Name <email>", "email" or "Name, email"; a known person (same email) keeps
 * the id the instance knows. New people get their email (lower case) as id, as sign-in does.
 */
export function parseUser(text: string, known: readonly User[] = []): User | undefined {
  const trimmed = text.trim();
  if (!trimmed) return undefined;
  let name = '';
  let email = '';
  const angle = /^(.*?)\s*<\s*([^<>\s]+)\s*>\s*$/.exec(trimmed);
  const comma = /^(.*?)\s*,\s*(\S+@\S+)$/.exec(trimmed);
  if (angle) [, name = '', email = ''] = angle;
  else if (comma) [, name = '', email = ''] = comma;
  else if (/^\S+@\S+$/.test(trimmed)) email = trimmed;
  else {
    const byName = known.find((u) => u.name.toLowerCase() === trimmed.toLowerCase());
    return byName ? { ...byName } : undefined;
  }
  if (!/^[^@\s]+@[^@\s]+$/.test(email)) return undefined;
  const match = known.find((u) => u.email.toLowerCase() === email.toLowerCase());
  if (match) return { id: match.id, name: name.trim() || match.name, email: match.email };
  return { id: email.toLowerCase(), name: name.trim().replace(/^"|"$/g, '') || email.split('@')[0]!, email };
}

/** Distinct people by email, first seen wins. */
export function uniquePeople(people: readonly (User | null | undefined)[]): User[] {
  const seen = new Set<string>();
  const out: User[] = [];
  for (const person of people) {
    if (!person) continue;
    const key = person.email.toLowerCase();
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(person);
  }
  return out;
}
