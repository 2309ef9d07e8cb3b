import { formatUserInstant, parseInstant } from './dates.js';
import { type FieldErrors } from './errors.js';
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

export const CUSTOM_FIELD_TYPES = ['peoplePicker', 'multipleItemsPicker', 'singleItemPicker', 'textField', 'textArea', 'toggle', 'datePicker'] as const;
export type CustomFieldType = (typeof CUSTOM_FIELD_TYPES)[number];

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
