import { sql } from 'kysely';
import type { StoredAttachment } from '../domain/attachments.js';
import type { AttachmentsTable, Tx } from './schema.js';

/*
 * Attachments and the blobs they point at (migration 014). Every function takes the instance id:
 * a blob is content-addressed within its instance only.
 */

type AttachmentRow = Omit<AttachmentsTable, 'seq'>;

function toAttachment(row: AttachmentRow): StoredAttachment {
  return {
    id: row.id,
    ticketId: row.ticket_id,
    ticketNumber: row.ticket_number,
    activityId: row.activity_id,
    filename: row.filename,
    caption: row.caption,
    link: row.link,
    sha256: row.sha256,
    size: row.size === null ? null : Number(row.size),
    contentType: row.content_type,
    storageKey: row.storage_key,
    isImage: row.is_image === 1,
    isArchive: row.is_archive === 1,
    isPrivate: row.is_private === 1,
    createdOn: row.created_on,
    createdBy: JSON.parse(row.created_by),
  };
}

const COLUMNS = [
  'instance_id',
  'id',
  'ticket_seq',
  'ticket_id',
  'ticket_number',
  'activity_id',
  'filename',
  'caption',
  'link',
  'sha256',
  'size',
  'content_type',
  'storage_key',
  'is_image',
  'is_archive',
  'is_private',
  'created_on',
  'created_by',
] as const;

/**
 * Holds the blob of `sha256` for an upload until `pinnedUntil`: creates its row (under the
 * proposed storage key) or pins the existing one. `created` tells which: only a new blob adds to
 * the instance's storage use. On PostgreSQL a concurrent sweep's delete of the row either
 * finished first (a new row is made, under the new key) or waits and then sees the pin.
 */
export async function reserveBlob(
  db: Tx,
  instanceId: string,
  blob: { sha256: string; size: number; storageKey: string; pinnedUntil: string; now: string },
): Promise<{ storageKey: string; refCount: number; created: boolean }> {
  const row = await db
    .insertInto('attachment_blobs')
    .values({
      instance_id: instanceId,
      sha256: blob.sha256,
      storage_key: blob.storageKey,
      size: blob.size,
      ref_count: 0,
      pinned_until: blob.pinnedUntil,
      created_on: blob.now,
    })
    .onConflict((oc) => oc.columns(['instance_id', 'sha256']).doUpdateSet({ pinned_until: blob.pinnedUntil }))
    .returning(['storage_key', 'ref_count'])
    .executeTakeFirstOrThrow();
  return { storageKey: row.storage_key, refCount: Number(row.ref_count), created: row.storage_key === blob.storageKey };
}

/** Adds to the instance's storage use (negative to take off); answers the new total. */
export async function addUsage(db: Tx, instanceId: string, bytes: number): Promise<number> {
  const row = await db
    .insertInto('attachment_usage')
    .values({ instance_id: instanceId, used_bytes: bytes })
    .onConflict((oc) => oc.column('instance_id').doUpdateSet({ used_bytes: sql`attachment_usage.used_bytes + ${bytes}` }))
    .returning('used_bytes')
    .executeTakeFirstOrThrow();
  return Number(row.used_bytes);
}

/** Bytes each instance holds in storage (all instances when none are named). */
export async function usageByInstance(db: Tx, instanceIds?: readonly string[]): Promise<Map<string, number>> {
  if (instanceIds && instanceIds.length === 0) return new Map();
  let query = db.selectFrom('attachment_usage').select(['instance_id', 'used_bytes']);
  if (instanceIds) query = query.where('instance_id', 'in', instanceIds);
  const rows = await query.execute();
  return new Map(rows.map((r) => [r.instance_id, Number(r.used_bytes)]));
}

/**
 * Counts `count` more attachments on the blob stored under `storageKey`. False when that blob is
 * gone (swept after its pin ran out): the caller must not point at it.
 */
export async function referenceBlob(db: Tx, instanceId: string, sha256: string, storageKey: string, count: number): Promise<boolean> {
  const result = await db
    .updateTable('attachment_blobs')
    .set({ ref_count: sql`ref_count + ${count}` })
    .where('instance_id', '=', instanceId)
    .where('sha256', '=', sha256)
    .where('storage_key', '=', storageKey)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) > 0;
}

/** The attachments of a ticket, counted up to `upTo`. */
export async function countTicketAttachments(db: Tx, instanceId: string, ticketSeq: number, upTo: number): Promise<number> {
  const row = await db
    .selectFrom((eb) =>
      eb.selectFrom('attachments').select('seq').where('instance_id', '=', instanceId).where('ticket_seq', '=', ticketSeq).limit(upTo).as('a'),
    )
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function insertAttachments(db: Tx, instanceId: string, ticketSeq: number, attachments: readonly StoredAttachment[]): Promise<void> {
  if (attachments.length === 0) return;
  await db
    .insertInto('attachments')
    .values(
      attachments.map((a) => ({
        instance_id: instanceId,
        id: a.id,
        ticket_seq: ticketSeq,
        ticket_id: a.ticketId,
        ticket_number: a.ticketNumber,
        activity_id: a.activityId,
        filename: a.filename,
        caption: a.caption,
        link: a.link,
        sha256: a.sha256,
        size: a.size,
        content_type: a.contentType,
        storage_key: a.storageKey,
        is_image: a.isImage ? 1 : 0,
        is_archive: a.isArchive ? 1 : 0,
        is_private: a.isPrivate ? 1 : 0,
        created_on: a.createdOn,
        created_by: JSON.stringify(a.createdBy),
      })),
    )
    .execute();
}

/** A ticket's attachments, oldest first. */
export async function listTicketAttachments(db: Tx, instanceId: string, ticketSeq: number, limit: number): Promise<StoredAttachment[]> {
  const rows = await db
    .selectFrom('attachments')
    .select(COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('ticket_seq', '=', ticketSeq)
    .orderBy('seq')
    .limit(limit)
    .execute();
  return rows.map(toAttachment);
}

/** The attachments of several activities (a page of them) in one query, oldest first. */
export async function listActivityAttachments(db: Tx, instanceId: string, activityIds: readonly string[]): Promise<StoredAttachment[]> {
  if (activityIds.length === 0) return [];
  const rows = await db
    .selectFrom('attachments')
    .select(COLUMNS)
    .where('instance_id', '=', instanceId)
    .where('activity_id', 'in', activityIds)
    .orderBy('seq')
    .execute();
  return rows.map(toAttachment);
}

export async function findAttachment(db: Tx, instanceId: string, attachmentId: string): Promise<StoredAttachment | undefined> {
  const row = await db.selectFrom('attachments').select(COLUMNS).where('instance_id', '=', instanceId).where('id', '=', attachmentId).executeTakeFirst();
  return row && toAttachment(row);
}

/** Whether the instance has an activity with this id. */
export async function activityExists(db: Tx, instanceId: string, activityId: string): Promise<boolean> {
  const row = await db.selectFrom('activities').select('seq').where('instance_id', '=', instanceId).where('id', '=', activityId).executeTakeFirst();
  return row !== undefined;
}

/** Ids of every instance, for the sweep (which works one instance at a time). */
export async function instanceIds(db: Tx): Promise<string[]> {
  const rows = await db.selectFrom('instances').select('id').orderBy('id').execute();
  return rows.map((r) => r.id);
}

/**
 * Deletes the instance's blobs that no attachment points at and no upload holds, takes their bytes
 * off its use, and queues their storage objects for removal, in `db`'s transaction. The objects
 * are removed after the commit (removeQueued): a new upload of the same bytes makes a new row
 * under a new key, so it never depends on an object being removed.
 */
export async function deleteUnreferencedBlobs(db: Tx, instanceId: string, now: string): Promise<number> {
  const gone = await db
    .deleteFrom('attachment_blobs')
    .where('instance_id', '=', instanceId)
    .where('ref_count', '=', 0)
    .where((eb) => eb.or([eb('pinned_until', 'is', null), eb('pinned_until', '<', now)]))
    .returning(['storage_key', 'size'])
    .execute();
  if (gone.length === 0) return 0;
  await db
    .insertInto('attachment_blob_deletions')
    .values(gone.map((g) => ({ instance_id: instanceId, storage_key: g.storage_key, queued_on: now })))
    .onConflict((oc) => oc.doNothing())
    .execute();
  await addUsage(db, instanceId, -gone.reduce((sum, g) => sum + Number(g.size), 0));
  return gone.length;
}

/** Storage objects queued for removal (their rows are gone). */
export async function queuedRemovals(db: Tx, instanceId: string, limit: number): Promise<string[]> {
  const rows = await db.selectFrom('attachment_blob_deletions').select('storage_key').where('instance_id', '=', instanceId).limit(limit).execute();
  return rows.map((r) => r.storage_key);
}

export async function forgetRemoval(db: Tx, instanceId: string, storageKey: string): Promise<void> {
  await db.deleteFrom('attachment_blob_deletions').where('instance_id', '=', instanceId).where('storage_key', '=', storageKey).execute();
}

/** The blob row of a content, if any (tests and the sweep's checks). */
export async function findBlob(db: Tx, instanceId: string, sha256: string) {
  return db.selectFrom('attachment_blobs').selectAll().where('instance_id', '=', instanceId).where('sha256', '=', sha256).executeTakeFirst();
}
