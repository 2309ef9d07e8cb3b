import type { Selectable } from 'kysely';
import type { IUser } from '../domain/ticket.js';
import type { SavedViewsTable, Tx } from './schema.js';

/* Saved views (migration 018): shared ones have owner_id '', a person's own their id. */

export interface SavedView {
  id: string;
  name: string;
  query: Record<string, string>;
  /** null: shared with everyone on the instance. */
  ownerId: string | null;
  createdBy: IUser | null;
  createdOn: string;
  lastUpdatedOn: string;
}

const SHARED = '';

function toView(row: Selectable<SavedViewsTable>): SavedView {
  return {
    id: row.id,
    name: row.name,
    query: JSON.parse(row.query) as Record<string, string>,
    ownerId: row.owner_id === SHARED ? null : row.owner_id,
    createdBy: JSON.parse(row.created_by) as IUser | null,
    createdOn: row.created_on,
    lastUpdatedOn: row.updated_on,
  };
}

/** The shared views and, with `ownerId`, that person's own: by name (then id). */
export async function listViews(db: Tx, instanceId: string, ownerId: string | null): Promise<SavedView[]> {
  const owners = ownerId === null ? [SHARED] : [SHARED, ownerId];
  const rows = await db
    .selectFrom('saved_views')
    .selectAll()
    .where('instance_id', '=', instanceId)
    .where('owner_id', 'in', owners)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(toView);
}

/** How many views one owner has (null: the shared ones). */
export async function countViews(db: Tx, instanceId: string, ownerId: string | null): Promise<number> {
  const row = await db
    .selectFrom('saved_views')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .where('instance_id', '=', instanceId)
    .where('owner_id', '=', ownerId ?? SHARED)
    .executeTakeFirst();
  return Number(row?.n ?? 0);
}

export async function findView(db: Tx, instanceId: string, id: string): Promise<SavedView | undefined> {
  const row = await db.selectFrom('saved_views').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  return row && toView(row);
}

const columns = (view: SavedView) => ({
  owner_id: view.ownerId ?? SHARED,
  name: view.name,
  query: JSON.stringify(view.query),
  updated_on: view.lastUpdatedOn,
});

export async function insertView(db: Tx, instanceId: string, view: SavedView): Promise<void> {
  await db
    .insertInto('saved_views')
    .values({ instance_id: instanceId, id: view.id, ...columns(view), created_by: JSON.stringify(view.createdBy), created_on: view.createdOn })
    .execute();
}

export async function updateView(db: Tx, instanceId: string, view: SavedView): Promise<void> {
  await db.updateTable('saved_views').set(columns(view)).where('instance_id', '=', instanceId).where('id', '=', view.id).execute();
}

export async function deleteView(db: Tx, instanceId: string, id: string): Promise<void> {
  await db.deleteFrom('saved_views').where('instance_id', '=', instanceId).where('id', '=', id).execute();
}
