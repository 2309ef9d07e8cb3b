import { roleAllows, type Role } from './people.js';

/*
 * What a person's role lets them do, route by route (docs/api.md §14). Instance keys are not
 * people: they keep the reference's behaviour (their own read-only / read-write access), so
 * none of this applies to them.
 */

const READS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Reads only admins may make: who is signed in, sign-in settings, webhook targets (their URLs may hold secrets). */
const ADMIN_READS = ['/instance/sessions', '/instance/oidc', '/instance/webhooks'];

/**
 * Routes every signed-in person may call whatever their role, because the route itself decides
 * (a person manages their own tokens; an admin anyone's).
 */
const SELF_SERVICE = new Set(['/instance/users/:id/tokens', '/instance/users/:id/tokens/:tokenId']);

const CANNED_RESPONSES = '/instance/canned-responses';

/** Everyone keeps their own views; the service decides who changes the shared ones (admins). */
const VIEWS = '/instance/views';

const under = (route: string, prefix: string) => route === prefix || route.startsWith(`${prefix}/`);

/**
 * The least role a person needs to call `method` on `route` (the route's pattern below
 * /api/v1, e.g. `/tickets/:ticketId/status`): reading needs any role; working tickets (every
 * write under /tickets) an agent; every other write (settings, keys, tags, custom fields,
 * people, webhooks) an admin.
 */
export function requiredRole(method: string, route: string): Role {
  if (SELF_SERVICE.has(route) || under(route, VIEWS)) return 'viewer';
  // Canned responses are what agents answer tickets with: they read and fill them in (render
  // writes nothing); viewers, who cannot comment, have no use for them; admins write them.
  if (under(route, CANNED_RESPONSES)) return READS.has(method.toUpperCase()) || route.endsWith('/render') ? 'agent' : 'admin';
  if (READS.has(method.toUpperCase())) return ADMIN_READS.some((prefix) => under(route, prefix)) ? 'admin' : 'viewer';
  return under(route, '/tickets') ? 'agent' : 'admin';
}

/** Whether a person with `role` may call `method` on `route`. */
export const mayCall = (role: Role, method: string, route: string): boolean => roleAllows(role, requiredRole(method, route));

/*
 * The instance's `userPermission`, in the original product's shape: one entry per ticket field
 * (`title`, `description`, `assignee`, `expectedDate`, `priority`, `requestor`, `tags` or a
 * custom field's id) saying who may change it:
 *   1_allCanEdit          anyone who may work tickets
 *   3_assigneeCannotEdit  not the ticket's assignee
 *   4_requestorCannotEdit not the ticket's requestor
 * Admins may always. Applies to people (sessions and personal tokens), not to instance keys.
 */
export const EDIT_RULES = ['allCanEdit', 'assigneeCannotEdit', 'requestorCannotEdit'] as const;
export type EditRule = (typeof EDIT_RULES)[number];
export const EDIT_RULE_KEYS: Record<EditRule, string> = {
  allCanEdit: '1_allCanEdit',
  assigneeCannotEdit: '3_assigneeCannotEdit',
  requestorCannotEdit: '4_requestorCannotEdit',
};

export interface FieldPermission {
  /** A ticket field name or a custom field id. */
  key: string;
  /** `1_allCanEdit`, `3_assigneeCannotEdit` or `4_requestorCannotEdit` (the number may be left out). */
  selectedKey: string;
}

/** The rule a selectedKey names: `3_assigneeCannotEdit` and `assigneeCannotEdit` alike; undefined if none. */
export function parseEditRule(selectedKey: string): EditRule | undefined {
  const name = selectedKey.trim().replace(/^\d+_/, '');
  return EDIT_RULES.find((rule) => rule.toLowerCase() === name.toLowerCase());
}

/** Who is editing a ticket, relative to it. */
export interface TicketEditor {
  role: Role;
  isAssignee: boolean;
  isRequestor: boolean;
}

/**
 * The changed fields this editor may not change under the instance's rules (empty: all
 * allowed). `fields` are field names as activities record them (`customFields.<id>` for a
 * custom field).
 */
export function fieldsRefused(permissions: readonly FieldPermission[], fields: readonly string[], editor: TicketEditor): string[] {
  if (editor.role === 'admin' || permissions.length === 0) return [];
  return fields.filter((field) => {
    // A custom field's change is named `customFields.<id>`; a change of formatting alone, `description_HTML`.
    const key = field.startsWith('customFields.') ? field.slice('customFields.'.length) : field.replace(/_HTML$/, '');
    const entry = permissions.find((p) => p.key === key);
    const rule = entry ? parseEditRule(entry.selectedKey) : undefined;
    if (rule === 'assigneeCannotEdit') return editor.isAssignee;
    if (rule === 'requestorCannotEdit') return editor.isRequestor;
    return false;
  });
}
