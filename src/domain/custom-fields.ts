import { formatUserInstant, parseInstant } from './dates.js';
import { FieldErrors } from './errors.js';
import {
  CUSTOM_FIELD_VALUES_MAX,
  EMAIL_MAX,
  ID_MAX,
  isLongerThan,
  OPTIONS_PER_FIELD,
  PEOPLE_PER_VALUE,
  TEXT_AREA_MAX,
  TEXT_FIELD_MAX,
  USER_ID_MAX,
  USER_NAME_MAX,
} from './limits.js';
import type { CustomFieldValues, IUser } from './ticket.js';

/** Our names for the field types (the API's `typeName`; `type` on writes). */
export const CUSTOM_FIELD_TYPES = [
  'peoplePicker',
  'multipleItemsPicker',
  'singleItemPicker',
  'textField',
  'textArea',
  'toggle',
  'datePicker',
  'emailPicker',
] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

/**
 * The original product's type keys (docs/decisions/016-custom-field-shapes.md). Single- and
 * multi-choice lists share `5_list` and differ by `isMultiple`.
 */
export const CUSTOM_FIELD_TYPE_KEYS = ['1_text', '2_textarea', '3_date', '4_toggle', '5_list', '6_peoplepicker', '7_emailpicker'] as const;
export type CustomFieldTypeKey = (typeof CUSTOM_FIELD_TYPE_KEYS)[number];

const TYPE_KEY: Record<CustomFieldType, CustomFieldTypeKey> = {
  textField: '1_text',
  textArea: '2_textarea',
  datePicker: '3_date',
  toggle: '4_toggle',
  singleItemPicker: '5_list',
  multipleItemsPicker: '5_list',
  peoplePicker: '6_peoplepicker',
  emailPicker: '7_emailpicker',
};

/** What a person reads for each type (the `text` of `type: { key, text }`). */
export const CUSTOM_FIELD_TYPE_LABELS: Record<CustomFieldType, string> = {
  peoplePicker: 'People picker',
  multipleItemsPicker: 'Multiple items picker',
  singleItemPicker: 'Single item picker',
  textField: 'Text field',
  textArea: 'Text area',
  toggle: 'Toggle',
  datePicker: 'Date picker',
  emailPicker: 'E-mail picker',
};

/** Whether a value of the type is a list that may hold several entries. */
export const isMultiple = (type: CustomFieldType): boolean => type === 'multipleItemsPicker' || type === 'peoplePicker' || type === 'emailPicker';

export interface CustomFieldOption {
  id: string;
  text: string;
  deleted: boolean;
}

export interface CustomFieldDefinition {
  id: string;
  name: string;
  type: CustomFieldType;
  required: boolean;
  options: CustomFieldOption[];
  deleted: boolean;
}

export const hasOptions = (type: CustomFieldType): boolean => type === 'multipleItemsPicker' || type === 'singleItemPicker';

/**
 * ICustomField on the wire: our names (`name`, `required`, `deleted`, `typeName`, option `id`)
 * beside the original product's (`title`, `isMandatory`, `status`, `type: { key, text }`,
 * `isMultiple`, option `key`), so clients of either read it unchanged.
 */
export function presentCustomField(field: CustomFieldDefinition) {
  return {
    id: field.id,
    title: field.name,
    name: field.name,
    type: { key: TYPE_KEY[field.type], text: CUSTOM_FIELD_TYPE_LABELS[field.type] },
    typeName: field.type,
    isMandatory: field.required,
    required: field.required,
    isMultiple: isMultiple(field.type),
    status: field.deleted ? ('deleted' as const) : ('active' as const),
    // Fields have no default value here: a new ticket starts with the values it is given.
    defaultValue: null,
    options: field.options.map((o) => ({ key: o.id, id: o.id, text: o.text, deleted: o.deleted })),
    deleted: field.deleted,
  };
}
export type PresentedCustomField = ReturnType<typeof presentCustomField>;

/** A custom-field write as the API takes it: either product's names, checked against each other. */
export interface CustomFieldWrite {
  name?: string;
  title?: string;
  type?: string | { key: string; text?: string };
  /** Our name of the type, as answered: a field read from one instance can be written to another. */
  typeName?: CustomFieldType;
  isMultiple?: boolean;
  required?: boolean;
  isMandatory?: boolean;
  deleted?: boolean;
  status?: 'active' | 'deleted';
  /** Only null: fields have no default value here (the request schema refuses any other). */
  defaultValue?: null;
  options?: { id?: string; key?: string; text: string; deleted?: boolean }[];
}

/** The same write in our names only: what the store keeps. */
export interface CanonicalFieldWrite {
  name?: string;
  type?: CustomFieldType;
  required?: boolean;
  deleted?: boolean;
  options?: { id?: string; text: string; deleted?: boolean }[];
}

/** One value given under two names: both must say the same. */
function oneOfAliases<T>(errors: FieldErrors, ours: [string, T | undefined], theirs: [string, T | undefined]): T | undefined {
  const [ourName, ourValue] = ours;
  const [theirName, theirValue] = theirs;
  if (ourValue !== undefined && theirValue !== undefined && ourValue !== theirValue) {
    errors.add(`/body/${theirName}`, `says otherwise than ${ourName}; give one of them (they are the same setting)`);
  }
  return ourValue ?? theirValue;
}

const isList = (type: CustomFieldType): boolean => type === 'singleItemPicker' || type === 'multipleItemsPicker';

/**
 * The field type a write names: one of our names, or a key of the original product (alone or
 * as `{ key }`). `5_list` is a multiple choice list with `isMultiple: true`, a single choice one
 * with `false`; without `isMultiple` it is the list the field is (on an update) or single.
 * `isMultiple` alone, on an update, names the field's list kind too.
 */
function typeOf(write: CustomFieldWrite, current: CustomFieldDefinition | undefined, errors: FieldErrors): CustomFieldType | undefined {
  const listOf = (multiple: boolean | undefined): CustomFieldType =>
    multiple === undefined ? (current && isList(current.type) ? current.type : 'singleItemPicker') : multiple ? 'multipleItemsPicker' : 'singleItemPicker';
  let type: CustomFieldType | undefined;
  if (write.type !== undefined) {
    const given = typeof write.type === 'string' ? write.type : write.type.key;
    type = (CUSTOM_FIELD_TYPES as readonly string[]).includes(given)
      ? (given as CustomFieldType)
      : given === '5_list'
        ? listOf(write.isMultiple)
        : CUSTOM_FIELD_TYPES.find((t) => !isList(t) && TYPE_KEY[t] === given);
    if (!type) {
      errors.add('/body/type', `unknown custom field type "${given}": one of ${[...CUSTOM_FIELD_TYPES, ...CUSTOM_FIELD_TYPE_KEYS].join(', ')}`);
      return undefined;
    }
  } else if (write.isMultiple !== undefined && current) {
    type = isList(current.type) ? listOf(write.isMultiple) : current.type;
  }
  if (write.typeName !== undefined) {
    if (type !== undefined && type !== write.typeName) errors.add('/body/typeName', `says ${write.typeName}, type says ${type}; give one of them`);
    type ??= write.typeName;
  }
  if (type && write.isMultiple !== undefined && write.isMultiple !== isMultiple(type)) {
    errors.add('/body/isMultiple', `${CUSTOM_FIELD_TYPE_LABELS[type]} ${isMultiple(type) ? 'holds several values' : 'holds one value'}`);
  }
  return type;
}

/**
 * Reads a create (`current` undefined) or update of a custom field, given in either product's
 * names, into ours, or throws validation_failed listing every contradiction (`title` vs
 * `name`, `status` vs `deleted`, `isMultiple` vs the type…).
 */
export function canonicalFieldWrite(write: CustomFieldWrite, current?: CustomFieldDefinition): CanonicalFieldWrite {
  const errors = new FieldErrors();
  const name = oneOfAliases(errors, ['name', write.name?.trim()], ['title', write.title?.trim()]);
  const required = oneOfAliases(errors, ['required', write.required], ['isMandatory', write.isMandatory]);
  const deleted = oneOfAliases(errors, ['deleted', write.deleted], ['status', write.status === undefined ? undefined : write.status === 'deleted']);
  const type = typeOf(write, current, errors);
  const options = write.options?.map((o, i) => {
    if (o.id !== undefined && o.key !== undefined && o.id !== o.key) errors.add(`/body/options/${i}/key`, 'says otherwise than id; give one of them');
    const id = o.id ?? o.key;
    return { ...(id === undefined ? {} : { id }), text: o.text, ...(o.deleted === undefined ? {} : { deleted: o.deleted }) };
  });
  if (!current && !name) errors.add('/body/name', 'a custom field needs a name (or title)');
  if (!current && write.type === undefined && write.typeName === undefined) errors.add('/body/type', 'a custom field needs a type');
  errors.throwIfAny();
  return {
    ...(name === undefined ? {} : { name }),
    ...(type === undefined ? {} : { type }),
    ...(required === undefined ? {} : { required }),
    ...(deleted === undefined ? {} : { deleted }),
    ...(options === undefined ? {} : { options }),
  };
}

/**
 * An e-mail address as the WHATWG HTML standard defines a valid one (what a browser's
 * `<input type="email">` accepts): ASCII, a domain of letters, digits and hyphens.
 */
const EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
export const isEmailAddress = (value: string): boolean => value.length <= EMAIL_MAX && EMAIL.test(value) && value.indexOf('@') <= 64;

const isUser = (value: unknown): value is IUser => {
  const v = value as Partial<IUser> | null;
  return typeof v === 'object' && v !== null && typeof v.id === 'string' && v.id.trim() !== '' && typeof v.name === 'string' && typeof v.email === 'string';
};

const isEmpty = (value: unknown): boolean => value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0);

/** Checks one value against its field and returns it in stored form, or reports why not. */
function normalizeValue(field: CustomFieldDefinition, value: unknown, path: string, timezone: number, errors: FieldErrors): unknown {
  const optionIds = () => {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list) || !list.every((id) => typeof id === 'string')) {
      errors.add(path, `"${field.name}" takes an array of option ids`);
      return undefined;
    }
    if (list.length > OPTIONS_PER_FIELD) {
      errors.add(path, `"${field.name}" takes at most ${OPTIONS_PER_FIELD} option ids`);
      return undefined;
    }
    const unique = [...new Set(list as string[])];
    for (const id of unique) {
      const option = id.length > ID_MAX ? undefined : field.options.find((o) => o.id === id);
      // Long ids are not echoed: the answer stays small whatever was sent.
      if (!option) errors.add(path, `"${id.length > ID_MAX ? `${id.slice(0, ID_MAX)}…` : id}" is not an option of "${field.name}"`);
      else if (option.deleted) errors.add(path, `option "${option.text}" of "${field.name}" is deleted`);
    }
    return unique;
  };
  switch (field.type) {
    case 'peoplePicker': {
      if (!Array.isArray(value) || !value.every(isUser)) {
        errors.add(path, `"${field.name}" takes an array of users { id, name, email }`);
        return undefined;
      }
      if (value.length > PEOPLE_PER_VALUE) {
        errors.add(path, `"${field.name}" takes at most ${PEOPLE_PER_VALUE} people`);
        return undefined;
      }
      let fits = true;
      value.forEach((u: IUser, i: number) => {
        for (const [key, max] of [
          ['id', USER_ID_MAX],
          ['name', USER_NAME_MAX],
          ['email', EMAIL_MAX],
        ] as const) {
          if (isLongerThan(u[key], max)) {
            errors.add(`${path}/${i}/${key}`, `must NOT have more than ${max} characters`);
            fits = false;
          }
        }
      });
      return fits ? value.map((u: IUser) => ({ id: u.id, name: u.name, email: u.email })) : undefined;
    }
    case 'emailPicker':
      return emailAddresses(field, value, path, errors);
    case 'multipleItemsPicker':
      return optionIds();
    case 'singleItemPicker': {
      const ids = optionIds();
      if (ids && ids.length > 1) errors.add(path, `"${field.name}" takes a single option id`);
      return ids;
    }
    case 'textField':
    case 'textArea': {
      const max = field.type === 'textField' ? TEXT_FIELD_MAX : TEXT_AREA_MAX;
      if (typeof value !== 'string') errors.add(path, `"${field.name}" takes a string`);
      else if (isLongerThan(value, max)) errors.add(path, `"${field.name}" (${field.type}) takes at most ${max} characters`);
      return value;
    }
    case 'toggle':
      if (typeof value !== 'boolean') errors.add(path, `"${field.name}" takes true or false`);
      return value;
    case 'datePicker': {
      const instant = typeof value === 'string' ? parseInstant(value, timezone) : undefined;
      if (!instant) {
        errors.add(path, `"${field.name}" takes an ISO 8601 date or date-time`);
        return undefined;
      }
      return formatUserInstant(instant);
    }
  }
}

/**
 * An e-mail picker's value: a list of addresses. Clients of the original product send people
 * (`{ id, name, email }`) for it, so an entry may also be an object with an `email`; either way
 * the address is kept, trimmed, once (compared without case).
 */
function emailAddresses(field: CustomFieldDefinition, value: unknown, path: string, errors: FieldErrors): string[] | undefined {
  if (!Array.isArray(value)) {
    errors.add(path, `"${field.name}" takes an array of e-mail addresses`);
    return undefined;
  }
  if (value.length > PEOPLE_PER_VALUE) {
    errors.add(path, `"${field.name}" takes at most ${PEOPLE_PER_VALUE} addresses`);
    return undefined;
  }
  const addresses: string[] = [];
  const seen = new Set<string>();
  value.forEach((entry: unknown, i: number) => {
    const raw = typeof entry === 'object' && entry !== null ? (entry as { email?: unknown }).email : entry;
    const address = typeof raw === 'string' ? raw.trim() : undefined;
    if (address === undefined || !isEmailAddress(address)) {
      const shown = typeof raw === 'string' ? `"${raw.length > EMAIL_MAX ? `${raw.slice(0, EMAIL_MAX)}…` : raw}" is not` : 'is not';
      errors.add(`${path}/${i}`, `${shown} an e-mail address`);
      return;
    }
    if (!seen.has(address.toLowerCase())) addresses.push(address);
    seen.add(address.toLowerCase());
  });
  return addresses;
}

/**
 * Validates the custom field values of a create (`current` undefined) or of an update, where
 * values merge key by key into `current` and null clears a key. Returns the merged values.
 */
export function applyCustomFieldValues(
  fields: readonly CustomFieldDefinition[],
  input: CustomFieldValues | undefined,
  current: CustomFieldValues | undefined,
  options: { path: string; timezone: number; errors: FieldErrors },
): CustomFieldValues {
  const { path, timezone, errors } = options;
  const result: CustomFieldValues = { ...(current ?? {}) };
  for (const [id, value] of Object.entries(input ?? {})) {
    const field = fields.find((f) => f.id === id);
    const at = `${path}/${id}`;
    if (!field) {
      errors.add(at, `unknown custom field "${id}"`);
      continue;
    }
    if (isEmpty(value)) {
      if (field.required && !field.deleted) errors.add(at, `"${field.name}" is required`);
      delete result[id];
      continue;
    }
    if (field.deleted) {
      errors.add(at, `custom field "${field.name}" is deleted and takes no new values`);
      continue;
    }
    const normalized = normalizeValue(field, value, at, timezone, errors);
    if (normalized !== undefined) result[id] = normalized;
  }
  if (current === undefined) {
    for (const field of fields) {
      if (field.required && !field.deleted && isEmpty(result[field.id])) {
        errors.add(`${path}/${field.id}`, `"${field.name}" is required`);
      }
    }
  }
  // Values merge key by key, so each one fitting its field does not bound the ticket.
  if (errors.list.length === 0 && JSON.stringify(result).length > CUSTOM_FIELD_VALUES_MAX) {
    errors.add(path, `the custom-field values of a ticket take at most ${CUSTOM_FIELD_VALUES_MAX} characters of JSON together`);
  }
  return result;
}
