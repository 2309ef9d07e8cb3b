import { DomainError, notFound } from '../domain/errors.js';
import type { ITag, ITicket, IUser, Priority, Resolution, Status } from '../domain/ticket.js';
import type { Store } from '../store/db.js';
import * as repo from '../store/tickets.repo.js';
import { joiningTransaction } from './joined-transaction.js';
import { parseTicketRef, type Included, type TicketEditorPerson, type TicketsService } from './tickets.service.js';

/*
 * Bulk actions (docs/api.md §15, docs/decisions/021-bulk-actions.md): the same changes to many
 * tickets, each ticket in a transaction of its own, so that one ticket that cannot take them
 * (an invalid transition, a userPermission rule, a ticket that is gone) leaves the others
 * changed. The changes go through TicketsService's update and changeStatus, so activities,
 * events, SLA dates and jobs are exactly those of the single-ticket routes.
 */

export interface BulkChanges {
  assignee?: IUser | null;
  priority?: Priority;
  customFields?: Record<string, unknown>;
  /** Tags added to each ticket's tags (kept once: a tag it has already is not repeated). */
  addTags?: ITag[];
  /** Tags taken off each ticket (category and text, the text case-insensitively). */
  removeTags?: ITag[];
  status?: Status;
  resolution?: Resolution;
  /** The status change's comment (kept as lastResolutionComment when resolving). */
  comment?: string;
}

/** One ticket's outcome: the ticket as it is now, or why it was left as it was. */
export interface BulkOutcome {
  /** The ticket's UUID and number when it was found; else what the given id says. */
  id: string | null;
  ticketId: number | null;
  item?: ITicket;
  /** A DomainError, or an unexpected error (a bug) to log. */
  error?: unknown;
}

export interface BulkOptions {
  timezone: number;
  include: Included;
  /** A person acting (session or personal token): the instance's userPermission applies, as on PUT /tickets/{id}. */
  editor?: TicketEditorPerson;
}

const sameTag = (a: ITag, b: ITag) => a.tagCategoryId === b.tagCategoryId && a.text.toLowerCase() === b.text.toLowerCase();

/** A ticket's tags with `add` added (those it lacks) and `remove` taken off; undefined when that changes nothing. */
export function retag(tags: readonly ITag[], add: readonly ITag[] = [], remove: readonly ITag[] = []): ITag[] | undefined {
  const kept = tags.filter((tag) => !remove.some((r) => sameTag(r, tag)));
  for (const tag of add) if (!kept.some((k) => sameTag(k, tag))) kept.push(tag);
  const same = kept.length === tags.length && kept.every((tag, i) => sameTag(tag, tags[i]!));
  return same ? undefined : kept;
}

export class BulkService {
  constructor(private readonly deps: { store: Store; tickets: TicketsService }) {}

  /**
   * Applies `changes` to each ticket of `refs` (UUIDs or numbers), one after the other, in the
   * order given; answers one outcome per ref, in that order. Tickets are done one at a time:
   * PostgreSQL's pool is shared with every other request, and SQLite writes one at a time anyway.
   */
  async apply(instanceId: string, refs: readonly (string | number)[], changes: BulkChanges, user: IUser, options: BulkOptions): Promise<BulkOutcome[]> {
    const outcomes: BulkOutcome[] = [];
    for (const ref of refs) outcomes.push(await this.applyOne(instanceId, ref, changes, user, options));
    return outcomes;
  }

  private async applyOne(instanceId: string, ref: string | number, changes: BulkChanges, user: IUser, options: BulkOptions): Promise<BulkOutcome> {
    const parsed = parseTicketRef(String(ref));
    const outcome: BulkOutcome = { id: parsed.id ?? null, ticketId: parsed.number !== undefined && parsed.number >= 0 ? parsed.number : null };
    const { store, tickets } = this.deps;
    try {
      outcome.item = await store.dialect.transaction(store.db, (tx) =>
        joiningTransaction(tx, async () => {
          // Locked first (PostgreSQL): the tags are added to what the ticket has when it changes.
          const found = await repo.findTicket(tx, store.dialect, instanceId, parsed, { forUpdate: true });
          if (!found) throw notFound('Ticket');
          outcome.id = found.ticket.id;
          outcome.ticketId = found.ticket.ticketId;
          const { addTags, removeTags, status, resolution, comment, ...fields } = changes;
          const tags = addTags || removeTags ? retag(found.ticket.tags, addTags, removeTags) : undefined;
          const updates = { ...fields, ...(tags ? { tags } : {}) };
          let item: ITicket | undefined;
          if (Object.keys(updates).length > 0) {
            ({ item } = await tickets.update(instanceId, found.ticket.id, updates, user, options.timezone, options.include, options.editor));
          }
          if (status) {
            const input = { status, ...(resolution ? { resolution } : {}), ...(comment ? { comment } : {}) };
            ({ item } = await tickets.changeStatus(instanceId, found.ticket.id, input, user, options.include));
          }
          // Nothing to change on this ticket (say, only tags it already has): it is answered as it is.
          return item ?? (await tickets.update(instanceId, found.ticket.id, {}, user, options.timezone, options.include)).item;
        }),
      );
    } catch (error) {
      // The store's own failures (database away, disk full) as the codes a whole request would get.
      outcome.error = error instanceof DomainError ? error : (store.dialect.fault(error) ?? error);
    }
    return outcome;
  }
}
