import { useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Dialog, Field, PeoplePicker, PriorityBadge, Toggle } from '../components/controls.js';
import { PeopleList } from '../components/people-list.js';
import { FormError, Section, useSettingsSave } from '../components/settings-kit.js';
import { TimeZoneSelect } from '../components/time-zone-select.js';
import { client, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import {
  describeConditions,
  formatMinutes,
  joinMinutes,
  moveItem,
  ruleDraft,
  ruleFromDraft,
  ruleProblems,
  rulesErrors,
  slaDraft,
  slaErrors,
  slaFromDraft,
  WEEKDAYS,
  workingDayMinutes,
  workingDaysHint,
  zoneOffset,
  type CustomFieldCondition,
  type RuleDraft,
  type SlaDraft,
  type TargetDraft,
} from '../lib/engine.js';
import { Link } from '../lib/router.js';
import { PRIORITIES, type CustomField, type Priority, type Rule, type SettingsUpdate, type TagCategory, type User } from '../lib/types.js';

/*
 * The help-desk engine's settings: the SLA policy, assignment rules, due-date alerts.
 * Each saves its part of the instance with PUT /instance; the server's errors show at the field.
 */

// ---------------------------------------------------------------- SLA policy

export function SlaSection() {
  const { instance, people } = useApp();
  const { save, busy, problems, setProblems } = useSettingsSave();
  const [draft, setDraft] = useState<SlaDraft>(() => slaDraft(instance.sla));
  const [local, setLocal] = useState<Record<string, string[]>>({});
  const [holiday, setHoliday] = useState('');
  const errors = useMemo(() => ({ ...slaErrors(problems), ...local }), [problems, local]);
  const set = (patch: Partial<SlaDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setTarget = (p: Priority, patch: Partial<TargetDraft>) => setDraft((d) => ({ ...d, targets: { ...d.targets, [p]: { ...d.targets[p], ...patch } } }));
  const dayMinutes = workingDayMinutes(draft.start, draft.untilMidnight ? '24:00' : draft.end);

  // The policy waiting for the person's answer: new tickets only, or every open ticket too.
  const [asking, setAsking] = useState<{ sla: NonNullable<SettingsUpdate['sla']>; openCount: number | undefined } | null>(null);
  const [appliesTo, setAppliesTo] = useState<'newTickets' | 'openTickets'>('newTickets');
  const store = async (sla: NonNullable<SettingsUpdate['sla']>, slaAppliesTo: 'newTickets' | 'openTickets') => {
    await save({ sla, slaAppliesTo }, sla.enabled ? 'SLA policy saved' : 'SLA policy saved (not applied: it is switched off)');
    // Refused, the policy's errors show at its fields, behind the dialog: it closes either way.
    setAsking(null);
  };
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblems([]);
    const { sla, errors: found } = slaFromDraft(draft);
    setLocal(found);
    if (Object.keys(found).length) return;
    // Saving used to re-apply the policy to every open ticket without a word: ask first, saying how many.
    let openCount: number | undefined;
    try {
      openCount = (await send(client.GET('/tickets/counts', { params: { query: { isResolved: 'false' } } }))).itemCount;
    } catch {
      openCount = undefined; // asked all the same, without the number
    }
    if (openCount === 0) return store(sla, 'openTickets');
    setAppliesTo('newTickets');
    setAsking({ sla, openCount });
  };
  const openTickets = asking?.openCount === undefined ? 'the open tickets' : `the ${asking.openCount} open ticket${asking.openCount === 1 ? '' : 's'}`;
  const remove = async () => {
    if (!window.confirm('Remove the SLA policy? Tickets lose their due times; past escalations stay.')) return;
    setLocal({});
    if (await save({ sla: null }, 'SLA policy removed')) setDraft(slaDraft(null));
  };
  const addHoliday = () => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(holiday)) return setLocal({ holidays: ['Pick a date first'] });
    setLocal({});
    if (!draft.holidays.includes(holiday)) set({ holidays: [...draft.holidays, holiday].sort() });
    setHoliday('');
  };

  return (
    <Section
      id="sla"
      title="SLA policy"
      intro="Targets per priority, counted in working time only: the working days and hours below, in the policy's time zone, minus holidays. A ticket that misses a target is escalated once: it is flagged, its history says so, an alert is written, and it can be reassigned."
    >
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="SLA policy">
        <FormError errors={errors[''] ? { '': errors[''] } : {}} />
        <Field label="Policy" as="fieldset" errors={errors.enabled}>
          <Toggle id="s-sla-enabled" checked={draft.enabled} onChange={(enabled) => set({ enabled })} label="Apply the SLA policy" />
          <div className="hint">
            {instance.sla
              ? instance.sla.enabled
                ? 'The saved policy is being applied.'
                : 'The saved policy is switched off: nothing is escalated.'
              : 'No policy is saved yet.'}
          </div>
        </Field>

        <h3>Working time</h3>
        <div className="form-columns">
          <div>
            <Field label="Time zone" htmlFor="s-sla-zone" errors={errors.timeZone} hint={<ZoneHint zone={draft.timeZone} />}>
              <TimeZoneSelect id="s-sla-zone" value={draft.timeZone} onChange={(timeZone) => set({ timeZone })} invalid={!!errors.timeZone} />
            </Field>
            <Field label="Working days" as="fieldset" errors={errors.workingDays}>
              <div className="checks weekdays">
                {WEEKDAYS.map((day, i) => (
                  <label key={day} className="check">
                    <input
                      type="checkbox"
                      checked={draft.workingDays.includes(i + 1)}
                      onChange={(e) =>
                        set({
                          workingDays: e.target.checked ? [...draft.workingDays, i + 1].sort((a, b) => a - b) : draft.workingDays.filter((d) => d !== i + 1),
                        })
                      }
                    />
                    {day}
                  </label>
                ))}
              </div>
            </Field>
          </div>
          <div>
            <Field
              label="Working hours"
              as="fieldset"
              errors={errors.workingHours}
              hint={dayMinutes > 0 ? `A working day is ${formatMinutes(dayMinutes)}.` : undefined}
            >
              <div className="hours">
                <label htmlFor="s-sla-start">From</label>
                <input
                  id="s-sla-start"
                  type="time"
                  value={draft.start}
                  onChange={(e) => set({ start: e.target.value })}
                  aria-invalid={!!errors.workingHours || undefined}
                />
                <label htmlFor="s-sla-end">to</label>
                <input
                  id="s-sla-end"
                  type="time"
                  value={draft.untilMidnight ? '' : draft.end}
                  disabled={draft.untilMidnight}
                  onChange={(e) => set({ end: e.target.value })}
                  aria-invalid={!!errors.workingHours || undefined}
                />
              </div>
              <label className="check">
                <input
                  type="checkbox"
                  checked={draft.untilMidnight}
                  onChange={(e) => set({ untilMidnight: e.target.checked, end: e.target.checked ? draft.end : draft.end || '17:00' })}
                />
                Until midnight (24:00)
              </label>
            </Field>
            <Field label="Holidays" as="fieldset" errors={errors.holidays}>
              {draft.holidays.length > 0 ? (
                <ul className="chips" aria-label={`Holidays: ${draft.holidays.length}`}>
                  {draft.holidays.map((d) => (
                    <li key={d} className="chip">
                      <time dateTime={d}>{formatHoliday(d)}</time>
                      <button
                        type="button"
                        className="chip-remove"
                        aria-label={`Remove the holiday ${formatHoliday(d)}`}
                        onClick={() => set({ holidays: draft.holidays.filter((h) => h !== d) })}
                      >
                        ×
                      </button>
                    </li>
                  ))}
                </ul>
              ) : (
                <p className="muted small">No holidays.</p>
              )}
              <div className="inline">
                <label htmlFor="s-sla-holiday" className="visually-hidden">
                  Holiday date
                </label>
                <input
                  id="s-sla-holiday"
                  type="date"
                  value={holiday}
                  onChange={(e) => setHoliday(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') {
                      e.preventDefault();
                      addHoliday();
                    }
                  }}
                />
                <button type="button" onClick={addHoliday}>
                  Add holiday
                </button>
              </div>
            </Field>
          </div>
        </div>

        <h3>Targets per priority</h3>
        <p className="hint">In working hours and minutes from the ticket's creation (resolution: from its last reopening). Leave both empty for no target.</p>
        <div className="targets">
          {PRIORITIES.map((p) => (
            <fieldset key={p} className="target">
              <legend>
                <PriorityBadge priority={p} />
              </legend>
              <DurationInput
                id={`s-sla-${p}-frt`}
                label={`${p}: first response`}
                caption="First response"
                hours={draft.targets[p].firstResponseHours}
                minutes={draft.targets[p].firstResponseMinutes}
                onChange={(hours, minutes) => setTarget(p, { firstResponseHours: hours, firstResponseMinutes: minutes })}
                errors={errors[`targets/${p}/firstResponseMinutes`]}
                dayMinutes={dayMinutes}
              />
              <DurationInput
                id={`s-sla-${p}-rt`}
                label={`${p}: resolution`}
                caption="Resolution"
                hours={draft.targets[p].resolutionHours}
                minutes={draft.targets[p].resolutionMinutes}
                onChange={(hours, minutes) => setTarget(p, { resolutionHours: hours, resolutionMinutes: minutes })}
                errors={errors[`targets/${p}/resolutionMinutes`]}
                dayMinutes={dayMinutes}
              />
            </fieldset>
          ))}
        </div>

        <h3>When a target is missed</h3>
        <Field
          label="Reassign escalated tickets to"
          htmlFor="s-sla-breach"
          errors={errors.breachAssignees}
          hint="In turn, one after the other. Leave empty to keep the assignee: the escalation is still recorded and alerted."
        >
          <PeopleList
            id="s-sla-breach"
            label="Reassign escalated tickets to"
            value={draft.breachAssignees}
            onChange={(breachAssignees) => set({ breachAssignees })}
            people={people}
            invalid={!!errors.breachAssignees}
          />
        </Field>

        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save SLA policy'}
          </button>
          {instance.sla && (
            <button type="button" className="danger" disabled={busy} onClick={() => void remove()}>
              Remove the SLA policy
            </button>
          )}
        </div>
      </form>
      <Dialog open={asking !== null} title="Which tickets does the policy apply to?" onClose={() => setAsking(null)}>
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (asking) void store(asking.sla, appliesTo);
          }}
        >
          <fieldset className="choices">
            <legend className="visually-hidden">Apply the SLA policy to</legend>
            <label className="check">
              <input type="radio" name="sla-applies" checked={appliesTo === 'newTickets'} onChange={() => setAppliesTo('newTickets')} />
              New tickets only: {openTickets} {asking?.openCount === 1 ? 'keeps the policy it follows' : 'keep the policy they follow'}
            </label>
            <label className="check">
              <input type="radio" name="sla-applies" checked={appliesTo === 'openTickets'} onChange={() => setAppliesTo('openTickets')} />
              New tickets and {openTickets}: {asking?.openCount === 1 ? 'its due dates are' : 'their due dates are'} worked out again
            </label>
          </fieldset>
          <div className="actions">
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : 'Save SLA policy'}
            </button>
            <button type="button" onClick={() => setAsking(null)}>
              Cancel
            </button>
          </div>
        </form>
      </Dialog>
    </Section>
  );
}

const formatHoliday = (day: string) => {
  const [y, m, d] = day.split('-').map(Number);
  const date = new Date(y!, m! - 1, d!);
  return Number.isNaN(date.getTime()) ? day : date.toLocaleDateString(undefined, { weekday: 'short', year: 'numeric', month: 'short', day: 'numeric' });
};

function ZoneHint({ zone }: { zone: string }) {
  let time = '';
  try {
    time = new Date().toLocaleTimeString(undefined, { timeZone: zone, hour: '2-digit', minute: '2-digit', weekday: 'short' });
  } catch {
    return <>Pick a zone from the list.</>;
  }
  return (
    <>
      Now {time} there ({zoneOffset(zone)}). Type part of a name to search.
    </>
  );
}

function DurationInput(props: {
  id: string;
  label: string;
  caption: string;
  hours: string;
  minutes: string;
  onChange: (hours: string, minutes: string) => void;
  errors?: string[];
  dayMinutes: number;
}) {
  const total = joinMinutes(props.hours, props.minutes);
  const hint =
    typeof total === 'number' ? [formatMinutes(total), workingDaysHint(total, props.dayMinutes)].filter(Boolean).join(', ') : total === null ? 'No target' : '';
  const invalid = (props.errors?.length ?? 0) > 0 || undefined;
  return (
    <div className={`duration${invalid ? ' has-error' : ''}`}>
      <span className="duration-caption" aria-hidden="true">
        {props.caption}
      </span>
      <div className="duration-inputs">
        <input
          id={`${props.id}-h`}
          type="number"
          inputMode="numeric"
          min={0}
          max={8760}
          step={1}
          value={props.hours}
          aria-label={`${props.label}, hours`}
          aria-invalid={invalid}
          onChange={(e) => props.onChange(e.target.value, props.minutes)}
        />
        <span aria-hidden="true">h</span>
        <input
          id={`${props.id}-m`}
          type="number"
          inputMode="numeric"
          min={0}
          max={59}
          step={1}
          value={props.minutes}
          aria-label={`${props.label}, minutes`}
          aria-invalid={invalid}
          onChange={(e) => props.onChange(props.hours, e.target.value)}
        />
        <span aria-hidden="true">min</span>
      </div>
      <div className="hint">{hint}</div>
      {props.errors?.length ? (
        <div className="field-error" role="alert">
          {props.errors.join(' · ')}
        </div>
      ) : null}
    </div>
  );
}

// ---------------------------------------------------------------- assignees and rules

export function AssigneesSection() {
  const { instance, people, tagCategories } = useApp();
  const { save, busy, problems, setProblems } = useSettingsSave();
  const [type, setType] = useState(instance.assignees?.type ?? 'customAssignee');
  const [peoples, setPeoples] = useState<User[]>(instance.assignees?.peoples ?? []);
  const [auto, setAuto] = useState(instance.isAutomaticAssignTickets);
  const [drafts, setDrafts] = useState<RuleDraft[]>(() => instance.assigneeRules.map((r) => ruleDraft(r)));
  const [fallback, setFallback] = useState<RuleDraft>(() => ruleDraft(instance.defaultRuleAssignee[0]));
  const [local, setLocal] = useState<Record<number, Record<string, string[]>>>({});
  const [defaultLocal, setDefaultLocal] = useState<string[]>([]);
  const server = useMemo(() => rulesErrors(problems), [problems]);
  const knownPeople = useMemo(() => {
    const seen = new Set(people.map((p) => p.email.toLowerCase()));
    return [...people, ...peoples.filter((p) => !seen.has(p.email.toLowerCase()))];
  }, [people, peoples]);

  const update = (i: number, patch: Partial<RuleDraft>) => setDrafts((list) => list.map((d, j) => (j === i ? { ...d, ...patch } : d)));
  const move = (i: number, by: -1 | 1) => {
    setDrafts((list) => moveItem(list, i, by));
    setLocal({});
    setProblems([]);
    // Keep the focus on the moved rule's button, so repeated presses keep moving it.
    const key = drafts[i]?.key;
    requestAnimationFrame(() => {
      const same = document.getElementById(`r-${key}-${by < 0 ? 'up' : 'down'}`) as HTMLButtonElement | null;
      const other = document.getElementById(`r-${key}-${by < 0 ? 'down' : 'up'}`) as HTMLButtonElement | null;
      (same && !same.disabled ? same : other && !other.disabled ? other : document.getElementById(`r-${key}-name`))?.focus();
    });
  };
  const remove = (i: number) => {
    const name = drafts[i]?.name || `rule ${i + 1}`;
    if (!window.confirm(`Delete ${name}? It goes when you save.`)) return;
    const next = drafts[i + 1] ?? drafts[i - 1];
    setDrafts((list) => list.filter((_, j) => j !== i));
    setLocal({});
    setProblems([]);
    // The focus goes to the rule that takes its place, or to "Add rule" when none is left.
    requestAnimationFrame(() => (next ? document.getElementById(`r-${next.key}-name`) : document.getElementById('s-add-rule'))?.focus());
  };
  const add = () => {
    const draft = { ...ruleDraft(), name: '' };
    setDrafts((list) => [...list, draft]);
    requestAnimationFrame(() => document.getElementById(`r-${draft.key}-name`)?.focus());
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setProblems([]);
    const found: Record<number, Record<string, string[]>> = {};
    drafts.forEach((d, i) => {
      const p = ruleProblems(d);
      if (Object.keys(p).length) found[i] = p;
    });
    const fallbackEmpty = fallback.assignees.length === 0;
    const fallbackFields = fallbackEmpty ? {} : ruleProblems(fallback);
    setLocal(found);
    setDefaultLocal(Object.values(fallbackFields).flat());
    if (Object.keys(found).length || Object.keys(fallbackFields).length) return;
    const rules = drafts.map(ruleFromDraft);
    const defaults: Rule[] = fallbackEmpty
      ? []
      : [
          { ...ruleFromDraft({ ...fallback, priority: [], tags: [], titleContains: '', requestor: '', customFields: [] }), conditions: undefined },
          ...instance.defaultRuleAssignee.slice(1),
        ];
    const ok = await save(
      { assignees: { type, peoples }, isAutomaticAssignTickets: auto, assigneeRules: rules, defaultRuleAssignee: defaults },
      'Assignment settings saved',
    );
    // The rules keep the ids they were saved with (their round-robin turn is kept by id).
    if (ok) setDrafts((list) => list.map((d, i) => ({ ...d, id: rules[i]?.id ?? d.id })));
  };

  const errorsOf = (i: number) => ({ ...server.rules[i], ...local[i] });
  const invalidCount = new Set([...Object.keys(local), ...Object.keys(server.rules)]).size;
  const tagLabel = (tag: string) => {
    const at = tag.indexOf('_');
    const category = tagCategories.find((c) => c.id === tag.slice(0, at));
    return category ? `${category.text}: ${tag.slice(at + 1)}` : tag.slice(at + 1);
  };

  return (
    <Section
      id="assignees"
      title="Assignees and rules"
      intro="Who tickets can be assigned to, and how new tickets without an assignee are assigned automatically."
    >
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="Assignees and rules">
        <FormError errors={server.other.length ? { '': server.other } : {}} />
        {invalidCount > 0 && (
          <div className="alert error" role="alert">
            {invalidCount === 1 ? 'A rule needs attention' : `${invalidCount} rules need attention`}: see the marked fields below.
          </div>
        )}
        <div className="form-columns">
          <Field
            label="Who can be assigned"
            htmlFor="s-assignee-type"
            hint={
              type === 'customAssignee'
                ? 'Only the people below can be assigned, by hand or by the rules.'
                : 'Anyone; the team’s owners are managed in Microsoft Teams.'
            }
          >
            <select id="s-assignee-type" value={type} onChange={(e) => setType(e.target.value as typeof type)}>
              <option value="customAssignee">A list of people (below)</option>
              <option value="teamsOwner">The team's owners</option>
            </select>
          </Field>
          <Field label="Assignees" htmlFor="s-assignees">
            <PeoplePicker id="s-assignees" label="Assignees" value={peoples} onChange={setPeoples} people={people} />
          </Field>
        </div>
        <Field label="Automatic assignment" as="fieldset">
          <Toggle id="s-auto-assign" checked={auto} onChange={setAuto} label="Assign new tickets automatically by the rules" />
          <div className="hint">
            The rules are tried in order; the first whose conditions all hold assigns the ticket. Within one condition, any of the listed values matches.
          </div>
        </Field>

        <h3 id="rules-title">Rules, in order</h3>
        {drafts.length === 0 ? (
          <p className="muted">No rules yet: every new ticket goes to the default rule below.</p>
        ) : (
          <ol className="rules" aria-labelledby="rules-title">
            {drafts.map((d, i) => (
              <RuleCard
                key={d.key}
                draft={d}
                index={i}
                count={drafts.length}
                errors={errorsOf(i)}
                onChange={(patch) => update(i, patch)}
                onMove={(by) => move(i, by)}
                onRemove={() => remove(i)}
                people={knownPeople}
                allowed={type === 'customAssignee' && peoples.length > 0 ? peoples : null}
                categories={tagCategories}
                fields={instance.customFields.filter((f) => !f.deleted || d.customFields.some((c) => c.fieldId === f.id))}
                summary={describeConditions(d, tagLabel, (c) => conditionText(instance.customFields, c))}
              />
            ))}
          </ol>
        )}
        <div className="actions">
          <button type="button" id="s-add-rule" onClick={add}>
            Add rule
          </button>
        </div>

        <fieldset className="rule default-rule">
          <legend>Default rule: when no rule matches</legend>
          <Field
            label="Assign to"
            htmlFor={`r-${fallback.key}-people`}
            errors={[...server.default, ...defaultLocal]}
            hint="Leave empty to leave such tickets unassigned."
          >
            <PeopleList
              id={`r-${fallback.key}-people`}
              label="Default rule: assign to"
              value={fallback.assignees}
              onChange={(assignees) => setFallback({ ...fallback, assignees })}
              people={knownPeople}
            />
          </Field>
          {fallback.assignees.length > 1 && (
            <ModeChoice name={`r-${fallback.key}-mode`} value={fallback.mode} onChange={(mode) => setFallback({ ...fallback, mode })} />
          )}
        </fieldset>

        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save assignment settings'}
          </button>
        </div>
      </form>
    </Section>
  );
}

function ModeChoice(props: { name: string; value: RuleDraft['mode']; onChange: (mode: RuleDraft['mode']) => void; errors?: string[] }) {
  return (
    <Field label="With several people" as="fieldset" errors={props.errors}>
      <div className="segmented">
        {(
          [
            ['roundRobin', 'Take turns (round-robin)'],
            ['single', 'Always the first listed'],
          ] as const
        ).map(([mode, label]) => (
          <label key={mode} className={props.value === mode ? 'on' : undefined}>
            <input type="radio" name={props.name} value={mode} checked={props.value === mode} onChange={() => props.onChange(mode)} />
            {label}
          </label>
        ))}
      </div>
    </Field>
  );
}

function RuleCard(props: {
  draft: RuleDraft;
  index: number;
  count: number;
  errors: Record<string, string[]>;
  onChange: (patch: Partial<RuleDraft>) => void;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
  people: User[];
  /** With "a list of people", who may be assigned (null: anyone). */
  allowed: User[] | null;
  categories: TagCategory[];
  fields: CustomField[];
  summary: string;
}) {
  const { draft: d, index: i, errors } = props;
  const id = `r-${d.key}`;
  const title = `Rule ${i + 1}`;
  const live = props.categories.filter((c) => !c.deleted);
  const tagOptions = live.flatMap((c) => c.tags.filter((t) => !t.deleted).map((t) => ({ value: `${c.id}_${t.text}`, label: `${c.text}: ${t.text}` })));
  const [tagToAdd, setTagToAdd] = useState('');
  const tagLabel = (tag: string) => tagOptions.find((o) => o.value === tag)?.label ?? tag.slice(tag.indexOf('_') + 1);
  const usable = props.fields.filter((f) => f.typeName !== 'datePicker');
  const outsiders = props.allowed ? d.assignees.filter((u) => !props.allowed!.some((p) => p.id === u.id)) : [];
  const addTag = () => {
    const tag = tagToAdd || tagOptions.find((o) => !d.tags.includes(o.value))?.value;
    if (tag && !d.tags.includes(tag)) props.onChange({ tags: [...d.tags, tag] });
    setTagToAdd('');
  };
  const setCondition = (j: number, c: CustomFieldCondition) => props.onChange({ customFields: d.customFields.map((x, k) => (k === j ? c : x)) });

  return (
    <li className="rule-item">
      <fieldset className={`rule${Object.keys(errors).length ? ' has-error' : ''}`}>
        <legend>
          {title}
          {d.name.trim() ? `: ${d.name.trim()}` : ''}
        </legend>
        <div className="rule-head">
          <p className="rule-summary small">
            Matches {props.summary} → {assigneesText(d)}
          </p>
          <div className="row-actions">
            <button type="button" id={`${id}-up`} aria-label={`Move ${title} up`} disabled={i === 0} onClick={() => props.onMove(-1)}>
              ↑
            </button>
            <button type="button" id={`${id}-down`} aria-label={`Move ${title} down`} disabled={i === props.count - 1} onClick={() => props.onMove(1)}>
              ↓
            </button>
            <button type="button" className="danger" aria-label={`Delete ${title}`} onClick={props.onRemove}>
              Delete
            </button>
          </div>
        </div>
        {errors['']?.length ? (
          <div className="alert error" role="alert">
            {errors[''].join(' · ')}
          </div>
        ) : null}
        <Field label="Name" htmlFor={`${id}-name`} errors={errors.name} hint="Shown in the ticket's history when the rule assigns it.">
          <input
            id={`${id}-name`}
            type="text"
            maxLength={200}
            value={d.name}
            onChange={(e) => props.onChange({ name: e.target.value })}
            placeholder="e.g. Network issues"
          />
        </Field>

        <div className="conditions">
          <h4>Conditions (all must hold; none: every ticket)</h4>
          <Field label="Priority is any of" as="fieldset" errors={errors.priority}>
            <div className="checks">
              {PRIORITIES.map((p) => (
                <label key={p} className="check">
                  <input
                    type="checkbox"
                    checked={d.priority.includes(p)}
                    onChange={(e) => props.onChange({ priority: PRIORITIES.filter((x) => (x === p ? e.target.checked : d.priority.includes(x))) })}
                  />
                  {p}
                </label>
              ))}
            </div>
          </Field>
          <Field label="Tagged with any of" htmlFor={`${id}-tag`} errors={errors.tags}>
            {d.tags.length > 0 && (
              <ul className="chips" aria-label={`${title}: tags`}>
                {d.tags.map((tag) => (
                  <li key={tag} className="chip">
                    <span>{tagLabel(tag)}</span>
                    <button
                      type="button"
                      className="chip-remove"
                      aria-label={`Remove the tag ${tagLabel(tag)} from ${title}`}
                      onClick={() => props.onChange({ tags: d.tags.filter((t) => t !== tag) })}
                    >
                      ×
                    </button>
                  </li>
                ))}
              </ul>
            )}
            {tagOptions.length === 0 ? (
              <p className="muted small">No tags yet (add tag categories above).</p>
            ) : (
              <div className="inline">
                <select id={`${id}-tag`} value={tagToAdd} onChange={(e) => setTagToAdd(e.target.value)}>
                  <option value="">Choose a tag…</option>
                  {tagOptions
                    .filter((o) => !d.tags.includes(o.value))
                    .map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                </select>
                <button type="button" onClick={addTag} disabled={!tagToAdd} aria-label={`Add the tag to ${title}`}>
                  Add
                </button>
              </div>
            )}
          </Field>
          <div className="form-columns">
            <Field
              label="Title contains any of"
              htmlFor={`${id}-title`}
              errors={errors.titleContains}
              hint="Words or phrases, comma separated; case does not matter."
            >
              <input
                id={`${id}-title`}
                type="text"
                value={d.titleContains}
                onChange={(e) => props.onChange({ titleContains: e.target.value })}
                placeholder="e.g. vpn, wifi"
              />
            </Field>
            <Field label="Requested by any of" htmlFor={`${id}-requestor`} errors={errors.requestor} hint="User ids or emails, comma separated.">
              <input
                id={`${id}-requestor`}
                type="text"
                value={d.requestor}
                onChange={(e) => props.onChange({ requestor: e.target.value })}
                placeholder="e.g. ceo@example.com"
              />
            </Field>
          </div>
          <Field label="Custom fields" as="fieldset" errors={errors.customFields}>
            {d.customFields.length > 0 && (
              <ul className="field-conditions">
                {d.customFields.map((c, j) => (
                  <FieldCondition
                    key={j}
                    id={`${id}-cf${j}`}
                    n={j + 1}
                    condition={c}
                    fields={usable.filter((f) => f.id === c.fieldId || !d.customFields.some((x) => x.fieldId === f.id))}
                    allFields={props.fields}
                    onChange={(next) => setCondition(j, next)}
                    onRemove={() => props.onChange({ customFields: d.customFields.filter((_, k) => k !== j) })}
                  />
                ))}
              </ul>
            )}
            {usable.length === 0 ? (
              <p className="muted small">No custom fields to match on.</p>
            ) : (
              <button
                type="button"
                disabled={d.customFields.length >= usable.length}
                onClick={() => props.onChange({ customFields: [...d.customFields, { fieldId: '', value: undefined }] })}
              >
                Add a custom field condition
              </button>
            )}
          </Field>
        </div>

        <Field
          label="Assign to"
          htmlFor={`${id}-people`}
          errors={errors.assignees}
          hint={
            outsiders.length
              ? `Not in the Assignees list above: ${outsiders.map((u) => u.name || u.email).join(', ')}. Add them there, so that they may be assigned.`
              : undefined
          }
        >
          <PeopleList
            id={`${id}-people`}
            label={`${title}: assign to`}
            value={d.assignees}
            onChange={(assignees) => props.onChange({ assignees })}
            people={props.people}
            invalid={!!errors.assignees}
          />
        </Field>
        {d.assignees.length > 1 || errors.mode ? (
          <ModeChoice name={`${id}-mode`} value={d.mode} onChange={(mode) => props.onChange({ mode })} errors={errors.mode} />
        ) : null}
      </fieldset>
    </li>
  );
}

function assigneesText(d: RuleDraft): string {
  if (d.assignees.length === 0) return 'nobody yet';
  const names = d.assignees.map((u) => u.name || u.email).join(', ');
  if (d.assignees.length === 1) return names;
  return d.mode === 'roundRobin' ? `${names}, in turn` : `${d.assignees[0]!.name || d.assignees[0]!.email} (the first listed)`;
}

/** "Department is Finance or Sales", "VIP is on". */
function conditionText(fields: CustomField[], c: CustomFieldCondition): string {
  const field = fields.find((f) => f.id === c.fieldId);
  if (!field) return `field ${c.fieldId} matches`;
  if (field.typeName === 'toggle') return `${field.name} is ${c.value === true ? 'on' : 'off'}`;
  const values = asList(c.value).map((v) => field.options?.find((o) => o.id === v)?.text ?? v);
  return `${field.name} is ${values.map((v) => `“${v}”`).join(' or ')}`;
}

const asList = (value: unknown): string[] =>
  Array.isArray(value) ? value.map(String) : value === undefined || value === null || value === '' ? [] : [String(value)];

function FieldCondition(props: {
  id: string;
  n: number;
  condition: CustomFieldCondition;
  fields: CustomField[];
  allFields: CustomField[];
  onChange: (c: CustomFieldCondition) => void;
  onRemove: () => void;
}) {
  const { condition: c } = props;
  const field = props.allFields.find((f) => f.id === c.fieldId);
  let value: ReactNode = null;
  if (field && (field.typeName === 'singleItemPicker' || field.typeName === 'multipleItemsPicker')) {
    const chosen = asList(c.value);
    const options = (field.options ?? []).filter((o) => !o.deleted || chosen.includes(o.id));
    value = (
      <fieldset className="cond-options">
        <legend className="visually-hidden">{field.name} is any of</legend>
        <span className="muted small" aria-hidden="true">
          is any of
        </span>
        {options.length === 0 && <span className="muted small">no options</span>}
        {options.map((o) => (
          <label key={o.id} className="check">
            <input
              type="checkbox"
              checked={chosen.includes(o.id)}
              onChange={(e) => props.onChange({ ...c, value: e.target.checked ? [...chosen, o.id] : chosen.filter((x) => x !== o.id) })}
            />
            {o.text}
            {o.deleted && ' (deleted)'}
          </label>
        ))}
      </fieldset>
    );
  } else if (field?.typeName === 'toggle') {
    value = (
      <select
        aria-label={`Condition ${props.n}: ${field.name} is`}
        value={c.value === true ? 'true' : c.value === false ? 'false' : ''}
        onChange={(e) => props.onChange({ ...c, value: e.target.value === '' ? undefined : e.target.value === 'true' })}
      >
        <option value="">Choose…</option>
        <option value="true">On</option>
        <option value="false">Off</option>
      </select>
    );
  } else if (field) {
    const people = field.typeName === 'peoplePicker';
    const emails = field.typeName === 'emailPicker';
    value = (
      <input
        type="text"
        aria-label={`Condition ${props.n}: ${field.name} ${people ? 'includes the person with id' : emails ? 'includes the address' : 'is'}`}
        placeholder={people ? 'Person id' : emails ? 'E-mail address (any case)' : 'Value (any case)'}
        value={
          typeof c.value === 'string'
            ? c.value
            : Array.isArray(c.value)
              ? c.value.join(', ')
              : c.value === undefined || c.value === null
                ? ''
                : JSON.stringify(c.value)
        }
        onChange={(e) => props.onChange({ ...c, value: e.target.value })}
      />
    );
  }
  return (
    <li className="field-condition">
      <select
        id={props.id}
        aria-label={`Condition ${props.n}: field`}
        value={c.fieldId}
        onChange={(e) => props.onChange({ fieldId: e.target.value, value: undefined })}
      >
        <option value="">Choose a field…</option>
        {props.fields.map((f) => (
          <option key={f.id} value={f.id}>
            {f.name}
            {f.deleted ? ' (deleted)' : ''}
          </option>
        ))}
        {field && !props.fields.includes(field) && <option value={field.id}>{field.name}</option>}
      </select>
      {value}
      <button type="button" aria-label={`Remove condition ${props.n}${field ? ` on ${field.name}` : ''}`} onClick={props.onRemove}>
        Remove
      </button>
    </li>
  );
}

// ---------------------------------------------------------------- due-date alerts

export function DueAlertsSection() {
  const { instance } = useApp();
  const { save, errors, busy } = useSettingsSave();
  const current = instance.alertNotification;
  const [enabled, setEnabled] = useState(current?.enabled ?? false);
  const [days, setDays] = useState(
    current?.daysBeforeExpectedDate === null || current?.daysBeforeExpectedDate === undefined ? '' : String(current.daysBeforeExpectedDate),
  );
  const [overdue, setOverdue] = useState(current?.whenOverdue ?? true);
  const [local, setLocal] = useState('');
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const n = days.trim() === '' ? null : Number(days);
    if (n !== null && (!Number.isFinite(n) || n < 0 || n > 365)) return setLocal('From 0 to 365 days, or empty for no early alert');
    setLocal('');
    await save({ alertNotification: { enabled, daysBeforeExpectedDate: n, whenOverdue: overdue } }, 'Due-date alerts saved');
  };
  const fieldErrors = [...(errors.alertNotification ?? []), ...(local ? [local] : [])];
  return (
    <Section
      id="due-alerts"
      title="Due-date alerts"
      intro={
        <>
          Alerts about tickets' expected dates, written to the instance's alert list (<Link href="/overview/alerts">Overview › Alerts</Link>) with SLA breaches
          and idle tickets. Only times still ahead when a ticket is saved are alerted.
        </>
      }
    >
      <form onSubmit={(event) => void submit(event)} noValidate aria-label="Due-date alerts">
        <FormError errors={errors[''] ? { '': errors[''] } : {}} />
        <Field label="Alerts" as="fieldset">
          <Toggle id="s-due-enabled" checked={enabled} onChange={setEnabled} label="Alert about expected dates" />
        </Field>
        <Field label="Days before the expected date" htmlFor="s-due-days" errors={fieldErrors} hint="Empty: no early alert.">
          <input
            id="s-due-days"
            type="number"
            inputMode="numeric"
            min={0}
            max={365}
            value={days}
            disabled={!enabled}
            onChange={(e) => setDays(e.target.value)}
          />
        </Field>
        <Field label="Overdue" as="fieldset">
          <Toggle id="s-due-overdue" checked={overdue} onChange={setOverdue} label="Alert when an unresolved ticket passes its expected date" />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            {busy ? 'Saving…' : 'Save due-date alerts'}
          </button>
        </div>
      </form>
    </Section>
  );
}
