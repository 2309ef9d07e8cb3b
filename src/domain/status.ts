import { DomainError } from './errors.js';
import type { Status } from './ticket.js';

/**
 * The status machine of docs/api.md §6. `Open` is only ever the initial status. The web app
 * imports this table (this module does no I/O) to offer only the moves the server accepts.
 */
export const TRANSITIONS: Readonly<Record<Status, readonly Status[]>> = {
  Open: ['Started', 'Resolved', 'Closed'],
  Started: ['Resolved', 'Closed'],
  Reopened: ['Started', 'Resolved', 'Closed'],
  Resolved: ['Closed', 'Reopened'],
  Closed: ['Reopened'],
};

export function assertTransition(from: Status, to: Status): void {
  if (!TRANSITIONS[from].includes(to)) {
    const allowed = TRANSITIONS[from].join(', ');
    throw new DomainError('invalid_transition', `A ${from} ticket can't become ${to}; it can become: ${allowed}`);
  }
}
