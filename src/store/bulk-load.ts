import type { Activity } from '../domain/activity.js';
import type { StoredTicket } from '../domain/ticket.js';

/* The parts of the bulk loader (bulk.repo.ts) that both dialects' loaders share. */

export interface BulkTicket {
  /** ticketId is ignored: the loader numbers tickets after the instance's last_ticket_number. */
  ticket: StoredTicket;
  /** Oldest first; their ticketId is set to the ticket's number. */
  activities: Activity[];
}

export interface BulkLoadResult {
  tickets: number;
  activities: number;
  tags: number;
  firstTicketNumber: number;
  lastTicketNumber: number;
  /** Milliseconds spent in the main phases (insert, indexes, commit, …). */
  timings: Record<string, number>;
}

export interface BulkLoader {
  /** Writes a batch. Its objects are modified (numbers are assigned) and must not be reused. */
  write(batch: readonly BulkTicket[]): Promise<void>;
  /** Re-creates the dropped indexes, sets the instance's last_ticket_number and commits. */
  finish(): Promise<BulkLoadResult>;
  /** Rolls everything back. */
  abort(): Promise<void>;
}

export const BULK_TABLES = ['tickets', 'ticket_tags', 'activities'];

/** Accumulates wall-clock milliseconds per phase. */
export function stopwatch() {
  const timings: Record<string, number> = {};
  return {
    timings,
    add(name: string, since: number) {
      timings[name] = Math.round((timings[name] ?? 0) + performance.now() - since);
    },
  };
}
