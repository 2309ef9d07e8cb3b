import { ACTIVE_STATUSES, PRIORITIES, STATUSES, type ListedTicket, type Priority, type Status } from './types.js';

/** The local calendar days (YYYY-MM-DD) of the last `days` days, oldest first, ending today. */
export function lastDays(days: number, now = new Date()): string[] {
  const out: string[] = [];
  for (let i = days - 1; i >= 0; i--) {
    const d = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i);
    out.push(localDay(d));
  }
  return out;
}

export function localDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** How many instants fall on each of `days` (local days); instants outside them are ignored. */
export function countPerDay(instants: readonly (string | null | undefined)[], days: readonly string[]): number[] {
  const index = new Map(days.map((d, i) => [d, i]));
  const counts = days.map(() => 0);
  for (const instant of instants) {
    if (!instant) continue;
    const date = new Date(instant);
    if (Number.isNaN(date.getTime())) continue;
    const at = index.get(localDay(date));
    if (at !== undefined) counts[at]! += 1;
  }
  return counts;
}

export interface QueueSummary {
  byStatus: Record<Status, number>;
  /** Active tickets (Open, Reopened, Started) by priority. */
  byPriority: Record<Priority, number>;
  /** Active tickets with either escalation, and with each. */
  escalated: number;
  escalatedFrt: number;
  escalatedRt: number;
  overdue: number;
}

/** Counts over active tickets: by status, by priority, escalated, overdue (expected date passed). */
export function summarizeQueue(tickets: readonly ListedTicket[], now = Date.now()): QueueSummary {
  const byStatus = Object.fromEntries(STATUSES.map((s) => [s, 0])) as Record<Status, number>;
  const byPriority = Object.fromEntries(PRIORITIES.map((p) => [p, 0])) as Record<Priority, number>;
  let escalated = 0;
  let escalatedFrt = 0;
  let escalatedRt = 0;
  let overdue = 0;
  for (const t of tickets) {
    if (t.status) byStatus[t.status] += 1;
    if (!t.status || !ACTIVE_STATUSES.includes(t.status)) continue;
    if (t.priority) byPriority[t.priority] += 1;
    if (t.isFrtEscalated || t.isRtEscalated) escalated += 1;
    if (t.isFrtEscalated) escalatedFrt += 1;
    if (t.isRtEscalated) escalatedRt += 1;
    if (t.expectedDate && new Date(t.expectedDate).getTime() < now) overdue += 1;
  }
  return { byStatus, byPriority, escalated, escalatedFrt, escalatedRt, overdue };
}

/** A "nice" upper bound for a chart axis: 1, 2, 5, 10, 20, 50… at least `max`. */
export function niceCeiling(max: number): number {
  if (max <= 1) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 5, 10]) if (step * power >= max) return step * power;
  return 10 * power;
}
