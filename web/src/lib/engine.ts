import { PRIORITIES, type FieldError, type Priority, type Rule, type SlaPolicy, type User } from './types.js';

/*
 * The help-desk engine's settings as the web app edits them: SLA policy drafts (targets in
 * hours and minutes, stored as minutes), assignment rule drafts, where server errors belong,
 * and the "due in … / overdue" hints of tickets. No DOM here: unit-tested under Node.
 */

// ---------------------------------------------------------------- durations

/** A whole number of minutes as hours and minutes for two inputs ('' when there is no target). */
export function splitMinutes(minutes: number | null | undefined): { hours: string; minutes: string } {
  if (minutes === null || minutes === undefined || !Number.isFinite(minutes)) return { hours: '', minutes: '' };
  const whole = Math.round(minutes);
  return { hours: String(Math.floor(whole / 60)), minutes: String(whole % 60) };
}

export const MAX_TARGET_MINUTES = 525_600;

/**
 * Hours and minutes as typed, back to minutes: null when both are empty (no target), a string
 * saying what is wrong when they are not whole numbers or too large.
 */
export function joinMinutes(hours: string, minutes: string): number | null | string {
  const h = hours.trim();
  const m = minutes.trim();
  if (h === '' && m === '') return null;
  const parse = (text: string) => (text === '' ? 0 : /^\d+$/.test(text) ? Number(text) : NaN);
  const hh = parse(h);
  const mm = parse(m);
  if (Number.isNaN(hh) || Number.isNaN(mm)) return 'Hours and minutes are whole numbers';
  const total = hh * 60 + mm;
  if (total > MAX_TARGET_MINUTES) return 'At most 8760 hours (a year)';
  return total;
}

/** "1 h 30 min", "45 min", "2 h". */
export function formatMinutes(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = Math.round(minutes % 60);
  if (h && m) return `${h} h ${m} min`;
  if (h) return `${h} h`;
  return `${m} min`;
}

/** Minutes between HH:mm times (end may be 24:00); 0 when the day is empty or malformed. */
export function workingDayMinutes(start: string, end: string): number {
  const of = (t: string) => {
    const match = /^(\d{1,2}):(\d{2})$/.exec(t);
    return match ? Number(match[1]) * 60 + Number(match[2]) : NaN;
  };
  const length = of(end) - of(start);
  return Number.isFinite(length) && length > 0 ? length : 0;
}

/** "≈ 2.5 working days" for a target of a day or more, with the day's length; '' below a day. */
export function workingDaysHint(minutes: number | null | string, dayMinutes: number): string {
  if (typeof minutes !== 'number' || dayMinutes <= 0 || minutes < dayMinutes) return '';
  const days = Math.round((minutes / dayMinutes) * 10) / 10;
  return `≈ ${days} working day${days === 1 ? '' : 's'}`;
}

/** A span of time, two units at most: "2 d 4 h", "3 h 20 min", "5 min", "less than a minute". */
export function formatSpan(ms: number): string {
  const total = Math.floor(Math.abs(ms) / 60_000);
  if (total < 1) return 'less than a minute';
  const d = Math.floor(total / 1440);
  const h = Math.floor((total % 1440) / 60);
  const m = total % 60;
  if (d) return h ? `${d} d ${h} h` : `${d} d`;
  if (h) return m ? `${h} h ${m} min` : `${h} h`;
  return `${m} min`;
}

export type Tone = 'ok' | 'warn' | 'danger';

/**
 * How an SLA due time reads on a ticket: "due in 3 h 20 min", "overdue by 5 min" (the
 * scheduler has not escalated yet) or "missed" once escalated. Under an hour left is a warning.
 */
export function dueHint(dueOn: string, escalated: boolean, now = Date.now()): { text: string; tone: Tone; overdue: boolean } {
  const diff = new Date(dueOn).getTime() - now;
  if (escalated) return { text: diff < 0 ? `missed by ${formatSpan(diff)}, escalated` : 'escalated', tone: 'danger', overdue: true };
  if (diff < 0) return { text: `overdue by ${formatSpan(diff)}`, tone: 'danger', overdue: true };
  return { text: `due in ${formatSpan(diff)}`, tone: diff < 3_600_000 ? 'warn' : 'ok', overdue: false };
}

// ---------------------------------------------------------------- time zones

const FALLBACK_ZONES = [
  'UTC',
  'Europe/London',
  'Europe/Paris',
  'Europe/Berlin',
  'America/New_York',
  'America/Chicago',
  'America/Los_Angeles',
  'Asia/Tokyo',
  'Asia/Kolkata',
  'Australia/Sydney',
];

/** The IANA zones the browser knows, plus UTC and `extra` (the saved zone) when missing. */
export function timeZones(extra?: string): string[] {
  let zones: string[];
  try {
    zones = [...Intl.supportedValuesOf('timeZone')];
  } catch {
    zones = [...FALLBACK_ZONES];
  }
  if (!zones.includes('UTC')) zones.unshift('UTC');
  if (extra && !zones.includes(extra)) zones.unshift(extra);
  return zones;
}

const offsets = new Map<string, string>();
/** "UTC+01:00" for a zone, now (cached: the list shows hundreds). */
export function zoneOffset(zone: string, at = new Date()): string {
  const cached = offsets.get(zone);
  if (cached !== undefined) return cached;
  let label = '';
  try {
    const part =
      new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' }).formatToParts(at).find((p) => p.type === 'timeZoneName')?.value ?? '';
    label = part === 'GMT' ? 'UTC+00:00' : part.replace('GMT', 'UTC');
  } catch {
    label = '';
  }
  offsets.set(zone, label);
  return label;
}

const normalize = (text: string) => text.toLowerCase().replace(/[_/]+/g, ' ').replace(/\s+/g, ' ').trim();

/**
 * Zones matching what was typed: every word must appear ("new york", "paris", "utc+05:30");
 * zones whose city starts with the text come first.
 */
export function searchZones(zones: readonly string[], text: string, limit = 60): string[] {
  const query = normalize(text);
  if (!query) return zones.slice(0, limit);
  const words = query.split(' ');
  const scored: [number, string][] = [];
  for (const zone of zones) {
    const name = normalize(zone);
    const haystack = `${name} ${zoneOffset(zone).toLowerCase()}`;
    if (!words.every((w) => haystack.includes(w))) continue;
    const city = normalize(zone.slice(zone.lastIndexOf('/') + 1));
    const score = city.startsWith(query) ? 0 : name.startsWith(query) ? 1 : city.includes(query) ? 2 : 3;
    scored.push([score, zone]);
  }
  scored.sort((a, b) => a[0] - b[0] || a[1].localeCompare(b[1]));
  return scored.slice(0, limit).map(([, zone]) => zone);
}

/** The browser's own IANA zone (UTC when unknown). */
export function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

// ---------------------------------------------------------------- SLA policy drafts

export const WEEKDAYS = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'] as const;

export interface TargetDraft {
  firstResponseHours: string;
  firstResponseMinutes: string;
  resolutionHours: string;
  resolutionMinutes: string;
}

export interface SlaDraft {
  enabled: boolean;
  timeZone: string;
  workingDays: number[];
  start: string;
  end: string;
  /** The working day ends at midnight (24:00), which a time input cannot show. */
  untilMidnight: boolean;
  holidays: string[];
  targets: Record<Priority, TargetDraft>;
  breachAssignees: User[];
}

/** The form's state for a policy, or sensible defaults (Monday to Friday, 9 to 5, here). */
export function slaDraft(sla: SlaPolicy | null, zone = browserZone()): SlaDraft {
  const targets = Object.fromEntries(
    PRIORITIES.map((p) => {
      const t = sla?.targets[p];
      const fr = splitMinutes(t?.firstResponseMinutes);
      const r = splitMinutes(t?.resolutionMinutes);
      return [p, { firstResponseHours: fr.hours, firstResponseMinutes: fr.minutes, resolutionHours: r.hours, resolutionMinutes: r.minutes }];
    }),
  ) as Record<Priority, TargetDraft>;
  if (!sla)
    return {
      enabled: false,
      timeZone: zone,
      workingDays: [1, 2, 3, 4, 5],
      start: '09:00',
      end: '17:00',
      untilMidnight: false,
      holidays: [],
      targets,
      breachAssignees: [],
    };
  const midnight = sla.workingHours.end === '24:00';
  return {
    enabled: sla.enabled,
    timeZone: sla.timeZone,
    workingDays: [...sla.workingDays].sort((a, b) => a - b),
    start: sla.workingHours.start,
    end: midnight ? '' : sla.workingHours.end,
    untilMidnight: midnight,
    holidays: [...sla.holidays].sort(),
    targets,
    breachAssignees: sla.breachAssignees,
  };
}

/**
 * The policy to PUT, or the errors to show first (only what the browser can tell: numbers).
 * The schedule itself (zone, hours, days, dates) is checked by the server, whose errors come
 * back to their fields through `slaErrors`.
 */
export function slaFromDraft(draft: SlaDraft): { sla: SlaPolicy; errors: Record<string, string[]> } {
  const errors: Record<string, string[]> = {};
  const targets: SlaPolicy['targets'] = {};
  for (const p of PRIORITIES) {
    const t = draft.targets[p];
    const fr = joinMinutes(t.firstResponseHours, t.firstResponseMinutes);
    const r = joinMinutes(t.resolutionHours, t.resolutionMinutes);
    if (typeof fr === 'string') (errors[`targets/${p}/firstResponseMinutes`] ??= []).push(fr);
    if (typeof r === 'string') (errors[`targets/${p}/resolutionMinutes`] ??= []).push(r);
    if (typeof fr === 'number' && typeof r === 'number' && r < fr)
      (errors[`targets/${p}/resolutionMinutes`] ??= []).push('Resolution cannot come before the first response');
    if (fr === null && r === null) continue;
    targets[p] = { firstResponseMinutes: typeof fr === 'number' ? fr : null, resolutionMinutes: typeof r === 'number' ? r : null };
  }
  const sla: SlaPolicy = {
    enabled: draft.enabled,
    timeZone: draft.timeZone.trim(),
    workingDays: [...new Set(draft.workingDays)].sort((a, b) => a - b),
    workingHours: { start: draft.start, end: draft.untilMidnight ? '24:00' : draft.end },
    holidays: [...new Set(draft.holidays)].sort(),
    targets,
    breachAssignees: draft.breachAssignees.map((u) => ({ id: u.id, name: u.name, email: u.email })),
  };
  return { sla, errors };
}

const SLA_FIELDS = ['enabled', 'timeZone', 'workingDays', 'workingHours', 'holidays', 'breachAssignees'] as const;

/**
 * Where a server error about the policy belongs: `/body/sla/workingDays/0` at the working days,
 * `/body/sla/targets/Urgent/resolutionMinutes` at that input; the engine's own checks answer
 * `/body/sla` with a message naming the part ("unknown time zone …"). The schema's catch-all
 * "/body/sla has the wrong type" is dropped when a more precise error is there.
 */
export function slaErrors(errors: readonly FieldError[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  const precise = errors.some((e) => /^\/body\/sla\/./.test(e.path));
  for (const error of errors) {
    const parts = error.path.split('/').filter(Boolean);
    if (parts[0] === 'body') parts.shift();
    if (parts[0] !== 'sla') {
      (out[''] ??= []).push(parts.length ? `${parts.join('.')}: ${error.message}` : error.message);
      continue;
    }
    const [, part, priority, which] = parts;
    let key = '';
    if (part === 'targets' && priority && which) key = `targets/${priority}/${which}`;
    else if (part === 'targets' && priority) key = `targets/${priority}/firstResponseMinutes`;
    else if (part && (SLA_FIELDS as readonly string[]).includes(part)) key = part;
    else if (!part) {
      const m = error.message.toLowerCase();
      if (m.includes('time zone')) key = 'timeZone';
      else if (m.includes('working hours')) key = 'workingHours';
      else if (m.includes('working days') || m.includes('weekday')) key = 'workingDays';
      else if (m.includes('holiday')) key = 'holidays';
      else if (precise) continue;
    }
    (out[key] ??= []).push(capitalize(error.message));
  }
  return out;
}

const capitalize = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

// ---------------------------------------------------------------- assignment rules

export interface CustomFieldCondition {
  fieldId: string;
  value: unknown;
}

export interface RuleDraft {
  /** React's key for the card (stable across moves). */
  key: string;
  id?: string;
  name: string;
  priority: Priority[];
  tags: string[];
  /** Comma separated, as typed. */
  titleContains: string;
  requestor: string;
  customFields: CustomFieldCondition[];
  assignees: User[];
  mode: 'single' | 'roundRobin';
}

let counter = 0;
/** A fresh id (rules keep one, so their round-robin turn survives reordering). */
export function newId(prefix = 'rule'): string {
  const random =
    typeof crypto !== 'undefined' && typeof crypto.randomUUID === 'function'
      ? crypto.randomUUID()
      : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  counter += 1;
  return prefix ? `${prefix}-${random}` : `${random}-${counter}`;
}

/** Comma- or line-separated words, trimmed, without empties or repeats (case-insensitive). */
export function splitList(text: string): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const raw of text.split(/[,\n]/)) {
    const word = raw.trim();
    if (!word || seen.has(word.toLowerCase())) continue;
    seen.add(word.toLowerCase());
    out.push(word);
  }
  return out;
}

export function ruleDraft(rule?: Rule): RuleDraft {
  const c = rule?.conditions ?? {};
  return {
    key: newId(''),
    id: rule?.id,
    name: rule?.name ?? '',
    priority: PRIORITIES.filter((p) => c.priority?.includes(p)),
    tags: [...(c.tags ?? [])],
    titleContains: (c.titleContains ?? []).join(', '),
    requestor: (c.requestor ?? []).join(', '),
    customFields: Object.entries(c.customFields ?? {}).map(([fieldId, value]) => ({ fieldId, value })),
    assignees: rule?.assignees ?? [],
    // The engine's default: with several people and no mode, they take turns.
    mode: rule?.mode ?? 'roundRobin',
  };
}

const emptyValue = (v: unknown) => v === undefined || v === null || v === '' || (Array.isArray(v) && v.length === 0);

/** The IRule to save (only the conditions that say something). Rules get an id if they lack one. */
export function ruleFromDraft(draft: RuleDraft): Rule {
  const conditions: NonNullable<Rule['conditions']> = {};
  if (draft.priority.length) conditions.priority = [...draft.priority];
  if (draft.tags.length) conditions.tags = [...new Set(draft.tags)];
  const words = splitList(draft.titleContains);
  if (words.length) conditions.titleContains = words;
  const requestors = splitList(draft.requestor);
  if (requestors.length) conditions.requestor = requestors;
  const fields = draft.customFields.filter((c) => c.fieldId && !emptyValue(c.value));
  // The editors only produce values the rule schema takes; empty ones were dropped above.
  type FieldValue = NonNullable<typeof conditions.customFields>[string];
  if (fields.length) conditions.customFields = Object.fromEntries(fields.map((c) => [c.fieldId, c.value as FieldValue]));
  const rule: Rule = { id: draft.id || newId(), assignees: draft.assignees.map((u) => ({ id: u.id, name: u.name, email: u.email })), mode: draft.mode };
  if (draft.name.trim()) rule.name = draft.name.trim();
  if (Object.keys(conditions).length) rule.conditions = conditions;
  return rule;
}

/** What the browser can tell before saving: each rule needs people, each field condition a value. */
export function ruleProblems(draft: RuleDraft): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (draft.assignees.length === 0) out.assignees = ['Add at least one person to assign to'];
  const seen = new Set<string>();
  for (const c of draft.customFields) {
    if (!c.fieldId) (out.customFields ??= []).push('Choose a field, or remove the condition');
    else if (emptyValue(c.value)) (out.customFields ??= []).push('Choose the value the field must have');
    else if (seen.has(c.fieldId)) (out.customFields ??= []).push('A field can have one condition (list several values in it instead)');
    seen.add(c.fieldId);
  }
  return out;
}

/** A rule in words, for its card's summary: "Urgent or Important · title has vpn, wifi". */
export function describeConditions(draft: RuleDraft, tagLabel: (tag: string) => string, conditionText: (c: CustomFieldCondition) => string): string {
  const parts: string[] = [];
  if (draft.priority.length) parts.push(`priority ${draft.priority.join(' or ')}`);
  if (draft.tags.length) parts.push(`tagged ${draft.tags.map(tagLabel).join(' or ')}`);
  const words = splitList(draft.titleContains);
  if (words.length) parts.push(`title contains ${words.map((w) => `“${w}”`).join(' or ')}`);
  const requestors = splitList(draft.requestor);
  if (requestors.length) parts.push(`requested by ${requestors.join(' or ')}`);
  for (const c of draft.customFields) if (c.fieldId && !emptyValue(c.value)) parts.push(conditionText(c));
  return parts.length ? parts.join(' · ') : 'every new ticket';
}

export interface RulesErrors {
  /** By rule index, then by part: name, priority, tags, titleContains, requestor, customFields, assignees, mode, ''. */
  rules: Record<number, Record<string, string[]>>;
  default: string[];
  other: string[];
}

/** Where the server's errors about the rules belong (`/body/assigneeRules/2/assignees` …). */
export function rulesErrors(errors: readonly FieldError[]): RulesErrors {
  const out: RulesErrors = { rules: {}, default: [], other: [] };
  for (const error of errors) {
    const parts = error.path.split('/').filter(Boolean);
    if (parts[0] === 'body') parts.shift();
    const [list, index, part, sub] = parts;
    if (list === 'assigneeRules' && index !== undefined && /^\d+$/.test(index)) {
      const key = part === 'conditions' ? (sub ?? '') : (part ?? '');
      ((out.rules[Number(index)] ??= {})[key] ??= []).push(capitalize(error.message));
    } else if (list === 'defaultRuleAssignee') out.default.push(capitalize(error.message));
    else out.other.push(parts.length ? `${parts.join('.')}: ${error.message}` : error.message);
  }
  return out;
}

export function moveItem<T>(list: readonly T[], from: number, by: -1 | 1): T[] {
  const to = from + by;
  if (to < 0 || to >= list.length) return [...list];
  const next = [...list];
  [next[from], next[to]] = [next[to]!, next[from]!];
  return next;
}

// ---------------------------------------------------------------- alerts

export const ALERT_LABELS: Record<string, string> = {
  'sla.firstResponseBreached': 'First response target missed',
  'sla.resolutionBreached': 'Resolution target missed',
  'ticket.idle': 'Idle ticket',
  'ticket.dueSoon': 'Expected date soon',
  'ticket.overdue': 'Past its expected date',
};

export const alertLabel = (type: string): string => ALERT_LABELS[type] ?? type;

export const alertTone = (type: string): Tone => (type.startsWith('sla.') || type === 'ticket.overdue' ? 'danger' : 'warn');

/** The ticket title an event carries in its payload, if any. */
export function alertTicketTitle(payload: unknown): string {
  const ticket = (payload as { ticket?: { title?: unknown } } | null)?.ticket;
  return typeof ticket?.title === 'string' ? ticket.title : '';
}
