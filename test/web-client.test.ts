import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { chipColors, contrastRatio, parseHex } from '../web/src/lib/contrast.js';
import {
  activeFilterCount,
  builtInQueues,
  EMPTY_QUERY,
  formatDeskQuery,
  fromListParams,
  nextDay,
  parseDeskQuery,
  sortBy,
  toListParams,
} from '../web/src/lib/desk-query.js';
import { parseUser, uniquePeople } from '../web/src/lib/format.js';
import { changedCustomFields, errorsByField, fieldKeyOf, formLayout, missingRequired } from '../web/src/lib/forms.js';
import {
  alertLabel,
  describeConditions,
  dueHint,
  formatSpan,
  joinMinutes,
  moveItem,
  ruleDraft,
  ruleFromDraft,
  ruleProblems,
  rulesErrors,
  searchZones,
  slaDraft,
  slaErrors,
  slaFromDraft,
  splitMinutes,
  workingDaysHint,
} from '../web/src/lib/engine.js';
import { countsByKey, countsPerDay, lastDays, niceCeiling } from '../web/src/lib/overview.js';
import type { CustomField } from '../web/src/lib/types.js';
import { presentCustomField, type CustomFieldDefinition } from '../src/domain/custom-fields.js';

/* The web app's client logic that needs no browser: URL state, forms, overview numbers, engine settings. */

describe('desk view in the URL', () => {
  it('round-trips every filter, the search and the order', () => {
    const query = {
      ...EMPTY_QUERY,
      search: 'printer fire',
      status: ['Open' as const, 'Started' as const],
      priority: ['Urgent' as const],
      tags: ['cat-1_Network', 'cat-2_a_b'],
      assignee: 'me@example.com',
      requestor: 'u-1',
      unassigned: true,
      escalated: 'frt' as const,
      createdFrom: '2026-01-01',
      createdTo: '2026-01-31',
      updatedFrom: '2026-02-01',
      dueTo: '2026-03-01',
      orderBy: 'priority' as const,
      order: 'DESC' as const,
    };
    const search = formatDeskQuery(query);
    expect(parseDeskQuery(search)).toEqual(query);
    expect(search).toContain('q=printer+fire');
  });

  it('leaves defaults out of the URL and drops values it does not know', () => {
    expect(formatDeskQuery(EMPTY_QUERY)).toBe('');
    expect(parseDeskQuery('?status=Open,Nope&priority=urgent&sort=drop&createdFrom=yesterday&escalated=x&tags=notag')).toEqual({
      ...EMPTY_QUERY,
      status: ['Open'],
    });
  });

  it('turns the view into GET /tickets parameters, with inclusive "to" days', () => {
    const params = toListParams(
      { ...EMPTY_QUERY, search: ' 42 ', status: ['Resolved'], createdFrom: '2026-01-01', createdTo: '2026-01-31', dueTo: '2026-12-31', escalated: 'none' },
      7,
    );
    expect(params).toEqual({
      timezone: '7',
      search: '42',
      status: 'Resolved',
      createdAfter: '2026-01-01',
      createdBefore: '2026-02-01',
      expectedDateBefore: '2027-01-01',
      isFrtEscalated: 'false',
      isRtEscalated: 'false',
    });
    expect(nextDay('2024-02-28')).toBe('2024-02-29');
    expect(toListParams({ ...EMPTY_QUERY, search: '#42' }, 0).search).toBe('42');
    expect(toListParams({ ...EMPTY_QUERY, orderBy: 'title', order: 'ASC' }, 0)).toEqual({ timezone: '0', orderBy: 'title', order: 'ASC' });
  });

  it('reads a saved view (GET /tickets parameters) back into the desk state it was saved from', () => {
    const views = [
      { ...EMPTY_QUERY, search: 'printer', status: ['Open' as const], tags: ['c_x'], assignee: 'a@example.com', unassigned: false, escalated: 'rt' as const },
      {
        ...EMPTY_QUERY,
        unassigned: true,
        escalated: 'any' as const,
        createdFrom: '2026-01-01',
        createdTo: '2026-01-31',
        orderBy: 'title' as const,
        order: 'DESC' as const,
      },
      { ...EMPTY_QUERY, escalated: 'none' as const, dueFrom: '2026-03-01', dueTo: '2026-03-01', updatedTo: '2024-03-01' },
      { ...EMPTY_QUERY, priority: ['Low' as const, 'Urgent' as const], requestor: 'r@example.com', escalated: 'frt' as const },
    ];
    for (const view of views) expect(fromListParams(toListParams(view, 2))).toEqual({ query: view, complete: true });
    // A view made through the API may filter on what the desk cannot show: it says so.
    expect(fromListParams({ status: 'Open', origin: 'email' })).toEqual({ query: { ...EMPTY_QUERY, status: ['Open'] }, complete: false });
  });

  it('has the built-in queues of an agent: mine, unassigned, escalated, due today, all on open work', () => {
    const queues = builtInQueues('me@example.com', '2026-12-06');
    expect(queues.map((q) => q.name)).toEqual(['My open tickets', 'Unassigned', 'Escalated', 'Due today']);
    const params = queues.map((q) => toListParams(q.query, 1));
    expect(params[0]).toEqual({ timezone: '1', status: 'Open,Reopened,Started', assignee: 'me@example.com' });
    expect(params[1]).toMatchObject({ unassigned: 'true' });
    expect(params[2]).toMatchObject({ isEscalated: 'true' });
    expect(params[3]).toMatchObject({ expectedDateAfter: '2026-12-06', expectedDateBefore: '2026-12-07' });
  });

  it('sorts by a clicked column ascending, then flips it', () => {
    const byTitle = sortBy(EMPTY_QUERY, 'title');
    expect([byTitle.orderBy, byTitle.order]).toEqual(['title', 'ASC']);
    const flipped = sortBy(byTitle, 'title');
    expect([flipped.orderBy, flipped.order]).toEqual(['title', 'DESC']);
    // The default order is createdDateTime DESC: clicking "Created" makes it ascending.
    const created = sortBy(EMPTY_QUERY, 'createdDateTime');
    expect([created.orderBy, created.order]).toEqual(['createdDateTime', 'ASC']);
    expect(activeFilterCount({ ...EMPTY_QUERY, search: 'x', status: ['Open'], dueFrom: '2026-01-01' })).toBe(2);
  });
});

describe('people typed in a picker', () => {
  const known = [{ id: 'aad-1', name: 'Alex Wilber', email: 'AlexW@example.com' }];
  it('reads "Name <email>", a bare email, and known names', () => {
    expect(parseUser('Lee Gu <lee.gu@example.com>')).toEqual({ id: 'lee.gu@example.com', name: 'Lee Gu', email: 'lee.gu@example.com' });
    expect(parseUser('Lee.Gu@Example.com')).toEqual({ id: 'lee.gu@example.com', name: 'Lee.Gu', email: 'Lee.Gu@Example.com' });
    expect(parseUser('Lee Gu, lee@example.com')).toMatchObject({ name: 'Lee Gu', email: 'lee@example.com' });
    expect(parseUser('alexw@example.com', known)).toEqual(known[0]);
    expect(parseUser('alex wilber', known)).toEqual(known[0]);
    expect(parseUser('nobody')).toBeUndefined();
    expect(parseUser('Bad <not-an-email>')).toBeUndefined();
  });

  it('keeps one entry per email', () => {
    expect(uniquePeople([known[0], null, { id: 'x', name: 'Other', email: 'alexw@EXAMPLE.com' }])).toEqual([known[0]]);
  });
});

describe('forms', () => {
  it('puts server errors at their field', () => {
    expect(fieldKeyOf('/body/ticket/title')).toBe('title');
    expect(fieldKeyOf('/ticket/customFields/abc-1')).toBe('customFields/abc-1');
    expect(fieldKeyOf('/updates/tags/0/text')).toBe('tags');
    expect(fieldKeyOf('/body/ticket/requestor/email')).toBe('requestor');
    const byField = errorsByField(
      [
        { path: '/body/ticket/title', message: 'must not be blank' },
        { path: '/ticket/customFields/f1', message: '"Dept" is required' },
        { path: '/body/ticket/bogus', message: 'is not a known field' },
      ],
      ['title', 'customFields/f1'],
    );
    expect(byField).toEqual({ title: ['must not be blank'], 'customFields/f1': ['"Dept" is required'], '': ['bogus: is not a known field'] });
  });

  /** A field as GET /instance answers it (the server's own presentation). */
  const field = (id: string, extra: Partial<CustomFieldDefinition> = {}): CustomField =>
    presentCustomField({ id, name: id.toUpperCase(), type: 'textField', required: false, options: [], deleted: false, ...extra });

  it('lays fields out by the instance lists, without deleted fields, and places the unplaced', () => {
    const a = field('a');
    const b = field('b');
    const c = field('c');
    const d = field('d', { deleted: true });
    const e = field('e');
    const layout = formLayout({
      customFields: [a, b, c, d, e],
      customFieldsLeft: [a, d],
      customFieldsRight: [],
      optionalFieldsLeft: [b],
      optionalFieldsRight: [],
    });
    expect(layout.left.map((f) => f.id)).toEqual(['a', 'e']);
    expect(layout.right.map((f) => f.id)).toEqual(['c']);
    expect(layout.optionalLeft.map((f) => f.id)).toEqual(['b']);
  });

  it('finds required fields left empty (a toggle is never empty) and the values that changed', () => {
    const fields = [field('a', { required: true }), field('b', { required: true, type: 'toggle' }), field('c', { required: true, deleted: true }), field('d')];
    expect(missingRequired(fields, { a: [] })).toEqual({ 'customFields/a': ['A is required'] });
    expect(changedCustomFields({ a: 'x', b: true, c: ['o1'] }, { a: 'x', b: false, c: [], d: '' })).toEqual({ b: false, c: null });
  });
});

describe('overview numbers', () => {
  it('places counts grouped by local day on the last days, 0 where a day has none', () => {
    const now = new Date(2026, 0, 10, 12);
    const days = lastDays(3, now);
    expect(days).toEqual(['2026-01-08', '2026-01-09', '2026-01-10']);
    const groups = [
      { key: '2026-01-07', itemCount: 4 },
      { key: '2026-01-09', itemCount: 2 },
      { key: '2026-01-10', itemCount: 1 },
      { key: null, itemCount: 9 },
    ];
    expect(countsPerDay(days, groups)).toEqual([0, 2, 1]);
    expect(countsPerDay(days, undefined)).toEqual([0, 0, 0]);
  });

  it('reads counts by status and priority, every value present', () => {
    const groups = [
      { key: 'Open', itemCount: 3 },
      { key: 'Closed', itemCount: 12_000 },
    ];
    expect(countsByKey(['Open', 'Reopened', 'Started', 'Resolved', 'Closed'], groups)).toEqual({
      Open: 3,
      Reopened: 0,
      Started: 0,
      Resolved: 0,
      Closed: 12_000,
    });
    expect(countsByKey(['Low', 'Urgent'], [{ key: 'Urgent', itemCount: 2 }])).toEqual({ Low: 0, Urgent: 2 });
    expect([niceCeiling(0), niceCeiling(7), niceCeiling(13), niceCeiling(200), niceCeiling(201)]).toEqual([1, 10, 20, 200, 500]);
  });
});

describe('help-desk engine settings', () => {
  it('edits SLA targets in hours and minutes and stores minutes', () => {
    expect(splitMinutes(90)).toEqual({ hours: '1', minutes: '30' });
    expect(splitMinutes(null)).toEqual({ hours: '', minutes: '' });
    expect([joinMinutes('1', '30'), joinMinutes('', '45'), joinMinutes('0', ''), joinMinutes('', ''), joinMinutes('1.5', '')]).toEqual([
      90,
      45,
      0,
      null,
      'Hours and minutes are whole numbers',
    ]);
    expect(joinMinutes('9000', '')).toBe('At most 8760 hours (a year)');
    expect(workingDaysHint(960, 480)).toBe('≈ 2 working days');
    expect(workingDaysHint(240, 480)).toBe('');
  });

  it('round-trips a policy through the form, 24:00 included', () => {
    const sla = {
      enabled: true,
      timeZone: 'Europe/Paris',
      workingDays: [5, 1, 2],
      workingHours: { start: '08:30', end: '24:00' },
      holidays: ['2026-12-25', '2026-01-01'],
      targets: { Urgent: { firstResponseMinutes: 60, resolutionMinutes: 240 }, Low: { firstResponseMinutes: null, resolutionMinutes: 2400 } },
      breachAssignees: [{ id: 'lead-1', name: 'Lea', email: 'lea@example.com' }],
    };
    const draft = slaDraft(sla);
    expect(draft).toMatchObject({ untilMidnight: true, end: '', workingDays: [1, 2, 5], holidays: ['2026-01-01', '2026-12-25'] });
    expect(draft.targets.Urgent).toEqual({ firstResponseHours: '1', firstResponseMinutes: '0', resolutionHours: '4', resolutionMinutes: '0' });
    const back = slaFromDraft(draft);
    expect(back.errors).toEqual({});
    expect(back.sla).toEqual({ ...sla, workingDays: [1, 2, 5], holidays: ['2026-01-01', '2026-12-25'] });
    // New policies start from working hours of the given zone; numbers that are not are refused.
    const fresh = slaDraft(null, 'Asia/Tokyo');
    expect(fresh).toMatchObject({ enabled: false, timeZone: 'Asia/Tokyo', workingDays: [1, 2, 3, 4, 5], start: '09:00', end: '17:00' });
    fresh.targets.Medium = { firstResponseHours: 'x', firstResponseMinutes: '', resolutionHours: '1', resolutionMinutes: '' };
    fresh.targets.Urgent = { firstResponseHours: '2', firstResponseMinutes: '', resolutionHours: '1', resolutionMinutes: '' };
    expect(slaFromDraft(fresh).errors).toEqual({
      'targets/Medium/firstResponseMinutes': ['Hours and minutes are whole numbers'],
      'targets/Urgent/resolutionMinutes': ['Resolution cannot come before the first response'],
    });
  });

  it("puts the server's SLA errors at their fields", () => {
    expect(slaErrors([{ path: '/body/sla', message: 'unknown time zone "Mars/Base"' }])).toEqual({ timeZone: ['Unknown time zone "Mars/Base"'] });
    expect(slaErrors([{ path: '/body/sla', message: 'working hours must end after they start' }])).toEqual({
      workingHours: ['Working hours must end after they start'],
    });
    expect(
      slaErrors([
        { path: '/body/sla/workingDays/0', message: 'must be <= 7' },
        { path: '/body/sla/targets/Low/firstResponseMinutes', message: 'has the wrong type or value' },
        { path: '/body/sla', message: 'has the wrong type or value' },
      ]),
    ).toEqual({ workingDays: ['Must be <= 7'], 'targets/Low/firstResponseMinutes': ['Has the wrong type or value'] });
    expect(slaErrors([{ path: '/body/sla', message: 'something else' }])).toEqual({ '': ['Something else'] });
  });

  it('round-trips rules through their drafts, keeping ids and dropping empty conditions', () => {
    const rule = {
      id: 'r1',
      name: 'Network',
      conditions: {
        priority: ['Urgent' as const, 'Low' as const],
        tags: ['c1_Network'],
        titleContains: ['vpn', 'wifi'],
        requestor: ['ceo@example.com'],
        customFields: { f1: ['o1'] },
      },
      assignees: [
        { id: 'a', name: 'Ann', email: 'ann@example.com' },
        { id: 'b', name: 'Ben', email: 'ben@example.com' },
      ],
      mode: 'roundRobin' as const,
    };
    const draft = ruleDraft(rule);
    expect(draft).toMatchObject({ titleContains: 'vpn, wifi', priority: ['Low', 'Urgent'], customFields: [{ fieldId: 'f1', value: ['o1'] }] });
    expect(ruleFromDraft(draft)).toEqual({ ...rule, conditions: { ...rule.conditions, priority: ['Low', 'Urgent'] } });

    const fresh = {
      ...ruleDraft(),
      titleContains: ' printer ,, Printer, toner ',
      customFields: [{ fieldId: 'f2', value: [] }],
      assignees: [{ id: 'c', name: 'Cat', email: 'cat@example.com' }],
    };
    const saved = ruleFromDraft(fresh);
    expect(saved.id).toMatch(/^rule-/);
    expect(saved).toMatchObject({ conditions: { titleContains: ['printer', 'toner'] }, mode: 'roundRobin' });
    expect(saved.conditions).not.toHaveProperty('customFields');
    expect(saved).not.toHaveProperty('name');
    expect(ruleFromDraft({ ...fresh, titleContains: '' })).not.toHaveProperty('conditions');
    expect(
      describeConditions(
        draft,
        (t) => t.split('_')[1]!,
        (c) => `${c.fieldId} set`,
      ),
    ).toBe('priority Low or Urgent · tagged Network · title contains “vpn” or “wifi” · requested by ceo@example.com · f1 set');
    expect(describeConditions(ruleDraft(), String, String)).toBe('every new ticket');
  });

  it("checks rules before saving and places the server's errors by rule", () => {
    expect(
      ruleProblems({
        ...ruleDraft(),
        customFields: [
          { fieldId: 'f1', value: '' },
          { fieldId: '', value: 'x' },
        ],
      }),
    ).toEqual({
      assignees: ['Add at least one person to assign to'],
      customFields: ['Choose the value the field must have', 'Choose a field, or remove the condition'],
    });
    expect(
      rulesErrors([
        { path: '/body/assigneeRules/2/assignees', message: 'must NOT have fewer than 1 items' },
        { path: '/body/assigneeRules/0/conditions/titleContains/1', message: 'must NOT have fewer than 1 characters' },
        { path: '/body/defaultRuleAssignee/0/assignees', message: 'bad' },
        { path: '/body/isAutomaticAssignTickets', message: 'must be boolean' },
      ]),
    ).toEqual({
      rules: { 2: { assignees: ['Must NOT have fewer than 1 items'] }, 0: { titleContains: ['Must NOT have fewer than 1 characters'] } },
      default: ['Bad'],
      other: ['isAutomaticAssignTickets: must be boolean'],
    });
    expect(moveItem(['a', 'b', 'c'], 2, -1)).toEqual(['a', 'c', 'b']);
    expect(moveItem(['a', 'b'], 0, -1)).toEqual(['a', 'b']);
  });

  it('says when an SLA target is due, overdue or missed', () => {
    const now = Date.parse('2026-03-02T10:00:00Z');
    expect(dueHint('2026-03-02T13:20:00Z', false, now)).toEqual({ text: 'due in 3 h 20 min', tone: 'ok', overdue: false });
    expect(dueHint('2026-03-02T10:40:00Z', false, now)).toEqual({ text: 'due in 40 min', tone: 'warn', overdue: false });
    expect(dueHint('2026-03-02T09:55:00Z', false, now)).toEqual({ text: 'overdue by 5 min', tone: 'danger', overdue: true });
    expect(dueHint('2026-02-28T06:00:00Z', true, now)).toEqual({ text: 'missed by 2 d 4 h, escalated', tone: 'danger', overdue: true });
    expect([formatSpan(20_000), formatSpan(86_400_000), formatSpan(-3_600_000)]).toEqual(['less than a minute', '1 d', '1 h']);
    expect([alertLabel('sla.firstResponseBreached'), alertLabel('custom.kind')]).toEqual(['First response target missed', 'custom.kind']);
  });

  it('finds time zones by any part of their name', () => {
    const zones = ['America/New_York', 'Europe/Paris', 'America/Paramaribo', 'Asia/Kolkata', 'UTC'];
    expect(searchZones(zones, 'new york')).toEqual(['America/New_York']);
    expect(searchZones(zones, 'par')).toEqual(['America/Paramaribo', 'Europe/Paris']);
    expect(searchZones(zones, 'paris')).toEqual(['Europe/Paris']);
    // A city that starts with the text comes before a region that does.
    expect(searchZones(['America/Argentina/Buenos_Aires', 'Europe/Amsterdam'], 'am')).toEqual(['Europe/Amsterdam', 'America/Argentina/Buenos_Aires']);
    expect(searchZones(zones, 'utc+05:30')).toEqual(['Asia/Kolkata']);
    expect(searchZones(zones, '')).toEqual(zones);
  });
});

describe('tag chip colours', () => {
  it('reach 4.5:1 between text and background for any category colour, keeping its hue when it can', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffff }), (n) => {
        const color = `#${n.toString(16).padStart(6, '0')}`;
        const chip = chipColors(color);
        expect(contrastRatio(parseHex(chip.text)!, parseHex(chip.background)!)).toBeGreaterThanOrEqual(4.5);
      }),
      { numRuns: 2000 },
    );
    // A dark colour is its own text colour; a pale one is darkened.
    expect(chipColors('#1d4fb8').text).toBe('#1d4fb8');
    expect(chipColors('#ffe066').text).not.toBe('#ffe066');
    expect(chipColors('#abc')).toEqual(chipColors('#aabbcc'));
    // Not a colour the API stores: the grey fallback.
    expect(chipColors('tomato')).toEqual(chipColors('#6b7280'));
  });
});
