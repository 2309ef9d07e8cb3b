import { v7 as uuidv7 } from 'uuid';
import type { CustomFieldDefinition, CustomFieldType } from '../domain/custom-fields.js';
import { defaultSettings, type Instance, type InstanceSettings, type KeyName } from '../domain/instance.js';
import type { TagCategory } from '../domain/tags.js';
import type { CustomFieldsTable, Tx } from './schema.js';

const parseSettings = (json: string): InstanceSettings => ({ ...defaultSettings(), ...JSON.parse(json) });

export async function insertInstance(db: Tx, input: { id?: string; name: string; settings?: Partial<InstanceSettings> }, now: string): Promise<Instance> {
  const instance: Instance = { id: input.id ?? uuidv7(), name: input.name, settings: { ...defaultSettings(), ...input.settings } };
  await db
    .insertInto('instances')
    .values({ id: instance.id, name: instance.name, settings: JSON.stringify(instance.settings), last_ticket_number: 0, created_on: now, updated_on: now })
    .execute();
  return instance;
}

export async function findInstance(db: Tx, instanceId: string): Promise<Instance | undefined> {
  const row = await db.selectFrom('instances').select(['id', 'name', 'settings']).where('id', '=', instanceId).executeTakeFirst();
  return row && { id: row.id, name: row.name, settings: parseSettings(row.settings) };
}

export async function listInstances(db: Tx): Promise<Instance[]> {
  const rows = await db.selectFrom('instances').select(['id', 'name', 'settings']).orderBy('created_on').orderBy('id').execute();
  return rows.map((row) => ({ id: row.id, name: row.name, settings: parseSettings(row.settings) }));
}

export async function countInstances(db: Tx): Promise<number> {
  const row = await db
    .selectFrom('instances')
    .select((eb) => eb.fn.countAll<number>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

export async function updateInstance(db: Tx, instance: Instance, now: string): Promise<void> {
  await db
    .updateTable('instances')
    .set({ name: instance.name, settings: JSON.stringify(instance.settings), updated_on: now })
    .where('id', '=', instance.id)
    .execute();
}

/**
 * Allocates the instance's next ticket number. The UPDATE takes the instance row's lock until
 * the transaction ends, so concurrent creates get consecutive numbers and a rolled-back create
 * gives its number back: no gaps, no duplicates.
 */
export async function allocateTicketNumber(db: Tx, instanceId: string): Promise<number> {
  const row = await db
    .updateTable('instances')
    .set((eb) => ({ last_ticket_number: eb('last_ticket_number', '+', 1) }))
    .where('id', '=', instanceId)
    .returning('last_ticket_number')
    .executeTakeFirstOrThrow();
  return row.last_ticket_number;
}

export async function replaceKey(db: Tx, instanceId: string, which: KeyName, keyHash: string, now: string): Promise<void> {
  await db.deleteFrom('instance_keys').where('instance_id', '=', instanceId).where('which', '=', which).execute();
  await db.insertInto('instance_keys').values({ key_hash: keyHash, instance_id: instanceId, which, created_on: now }).execute();
}

export async function findKey(db: Tx, keyHash: string): Promise<{ instanceId: string; which: KeyName; keyHash: string } | undefined> {
  const row = await db.selectFrom('instance_keys').select(['instance_id', 'which', 'key_hash']).where('key_hash', '=', keyHash).executeTakeFirst();
  return row && { instanceId: row.instance_id, which: row.which, keyHash: row.key_hash };
}

const toField = (row: Pick<CustomFieldsTable, 'id' | 'name' | 'type' | 'required' | 'options' | 'deleted'>): CustomFieldDefinition => ({
  id: row.id,
  name: row.name,
  type: row.type as CustomFieldType,
  required: row.required === 1,
  options: JSON.parse(row.options),
  deleted: row.deleted === 1,
});

export async function listCustomFields(db: Tx, instanceId: string): Promise<CustomFieldDefinition[]> {
  const rows = await db
    .selectFrom('custom_fields')
    .select(['id', 'name', 'type', 'required', 'options', 'deleted'])
    .where('instance_id', '=', instanceId)
    .orderBy('position')
    .execute();
  return rows.map(toField);
}

/** Every instance's custom fields in one query, by instance id (for operator listings). */
export async function listAllCustomFields(db: Tx): Promise<Map<string, CustomFieldDefinition[]>> {
  const rows = await db
    .selectFrom('custom_fields')
    .select(['instance_id', 'id', 'name', 'type', 'required', 'options', 'deleted'])
    .orderBy('instance_id')
    .orderBy('position')
    .execute();
  const byInstance = new Map<string, CustomFieldDefinition[]>();
  for (const row of rows) byInstance.set(row.instance_id, [...(byInstance.get(row.instance_id) ?? []), toField(row)]);
  return byInstance;
}

export async function insertCustomField(db: Tx, instanceId: string, field: CustomFieldDefinition, now: string): Promise<void> {
  const position = await db
    .selectFrom('custom_fields')
    .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('p'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('custom_fields')
    .values({
      instance_id: instanceId,
      id: field.id,
      name: field.name,
      type: field.type,
      required: field.required ? 1 : 0,
      options: JSON.stringify(field.options),
      deleted: field.deleted ? 1 : 0,
      position: Number(position.p) + 1,
      created_on: now,
    })
    .execute();
}

export async function updateCustomField(db: Tx, instanceId: string, field: CustomFieldDefinition): Promise<void> {
  await db
    .updateTable('custom_fields')
    .set({ name: field.name, required: field.required ? 1 : 0, options: JSON.stringify(field.options), deleted: field.deleted ? 1 : 0 })
    .where('instance_id', '=', instanceId)
    .where('id', '=', field.id)
    .execute();
}

export async function listTagCategories(db: Tx, instanceId: string, options: { forUpdate?: boolean } = {}): Promise<TagCategory[]> {
  let query = db.selectFrom('tag_categories').select(['id', 'text', 'color', 'tags', 'deleted']).where('instance_id', '=', instanceId).orderBy('position');
  if (options.forUpdate) query = query.forUpdate();
  const rows = await query.execute();
  return rows.map((row) => ({ id: row.id, text: row.text, color: row.color, tags: JSON.parse(row.tags), deleted: row.deleted === 1 }));
}

export async function insertTagCategory(db: Tx, instanceId: string, category: TagCategory, now: string): Promise<void> {
  const position = await db
    .selectFrom('tag_categories')
    .select((eb) => eb.fn.coalesce(eb.fn.max('position'), eb.lit(0)).as('p'))
    .where('instance_id', '=', instanceId)
    .executeTakeFirstOrThrow();
  await db
    .insertInto('tag_categories')
    .values({
      instance_id: instanceId,
      id: category.id,
      text: category.text,
      color: category.color,
      tags: JSON.stringify(category.tags),
      deleted: category.deleted ? 1 : 0,
      position: Number(position.p) + 1,
      created_on: now,
    })
    .execute();
}

export async function updateTagCategory(db: Tx, instanceId: string, category: TagCategory): Promise<void> {
  await db
    .updateTable('tag_categories')
    .set({ text: category.text, color: category.color, tags: JSON.stringify(category.tags), deleted: category.deleted ? 1 : 0 })
    .where('instance_id', '=', instanceId)
    .where('id', '=', category.id)
    .execute();
}

export async function getMeta(db: Tx, key: string): Promise<string | undefined> {
  const row = await db.selectFrom('meta').select('value').where('key', '=', key).executeTakeFirst();
  return row?.value;
}

/** Stores value under key unless one is there already; returns the value that won. */
export async function putMetaIfAbsent(db: Tx, key: string, value: string): Promise<string> {
  await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .execute();
  return (await getMeta(db, key))!;
}

/** Inserts key unless present; true when this call inserted it. */
export async function claimMeta(db: Tx, key: string, value: string): Promise<boolean> {
  const result = await db
    .insertInto('meta')
    .values({ key, value })
    .onConflict((oc) => oc.column('key').doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
