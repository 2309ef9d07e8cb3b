import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { tagChipStyle } from '../lib/contrast.js';
import { formatUser, parseUser } from '../lib/format.js';
import {
  isEmailAddress,
  RESOLUTION_LABELS,
  RESOLUTIONS,
  type CustomFieldOption,
  type Resolution,
  type TagCategory,
  type TicketTag,
  type User,
} from '../lib/types.js';

/** A labelled form row; errors are announced and tied to the control with aria-describedby. */
export function Field(props: {
  label: ReactNode;
  htmlFor?: string;
  /** The label's id, for a control that names itself with aria-labelledby (a contentEditable box is not labelable). */
  labelId?: string;
  errors?: string[];
  hint?: ReactNode;
  required?: boolean;
  children: ReactNode;
  as?: 'fieldset';
}) {
  const errorId = useId();
  const errors = props.errors ?? [];
  const body = (
    <>
      {props.children}
      {props.hint && <div className="hint">{props.hint}</div>}
      {errors.length > 0 && (
        <div className="field-error" id={errorId} role="alert">
          {errors.join(' · ')}
        </div>
      )}
    </>
  );
  const mark = props.required ? (
    <span className="required" aria-hidden="true">
      {' '}
      *
    </span>
  ) : null;
  if (props.as === 'fieldset') {
    return (
      <fieldset className={`field${errors.length ? ' has-error' : ''}`} aria-describedby={errors.length ? errorId : undefined}>
        <legend>
          {props.label}
          {mark}
        </legend>
        {body}
      </fieldset>
    );
  }
  return (
    <div className={`field${errors.length ? ' has-error' : ''}`}>
      {/* The mark sits outside the label, so the control's name is the label alone. */}
      <div className="field-label">
        <label id={props.labelId} htmlFor={props.htmlFor}>
          {props.label}
        </label>
        {mark}
      </div>
      {body}
    </div>
  );
}

/** One person, typed as "Name <email>" or picked from the people the desk knows. */
export function UserInput(props: {
  id: string;
  value: User | null;
  onChange: (user: User | null) => void;
  people: User[];
  required?: boolean;
  placeholder?: string;
  invalid?: boolean;
  label?: string;
}) {
  const listId = useId();
  const [text, setText] = useState(formatUser(props.value));
  const [problem, setProblem] = useState('');
  const committed = useRef(formatUser(props.value));
  useEffect(() => {
    const next = formatUser(props.value);
    if (next !== committed.current) {
      committed.current = next;
      setText(next);
    }
  }, [props.value]);
  const commit = (raw: string) => {
    if (!raw.trim()) {
      setProblem('');
      committed.current = '';
      if (props.value) props.onChange(null);
      return;
    }
    const user = parseUser(raw, props.people);
    if (!user) {
      setProblem('Type a name and email as Name <email@example.com>');
      return;
    }
    setProblem('');
    committed.current = formatUser(user);
    setText(committed.current);
    props.onChange(user);
  };
  return (
    <>
      <input
        id={props.id}
        type="text"
        list={listId}
        value={text}
        autoComplete="off"
        placeholder={props.placeholder ?? 'Name <email@example.com>'}
        required={props.required}
        aria-invalid={props.invalid || problem !== '' || undefined}
        aria-label={props.label}
        onChange={(e) => {
          setText(e.target.value);
          if (props.people.some((p) => formatUser(p) === e.target.value)) commit(e.target.value);
        }}
        onBlur={(e) => commit(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            commit(e.currentTarget.value);
          }
        }}
      />
      <PeopleDatalist id={listId} people={props.people} />
      {problem && <div className="field-error">{problem}</div>}
    </>
  );
}

/** Several people: removable chips plus an input to add one more. */
/** The text box a person is typed into as "Name <email>", suggesting known people; Enter adds. */
export function PersonTextInput(props: {
  id: string;
  listId: string;
  text: string;
  invalid?: boolean;
  describedBy?: string;
  onText: (text: string) => void;
  onEnter: () => void;
}) {
  return (
    <input
      id={props.id}
      type="text"
      list={props.listId}
      value={props.text}
      autoComplete="off"
      placeholder="Add: Name <email@example.com>"
      aria-invalid={props.invalid || undefined}
      aria-describedby={props.describedBy}
      onChange={(e) => props.onText(e.target.value)}
      onKeyDown={(e) => {
        if (e.key === 'Enter') {
          e.preventDefault();
          props.onEnter();
        }
      }}
    />
  );
}

/** The suggestions of a PersonTextInput: the people the desk knows, as "Name <email>". */
export function PeopleDatalist(props: { id: string; people: User[] }) {
  return (
    <datalist id={props.id}>
      {props.people.map((p) => (
        <option key={p.email} value={formatUser(p)} />
      ))}
    </datalist>
  );
}

export function PeoplePicker(props: { id: string; value: User[]; onChange: (users: User[]) => void; people: User[]; label: string; invalid?: boolean }) {
  const listId = useId();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState('');
  const add = () => {
    if (!text.trim()) return;
    const user = parseUser(text, props.people);
    if (!user) return setProblem('Type a name and email as Name <email@example.com>');
    setProblem('');
    setText('');
    if (!props.value.some((u) => u.email.toLowerCase() === user.email.toLowerCase())) props.onChange([...props.value, user]);
  };
  return (
    <div className="picker">
      {props.value.length > 0 && (
        <ul className="chips" aria-label={`${props.label}: chosen people`}>
          {props.value.map((u) => (
            <li key={u.email} className="chip">
              <span title={u.email}>{u.name || u.email}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${u.name || u.email} from ${props.label}`}
                onClick={() => props.onChange(props.value.filter((x) => x !== u))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="inline">
        <PersonTextInput
          id={props.id}
          listId={listId}
          text={text}
          invalid={props.invalid || problem !== ''}
          onText={(value) => {
            setText(value);
            setProblem('');
          }}
          onEnter={add}
        />
        <button type="button" onClick={add} aria-label={`Add person to ${props.label}`}>
          Add
        </button>
      </div>
      <PeopleDatalist id={listId} people={props.people} />
      {problem && <div className="field-error">{problem}</div>}
    </div>
  );
}

/**
 * A list of e-mail addresses (an e-mail picker field): typed or pasted, several at once when
 * separated by commas, semicolons or spaces, checked as the server checks them, once each.
 */
export function EmailPicker(props: { id: string; value: string[]; onChange: (addresses: string[]) => void; people: User[]; label: string; invalid?: boolean }) {
  const listId = useId();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState('');
  const add = () => {
    const typed = text.split(/[\s,;]+/).filter((a) => a !== '');
    if (typed.length === 0) return;
    const bad = typed.filter((a) => !isEmailAddress(a));
    if (bad.length > 0) return setProblem(`Not an e-mail address: ${bad.join(', ')}`);
    const next = [...props.value];
    for (const address of typed) if (!next.some((a) => a.toLowerCase() === address.toLowerCase())) next.push(address);
    setProblem('');
    setText('');
    props.onChange(next);
  };
  return (
    <div className="picker">
      {props.value.length > 0 && (
        <ul className="chips" aria-label={`${props.label}: chosen addresses`}>
          {props.value.map((address) => (
            <li key={address} className="chip">
              <span>{address}</span>
              <button
                type="button"
                className="chip-remove"
                aria-label={`Remove ${address} from ${props.label}`}
                onClick={() => props.onChange(props.value.filter((a) => a !== address))}
              >
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
      <div className="inline">
        <input
          id={props.id}
          type="text"
          inputMode="email"
          autoComplete="off"
          list={listId}
          placeholder="name@example.com"
          value={text}
          aria-invalid={props.invalid || problem !== '' || undefined}
          onChange={(e) => {
            setText(e.target.value);
            setProblem('');
          }}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              add();
            }
          }}
        />
        <button type="button" onClick={add} aria-label={`Add address to ${props.label}`}>
          Add
        </button>
      </div>
      <datalist id={listId}>
        {props.people
          .filter((p) => p.email)
          .map((p) => (
            <option key={p.email} value={p.email}>
              {p.name}
            </option>
          ))}
      </datalist>
      {problem && <div className="field-error">{problem}</div>}
    </div>
  );
}

/** Options of a picker field: live ones, plus deleted ones still chosen (shown as such). */
export const visibleOptions = (options: CustomFieldOption[] | undefined, chosen: string[]) =>
  (options ?? []).filter((o) => !o.deleted || chosen.includes(o.id));

export function MultiOptionPicker(props: { name: string; options: CustomFieldOption[] | undefined; value: string[]; onChange: (ids: string[]) => void }) {
  const options = visibleOptions(props.options, props.value);
  if (options.length === 0) return <p className="muted">No options yet (add them in Settings).</p>;
  return (
    <div className="checks">
      {options.map((o) => (
        <label key={o.id} className="check">
          <input
            type="checkbox"
            name={props.name}
            checked={props.value.includes(o.id)}
            onChange={(e) => props.onChange(e.target.checked ? [...props.value, o.id] : props.value.filter((id) => id !== o.id))}
          />
          {o.text}
          {o.deleted && <span className="muted"> (deleted)</span>}
        </label>
      ))}
    </div>
  );
}

export function SingleOptionPicker(props: {
  id: string;
  options: CustomFieldOption[] | undefined;
  value: string[];
  onChange: (ids: string[]) => void;
  required?: boolean;
}) {
  const options = visibleOptions(props.options, props.value);
  return (
    <select id={props.id} value={props.value[0] ?? ''} required={props.required} onChange={(e) => props.onChange(e.target.value ? [e.target.value] : [])}>
      <option value="">—</option>
      {options.map((o) => (
        <option key={o.id} value={o.id}>
          {o.text}
          {o.deleted ? ' (deleted)' : ''}
        </option>
      ))}
    </select>
  );
}

/**
 * An on/off switch. With `stateText`, the visible text only says Yes/No and the switch is named
 * by its field's own <label for> (so the accessible name is the field's name, not "No").
 */
export function Toggle(props: { id: string; checked: boolean; onChange: (checked: boolean) => void; label?: string; stateText?: boolean }) {
  return (
    <label className="toggle">
      <input id={props.id} type="checkbox" role="switch" checked={props.checked} onChange={(e) => props.onChange(e.target.checked)} />
      {props.stateText ? <span aria-hidden="true">{props.checked ? 'Yes' : 'No'}</span> : <span>{props.label}</span>}
    </label>
  );
}

export function TagChip(props: { tag: TicketTag; categories: TagCategory[]; onRemove?: () => void }) {
  const category = props.categories.find((c) => c.id === props.tag.tagCategoryId);
  return (
    <span className="tag" style={tagChipStyle(category?.color)} title={category ? `${category.text}: ${props.tag.text}` : props.tag.text}>
      {props.tag.text}
      {props.onRemove && (
        <button type="button" className="chip-remove" aria-label={`Remove tag ${props.tag.text}`} onClick={props.onRemove}>
          ×
        </button>
      )}
    </span>
  );
}

/** Tags of a ticket: chips, plus a category and a text (existing or new) to add one. */
export function TagPicker(props: { id: string; value: TicketTag[]; onChange: (tags: TicketTag[]) => void; categories: TagCategory[] }) {
  const live = props.categories.filter((c) => !c.deleted);
  const [categoryId, setCategoryId] = useState(live[0]?.id ?? '');
  const [text, setText] = useState('');
  const listId = useId();
  const category = live.find((c) => c.id === categoryId);
  const add = () => {
    const t = text.trim();
    if (!t || !category) return;
    setText('');
    if (props.value.some((x) => x.tagCategoryId === category.id && x.text.toLowerCase() === t.toLowerCase())) return;
    props.onChange([...props.value, { tagCategoryId: category.id, text: t }]);
  };
  return (
    <div className="picker">
      {props.value.length > 0 && (
        <div className="chips">
          {props.value.map((tag, i) => (
            <TagChip
              key={`${tag.tagCategoryId}_${tag.text}`}
              tag={tag}
              categories={props.categories}
              onRemove={() => props.onChange(props.value.filter((_, j) => j !== i))}
            />
          ))}
        </div>
      )}
      {live.length === 0 ? (
        <p className="muted">No tag categories yet (add them in Settings).</p>
      ) : (
        <div className="inline">
          <select aria-label="Tag category" value={categoryId} onChange={(e) => setCategoryId(e.target.value)}>
            {live.map((c) => (
              <option key={c.id} value={c.id}>
                {c.text}
              </option>
            ))}
          </select>
          <input
            id={props.id}
            type="text"
            list={listId}
            value={text}
            placeholder="Tag"
            autoComplete="off"
            onChange={(e) => setText(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                add();
              }
            }}
          />
          <button type="button" onClick={add}>
            Add tag
          </button>
          <datalist id={listId}>
            {category?.tags
              .filter((t) => !t.deleted)
              .map((t) => (
                <option key={t.text} value={t.text} />
              ))}
          </datalist>
        </div>
      )}
    </div>
  );
}

/** A modal dialog (native <dialog>: focus trap and Escape come with it). */
export function Dialog(props: { open: boolean; title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) {
      dialog.showModal();
      // showModal focuses the first control; a dialog may name a safer one (Cancel, for a deletion).
      dialog.querySelector<HTMLElement>('[data-autofocus]')?.focus();
    }
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} className={props.wide ? 'wide' : undefined} aria-labelledby={titleId} onClose={props.onClose}>
      {props.open && (
        <>
          <h2 id={titleId}>{props.title}</h2>
          {props.children}
        </>
      )}
    </dialog>
  );
}

interface ConfirmQuestion {
  title: string;
  message: ReactNode;
  /** The button that does it ("Delete"); Cancel is the other one, and has the focus. */
  confirmLabel: string;
}

/**
 * Asks before something that cannot be taken back in one click: `confirm(question)` opens a
 * modal dialog and answers true for the confirm button, false for Cancel or Escape. Render
 * `dialog` once in the component.
 */
export function useConfirm(): [(question: ConfirmQuestion) => Promise<boolean>, ReactNode] {
  const [asked, setAsked] = useState<(ConfirmQuestion & { answer: (ok: boolean) => void }) | null>(null);
  const confirm = (question: ConfirmQuestion) => new Promise<boolean>((answer) => setAsked({ ...question, answer }));
  const close = (ok: boolean) => {
    asked?.answer(ok);
    setAsked(null);
  };
  const dialog = (
    <Dialog open={asked !== null} title={asked?.title ?? ''} onClose={() => close(false)}>
      <p>{asked?.message}</p>
      <div className="actions">
        <button type="button" className="danger" onClick={() => close(true)}>
          {asked?.confirmLabel}
        </button>
        <button type="button" data-autofocus onClick={() => close(false)}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
  return [confirm, dialog];
}

export function Spinner({ label = 'Loading…' }: { label?: string }) {
  return (
    <div className="spinner" role="status">
      <span className="spinner-dot" aria-hidden="true" />
      {label}
    </div>
  );
}

export function StatusBadge({ status }: { status?: string }) {
  return status ? <span className={`badge status-${status.toLowerCase()}`}>{status}</span> : null;
}

export function PriorityBadge({ priority }: { priority?: string }) {
  return priority ? <span className={`badge priority-${priority.toLowerCase()}`}>{priority}</span> : null;
}

/**
 * The SLA escalation flags of a ticket, one badge each. `compact` (the desk) shows a flag and
 * one word; the accessible name always says which target was missed.
 */
export function EscalationBadges(props: { frt?: boolean; rt?: boolean; compact?: boolean }) {
  const badge = (kind: 'frt' | 'rt') => {
    const full = kind === 'frt' ? 'First response escalated' : 'Resolution escalated';
    const short = kind === 'frt' ? 'Response' : 'Resolution';
    return (
      <span key={kind} className={`badge escalated ${kind}`} title={`${full}: the SLA target was missed`}>
        <span aria-hidden="true">⚑ </span>
        {props.compact ? (
          <>
            <span aria-hidden="true">{short}</span>
            <span className="visually-hidden">{full}</span>
          </>
        ) : (
          full
        )}
      </span>
    );
  };
  return (
    <>
      {props.frt && badge('frt')}
      {props.rt && badge('rt')}
    </>
  );
}

/** A secret shown once, with a button that copies it. */
export function CopyField({ value, label }: { value: string; label: string }) {
  const [copied, setCopied] = useState(false);
  const id = useId();
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      const input = document.getElementById(id) as HTMLInputElement | null;
      input?.select();
      document.execCommand('copy');
    }
    setCopied(true);
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="inline">
        <input id={id} type="text" readOnly value={value} className="mono" onFocus={(e) => e.target.select()} />
        <button type="button" onClick={() => void copy()}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
      <span className="visually-hidden" aria-live="polite">
        {copied ? 'Copied to the clipboard' : ''}
      </span>
    </div>
  );
}

/** The resolution a Resolved status needs (the ticket page's status panel, the bulk bar): none chosen yet is ''. */
export function ResolutionSelect(props: { id: string; value: Resolution | ''; invalid: boolean; onChange: (resolution: Resolution | '') => void }) {
  return (
    <select id={props.id} value={props.value} aria-invalid={props.invalid || undefined} onChange={(e) => props.onChange(e.target.value as Resolution | '')}>
      <option value="">Choose…</option>
      {RESOLUTIONS.map((r) => (
        <option key={r} value={r}>
          {RESOLUTION_LABELS[r]}
        </option>
      ))}
    </select>
  );
}
