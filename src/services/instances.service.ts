import { v4 as uuidv4 } from 'uuid';
import type { CustomFieldInput, CustomFieldPatch, TagCategoryInput, TagCategoryPatch } from '../contract/instance.schema.js';
import type { SettingsPatch } from '../contract/settings.schema.js';
import { canonicalFieldWrite, hasOptions, type CustomFieldDefinition, type CustomFieldOption } from '../domain/custom-fields.js';
import { DomainError, FieldErrors, notFound } from '../domain/errors.js';
import {
  defaultSettings,
  earlierSlaPoliciesAfter,
  peopleOf,
  presentInstance,
  type Instance,
  type InstanceSettings,
  type KeyName,
  type OidcSettings,
} from '../domain/instance.js';
import { ADMIN_TOKEN_PREFIX, generateSecret, hashSecret, INSTANCE_KEY_PREFIX } from '../domain/keys.js';
import type { TagCategory } from '../domain/tags.js';
import type { Store } from '../store/db.js';
import { isUniqueViolation } from '../store/dialect.js';
import * as repo from '../store/instances.repo.js';
import { usageByInstance } from '../store/attachments.repo.js';
import type { Tx } from '../store/schema.js';
import { scheduleProblem } from '../domain/sla.js';
import { CUSTOM_FIELDS_PER_INSTANCE, TAG_CATEGORIES_PER_INSTANCE } from '../domain/limits.js';
import { Engine } from './engine.js';

export interface InstancesDeps {
  store: Store;
  defaults: { rateLimitMax: number; rateLimitWindowSeconds: number };
  now?: () => string;
}

export interface CreatedInstance {
  instance: Instance;
  primaryKey: string;
  secondaryKey: string;
}

const KEY_NAMES: readonly KeyName[] = ['primary', 'secondary'];

export class InstancesService {
  readonly now: () => string;
  constructor(private readonly deps: InstancesDeps) {
    this.now = deps.now ?? (() => new Date().toISOString());
  }

  private tx<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.deps.store.dialect.transaction(this.deps.store.db, fn);
  }

  /** Creates an instance with fresh primary and secondary keys, shown here only. */
  async create(input: { id?: string; name: string; settings?: Partial<InstanceSettings> }, tx?: Tx): Promise<CreatedInstance> {
    const work = async (t: Tx) => {
      const now = this.now();
      const instance = await repo.insertInstance(t, input, now);
      const keys = { primary: generateSecret(INSTANCE_KEY_PREFIX), secondary: generateSecret(INSTANCE_KEY_PREFIX) };
      for (const which of KEY_NAMES) await repo.replaceKey(t, instance.id, which, hashSecret(keys[which]), now);
      return { instance, primaryKey: keys.primary, secondaryKey: keys.secondary };
    };
    try {
      return tx ? await work(tx) : await this.tx(work);
    } catch (error) {
      if (isUniqueViolation(error)) throw new DomainError('conflict', `an instance with id "${input.id}" exists already`);
      throw error;
    }
  }

  /**
   * First start: creates the "Default" instance when the store has none. Returns its keys, or
   * undefined when instances exist already (keys are only ever shown when generated).
   */
  async ensureDefaultInstance(): Promise<CreatedInstance | undefined> {
    return this.tx(async (tx) => {
      // Claiming the bootstrap marker serialises processes starting together on one
      // PostgreSQL: the second waits on the unique key, then finds it taken.
      if (!(await repo.claimMeta(tx, 'bootstrapped', this.now()))) return undefined;
      if ((await repo.countInstances(tx)) > 0) return undefined;
      return this.create({ name: 'Default' }, tx);
    });
  }

  /** The admin token's hash; generates a token when none is configured or stored yet. */
  async ensureAdminToken(configured: string | undefined): Promise<{ hash: string; generated?: string }> {
    if (configured) return { hash: hashSecret(configured) };
    const generated = generateSecret(ADMIN_TOKEN_PREFIX);
    const hash = await repo.putMetaIfAbsent(this.deps.store.db, 'admin_token_hash', hashSecret(generated));
    return hash === hashSecret(generated) ? { hash, generated } : { hash };
  }

  /** The secret that signs continuation tokens, shared by every process on the store. */
  async ensureTokenSecret(configured: string | undefined): Promise<string> {
    if (configured) return configured;
    return repo.putMetaIfAbsent(this.deps.store.db, 'token_secret', generateSecret(''));
  }

  async findByKeyHash(keyHash: string) {
    return repo.findKey(this.deps.store.db, keyHash);
  }

  async get(instanceId: string): Promise<Instance> {
    const instance = await repo.findInstance(this.deps.store.db, instanceId);
    if (!instance) throw notFound('Instance');
    return instance;
  }

  async present(instanceId: string) {
    const db = this.deps.store.db;
    const [instance, fields, usage] = await Promise.all([this.get(instanceId), repo.listCustomFields(db, instanceId), usageByInstance(db, [instanceId])]);
    return { ...presentInstance(instance, fields, this.deps.defaults), storageUsedBytes: usage.get(instanceId) ?? 0 };
  }

  /** Every instance, presented: three queries whatever the number of instances. */
  async list() {
    const db = this.deps.store.db;
    const [instances, fields, usage] = await Promise.all([repo.listInstances(db), repo.listAllCustomFields(db), usageByInstance(db)]);
    return instances.map((i) => ({ ...presentInstance(i, fields.get(i.id) ?? [], this.deps.defaults), storageUsedBytes: usage.get(i.id) ?? 0 }));
  }

  /**
   * Applies a partial settings update; nested keyAccess merges field by field. A changed SLA
   * policy applies to every open ticket, or with `slaAppliesTo: "newTickets"` to tickets created
   * from now on (open tickets keep the policy they follow).
   */
  async updateSettings(instanceId: string, input: SettingsPatch) {
    const { slaAppliesTo = 'openTickets', ...patch } = input;
    const now = this.now();
    await this.tx(async (tx) => {
      const instance = await repo.findInstance(tx, instanceId);
      if (!instance) throw notFound('Instance');
      const next = patchedInstance(instance, patch, await repo.listCustomFields(tx, instanceId));
      const slaChanged = JSON.stringify(instance.settings.sla) !== JSON.stringify(next.settings.sla);
      if (slaChanged) next.settings.earlierSlaPolicies = earlierSlaPoliciesAfter(instance.settings, slaAppliesTo, now);
      await repo.updateInstance(tx, next, now);
      // Due dates and timers of open tickets follow the new settings, in the background (a
      // policy for new tickets only changes none of them).
      const timing = (s: InstanceSettings) =>
        JSON.stringify([
          slaAppliesTo === 'newTickets' ? null : s.sla,
          s.isAutoAssignIdleTickets,
          s.isNotifyIdleTicket,
          s.dayBeforeTicketsIdle,
          s.alertNotification,
        ]);
      if (timing(instance.settings) !== timing(next.settings)) await new Engine(this.deps.store.dialect).scheduleReschedule(tx, instanceId, now);
    });
    return this.present(instanceId);
  }

  /**
   * The operator's create: a new instance with the given settings (checked as an update of the
   * defaults would be; it has no custom fields yet, so layout lists are left out) and fresh keys.
   * In `tx` when given (its first admin is made in the same transaction).
   */
  async createWithSettings(input: { id?: string; name: string; patch: SettingsPatch }, tx?: Tx): Promise<CreatedInstance> {
    // A new instance has no tickets: which ones a policy applies to does not arise.
    const { customFieldsLeft: _l, customFieldsRight: _r, optionalFieldsLeft: _ol, optionalFieldsRight: _or, slaAppliesTo: _a, ...patch } = input.patch;
    const draft = patchedInstance({ id: input.id ?? '', name: input.name, settings: defaultSettings() }, { ...patch, name: input.name }, []);
    return this.create({ ...(input.id ? { id: input.id } : {}), name: draft.name, settings: draft.settings }, tx);
  }

  /** Sets (or with null, removes) the instance's OpenID Connect provider: not a settings write, its secret is never shown. */
  async setOidc(instanceId: string, oidc: OidcSettings | null): Promise<void> {
    await this.tx(async (tx) => {
      const instance = await repo.findInstance(tx, instanceId);
      if (!instance) throw notFound('Instance');
      await repo.updateInstance(tx, { ...instance, settings: { ...instance.settings, oidc } }, this.now());
    });
  }

  /** Replaces one key. */
  async regenerateKey(instanceId: string, which: KeyName): Promise<string> {
    const key = generateSecret(INSTANCE_KEY_PREFIX);
    await this.tx(async (tx) => {
      if (!(await repo.findInstance(tx, instanceId))) throw notFound('Instance');
      await repo.replaceKey(tx, instanceId, which, hashSecret(key), this.now());
    });
    return key;
  }

  /** A new instance with the same settings, custom fields and tag categories, no tickets, own keys. */
  async sandbox(sourceId: string, name?: string): Promise<CreatedInstance> {
    return this.tx(async (tx) => {
      const source = await repo.findInstance(tx, sourceId);
      if (!source) throw notFound('Instance');
      // A sandbox has no people yet: its keys must work, whatever the source's admins chose.
      const created = await this.create({ name: name ?? `${source.name} (sandbox)`, settings: { ...source.settings, instanceKeysEnabled: true } }, tx);
      const now = this.now();
      for (const field of await repo.listCustomFields(tx, sourceId)) await repo.insertCustomField(tx, created.instance.id, field, now);
      for (const category of await repo.listTagCategories(tx, sourceId)) await repo.insertTagCategory(tx, created.instance.id, category, now);
      return created;
    });
  }

  async tagCategories(instanceId: string): Promise<(TagCategory & { instanceId: string })[]> {
    const categories = await repo.listTagCategories(this.deps.store.db, instanceId);
    return categories.map((c) => ({ id: c.id, instanceId, text: c.text, color: c.color, tags: c.tags, deleted: c.deleted }));
  }

  async createCustomField(instanceId: string, input: CustomFieldInput): Promise<CustomFieldDefinition> {
    const write = canonicalFieldWrite(input);
    // canonicalFieldWrite has refused a create without a name or a type.
    const type = write.type!;
    const field: CustomFieldDefinition = {
      id: input.id ?? uuidv4(),
      name: write.name!,
      type,
      required: write.required ?? false,
      options: hasOptions(type) ? normalizeOptions(write.options ?? [], []) : [],
      deleted: write.deleted ?? false,
    };
    return this.tx(async (tx) => {
      const existing = await repo.listCustomFields(tx, instanceId);
      if (existing.some((f) => f.id === field.id)) throw new DomainError('conflict', `custom field "${field.id}" exists already`);
      // Every ticket write reads all the fields; deleted ones stay (tickets keep their values).
      if (existing.length >= CUSTOM_FIELDS_PER_INSTANCE) {
        throw new DomainError(
          'conflict',
          `the instance has ${CUSTOM_FIELDS_PER_INSTANCE} custom fields (deleted ones included), the most it can have; restore and rename a deleted one`,
          [{ path: '/body', message: `at most ${CUSTOM_FIELDS_PER_INSTANCE} custom fields per instance` }],
        );
      }
      await repo.insertCustomField(tx, instanceId, field, this.now());
      return field;
    });
  }

  async updateCustomField(instanceId: string, id: string, input: CustomFieldPatch): Promise<CustomFieldDefinition> {
    return this.tx(async (tx) => {
      const fields = await repo.listCustomFields(tx, instanceId);
      const current = fields.find((f) => f.id === id);
      if (!current) throw notFound('Custom field');
      const write = canonicalFieldWrite(input, current);
      if (write.type !== undefined && write.type !== current.type) {
        throw new DomainError('validation_failed', 'the type of a custom field cannot change; create a new field', [
          { path: '/type', message: 'cannot change' },
        ]);
      }
      const next: CustomFieldDefinition = {
        ...current,
        name: write.name ?? current.name,
        required: write.required ?? current.required,
        deleted: write.deleted ?? current.deleted,
        options: write.options && hasOptions(current.type) ? normalizeOptions(write.options, current.options) : current.options,
      };
      await repo.updateCustomField(tx, instanceId, next);
      return next;
    });
  }

  async deleteCustomField(instanceId: string, id: string): Promise<CustomFieldDefinition> {
    return this.updateCustomField(instanceId, id, { deleted: true });
  }

  async createTagCategory(instanceId: string, input: TagCategoryInput) {
    const category: TagCategory = {
      id: input.id ?? uuidv4(),
      text: input.text.trim(),
      color: input.color ?? '#6b7280',
      tags: uniqueTags(input.tags ?? []),
      deleted: input.deleted ?? false,
    };
    return this.tx(async (tx) => {
      const existing = await repo.listTagCategories(tx, instanceId);
      if (existing.some((c) => c.id === category.id)) throw new DomainError('conflict', `tag category "${category.id}" exists already`);
      if (existing.length >= TAG_CATEGORIES_PER_INSTANCE) {
        throw new DomainError(
          'conflict',
          `the instance has ${TAG_CATEGORIES_PER_INSTANCE} tag categories (deleted ones included), the most it can have; restore and rename a deleted one`,
          [{ path: '/body', message: `at most ${TAG_CATEGORIES_PER_INSTANCE} tag categories per instance` }],
        );
      }
      await repo.insertTagCategory(tx, instanceId, category, this.now());
      return { ...category, instanceId };
    });
  }

  async updateTagCategory(instanceId: string, id: string, input: TagCategoryPatch) {
    return this.tx(async (tx) => {
      const categories = await repo.listTagCategories(tx, instanceId, { forUpdate: this.deps.store.dialect.supportsRowLocks });
      const current = categories.find((c) => c.id === id);
      if (!current) throw notFound('Tag category');
      const next: TagCategory = {
        ...current,
        text: input.text?.trim() ?? current.text,
        color: input.color ?? current.color,
        tags: input.tags ? uniqueTags(input.tags) : current.tags,
        deleted: input.deleted ?? current.deleted,
      };
      await repo.updateTagCategory(tx, instanceId, next);
      return { ...next, instanceId };
    });
  }

  async deleteTagCategory(instanceId: string, id: string) {
    return this.updateTagCategory(instanceId, id, { deleted: true });
  }
}

/** Options keep their ids (given or generated); options left out of an update are kept, deleted. */
function normalizeOptions(input: { id?: string; text: string; deleted?: boolean }[], current: CustomFieldOption[]): CustomFieldOption[] {
  const given = input.map((o) => ({ id: o.id ?? uuidv4(), text: o.text.trim(), deleted: o.deleted ?? false }));
  const ids = new Set<string>();
  for (const option of given) {
    if (ids.has(option.id)) throw new DomainError('validation_failed', `option id "${option.id}" is used twice`);
    ids.add(option.id);
  }
  const dropped = current.filter((o) => !ids.has(o.id)).map((o) => ({ ...o, deleted: true }));
  return [...given, ...dropped];
}

function uniqueTags(tags: { text: string; deleted?: boolean }[]) {
  const seen = new Set<string>();
  return tags
    .map((t) => ({ text: t.text.trim(), deleted: t.deleted ?? false }))
    .filter((t) => t.text !== '' && !seen.has(t.text.toLowerCase()) && seen.add(t.text.toLowerCase()));
}

const LAYOUT_LISTS = ['customFieldsLeft', 'customFieldsRight', 'optionalFieldsLeft', 'optionalFieldsRight'] as const;

/**
 * The instance after a settings write: given settings replace stored ones (null empties a
 * list), layout lists must name the instance's fields, keyAccess merges key by key, people
 * given as personas are kept as `{ id, name, email }`, and `displayName` / `instanceName` are
 * `name`. Throws validation_failed listing every bad value; nothing is half applied.
 */
function patchedInstance(instance: Instance, patch: Omit<SettingsPatch, 'slaAppliesTo'>, fields: readonly CustomFieldDefinition[]): Instance {
  const { name, displayName, instanceName, keyAccess, assignees, idleTicketAssignedTo, user: _actor, ...rest } = patch;
  const errors = new FieldErrors();
  const given = { name: name?.trim(), displayName: displayName?.trim(), instanceName: instanceName?.trim() };
  const newName = given.name ?? given.displayName ?? given.instanceName;
  for (const [alias, value] of Object.entries(given)) {
    if (value !== undefined && value !== newName) errors.add(`/body/${alias}`, 'says otherwise than the other name given; they are one setting');
  }
  const settings: InstanceSettings = { ...instance.settings };
  for (const [key, value] of Object.entries(rest)) {
    if (LAYOUT_LISTS.includes(key as (typeof LAYOUT_LISTS)[number])) continue;
    (settings as unknown as Record<string, unknown>)[key] = value === null && Array.isArray(instance.settings[key as keyof InstanceSettings]) ? [] : value;
  }
  if (assignees !== undefined) {
    settings.assignees = assignees && { type: assignees.type, peoples: peopleOf(assignees.peoples ?? [], '/body/assignees/peoples', errors) };
  }
  if (idleTicketAssignedTo !== undefined) settings.idleTicketAssignedTo = peopleOf(idleTicketAssignedTo, '/body/idleTicketAssignedTo', errors);
  for (const list of LAYOUT_LISTS) {
    const ids = patch[list]?.map((entry) => (typeof entry === 'string' ? entry : entry.id));
    if (!ids) continue;
    for (const id of ids.filter((id) => !fields.some((f) => f.id === id))) errors.add(`/body/${list}`, `unknown custom field "${id}"`);
    settings[list] = [...new Set(ids)];
  }
  if (keyAccess) settings.keyAccess = { ...settings.keyAccess, ...keyAccess };
  const problem = settings.sla ? scheduleProblem(settings.sla) : undefined;
  if (problem) errors.add('/body/sla', problem);
  errors.throwIfAny();
  return { ...instance, name: newName || instance.name, settings };
}
