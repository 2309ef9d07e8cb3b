import type { Selectable } from 'kysely';
import type { CannedResponse } from '../domain/canned-responses.js';
import type { IUser } from '../domain/ticket.js';
import type { CannedResponsesTable, Tx } from './schema.js';

/* An instance's canned responses (migration 017). */

function toCannedResponse(row: Selectable<CannedResponsesTable>): CannedResponse {
  return {
    id: row.id,
    title: row.title,
    body: row.body,
    bodyHtml: row.body_html,
    shared: row.shared === 1,
    createdBy: JSON.parse(row.created_by) as IUser | null,
    createdOn: row.created_on,
    lastUpdatedOn: row.updated_on,
  };
}

/** The instance's canned responses by title (then id); with `sharedOnly`, not the drafts. */
export async function listCannedResponses(db: Tx, instanceId: string, options: { sharedOnly?: boolean } = {}): Promise<CannedResponse[]> {
  let query = db.selectFrom('canned_responses').selectAll().where('instance_id', '=', instanceId);
  if (options.sharedOnly) query = query.where('shared', '=', 1);
  const rows = await query.orderBy('title').orderBy('id').execute();
  return rows.map(toCannedResponse);
}

export async function findCannedResponse(db: Tx, instanceId: string, id: string): Promise<CannedResponse | undefined> {
  const row = await db.selectFrom('canned_responses').selectAll().where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  return row && toCannedResponse(row);
}

export async function insertCannedResponse(db: Tx, instanceId: string, response: CannedResponse): Promise<void> {
  await db
    .insertInto('canned_responses')
    .values({
      instance_id: instanceId,
      id: response.id,
      title: response.title,
      body: response.body,
      body_html: response.bodyHtml,
      shared: response.shared ? 1 : 0,
      created_by: JSON.stringify(response.createdBy),
      created_on: response.createdOn,
      updated_on: response.lastUpdatedOn,
    })
    .execute();
}

export async function updateCannedResponse(db: Tx, instanceId: string, response: CannedResponse): Promise<void> {
  await db
    .updateTable('canned_responses')
    .set({
      title: response.title,
      body: response.body,
      body_html: response.bodyHtml,
      shared: response.shared ? 1 : 0,
      updated_on: response.lastUpdatedOn,
    })
    .where('instance_id', '=', instanceId)
    .where('id', '=', response.id)
    .execute();
}

/** Whether there was one to delete. */
export async function deleteCannedResponse(db: Tx, instanceId: string, id: string): Promise<boolean> {
  const result = await db.deleteFrom('canned_responses').where('instance_id', '=', instanceId).where('id', '=', id).executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}
