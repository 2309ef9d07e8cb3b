import type { AssignmentRule } from './assignment.js';
import type { CustomFieldDefinition } from './custom-fields.js';
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
  /** Who may change which ticket field, for people (not instance keys): see domain/permissions.ts. */
  userPermission: FieldPermission[];
  /** False: the instance's keys are refused; only people (sessions, personal tokens) get in. */
  instanceKeysEnabled: boolean;
  /** Sign-in with OpenID Connect; never shown whole (the client secret stays on the server). */
  oidc: OidcSettings | null;
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

/** The wire shape of GET /instance: every field present, layout lists expanded to fields. */
export function presentInstance(
  instance: Instance,
  fields: readonly CustomFieldDefinition[],
  defaults: { rateLimitMax: number; rateLimitWindowSeconds: number },
) {
  const { settings } = instance;
  const expand = (ids: string[]) => ids.flatMap((id) => fields.filter((f) => f.id === id));
  return {
    id: instance.id,
    name: instance.name,
    groupId: settings.groupId,
    enabled: settings.enabled,
    tenantId: settings.tenantId,
    teamId: settings.teamId,
    channelId: settings.channelId,
    subscriptionId: settings.subscriptionId,
    mailAddress: settings.mailAddress,
    customFields: [...fields],
    customFieldsLeft: expand(settings.customFieldsLeft),
    customFieldsRight: expand(settings.customFieldsRight),
    optionalFieldsLeft: expand(settings.optionalFieldsLeft),
    optionalFieldsRight: expand(settings.optionalFieldsRight),
    assignees: settings.assignees,
    assigneeRules: settings.assigneeRules,
    defaultRuleAssignee: settings.defaultRuleAssignee,
    isAutomaticAssignTickets: settings.isAutomaticAssignTickets,
    alertNotification: settings.alertNotification,
    isAutoAssignIdleTickets: settings.isAutoAssignIdleTickets,
    dayBeforeTicketsIdle: settings.dayBeforeTicketsIdle,
    idleTicketAssignedTo: settings.idleTicketAssignedTo,
    isNotifyIdleTicket: settings.isNotifyIdleTicket,
    keyAccess: settings.keyAccess,
    rateLimit: settings.rateLimit ?? { max: defaults.rateLimitMax, windowSeconds: defaults.rateLimitWindowSeconds },
    sla: settings.sla,
    userPermission: settings.userPermission,
    instanceKeysEnabled: settings.instanceKeysEnabled,
  };
}
