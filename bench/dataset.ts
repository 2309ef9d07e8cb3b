import type { Activity } from '../src/domain/activity.js';
import type { CustomFieldDefinition } from '../src/domain/custom-fields.js';
import { formatUserInstant } from '../src/domain/dates.js';
import type { TagCategory } from '../src/domain/tags.js';
import type { ITag, IUser, Origin, Priority, Resolution, Status, StoredTicket } from '../src/domain/ticket.js';
import type { InstancesService } from '../src/services/instances.service.js';
import type { BulkTicket } from '../src/store/bulk.repo.js';

/*
 * A realistic, deterministic help-desk data set: a few thousand requestors, ~50 agents, custom
 * fields of every type, three tag categories, tickets created over three years (older ones
 * mostly closed), about three comments per ticket plus the status changes that got it where it
 * is. Words follow a Zipf distribution over a help-desk vocabulary, so full-text search sees
 * a few very common words and a long tail, as in real tickets.
 */

/** mulberry32: small, fast, seedable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const COMMON = `the to and a is not on of for in my it with from when i can we after this error please
printer email laptop password account access vpn network screen login outlook teams update install
working issue problem user office new server file folder share drive phone mobile wifi internet slow
reset locked printing monitor keyboard mouse meeting calendar license software hardware request help
urgent broken crash freeze restart windows mac browser chrome edge firefox excel word powerpoint sharepoint
onedrive backup restore permission admin rights group mailbox shared distribution list room booking
desk floor building badge door camera headset audio microphone video call conference zoom webex
certificate expired sso mfa token authenticator app sign signin otp code sms verification
database report dashboard invoice payment order customer portal ticket request change approval
deploy release pipeline build test staging production outage incident latency timeout disconnect
dns dhcp ip address proxy firewall port gateway router switch cable dock charger battery power
toner paper jam scanner scan copy fax label shipping warehouse inventory stock supplier vendor
contract renewal onboarding offboarding employee manager hr payroll holiday leave expense travel
laptop replacement screen cracked keyboard sticky fan noisy overheating blue screen boot loop
disk full storage quota archive retention delete recover deleted files version history sync
conflict duplicate missing attachment large size limit bounce spam phishing suspicious link
virus malware antivirus scan quarantine encrypt encryption bitlocker recovery key tpm bios
driver firmware patch reboot schedule maintenance window downtime notice migration cutover`
  .split(/\s+/)
  .filter((w, i, all) => w !== '' && all.indexOf(w) === i);

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** UUIDs from a seeded generator (crypto-random ones cost more than the rest of a ticket). */
function uuidFrom(random: () => number, msecs?: number): string {
  const b = new Array<number>(16);
  for (let i = 0; i < 16; i += 4) {
    const x = Math.floor(random() * 4294967296);
    b[i] = x & 255;
    b[i + 1] = (x >>> 8) & 255;
    b[i + 2] = (x >>> 16) & 255;
    b[i + 3] = x >>> 24;
  }
  if (msecs === undefined)
    b[6] = (b[6]! & 0x0f) | 0x40; // v4
  else {
    // v7: 48-bit big-endian milliseconds first
    const high = Math.floor(msecs / 4294967296);
    b[0] = (high >>> 8) & 255;
    b[1] = high & 255;
    b[2] = (msecs >>> 24) & 255;
    b[3] = (msecs >>> 16) & 255;
    b[4] = (msecs >>> 8) & 255;
    b[5] = msecs & 255;
    b[6] = (b[6]! & 0x0f) | 0x70;
  }
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.map((x) => HEX[x]!);
  return `${h[0]}${h[1]}${h[2]}${h[3]}-${h[4]}${h[5]}-${h[6]}${h[7]}-${h[8]}${h[9]}-${h[10]}${h[11]}${h[12]}${h[13]}${h[14]}${h[15]}`;
}

const SYLLABLES = ['ka', 'lo', 'mi', 'ra', 'ten', 'vor', 'qui', 'zel', 'bra', 'dun', 'fy', 'gor', 'hal', 'jex', 'nur', 'pim', 'sa', 'tro', 'ul', 'wen'];

/** The vocabulary, most frequent first: help-desk words, then a long tail of product and host names. */
export function vocabulary(size = 5000): string[] {
  const words = [...COMMON];
  const seen = new Set(words);
  const next = rng(7);
  while (words.length < size) {
    const n = 2 + Math.floor(next() * 3);
    let word = '';
    for (let i = 0; i < n; i++) word += SYLLABLES[Math.floor(next() * SYLLABLES.length)];
    if (next() < 0.15) word += String(Math.floor(next() * 90) + 10);
    if (!seen.has(word)) {
      seen.add(word);
      words.push(word);
    }
  }
  return words;
}

const FIRST = [
  'Alex',
  'Sam',
  'Maria',
  'John',
  'Aisha',
  'Chen',
  'Lena',
  'Omar',
  'Priya',
  'Lucas',
  'Emma',
  'Noah',
  'Sofia',
  'Yuki',
  'Ivan',
  'Fatima',
  'Diego',
  'Hana',
  'Tom',
  'Zoe',
  'Kofi',
  'Anna',
  'Ravi',
  'Nina',
  'Paul',
  'Sara',
  'Ali',
  'Mia',
  'Jonas',
  'Eva',
];
const LAST = [
  'Smith',
  'Garcia',
  'Müller',
  'Nguyen',
  'Kowalski',
  'Okafor',
  'Tanaka',
  'Rossi',
  'Dubois',
  'Silva',
  'Johansson',
  'Patel',
  'Kim',
  'Ivanova',
  'Haddad',
  'Jensen',
  'Novak',
  'Costa',
  'Wilber',
  'Doe',
  'Brown',
  'Lee',
  'Martin',
  'Schmidt',
  'Cohen',
  'Ali',
  'Singh',
  'Lopez',
  'Moreau',
  'Berg',
];

function person(i: number, domain: string): IUser {
  const first = FIRST[i % FIRST.length]!;
  const last = LAST[Math.floor(i / FIRST.length) % LAST.length]!;
  const n = Math.floor(i / (FIRST.length * LAST.length));
  const name = `${first} ${last}${n > 0 ? ` ${n + 1}` : ''}`;
  return { id: uuidFrom(rng(i * 7919 + domain.length * 104729)), name, email: `${first}.${last}${n > 0 ? n + 1 : ''}@${domain}`.toLowerCase() };
}

export interface DatasetSetup {
  fields: CustomFieldDefinition[];
  categories: TagCategory[];
  requestors: IUser[];
  agents: IUser[];
  words: string[];
}

/** Creates the custom fields and tag categories through the service (validated like any API call). */
export async function createSetup(
  instances: InstancesService,
  instanceId: string,
  options: { requestors?: number; agents?: number } = {},
): Promise<DatasetSetup> {
  const option = (texts: string[]) => texts.map((text) => ({ text }));
  const fields = [
    await instances.createCustomField(instanceId, {
      name: 'Department',
      type: 'singleItemPicker',
      options: option(['Sales', 'Finance', 'Engineering', 'Support', 'HR', 'Legal', 'Marketing', 'Operations']),
    }),
    await instances.createCustomField(instanceId, {
      name: 'Affected systems',
      type: 'multipleItemsPicker',
      options: option(['Email', 'VPN', 'ERP', 'CRM', 'Intranet', 'File server', 'Printers', 'Phones', 'Wi-Fi', 'Laptops', 'Payroll', 'Website']),
    }),
    await instances.createCustomField(instanceId, { name: 'Asset tag', type: 'textField' }),
    await instances.createCustomField(instanceId, { name: 'Steps to reproduce', type: 'textArea' }),
    await instances.createCustomField(instanceId, { name: 'VIP', type: 'toggle' }),
    await instances.createCustomField(instanceId, { name: 'Due by', type: 'datePicker' }),
    await instances.createCustomField(instanceId, { name: 'Watchers', type: 'peoplePicker' }),
  ];
  const categories = [
    await instances.createTagCategory(instanceId, {
      text: 'Category',
      color: '#2563eb',
      tags: option(['Hardware', 'Software', 'Network', 'Access', 'Email', 'Printing', 'Phone', 'Other']),
    }),
    await instances.createTagCategory(instanceId, {
      text: 'Site',
      color: '#16a34a',
      tags: option(['Paris', 'Berlin', 'Lagos', 'Tokyo', 'Austin', 'São Paulo', 'Mumbai', 'Oslo', 'Remote', 'Warehouse']),
    }),
    await instances.createTagCategory(instanceId, { text: 'Channel', color: '#9333ea', tags: option(['Email', 'Phone', 'Portal', 'Chat', 'Walk-in']) }),
  ];
  const requestors = Array.from({ length: options.requestors ?? 3000 }, (_, i) => person(i, 'contoso.example'));
  const agents = Array.from({ length: options.agents ?? 50 }, (_, i) => person(i * 17 + 3, 'helpdesk.example'));
  return { fields, categories, requestors, agents, words: vocabulary() };
}

const DAY = 86_400_000;
/** Where tickets come from, in turn by ticket (no random draw, so the rest of the data set is as before). */
const ORIGIN_MIX: readonly Origin[] = ['web', 'web', 'api', 'web', 'email', 'web', 'api', 'web', 'web', 'api'];
const PRIORITY_WEIGHTS: [Priority, number][] = [
  ['Low', 0.25],
  ['Medium', 0.5],
  ['Important', 0.17],
  ['Urgent', 0.08],
];

/** Ticket generator: call next(n) for the next n tickets, oldest first (numbers are given by the loader). */
export class TicketFactory {
  private readonly random: () => number;
  private readonly cumulative: Float64Array;
  private readonly start: number;
  private readonly step: number;
  private index = 0;

  constructor(
    private readonly setup: DatasetSetup,
    private readonly total: number,
    private readonly now = Date.now(),
    seed = 42,
    years = 3,
  ) {
    this.random = rng(seed);
    // Zipf(s = 1.05) over the vocabulary.
    this.cumulative = new Float64Array(setup.words.length);
    let sum = 0;
    for (let r = 0; r < setup.words.length; r++) this.cumulative[r] = sum += 1 / Math.pow(r + 1, 1.05);
    for (let r = 0; r < setup.words.length; r++) this.cumulative[r]! /= sum;
    // Leave the last two days for the tickets' own activity.
    this.start = now - years * 365 * DAY;
    this.step = (years * 365 * DAY - 2 * DAY) / Math.max(1, total);
  }

  private pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.random() * list.length)]!;
  }

  private word(): string {
    const u = this.random();
    let lo = 0;
    let hi = this.cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return this.setup.words[lo]!;
  }

  private text(min: number, max: number): string {
    const n = min + Math.floor(this.random() * (max - min + 1));
    const words = new Array<string>(n);
    for (let i = 0; i < n; i++) words[i] = this.word();
    return words.join(' ');
  }

  private sentence(min: number, max: number): string {
    const text = this.text(min, max);
    return `${text[0]!.toUpperCase()}${text.slice(1)}.`;
  }

  private customFields(createdOn: number): Record<string, unknown> {
    const [department, systems, asset, steps, vip, due, watchers] = this.setup.fields;
    const values: Record<string, unknown> = {};
    const r = this.random;
    if (r() < 0.9) values[department!.id] = [this.pick(department!.options).id];
    if (r() < 0.6) {
      const picked = new Set<string>();
      const n = 1 + Math.floor(r() * 3);
      for (let i = 0; i < n; i++) picked.add(this.pick(systems!.options).id);
      values[systems!.id] = [...picked];
    }
    if (r() < 0.5) values[asset!.id] = `AT-${100000 + Math.floor(r() * 900000)}`;
    if (r() < 0.2) values[steps!.id] = this.sentence(6, 20);
    if (r() < 0.7) values[vip!.id] = r() < 0.05;
    if (r() < 0.15) values[due!.id] = formatUserInstant(new Date(Math.floor((createdOn + (1 + Math.floor(r() * 30)) * DAY) / DAY) * DAY).toISOString());
    if (r() < 0.1) values[watchers!.id] = [this.pick(this.setup.agents), this.pick(this.setup.requestors)];
    return values;
  }

  private tags(): ITag[] {
    const r = this.random;
    const tags: ITag[] = [];
    const [category, site, channel] = this.setup.categories;
    if (r() < 0.8) tags.push({ tagCategoryId: category!.id, text: this.pick(category!.tags).text });
    if (r() < 0.5) tags.push({ tagCategoryId: site!.id, text: this.pick(site!.tags).text });
    if (r() < 0.3) tags.push({ tagCategoryId: channel!.id, text: this.pick(channel!.tags).text });
    return tags;
  }

  private status(ageDays: number): Status {
    const u = this.random();
    if (ageDays > 30) return u < 0.6 ? 'Closed' : u < 0.9 ? 'Resolved' : u < 0.93 ? 'Open' : u < 0.97 ? 'Started' : 'Reopened';
    return u < 0.4 ? 'Open' : u < 0.7 ? 'Started' : u < 0.85 ? 'Resolved' : u < 0.95 ? 'Closed' : 'Reopened';
  }

  private priority(): Priority {
    let u = this.random();
    for (const [p, w] of PRIORITY_WEIGHTS) if ((u -= w) < 0) return p;
    return 'Medium';
  }

  /** The next n tickets with their activities, in creation order. */
  next(n: number): BulkTicket[] {
    const out: BulkTicket[] = [];
    const r = this.random;
    for (let k = 0; k < n && this.index < this.total; k++, this.index++) {
      const created = Math.floor(this.start + this.index * this.step + r() * this.step * 0.9);
      const ageDays = (this.now - created) / DAY;
      const requestor = this.pick(this.setup.requestors);
      const status = this.status(ageDays);
      const assignee = status === 'Open' && r() < 0.5 ? null : this.pick(this.setup.agents);
      const agent = assignee ?? this.pick(this.setup.agents);
      // Activity times: spread over up to 20 days (or what is left until now), in order.
      const span = Math.min(20 * DAY * r(), this.now - created - 1000);
      const nComments = Math.floor(r() * 7); // 0..6, mean 3
      const statusPath: Status[] = {
        Open: [] as Status[],
        Started: ['Started'] as Status[],
        Resolved: ['Started', 'Resolved'] as Status[],
        Closed: r() < 0.7 ? (['Started', 'Resolved', 'Closed'] as Status[]) : (['Closed'] as Status[]),
        Reopened: ['Started', 'Resolved', 'Reopened'] as Status[],
      }[status];
      const events = nComments + statusPath.length;
      const times: number[] = [];
      for (let i = 0; i < events; i++) times.push(created + 1000 + Math.floor(r() * span));
      times.sort((a, b) => a - b);
      const commentAt = new Set<number>();
      while (commentAt.size < nComments) commentAt.add(Math.floor(r() * events));

      const activities: Activity[] = [];
      let from: Status = 'Open';
      let firstResponse: number | null = null;
      let firstResolution: number | null = null;
      let lastResolution: number | null = null;
      let resolution: Resolution | null = null;
      let lastResolutionComment: string | null = null;
      let reopenedAt: string | null = null;
      let step = 0;
      for (let i = 0; i < events; i++) {
        const at = times[i]!;
        const iso = new Date(at).toISOString();
        if (commentAt.has(i)) {
          const byAgent = r() < 0.6;
          const user = byAgent ? agent : requestor;
          if (byAgent && firstResponse === null) firstResponse = at;
          activities.push({
            id: uuidFrom(r, at),
            ticketId: 0,
            type: 'comment',
            comment: this.sentence(4, 25),
            isPrivate: byAgent && r() < 0.15,
            user,
            createdOn: iso,
          });
        } else {
          const to = statusPath[step++]!;
          const res: Resolution | null = to === 'Resolved' ? (r() < 0.85 ? 'fixed' : r() < 0.5 ? 'cannotResolve' : 'cancelled') : null;
          const comment = to === 'Resolved' && r() < 0.5 ? this.sentence(3, 12) : null;
          if (firstResponse === null) firstResponse = at;
          if (to === 'Resolved') {
            firstResolution ??= at;
            lastResolution = at;
            resolution = res;
            lastResolutionComment = comment;
          } else if (to === 'Reopened') {
            resolution = null;
            reopenedAt = iso;
          }
          activities.push({ id: uuidFrom(r, at), ticketId: 0, type: 'statusChange', user: agent, createdOn: iso, from, to, resolution: res, comment });
          from = to;
        }
      }
      const createdIso = new Date(created).toISOString();
      const last = times.length > 0 ? new Date(times[times.length - 1]!).toISOString() : createdIso;
      const lastStatusAt = activities.filter((a) => a.type === 'statusChange').pop()?.createdOn;
      const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
      const ticket: StoredTicket = {
        id: uuidFrom(r),
        ticketId: 0,
        title: this.sentence(3, 8).slice(0, -1),
        description: this.sentence(8, 30),
        status,
        priority: this.priority(),
        requestor,
        assignee,
        customFields: this.customFields(created),
        tags: this.tags(),
        expectedDate: r() < 0.2 ? new Date(Math.floor((created + (1 + Math.floor(r() * 14)) * DAY) / 60000) * 60000).toISOString() : null,
        resolution,
        lastResolutionComment,
        firstResponseOn: iso(firstResponse),
        firstResolutionOn: iso(firstResolution),
        lastResolutionOn: iso(lastResolution),
        createdOn: createdIso,
        lastUpdatedOn: lastStatusAt ?? createdIso,
        lastInteraction: last,
        isFrtEscalated: r() < 0.03,
        isRtEscalated: r() < 0.02,
        // Set from the escalation flags below, without a draw (the data set stays what it was).
        isFrtBreached: false,
        isRtBreached: false,
        createdBy: requestor,
        origin: ORIGIN_MIX[this.index % ORIGIN_MIX.length]!,
        lastUpdatedBy: lastStatusAt ? agent : requestor,
        // The instance has no SLA policy (the default): no due dates, hence no pending jobs.
        rtStartedOn: reopenedAt ?? createdIso,
        frtDueOn: null,
        rtDueOn: null,
      };
      ticket.isFrtBreached = ticket.isFrtEscalated;
      ticket.isRtBreached = ticket.isRtEscalated;
      out.push({ ticket, activities });
    }
    return out;
  }
}
