import { formatDate, formatUser } from '../lib/format.js';
import type { CustomField, User } from '../lib/types.js';
import { EmailPicker, Field, MultiOptionPicker, PeoplePicker, SingleOptionPicker, Toggle } from './controls.js';

const asArray = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [];
const asUsers = (value: unknown): User[] => (Array.isArray(value) ? value.filter((v): v is User => typeof v === 'object' && v !== null && 'email' in v) : []);

/** The input for one custom field, by its type. Date pickers hold a local day (YYYY-MM-DD) while edited. */
export function CustomFieldInput(props: { field: CustomField; value: unknown; onChange: (value: unknown) => void; errors?: string[]; people: User[] }) {
  const { field, value, onChange } = props;
  const id = `cf-${field.id}`;
  const invalid = (props.errors?.length ?? 0) > 0;
  const label = field.deleted ? `${field.name} (deleted field)` : field.name;
  switch (field.typeName) {
    case 'peoplePicker':
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <PeoplePicker id={id} label={field.name} value={asUsers(value)} onChange={onChange} people={props.people} invalid={invalid} />
        </Field>
      );
    case 'emailPicker':
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <EmailPicker id={id} label={field.name} value={asArray(value)} onChange={onChange} people={props.people} invalid={invalid} />
        </Field>
      );
    case 'multipleItemsPicker':
      return (
        <Field label={label} errors={props.errors} required={field.required} as="fieldset">
          <MultiOptionPicker name={id} options={field.options} value={asArray(value)} onChange={onChange} />
        </Field>
      );
    case 'singleItemPicker':
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <SingleOptionPicker id={id} options={field.options} value={asArray(value)} onChange={onChange} required={field.required} />
        </Field>
      );
    case 'toggle':
      return (
        <Field label={label} htmlFor={id} errors={props.errors}>
          <div>
            <Toggle id={id} checked={value === true} onChange={onChange} stateText />
          </div>
        </Field>
      );
    case 'datePicker':
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <input
            id={id}
            type="date"
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value)}
            required={field.required}
            aria-invalid={invalid || undefined}
          />
        </Field>
      );
    case 'textArea':
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <textarea
            id={id}
            rows={4}
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value)}
            required={field.required}
            aria-invalid={invalid || undefined}
          />
        </Field>
      );
    default:
      return (
        <Field label={label} htmlFor={id} errors={props.errors} required={field.required}>
          <input
            id={id}
            type="text"
            value={typeof value === 'string' ? value : ''}
            onChange={(e) => onChange(e.target.value)}
            required={field.required}
            aria-invalid={invalid || undefined}
          />
        </Field>
      );
  }
}

/** A custom field's value as text, for reading. */
export function customFieldText(field: CustomField | undefined, value: unknown): string {
  if (value === undefined || value === null || value === '') return '';
  if (!field) return typeof value === 'string' ? value : JSON.stringify(value);
  switch (field.typeName) {
    case 'peoplePicker':
      return asUsers(value)
        .map((u) => u.name || formatUser(u))
        .join(', ');
    case 'emailPicker':
      return asArray(value).join(', ');
    case 'multipleItemsPicker':
    case 'singleItemPicker':
      return asArray(value)
        .map((id) => field.options?.find((o) => o.id === id)?.text ?? id)
        .join(', ');
    case 'toggle':
      return value === true ? 'Yes' : 'No';
    case 'datePicker':
      return typeof value === 'string' ? formatDate(value) : '';
    default:
      return typeof value === 'string' ? value : JSON.stringify(value);
  }
}
