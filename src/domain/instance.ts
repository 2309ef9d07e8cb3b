import type { AssignmentRule } from './assignment.js';
import { presentCustomField, type CustomFieldDefinition } from './custom-fields.js';
import type { FieldErrors } from './errors.js';
import type { Role } from './people.js';
import type { FieldPermission } from './permissions.js';
import type { SlaPolicy } from './sla.js';
import type { IUser } from './ticket.js';

export type KeyName = 'primary' | 'secondary';
export type KeyAccessLevel = 'readWrite' | 'readOnly';

/** Alerts about expected dates (the reference's IAlertNotification). */
export interface AlertNotification {
  enabled: boolean;
  /** Alert this many days before a ticket's expectedDate (null: no early alert). */
  daysBeforeExpectedDate: number | null;
  /** Alert when an unresolved ticket passes its expectedDate. */
  whenOverdue: boolean;
}

/** Every setting of IInstance that is stored as one document with the instance. */
export interface InstanceSettings {
  groupId: string | null;
  enabled: boolean;
  tenantId: string | null;
  teamId: string | null;
  channelId: string | null;
  subscriptionId: string | null;
  mailAddress: string | null;
  /** Layout lists hold field ids; IInstance shows them as the fields themselves. */
  customFieldsLeft: string[];
  customFieldsRight: string[];
  optionalFieldsLeft: string[];
  optionalFieldsRight: string[];
  assignees: { type: 'teamsOwner' | 'customAssignee'; peoples: IUser[] } | null;
  assigneeRules: AssignmentRule[];
  defaultRuleAssignee: AssignmentRule[];
  isAutomaticAssignTickets: boolean;
  alertNotification: AlertNotification | null;
  isAutoAssignIdleTickets: boolean;
  dayBeforeTicketsIdle: number | null;
  idleTicketAssignedTo: IUser[];
  isNotifyIdleTicket: boolean;
  keyAccess: Record<KeyName, KeyAccessLevel>;
  /** Per-instance override of the server's default rate limit. */
  rateLimit: { max: number; windowSeconds: number } | null;
  /** SLA policy: targets per priority and the working schedule they count in. */
  sla: SlaPolicy | null;
  /**
   * Policies saved over with `slaAppliesTo: "newTickets"`, oldest first: a ticket created before
   * an entry's `until` follows that entry's policy (see slaPolicyFor). Emptied by a save that
   * applies to every open ticket.
   */
  earlierSlaPolicies: EarlierSlaPolicy[];
  /** The operator's cap on the bytes of attachments the instance stores; null: no cap. */
  storageQuotaBytes: number | null;
  /** Who may change which ticket field, for people (not instance keys): see domain/permissions.ts. */
  userPermission: FieldPermission[];
  /** False: the instance's keys are refused; only people (sessions, personal tokens) get in. */
  instanceKeysEnabled: boolean;
  /** Sign-in with OpenID Connect; never shown whole (the client secret stays on the server). */
  oidc: OidcSettings | null;
}

/** A policy that stopped applying to new tickets at `until`, kept for the tickets created before. */
export interface EarlierSlaPolicy {
  until: string;
  sla: SlaPolicy | null;
}

/** How many earlier policies are kept; past it the oldest goes and its tickets follow the next one. */
export const EARLIER_SLA_POLICIES_MAX = 20;

/** The SLA policy a ticket created at `createdOn` follows: the one in force then, unless since applied to all open tickets. */
export function slaPolicyFor(settings: InstanceSettings, createdOn: string): SlaPolicy | null {
  const earlier = settings.earlierSlaPolicies.find((entry) => createdOn < entry.until);
  return earlier ? earlier.sla : settings.sla;
}

/**
 * The earlier policies after `sla` was replaced at `now`: kept with "newTickets" (bounded),
 * dropped with "openTickets" (every open ticket follows the new policy).
 */
export function earlierSlaPoliciesAfter(settings: InstanceSettings, appliesTo: 'openTickets' | 'newTickets', now: string): EarlierSlaPolicy[] {
  if (appliesTo === 'openTickets') return [];
  return [...settings.earlierSlaPolicies, { until: now, sla: settings.sla }].slice(-EARLIER_SLA_POLICIES_MAX);
}

/** The instance's OpenID Connect provider (Microsoft Entra ID, Google, Keycloak…). */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** Shown on the sign-in button: "Sign in with <displayName>". */
  displayName: string;
  /** A claim of the ID token naming the role (admin, agent, viewer; also `Something.Admin`); absent: roles are set here. */
  roleClaim: string | null;
  /** The role of a person the provider vouches for who is not a person of the instance yet; null: only people already invited may sign in. */
  defaultRole: Role | null;
}

export function defaultSettings(): InstanceSettings {
  return {
    groupId: null,
    enabled: true,
    tenantId: null,
    teamId: null,
    channelId: null,
    subscriptionId: null,
    mailAddress: null,
    customFieldsLeft: [],
    customFieldsRight: [],
    optionalFieldsLeft: [],
    optionalFieldsRight: [],
    assignees: null,
    assigneeRules: [],
    defaultRuleAssignee: [],
    isAutomaticAssignTickets: false,
    alertNotification: null,
    isAutoAssignIdleTickets: false,
    dayBeforeTicketsIdle: null,
    idleTicketAssignedTo: [],
    isNotifyIdleTicket: false,
    keyAccess: { primary: 'readWrite', secondary: 'readWrite' },
    rateLimit: null,
    sla: null,
    earlierSlaPolicies: [],
    storageQuotaBytes: null,
    userPermission: [],
    instanceKeysEnabled: true,
    oidc: null,
  };
}

export interface Instance {
  id: string;
  name: string;
  settings: InstanceSettings;
}

/** A person as the original product lists them (IPersonaProps): `text` and `secondaryText` too. */
export const presentPersona = (user: IUser) => ({ id: user.id, name: user.name, email: user.email, text: user.name, secondaryText: user.email });

/** A person written as `{ id, name, email }` or as a persona `{ id, text, secondaryText }`. */
export interface PersonaInput {
  id: string;
  name?: string;
  email?: string;
  text?: string;
  secondaryText?: string;
}

/**
 * The people of a settings list as stored (`{ id, name, email }`): a persona's `text` and
 * `secondaryText` stand for a missing name and e-mail, and must agree with them when both come.
 */
export function peopleOf(list: readonly PersonaInput[], path: string, errors: FieldErrors): IUser[] {
  return list.map((p, i) => {
    const at = `${path}/${i}`;
    const name = p.name ?? p.text;
    const email = p.email ?? p.secondaryText;
    if (p.name !== undefined && p.text !== undefined && p.name !== p.text) errors.add(`${at}/text`, 'says otherwise than name; give one of them');
    if (p.email !== undefined && p.secondaryText !== undefined && p.email !== p.secondaryText) {
      errors.add(`${at}/secondaryText`, 'says otherwise than email; give one of them');
    }
    if (name === undefined) errors.add(`${at}/name`, 'a person needs a name (or text)');
    if (email === undefined) errors.add(`${at}/email`, 'a person needs an email (or secondaryText)');
    return { id: p.id, name: name ?? '', email: email ?? '' };
  });
}

/** The wire shape of GET /instance: every field present, layout lists expanded to fields. */
export function presentInstance(
  instance: Instance,
  fields: readonly CustomFieldDefinition[],
  defaults: { rateLimitMax: number; rateLimitWindowSeconds: number },
) {
  const { settings } = instance;
  const presented = new Map(fields.map((f) => [f.id, presentCustomField(f)]));
  const expand = (ids: string[]) => ids.flatMap((id) => presented.get(id) ?? []);
  return {
    id: instance.id,
    name: instance.name,
    instanceName: instance.name,
    displayName: instance.name,
    groupId: settings.groupId,
    enabled: settings.enabled,
    tenantId: settings.tenantId,
    teamId: settings.teamId,
    channelId: settings.channelId,
    subscriptionId: settings.subscriptionId,
    mailAddress: settings.mailAddress,
    customFields: [...presented.values()],
    customFieldsLeft: expand(settings.customFieldsLeft),
    customFieldsRight: expand(settings.customFieldsRight),
    optionalFieldsLeft: expand(settings.optionalFieldsLeft),
    optionalFieldsRight: expand(settings.optionalFieldsRight),
    assignees: settings.assignees && { type: settings.assignees.type, peoples: (settings.assignees.peoples ?? []).map(presentPersona) },
    assigneeRules: settings.assigneeRules,
    defaultRuleAssignee: settings.defaultRuleAssignee,
    isAutomaticAssignTickets: settings.isAutomaticAssignTickets,
    alertNotification: settings.alertNotification,
    isAutoAssignIdleTickets: settings.isAutoAssignIdleTickets,
    dayBeforeTicketsIdle: settings.dayBeforeTicketsIdle,
    idleTicketAssignedTo: settings.idleTicketAssignedTo.map(presentPersona),
    isNotifyIdleTicket: settings.isNotifyIdleTicket,
    keyAccess: settings.keyAccess,
    rateLimit: settings.rateLimit ?? { max: defaults.rateLimitMax, windowSeconds: defaults.rateLimitWindowSeconds },
    sla: settings.sla,
    storageQuotaBytes: settings.storageQuotaBytes,
    userPermission: settings.userPermission,
    instanceKeysEnabled: settings.instanceKeysEnabled,
  };
}
