import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { toDateInput } from '../lib/format.js';
import { changedCustomFields, errorsByField, formLayout, isEmptyValue, missingRequired } from '../lib/forms.js';
import { PRIORITIES, type CustomField, type Priority, type Ticket, type TicketTag, type User } from '../lib/types.js';
import { Field, TagPicker, UserInput } from './controls.js';
import { CustomFieldInput } from './custom-field.js';
import { DraftEditor, DropZone, type AttachmentDraft } from './attachments.js';

export interface TicketFormValues {
  title: string;
  description: string;
  priority: Priority;
  requestor: User | null;
  assignee: User | null;
  /** Local day, YYYY-MM-DD, or ''. */
  expectedDate: string;
  tags: TicketTag[];
  customFields: Record<string, unknown>;
}

/**
 * A ticket's values as the form edits them (date pickers as local days). A new ticket has no
 * requestor until one is chosen: defaulting to the agent made the agent the requestor, whose
 * replies never count as the first response.
 */
export function formValuesOf(ticket: Ticket | undefined, fields: CustomField[]): TicketFormValues {
  const customFields: Record<string, unknown> = {};
  for (const field of fields) {
    const value = ticket?.customFields[field.id];
    if (field.typeName === 'datePicker') customFields[field.id] = typeof value === 'string' ? toDateInput(value) : '';
    else if (value !== undefined) customFields[field.id] = value;
    else if (!ticket && field.typeName === 'toggle' && !field.deleted) customFields[field.id] = false;
  }
  return {
    title: ticket?.title ?? '',
    description: ticket?.description ?? '',
    priority: ticket?.priority ?? 'Medium',
    requestor: ticket ? ticket.requestor : null,
    assignee: ticket?.assignee ?? null,
    expectedDate: toDateInput(ticket?.expectedDate),
    tags: ticket?.tags ?? [],
    customFields,
  };
}

/** The body of POST /tickets (`ticket`), or of PUT /tickets/{id} (`updates`: only what changed). */
export function ticketPayload(values: TicketFormValues, initial?: TicketFormValues): Record<string, unknown> {
  if (!initial) {
    const customFields = Object.fromEntries(Object.entries(values.customFields).filter(([, v]) => !isEmptyValue(v)));
    return {
      title: values.title.trim(),
      ...(values.description.trim() ? { description: values.description } : {}),
      priority: values.priority,
      requestor: values.requestor,
      ...(values.assignee ? { assignee: values.assignee } : {}),
      ...(values.expectedDate ? { expectedDate: values.expectedDate } : {}),
      ...(values.tags.length ? { tags: values.tags } : {}),
      ...(Object.keys(customFields).length ? { customFields } : {}),
    };
  }
  const updates: Record<string, unknown> = {};
  if (values.title.trim() !== initial.title) updates.title = values.title.trim();
  if (values.description !== initial.description) updates.description = values.description;
  if (values.priority !== initial.priority) updates.priority = values.priority;
  if (JSON.stringify(values.requestor) !== JSON.stringify(initial.requestor)) updates.requestor = values.requestor;
  if (JSON.stringify(values.assignee) !== JSON.stringify(initial.assignee)) updates.assignee = values.assignee;
  if (values.expectedDate !== initial.expectedDate) updates.expectedDate = values.expectedDate || null;
  if (JSON.stringify(values.tags) !== JSON.stringify(initial.tags)) updates.tags = values.tags;
  const customFields = changedCustomFields(initial.customFields, values.customFields);
  if (Object.keys(customFields).length) updates.customFields = customFields;
  return updates;
}

const FIXED_KEYS = ['title', 'description', 'priority', 'requestor', 'assignee', 'expectedDate', 'tags'];

/** The new-ticket form and the edit form of a ticket: one layout, from the instance's settings. */
export function TicketForm(props: {
  ticket?: Ticket;
  submitLabel: string;
  onSubmit: (payload: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  /** Files and links to attach (the new-ticket form): dropped or pasted on the description, or picked. */
  attachments?: { draft: AttachmentDraft; progress: number | undefined };
}) {
  const { instance, tagCategories, people } = useApp();
  const [initial] = useState(() => formValuesOf(props.ticket, instance.customFields));
  const [values, setValues] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  const layout = formLayout(instance);
  const editing = props.ticket !== undefined;
  // A deleted field keeps its value on old tickets, readable (and clearable) when editing.
  const deletedWithValue = editing ? instance.customFields.filter((f) => f.deleted && !isEmptyValue(props.ticket?.customFields[f.id])) : [];
  const knownKeys = [...FIXED_KEYS, ...instance.customFields.map((f) => `customFields/${f.id}`)];

  // A field's error goes as soon as the field changes: it was about the old value (submitting checks again).
  const forget = (key: string) =>
    setErrors((e) => {
      if (!(key in e)) return e;
      const { [key]: _gone, ...rest } = e;
      return rest;
    });
  const set = <K extends keyof TicketFormValues>(key: K, value: TicketFormValues[K]) => {
    setValues((v) => ({ ...v, [key]: value }));
    forget(key);
  };
  const setCustom = (id: string, value: unknown) => {
    setValues((v) => ({ ...v, customFields: { ...v.customFields, [id]: value } }));
    forget(`customFields/${id}`);
  };

  const focusFirstError = () =>
    requestAnimationFrame(() =>
      document.querySelector<HTMLElement>('.ticket-form .has-error input, .ticket-form .has-error select, .ticket-form .has-error textarea')?.focus(),
    );

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string[]> = {};
    if (!values.title.trim()) found.title = ['A title is required'];
    if (!values.requestor) found.requestor = ['A requestor is required'];
    const payload = ticketPayload(values, editing ? initial : undefined);
    if (editing) {
      const changed = (payload.customFields ?? {}) as Record<string, unknown>;
      for (const field of instance.customFields)
        if (field.required && field.id in changed && changed[field.id] === null) found[`customFields/${field.id}`] = [`${field.name} is required`];
    } else Object.assign(found, missingRequired(instance.customFields, values.customFields));
    setErrors(found);
    if (Object.keys(found).length) return focusFirstError();
    setBusy(true);
    try {
      await props.onSubmit(payload);
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) setErrors(errorsByField(error.errors, knownKeys));
      else setErrors({ '': [errorMessage(error)] });
      focusFirstError();
    } finally {
      setBusy(false);
    }
  };

  const renderFields = (fields: CustomField[]) =>
    fields.map((f) => (
      <CustomFieldInput
        key={f.id}
        field={f}
        value={values.customFields[f.id]}
        onChange={(v) => setCustom(f.id, v)}
        errors={errors[`customFields/${f.id}`]}
        people={people}
      />
    ));
  const hasOptional = layout.optionalLeft.length + layout.optionalRight.length > 0;
  // One level below the form's own heading: the page's h1 for a new ticket, "Edit ticket" (h2) when editing.
  const Sub = editing ? 'h3' : 'h2';

  return (
    <form className="ticket-form" onSubmit={(event) => void submit(event)} noValidate>
      {errors['']?.length ? (
        <div className="alert error" role="alert">
          {errors[''].join(' · ')}
        </div>
      ) : null}
      <div className="form-columns">
        <div>
          <Field label="Title" htmlFor="tf-title" errors={errors.title} required>
            <input
              id="tf-title"
              type="text"
              value={values.title}
              onChange={(e) => set('title', e.target.value)}
              required
              maxLength={1000}
              aria-invalid={!!errors.title || undefined}
              autoFocus={!editing}
            />
          </Field>
          <Field label="Description" htmlFor="tf-description" errors={errors.description}>
            {props.attachments ? (
              <DropZone draft={props.attachments.draft} label="Description and attachments">
                <textarea id="tf-description" rows={6} value={values.description} onChange={(e) => set('description', e.target.value)} />
                <DraftEditor draft={props.attachments.draft} idPrefix="tf" progress={props.attachments.progress} disabled={busy} />
              </DropZone>
            ) : (
              <textarea id="tf-description" rows={6} value={values.description} onChange={(e) => set('description', e.target.value)} />
            )}
          </Field>
          <Field label="Requestor" htmlFor="tf-requestor" errors={errors.requestor} required>
            <UserInput
              id="tf-requestor"
              value={values.requestor}
              onChange={(u) => set('requestor', u)}
              people={people}
              required
              invalid={!!errors.requestor}
              placeholder="Who asked? Name <email@example.com>"
            />
          </Field>
          {renderFields(layout.left)}
        </div>
        <div>
          <Field label="Priority" htmlFor="tf-priority" errors={errors.priority}>
            <select id="tf-priority" value={values.priority} onChange={(e) => set('priority', e.target.value as Priority)}>
              {PRIORITIES.map((p) => (
                <option key={p}>{p}</option>
              ))}
            </select>
          </Field>
          <Field label="Assignee" htmlFor="tf-assignee" errors={errors.assignee} hint="Leave empty for unassigned">
            <UserInput id="tf-assignee" value={values.assignee} onChange={(u) => set('assignee', u)} people={people} invalid={!!errors.assignee} />
          </Field>
          <Field label="Expected date" htmlFor="tf-expected" errors={errors.expectedDate}>
            <input id="tf-expected" type="date" value={values.expectedDate} onChange={(e) => set('expectedDate', e.target.value)} />
          </Field>
          <Field label="Tags" htmlFor="tf-tags" errors={errors.tags}>
            <TagPicker id="tf-tags" value={values.tags} onChange={(t) => set('tags', t)} categories={tagCategories} />
          </Field>
          {renderFields(layout.right)}
        </div>
      </div>
      {hasOptional && (
        <section className="optional-fields" aria-labelledby="tf-optional">
          <Sub id="tf-optional">Optional fields</Sub>
          <div className="form-columns">
            <div>{renderFields(layout.optionalLeft)}</div>
            <div>{renderFields(layout.optionalRight)}</div>
          </div>
        </section>
      )}
      {deletedWithValue.length > 0 && (
        <section className="optional-fields" aria-labelledby="tf-deleted">
          <Sub id="tf-deleted">Deleted fields</Sub>
          <div className="form-columns">
            <div>{renderFields(deletedWithValue)}</div>
          </div>
        </section>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : props.submitLabel}
        </button>
        {props.onCancel && (
          <button type="button" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}
