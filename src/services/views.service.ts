import { randomUUID } from 'node:crypto';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import { parseCountQuery, parseListQuery, type ListFilters } from '../domain/listing.js';
import { roleAllows, type Role } from '../domain/people.js';
import type { IUser } from '../domain/ticket.js';
import type { Store } from '../store/db.js';
import type { Tx } from '../store/schema.js';
import * as repo from '../store/views.repo.js';

/*
 * Saved views (docs/api.md §17): named ticket listings, each the query of GET /tickets it lists.
 * A person keeps their own; admins (and instance keys) keep the shared ones everyone sees.
 */

/** More would be a second filter bar, not a list of queues. */
export const VIEWS_PER_OWNER = 100;

/** The parameters of GET /tickets a view may hold: what a listing is, not how it is paged or shaped. */
export const VIEW_PARAMETERS = [
  'search',
  'title',
  'status',
  'statusId',
  'isResolved',
  'priority',
  'tags',
  'assignee',
  'unassigned',
  'requestor',
  'createdAfter',
  'createdBefore',
  'lastUpdateAfter',
  'lastUpdateBefore',
  'expectedDateAfter',
  'expectedDateBefore',
  'isFrtEscalated',
  'isRtEscalated',
  'isFrtBreached',
  'isRtBreached',
  'isEscalated',
  'origin',
  'ticketNo',
  'trackingId',
  'timezone',
  'orderBy',
  'order',
] as const;

/** Who asks: a person (their role decides about shared views), or an instance key (shared views only). */
export type Viewer = { person: { id: string; name: string; email: string; role: Role } } | { person: null; user: IUser | null };

export interface ISavedView {
  id: string;
  name: string;
  query: Record<string, string>;
  shared: boolean;
  /** The person whose own view it is; null when shared. */
  owner: { id: string } | null;
  createdBy: IUser | null;
  createdOn: string;
  lastUpdatedOn: string;
  /** With withCounts: the number of tickets it lists now (null: not countable within the search budget). */
  itemCount?: number | null;
}

export interface ViewInput {
  name?: string;
  query?: Record<string, string>;
  shared?: boolean;
}

const present = (view: repo.SavedView): ISavedView => ({
  id: view.id,
  name: view.name,
  query: view.query,
  shared: view.ownerId === null,
  owner: view.ownerId === null ? null : { id: view.ownerId },
  createdBy: view.createdBy,
  createdOn: view.createdOn,
  lastUpdatedOn: view.lastUpdatedOn,
});

/** Whether the viewer may change shared views: admins and instance keys (a read-only key is refused before this). */
const managesShared = (viewer: Viewer) => viewer.person === null || roleAllows(viewer.person.role, 'admin');

/** The query as stored: only the parameters a view holds, trimmed, empty ones left out, and one GET /tickets accepts. */
function checkedQuery(query: Record<string, string>, errors: FieldErrors): Record<string, string> {
  const kept: Record<string, string> = {};
  for (const [name, value] of Object.entries(query)) {
    if (!(VIEW_PARAMETERS as readonly string[]).includes(name)) {
      errors.add(`/body/query/${name}`, `a view holds the filters and order of GET /tickets (${VIEW_PARAMETERS.join(', ')}), not ${name}`);
      continue;
    }
    if (value.trim() !== '') kept[name] = value.trim();
  }
  try {
    parseListQuery(kept);
  } catch (error) {
    if (!(error instanceof DomainError) || !error.errors) throw error;
    for (const e of error.errors) errors.add(e.path.replace(/^\/query/, '/body/query'), e.message);
  }
  return kept;
}

export class ViewsService {
  constructor(
    private readonly deps: {
      store: Store;
      now: () => string;
      /** The number of tickets a listing's filters match (GET /tickets/counts). */
      count: (instanceId: string, filters: ListFilters, timezone: number) => Promise<number>;
    },
  ) {}

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  /** The shared views and the person's own, by name; with `withCounts`, each with its ticket count. */
  async list(instanceId: string, viewer: Viewer, options: { withCounts: boolean }): Promise<ISavedView[]> {
    const views = (await repo.listViews(this.deps.store.db, instanceId, viewer.person?.id ?? null)).map(present);
    if (!options.withCounts) return views;
    return Promise.all(
      views.map(async (view) => {
        try {
          const { filters, timezone } = parseCountQuery(view.query);
          return { ...view, itemCount: await this.deps.count(instanceId, filters, timezone) };
        } catch (error) {
          // A view saved before a tag or status it names was removed, or a search over the budget.
          if (error instanceof DomainError) return { ...view, itemCount: null };
          throw error;
        }
      }),
    );
  }

  async get(instanceId: string, id: string, viewer: Viewer): Promise<ISavedView> {
    return present(await this.visible(this.deps.store.db, instanceId, id, viewer));
  }

  /** Another person's own view is not there, for this viewer. */
  private async visible(db: Tx, instanceId: string, id: string, viewer: Viewer): Promise<repo.SavedView> {
    const found = await repo.findView(db, instanceId, id);
    if (!found || (found.ownerId !== null && found.ownerId !== viewer.person?.id)) throw notFound('View');
    return found;
  }

  /** Shared views are the admins' (and instance keys'): anyone else is refused before anything changes. */
  private checkMayChange(shared: boolean, viewer: Viewer): void {
    if (shared && !managesShared(viewer)) throw new DomainError('forbidden', 'Only admins change shared views; keep this one as your own (shared: false)');
  }

  /** A view kept as someone's own needs a someone: an instance key has no person. */
  private checkOwner(shared: boolean, viewer: Viewer, errors: FieldErrors): void {
    if (!shared && viewer.person === null) errors.add('/body/shared', 'an instance key has no person to keep a view for: a key saves shared views');
  }

  async create(instanceId: string, input: ViewInput & { name: string; query: Record<string, string> }, viewer: Viewer): Promise<ISavedView> {
    const errors = new FieldErrors();
    // A person's view is their own unless they say otherwise; a key's is shared.
    const shared = input.shared ?? viewer.person === null;
    this.checkMayChange(shared, viewer);
    this.checkOwner(shared, viewer, errors);
    const query = checkedQuery(input.query, errors);
    errors.throwIfAny();
    const now = this.deps.now();
    const creator = viewer.person ? { id: viewer.person.id, name: viewer.person.name, email: viewer.person.email } : viewer.user;
    const view: repo.SavedView = {
      id: randomUUID(),
      name: input.name.trim(),
      query,
      ownerId: shared ? null : viewer.person!.id,
      createdBy: creator ?? null,
      createdOn: now,
      lastUpdatedOn: now,
    };
    return this.tx(async (tx) => {
      // Counted in the writing transaction (a PostgreSQL race may pass the cap by one, which it tolerates).
      if ((await repo.countViews(tx, instanceId, view.ownerId)) >= VIEWS_PER_OWNER) {
        throw new DomainError('conflict', `at most ${VIEWS_PER_OWNER} ${shared ? 'shared views per instance' : 'views per person'}; delete some first`);
      }
      await repo.insertView(tx, instanceId, view);
      return present(view);
    });
  }

  /** A partial update: name, query (replaced whole), shared (a person's own view made shared, or back, by an admin). */
  async update(instanceId: string, id: string, input: ViewInput, viewer: Viewer): Promise<ISavedView> {
    const errors = new FieldErrors();
    const query = input.query === undefined ? undefined : checkedQuery(input.query, errors);
    return this.tx(async (tx) => {
      const found = await this.visible(tx, instanceId, id, viewer);
      this.checkMayChange(found.ownerId === null || input.shared === true, viewer);
      if (input.shared === false) this.checkOwner(false, viewer, errors);
      errors.throwIfAny();
      const shared = input.shared ?? found.ownerId === null;
      const changed: repo.SavedView = {
        ...found,
        ...(input.name !== undefined ? { name: input.name.trim() } : {}),
        ...(query ? { query } : {}),
        ownerId: shared ? null : (found.ownerId ?? viewer.person!.id),
        lastUpdatedOn: this.deps.now(),
      };
      await repo.updateView(tx, instanceId, changed);
      return present(changed);
    });
  }

  async delete(instanceId: string, id: string, viewer: Viewer): Promise<void> {
    await this.tx(async (tx) => {
      const found = await this.visible(tx, instanceId, id, viewer);
      this.checkMayChange(found.ownerId === null, viewer);
      await repo.deleteView(tx, instanceId, id);
    });
  }
}
