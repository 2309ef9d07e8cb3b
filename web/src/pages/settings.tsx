import { useEffect, useState, type FormEvent } from 'react';
import { CopyField, Dialog, Field, PeoplePicker, Toggle, useConfirm } from '../components/controls.js';
import { PeopleSection, SignInSection } from './settings-people.js';
import { FormError, Section, useSettingsSave } from '../components/settings-kit.js';
import { AssigneesSection, DueAlertsSection, SlaSection } from './settings-engine.js';
import { WebhooksSection } from './settings-webhooks.js';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import {
  CUSTOM_FIELD_TYPE_LABELS,
  CUSTOM_FIELD_TYPES,
  hasOptions,
  type CustomField,
  type CustomFieldType,
  type Instance,
  type KeyName,
  type TagCategory,
  type User,
} from '../lib/types.js';

const SECTIONS = [
  ['people', 'People'],
  ['sign-in', 'Sign-in and sessions'],
  ['keys', 'API keys'],
  ['general', 'Instance and rate limit'],
  ['fields', 'Custom fields'],
  ['tags', 'Tag categories'],
  ['assignees', 'Assignees and rules'],
  ['sla', 'SLA policy'],
  ['idle', 'Idle tickets'],
  ['due-alerts', 'Due-date alerts'],
  ['webhooks', 'Webhooks'],
] as const;

/** The settings area: keys, custom fields, tags, assignment rules, SLA policy, idle tickets, due-date alerts, rate limit, webhooks. */
export function SettingsPage() {
  // A link to a section (/settings#sla) lands on it once the page is drawn.
  useEffect(() => {
    const id = decodeURIComponent(window.location.hash.slice(1));
    const section = id ? document.getElementById(id) : null;
    if (!section) return;
    section.scrollIntoView({ block: 'start' });
    section.querySelector<HTMLElement>('h2')?.focus({ preventScroll: true });
  }, []);
  return (
    <div className="page settings">
      <h1>Settings</h1>
      <div className="settings-layout">
        <nav className="settings-nav" aria-label="Settings sections">
          <ul>
            {SECTIONS.map(([id, label]) => (
              <li key={id}>
                <a href={`#${id}`}>{label}</a>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings-body">
          <PeopleSection />
          <SignInSection />
          <KeysSection />
          <GeneralSection />
          <CustomFieldsSection />
          <TagsSection />
          <AssigneesSection />
          <SlaSection />
          <IdleSection />
          <DueAlertsSection />
          <WebhooksSection />
        </div>
      </div>
    </div>
  );
}

// ---------------------------------------------------------------- keys

function KeysSection() {
  const { instance, notify, reloadInstance } = useApp();
  const { save, errors } = useSettingsSave();
  const [confirming, setConfirming] = useState<KeyName | null>(null);
  const [shown, setShown] = useState<{ which: KeyName; key: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  const regenerate = async (which: KeyName) => {
    setBusy(true);
    setError('');
    try {
      const r = await send(client.POST('/instance/keys/{which}/regenerate', { params: { path: { which } } }));
      setConfirming(null);
      setShown({ which, key: r.key });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };

  const setAccess = (which: KeyName, readOnly: boolean) =>
    void save({ keyAccess: { [which]: readOnly ? 'readOnly' : 'readWrite' } }, `The ${which} key is now ${readOnly ? 'read-only' : 'read-write'}`);

  const setKeysEnabled = async (enabled: boolean) => {
    if (
      !enabled &&
      !window.confirm('Turn the instance keys off? Every client using a key is refused until they are turned on again; people and their tokens go on.')
    )
      return;
    await save({ instanceKeysEnabled: enabled }, enabled ? 'Instance keys turned on' : 'Instance keys turned off');
    await reloadInstance();
  };

  return (
    <Section
      id="keys"
      title="API keys"
      intro="Integrations use a key with the API (the web app does not). Rotate without downtime: move every client to one key, regenerate the other. A new key is shown once. People use their own tokens (Your account)."
    >
      <FormError errors={errors} />
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <Toggle
        id="keys-enabled"
        checked={instance.instanceKeysEnabled}
        onChange={(on) => void setKeysEnabled(on)}
        label="Instance keys work (off: only people, signed in or with their tokens)"
      />
      <div className="keys">
        {(['primary', 'secondary'] as const).map((which) => (
          <div key={which} className="key-card">
            <h3>{which === 'primary' ? 'Primary key' : 'Secondary key'}</h3>
            <p className="muted small">Only a hash is stored: the key itself cannot be shown again.</p>
            <Toggle
              id={`key-${which}-readonly`}
              checked={instance.keyAccess[which] === 'readOnly'}
              onChange={(on) => setAccess(which, on)}
              label="Read-only (writes answer 403)"
            />
            <div className="actions">
              <button type="button" onClick={() => setConfirming(which)}>
                Regenerate {which} key
              </button>
            </div>
          </div>
        ))}
      </div>
      <Dialog open={confirming !== null} title={`Regenerate the ${confirming} key?`} onClose={() => setConfirming(null)}>
        <p>The current {confirming} key stops working at once, for every client that uses it.</p>
        <div className="actions">
          <button type="button" className="danger" disabled={busy} onClick={() => confirming && void regenerate(confirming)}>
            {busy ? 'Regenerating…' : 'Regenerate'}
          </button>
          <button type="button" onClick={() => setConfirming(null)}>
            Cancel
          </button>
        </div>
      </Dialog>
      <Dialog
        open={shown !== null}
        title={`Your new ${shown?.which ?? ''} key`}
        onClose={() => {
          setShown(null);
          notify('Key regenerated');
        }}
        wide
      >
        <p>
          <strong>Copy it now.</strong> It is shown only this once; after you close this window, nobody can see it again.
        </p>
        <CopyField value={shown?.key ?? ''} label="New key" />
        <div className="actions">
          <button type="button" className="primary" onClick={() => setShown(null)}>
            I have saved it
          </button>
        </div>
      </Dialog>
    </Section>
  );
}

// ---------------------------------------------------------------- instance, rate limit

function GeneralSection() {
  const { instance } = useApp();
  const { save, errors, busy } = useSettingsSave();
  const [name, setName] = useState(instance.name);
  const [mail, setMail] = useState(instance.mailAddress ?? '');
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save({ name: name.trim(), mailAddress: mail.trim() || null });
  };
  return (
    <Section id="general" title="Instance and rate limit">
      <form onSubmit={(event) => void submit(event)}>
        <FormError errors={errors} />
        <div className="form-columns">
          <div>
            <Field label="Instance name" htmlFor="s-name" errors={errors.name}>
              <input id="s-name" type="text" value={name} onChange={(e) => setName(e.target.value)} required />
            </Field>
            <Field label="Mail address" htmlFor="s-mail" errors={errors.mailAddress}>
              <input id="s-mail" type="email" value={mail} onChange={(e) => setMail(e.target.value)} />
            </Field>
          </div>
          <div>
            {/* The rate limit is the operator's to set (operator API or CLI); the instance only reads it. */}
            <Field label="Rate limit (set by the operator)" htmlFor="s-rate">
              <output id="s-rate">
                {instance.rateLimit.max} requests per {instance.rateLimit.windowSeconds} seconds
              </output>
            </Field>
          </div>
        </div>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Save
          </button>
        </div>
      </form>
    </Section>
  );
}

// ---------------------------------------------------------------- custom fields

const PLACEMENTS = [
  ['customFieldsLeft', 'Main, left column'],
  ['customFieldsRight', 'Main, right column'],
  ['optionalFieldsLeft', 'Optional, left column'],
  ['optionalFieldsRight', 'Optional, right column'],
  ['', 'Not placed (shown in the shorter main column)'],
] as const;
type Placement = (typeof PLACEMENTS)[number][0];
type LayoutList = Exclude<Placement, ''>;
const LISTS: LayoutList[] = ['customFieldsLeft', 'customFieldsRight', 'optionalFieldsLeft', 'optionalFieldsRight'];

const layoutIds = (instance: Instance) => Object.fromEntries(LISTS.map((l) => [l, instance[l].map((f) => f.id)])) as Record<LayoutList, string[]>;
const placementOf = (instance: Instance, id: string): Placement => LISTS.find((l) => instance[l].some((f) => f.id === id)) ?? '';

function CustomFieldsSection() {
  const { instance, reloadInstance, notify } = useApp();
  const [confirm, confirmDialog] = useConfirm();
  const [editing, setEditing] = useState<CustomField | 'new' | null>(null);
  const [error, setError] = useState('');
  const live = instance.customFields.filter((f) => !f.deleted);
  const deleted = instance.customFields.filter((f) => f.deleted);

  const run = async (work: () => Promise<unknown>, message: string) => {
    setError('');
    try {
      await work();
      await reloadInstance();
      notify(message);
    } catch (e) {
      setError(errorMessage(e));
    }
  };
  const removeField = async (field: CustomField) => {
    const ok = await confirm({
      title: `Delete the field “${field.name}”?`,
      message: 'New tickets no longer have it; tickets that have a value keep it. You can restore it from “Deleted fields”.',
      confirmLabel: 'Delete field',
    });
    if (ok) await run(() => send(client.DELETE('/instance/customFields/{id}', { params: { path: { id: field.id } } })), `Deleted “${field.name}”`);
  };
  const move = (field: CustomField, by: -1 | 1) => {
    const list = placementOf(instance, field.id);
    if (!list) return;
    const ids = layoutIds(instance)[list];
    const at = ids.indexOf(field.id);
    const to = at + by;
    if (to < 0 || to >= ids.length) return;
    [ids[at], ids[to]] = [ids[to]!, ids[at]!];
    void run(() => send(client.PUT('/instance', { body: { [list]: ids } })), `Moved “${field.name}”`);
  };

  const groups: [string, CustomField[], LayoutList | ''][] = [
    ...PLACEMENTS.filter(([l]) => l !== '').map(
      ([l, label]) => [label, instance[l as LayoutList].filter((f) => !f.deleted), l] as [string, CustomField[], LayoutList],
    ),
    ['Not placed', live.filter((f) => placementOf(instance, f.id) === ''), ''],
  ];

  return (
    <Section
      id="fields"
      title="Custom fields"
      intro="Fields of every ticket, laid out on the new-ticket form in a main and an optional section, each with two columns. Deleting a field hides it from new tickets; old tickets keep their values."
    >
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <div className="actions">
        <button type="button" className="primary" onClick={() => setEditing('new')}>
          Add custom field
        </button>
      </div>
      {groups
        .filter(([, fields]) => fields.length > 0)
        .map(([label, fields, list]) => (
          <div key={label} className="field-group">
            <h3>{label}</h3>
            <ul className="rows">
              {fields.map((f, i) => (
                <li key={f.id} className="row">
                  <div className="row-main">
                    <strong>{f.name}</strong> <span className="muted">· {CUSTOM_FIELD_TYPE_LABELS[f.typeName]}</span>
                    {f.required && <span className="badge">Required</span>}
                    {hasOptions(f.typeName) && (
                      <div className="muted small">
                        {(f.options ?? [])
                          .filter((o) => !o.deleted)
                          .map((o) => o.text)
                          .join(', ') || 'No options'}
                      </div>
                    )}
                  </div>
                  <div className="row-actions">
                    {list && (
                      <>
                        <button type="button" aria-label={`Move ${f.name} up`} disabled={i === 0} onClick={() => move(f, -1)}>
                          ↑
                        </button>
                        <button type="button" aria-label={`Move ${f.name} down`} disabled={i === fields.length - 1} onClick={() => move(f, 1)}>
                          ↓
                        </button>
                      </>
                    )}
                    <button type="button" onClick={() => setEditing(f)} aria-label={`Edit ${f.name}`}>
                      Edit
                    </button>
                    <button type="button" className="danger" aria-label={`Delete ${f.name}`} onClick={() => void removeField(f)}>
                      Delete
                    </button>
                  </div>
                </li>
              ))}
            </ul>
          </div>
        ))}
      {live.length === 0 && <p className="muted">No custom fields yet.</p>}
      {deleted.length > 0 && (
        <details className="field-group">
          <summary>Deleted fields ({deleted.length})</summary>
          <ul className="rows">
            {deleted.map((f) => (
              <li key={f.id} className="row">
                <div className="row-main">
                  <s>{f.name}</s> <span className="muted">· {CUSTOM_FIELD_TYPE_LABELS[f.typeName]}</span>
                </div>
                <div className="row-actions">
                  <button
                    type="button"
                    aria-label={`Restore ${f.name}`}
                    onClick={() =>
                      void run(
                        () => send(client.PUT('/instance/customFields/{id}', { params: { path: { id: f.id } }, body: { deleted: false } })),
                        `Restored “${f.name}”`,
                      )
                    }
                  >
                    Restore
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
      <Dialog open={editing !== null} title={editing === 'new' ? 'New custom field' : `Edit “${editing?.name ?? ''}”`} onClose={() => setEditing(null)} wide>
        {editing !== null && <FieldEditor field={editing === 'new' ? undefined : editing} onDone={() => setEditing(null)} />}
      </Dialog>
      {confirmDialog}
    </Section>
  );
}

interface OptionDraft {
  id?: string;
  text: string;
}

function FieldEditor({ field, onDone }: { field?: CustomField; onDone: () => void }) {
  const { instance, reloadInstance, notify } = useApp();
  const [name, setName] = useState(field?.name ?? '');
  const [type, setType] = useState<CustomFieldType>(field?.typeName ?? 'textField');
  const [required, setRequired] = useState(field?.required ?? false);
  const [placement, setPlacement] = useState<Placement>(field ? placementOf(instance, field.id) : 'customFieldsLeft');
  const [options, setOptions] = useState<OptionDraft[]>(() => (field?.options ?? []).filter((o) => !o.deleted).map((o) => ({ id: o.id, text: o.text })));
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    const found: Record<string, string[]> = {};
    if (!name.trim()) found.name = ['A field needs a name'];
    const cleanOptions = options.map((o) => ({ ...o, text: o.text.trim() })).filter((o) => o.text !== '');
    if (hasOptions(type) && cleanOptions.length === 0) found.options = ['Give at least one option'];
    setErrors(found);
    if (Object.keys(found).length) return;
    setBusy(true);
    try {
      const body = { name: name.trim(), required, ...(hasOptions(type) ? { options: cleanOptions } : {}) };
      const saved = field
        ? (await send(client.PUT('/instance/customFields/{id}', { params: { path: { id: field.id } }, body }))).item
        : (await send(client.POST('/instance/customFields', { body: { ...body, type } }))).item;
      const current = placementOf(instance, saved.id);
      if (current !== placement) {
        const ids = layoutIds(instance);
        const patch: Record<string, string[]> = {};
        if (current) patch[current] = ids[current].filter((id) => id !== saved.id);
        if (placement) patch[placement] = [...ids[placement], saved.id];
        await send(client.PUT('/instance', { body: patch }));
      }
      await reloadInstance();
      notify(field ? `Saved “${saved.name}”` : `Added “${saved.name}”`);
      onDone();
    } catch (e) {
      const byField: Record<string, string[]> = {};
      if (e instanceof ApiError && e.errors.length)
        for (const fe of e.errors) (byField[fe.path.replace(/^\/body\//, '').split('/')[0] ?? ''] ??= []).push(fe.message);
      else byField[''] = [errorMessage(e)];
      setErrors(byField);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} noValidate>
      {errors['']?.length ? (
        <div className="alert error" role="alert">
          {errors[''].join(' · ')}
        </div>
      ) : null}
      <Field label="Name" htmlFor="cf-name" errors={errors.name} required>
        <input id="cf-name" type="text" value={name} onChange={(e) => setName(e.target.value)} autoFocus />
      </Field>
      <Field label="Type" htmlFor="cf-type" errors={errors.type} hint={field ? 'The type of a field cannot change.' : undefined}>
        <select id="cf-type" value={type} onChange={(e) => setType(e.target.value as CustomFieldType)} disabled={field !== undefined}>
          {CUSTOM_FIELD_TYPES.map((t) => (
            <option key={t} value={t}>
              {CUSTOM_FIELD_TYPE_LABELS[t]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Required" as="fieldset" errors={errors.required}>
        <Toggle id="cf-required" checked={required} onChange={setRequired} label="Every new ticket must have a value" />
      </Field>
      <Field label="Place on the form" htmlFor="cf-placement">
        <select id="cf-placement" value={placement} onChange={(e) => setPlacement(e.target.value as Placement)}>
          {PLACEMENTS.map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </select>
      </Field>
      {hasOptions(type) && (
        <Field label="Options" as="fieldset" errors={errors.options}>
          <ol className="options">
            {options.map((o, i) => (
              <li key={o.id ?? `new-${i}`} className="inline">
                <input
                  type="text"
                  aria-label={`Option ${i + 1}`}
                  value={o.text}
                  onChange={(e) => setOptions(options.map((x, j) => (j === i ? { ...x, text: e.target.value } : x)))}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      setOptions([...options, { text: '' }]);
                    }
                  }}
                />
                <button type="button" aria-label={`Remove option ${o.text || i + 1}`} onClick={() => setOptions(options.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </li>
            ))}
          </ol>
          <button type="button" onClick={() => setOptions([...options, { text: '' }])}>
            Add option
          </button>
          <div className="hint">A removed option stays on the tickets that have it, marked deleted.</div>
        </Field>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : field ? 'Save field' : 'Add field'}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------- tags

function TagsSection() {
  const { tagCategories, reloadTags, notify } = useApp();
  const [error, setError] = useState('');
  const live = tagCategories.filter((c) => !c.deleted);
  const deleted = tagCategories.filter((c) => c.deleted);
  const run = async (work: () => Promise<unknown>, message: string) => {
    setError('');
    try {
      await work();
      await reloadTags();
      notify(message);
      return true;
    } catch (e) {
      setError(errorMessage(e));
      return false;
    }
  };
  return (
    <Section id="tags" title="Tag categories" intro="Each tag belongs to a category with a colour. Agents can add new tags to a category from a ticket.">
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      <ul className="rows">
        {live.map((c) => (
          <TagCategoryRow key={c.id} category={c} run={run} />
        ))}
      </ul>
      <NewTagCategory run={run} />
      {deleted.length > 0 && (
        <details className="field-group">
          <summary>Deleted categories ({deleted.length})</summary>
          <ul className="rows">
            {deleted.map((c) => (
              <li key={c.id} className="row">
                <div className="row-main">
                  <span className="swatch" style={{ background: c.color }} aria-hidden="true" /> <s>{c.text}</s>
                </div>
                <div className="row-actions">
                  <button
                    type="button"
                    aria-label={`Restore ${c.text}`}
                    onClick={() =>
                      void run(() => send(client.PUT('/tags/{id}', { params: { path: { id: c.id } }, body: { deleted: false } })), `Restored “${c.text}”`)
                    }
                  >
                    Restore
                  </button>
                </div>
              </li>
            ))}
          </ul>
        </details>
      )}
    </Section>
  );
}

const splitTags = (text: string) => [
  ...new Set(
    text
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean),
  ),
];

function TagCategoryRow({ category, run }: { category: TagCategory; run: (work: () => Promise<unknown>, message: string) => Promise<boolean> }) {
  const [text, setText] = useState(category.text);
  const [color, setColor] = useState(category.color.length === 4 ? `#${[...category.color.slice(1)].map((c) => c + c).join('')}` : category.color);
  const [tags, setTags] = useState(
    category.tags
      .filter((t) => !t.deleted)
      .map((t) => t.text)
      .join(', '),
  );
  useEffect(
    () =>
      setTags(
        category.tags
          .filter((t) => !t.deleted)
          .map((t) => t.text)
          .join(', '),
      ),
    [category.tags],
  );
  const id = `tc-${category.id}`;
  const [confirm, confirmDialog] = useConfirm();
  const remove = async () => {
    const ok = await confirm({
      title: `Delete the tag category “${category.text}”?`,
      message: 'Its tags can no longer be added to tickets; tickets that have them keep them. You can restore it from “Deleted categories”.',
      confirmLabel: 'Delete category',
    });
    if (ok) await run(() => send(client.DELETE('/tags/{id}', { params: { path: { id: category.id } } })), `Deleted “${category.text}”`);
  };
  const save = (e: FormEvent) => {
    e.preventDefault();
    const kept = splitTags(tags);
    const lower = kept.map((t) => t.toLowerCase());
    const removed = category.tags.filter((t) => !lower.includes(t.text.toLowerCase())).map((t) => ({ text: t.text, deleted: true }));
    void run(
      () =>
        send(
          client.PUT('/tags/{id}', {
            params: { path: { id: category.id } },
            body: { text: text.trim(), color, tags: [...kept.map((t) => ({ text: t })), ...removed] },
          }),
        ),
      `Saved “${text.trim()}”`,
    );
  };
  return (
    <li className="row">
      <form className="tag-row" onSubmit={save} aria-label={`Tag category ${category.text}`}>
        <div className="field">
          <label htmlFor={`${id}-color`}>Colour</label>
          <input id={`${id}-color`} type="color" value={color} onChange={(e) => setColor(e.target.value)} />
        </div>
        <div className="field">
          <label htmlFor={`${id}-text`}>Name</label>
          <input id={`${id}-text`} type="text" value={text} onChange={(e) => setText(e.target.value)} />
        </div>
        <div className="field grow">
          <label htmlFor={`${id}-tags`}>Tags (comma separated)</label>
          <input id={`${id}-tags`} type="text" value={tags} onChange={(e) => setTags(e.target.value)} />
        </div>
        <div className="row-actions">
          <button type="submit">Save</button>
          <button type="button" className="danger" aria-label={`Delete ${category.text}`} onClick={() => void remove()}>
            Delete
          </button>
        </div>
      </form>
      {confirmDialog}
    </li>
  );
}

function NewTagCategory({ run }: { run: (work: () => Promise<unknown>, message: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  const [color, setColor] = useState('#2456c7');
  const [tags, setTags] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (!text.trim()) return;
    const ok = await run(
      () => send(client.POST('/tags', { body: { text: text.trim(), color, tags: splitTags(tags).map((t) => ({ text: t })) } })),
      `Added “${text.trim()}”`,
    );
    if (ok) {
      setText('');
      setTags('');
    }
  };
  return (
    <form className="tag-row new" onSubmit={(event) => void submit(event)} aria-label="New tag category">
      <div className="field">
        <label htmlFor="ntc-color">Colour</label>
        <input id="ntc-color" type="color" value={color} onChange={(e) => setColor(e.target.value)} />
      </div>
      <div className="field">
        <label htmlFor="ntc-text">New category</label>
        <input id="ntc-text" type="text" value={text} onChange={(e) => setText(e.target.value)} placeholder="e.g. Product" />
      </div>
      <div className="field grow">
        <label htmlFor="ntc-tags">Tags (comma separated)</label>
        <input id="ntc-tags" type="text" value={tags} onChange={(e) => setTags(e.target.value)} placeholder="e.g. Billing, Mobile app" />
      </div>
      <div className="row-actions">
        <button type="submit" className="primary">
          Add category
        </button>
      </div>
    </form>
  );
}

// ---------------------------------------------------------------- idle tickets

function IdleSection() {
  const { instance, people } = useApp();
  const { save, errors, busy } = useSettingsSave();
  const [autoAssign, setAutoAssign] = useState(instance.isAutoAssignIdleTickets);
  const [days, setDays] = useState(instance.dayBeforeTicketsIdle === null ? '' : String(instance.dayBeforeTicketsIdle));
  const [assignTo, setAssignTo] = useState<User[]>(instance.idleTicketAssignedTo);
  const [notifyIdle, setNotifyIdle] = useState(instance.isNotifyIdleTicket);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    void save({
      isAutoAssignIdleTickets: autoAssign,
      dayBeforeTicketsIdle: days.trim() ? Number(days) : null,
      idleTicketAssignedTo: assignTo,
      isNotifyIdleTicket: notifyIdle,
    });
  };
  return (
    <Section id="idle" title="Idle tickets" intro="A ticket with no interaction for a number of days is idle.">
      <form onSubmit={(event) => void submit(event)} noValidate>
        <FormError errors={errors[''] ? { '': errors[''] } : {}} />
        <Field label="Days without interaction before a ticket is idle" htmlFor="s-idle-days" errors={errors.dayBeforeTicketsIdle}>
          <input id="s-idle-days" type="number" min={1} max={365} value={days} onChange={(e) => setDays(e.target.value)} />
        </Field>
        <Field label="Notify" as="fieldset">
          <Toggle id="s-idle-notify" checked={notifyIdle} onChange={setNotifyIdle} label="Notify about idle tickets" />
        </Field>
        <Field label="Reassign" as="fieldset">
          <Toggle id="s-idle-assign" checked={autoAssign} onChange={setAutoAssign} label="Assign idle tickets automatically" />
        </Field>
        <Field label="Assign idle tickets to" htmlFor="s-idle-to" errors={errors.idleTicketAssignedTo}>
          <PeoplePicker id="s-idle-to" label="Assign idle tickets to" value={assignTo} onChange={setAssignTo} people={people} />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Save idle-ticket settings
          </button>
        </div>
      </form>
    </Section>
  );
}
