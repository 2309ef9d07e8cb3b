import type { CustomField, FieldError, Instance } from './types.js';

/**
 * Where a server error belongs in a form. Problem paths come as `/body/ticket/title` (schema
 * checks), `/ticket/customFields/<id>` or `/updates/tags/0/text` (domain checks); the form
 * keys its fields as `title`, `tags`, `customFields/<id>`.
 */
export function fieldKeyOf(path: string): string {
  const parts = path.split('/').filter((p) => p !== '');
  while (parts[0] === 'body' || parts[0] === 'ticket' || parts[0] === 'updates') parts.shift();
  if (parts[0] === 'customFields' && parts[1]) return `customFields/${parts[1]}`;
  return parts[0] ?? '';
}

/** Server errors grouped by form field; those that belong to no field go under ''. */
export function errorsByField(errors: readonly FieldError[], known: readonly string[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const error of errors) {
    const key = fieldKeyOf(error.path);
    const at = known.includes(key) ? key : '';
    (out[at] ??= []).push(at === '' && key ? `${key}: ${error.message}` : error.message);
  }
  return out;
}

export interface FormLayout {
  left: CustomField[];
  right: CustomField[];
  optionalLeft: CustomField[];
  optionalRight: CustomField[];
}

/**
 * The new-ticket form's custom fields, laid out by the instance's customFieldsLeft/Right
 * (main section) and optionalFieldsLeft/Right (optional section). Deleted fields are left out.
 * A live field in no list still shows (in the shorter main column), so none is unreachable;
 * a required field placed among the optional ones is shown there, marked required.
 */
export function formLayout(
  instance: Pick<Instance, 'customFields' | 'customFieldsLeft' | 'customFieldsRight' | 'optionalFieldsLeft' | 'optionalFieldsRight'>,
): FormLayout {
  const live = new Map(instance.customFields.filter((f) => !f.deleted).map((f) => [f.id, f]));
  const placed = new Set<string>();
  const take = (list: CustomField[]) =>
    list.flatMap((f) => {
      const field = live.get(f.id);
      if (!field || placed.has(field.id)) return [];
      placed.add(field.id);
      return [field];
    });
  const layout: FormLayout = {
    left: take(instance.customFieldsLeft),
    right: take(instance.customFieldsRight),
    optionalLeft: take(instance.optionalFieldsLeft),
    optionalRight: take(instance.optionalFieldsRight),
  };
  for (const field of live.values()) {
    if (placed.has(field.id)) continue;
    (layout.left.length <= layout.right.length ? layout.left : layout.right).push(field);
  }
  return layout;
}

export const isEmptyValue = (value: unknown): boolean => value === undefined || value === null || value === '' || (Array.isArray(value) && value.length === 0);

/** Required custom fields left empty, as form errors keyed like the server's. */
export function missingRequired(fields: readonly CustomField[], values: Record<string, unknown>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const field of fields) {
    if (field.required && !field.deleted && field.typeName !== 'toggle' && isEmptyValue(values[field.id]))
      out[`customFields/${field.id}`] = [`${field.name} is required`];
  }
  return out;
}

/** The custom field values that changed, for a partial update (null clears a value). */
export function changedCustomFields(before: Record<string, unknown>, after: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const id of new Set([...Object.keys(before), ...Object.keys(after)])) {
    const a = before[id];
    const b = after[id];
    if (JSON.stringify(a ?? null) === JSON.stringify(isEmptyValue(b) ? null : b)) continue;
    if (isEmptyValue(a) && isEmptyValue(b)) continue;
    out[id] = isEmptyValue(b) ? null : b;
  }
  return out;
}
