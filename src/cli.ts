import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import type { KeyName } from './domain/instance.js';
import { DomainError } from './domain/errors.js';
import type { SettingsPatch } from './contract/settings.schema.js';
import { InstancesService } from './services/instances.service.js';
import { PeopleService, type IssuedLink } from './services/people.service.js';
import { ROLES, type Role } from './domain/people.js';
import { openMigratedStore } from './store/db.js';

const USAGE = `Usage: ticketing <command> [options]   (npm run -s cli -- <command> [options])

Commands:
  instance create --name NAME [--admin-email EMAIL [--admin-name NAME]] [--json]
                                           create an instance; prints its two keys once and,
                                           with --admin-email, its first admin's invitation link
  instance invite --instance ID --email EMAIL [--name NAME] [--role admin|agent|viewer] [--json]
                                           a link to sign in to the web app: an invitation for a
                                           new person (role admin unless given), or a password
                                           reset for someone already there
  instance list [--json]                   list instances
  instance keys regenerate --instance ID --which primary|secondary [--json]
                                           replace one key; the other keeps working;
                                           web sessions made with the old key end
  instance update --instance ID [--enabled true|false] [--rate-limit MAX[/WINDOW_SECONDS]|default]
                  [--storage-quota BYTES|none] [--name NAME] [--json]
                                           operator settings: a disabled instance's keys and
                                           sessions get 403; the rate limit's window defaults
                                           to RATE_LIMIT_WINDOW_SECONDS, "default" removes the
                                           instance's own limit; the storage quota caps its
                                           attachments (507 beyond): bytes or 500MB, 2GiB…,
                                           "none" removes it

Uses DATABASE_URL like the server (default sqlite:./data/ticketing.db) and works while the
server runs; a running server sees a changed instance within 2 seconds (its key cache).
Links start with PUBLIC_URL (default http://localhost:PORT).`;

class UsageError extends Error {}

/** The settings `instance update` changes; bad values are usage errors, found before the store is opened. */
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };

/** `--storage-quota`: bytes, with an optional unit (500MB, 2GiB), or "none". */
function storageQuota(value: string): number | null {
  if (value === 'none') return null;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  const factor = BYTE_UNITS[(match?.[2] || 'b').toLowerCase()];
  const bytes = match && factor ? Math.round(Number(match[1]) * factor) : NaN;
  if (!Number.isSafeInteger(bytes)) throw new UsageError('--storage-quota must be bytes (1073741824), bytes with a unit (500MB, 2GiB) or none');
  return bytes;
}

function operatorPatch(
  values: { name?: string; enabled?: string; 'rate-limit'?: string; 'storage-quota'?: string },
  defaultWindowSeconds: number,
): SettingsPatch {
  const patch: SettingsPatch = {};
  if (values.name !== undefined) {
    if (!values.name.trim()) throw new UsageError('--name must not be blank');
    patch.name = values.name.trim();
  }
  if (values.enabled !== undefined) {
    if (values.enabled !== 'true' && values.enabled !== 'false') throw new UsageError('--enabled must be true or false');
    patch.enabled = values.enabled === 'true';
  }
  const limit = values['rate-limit'];
  if (limit !== undefined) {
    if (limit === 'default') {
      patch.rateLimit = null;
    } else {
      const match = /^(\d+)(?:\/(\d+))?$/.exec(limit);
      const max = Number(match?.[1]);
      const windowSeconds = match?.[2] === undefined ? defaultWindowSeconds : Number(match[2]);
      // The same bounds as the operator API's schema.
      if (!match || max < 1 || max > 1_000_000_000 || windowSeconds < 1 || windowSeconds > 86_400) {
        throw new UsageError('--rate-limit must be MAX or MAX/WINDOW_SECONDS (MAX 1 to 1000000000, WINDOW_SECONDS 1 to 86400), or default');
      }
      patch.rateLimit = { max, windowSeconds };
    }
  }
  if (values['storage-quota'] !== undefined) patch.storageQuotaBytes = storageQuota(values['storage-quota']);
  if (Object.keys(patch).length === 0) throw new UsageError('instance update needs --enabled, --rate-limit, --storage-quota or --name');
  return patch;
}

async function run(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      instance: { type: 'string' },
      which: { type: 'string' },
      enabled: { type: 'string' },
      'rate-limit': { type: 'string' },
      'storage-quota': { type: 'string' },
      'admin-email': { type: 'string' },
      'admin-name': { type: 'string' },
      email: { type: 'string' },
      role: { type: 'string' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const command = positionals.join(' ');
  if (values.help || command === '' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const config = loadConfig();
  const updatePatch = command === 'instance update' ? operatorPatch(values, config.rateLimitWindowSeconds) : undefined;
  const store = await openMigratedStore(config.databaseUrl, { synchronous: config.sqliteSynchronous, poolSize: 2 });
  const instances = new InstancesService({
    store,
    defaults: { rateLimitMax: config.rateLimitMax, rateLimitWindowSeconds: config.rateLimitWindowSeconds },
  });
  const people = new PeopleService({ store });
  const print = (json: unknown, text: string) => process.stdout.write(`${values.json ? JSON.stringify(json) : text}\n`);
  const base = (config.publicUrl ?? `http://localhost:${config.port}`).replace(/\/+$/, '');
  const urlOf = (link: IssuedLink) => `${base}/${link.purpose === 'invitation' ? 'invitation' : 'password-reset'}#${link.token}`;
  const email = (value: string | undefined, option: string) => {
    if (value === undefined) return undefined;
    if (!/^[^@\s]+@[^@\s]+$/.test(value.trim()) || value.length > 254) throw new UsageError(`${option} must be an e-mail address`);
    return value.trim();
  };
  try {
    switch (command) {
      case 'instance create': {
        const name = values.name?.trim();
        if (!name) throw new UsageError('instance create needs --name NAME');
        const adminEmail = email(values['admin-email'], '--admin-email');
        const admin = adminEmail ? { email: adminEmail, ...(values['admin-name']?.trim() ? { name: values['admin-name'].trim() } : {}) } : undefined;
        const created = await people.createInstance(instances, { name, patch: {} }, admin);
        const { instance, primaryKey, secondaryKey } = created;
        const invitation = created.admin ? urlOf(created.admin.invitation) : undefined;
        print(
          {
            id: instance.id,
            name: instance.name,
            primaryKey,
            secondaryKey,
            ...(invitation ? { admin: { email: adminEmail, invitationUrl: invitation } } : {}),
          },
          `Created instance "${instance.name}" (${instance.id}). Its keys are shown only now:\n  primary key:   ${primaryKey}\n  secondary key: ${secondaryKey}` +
            (invitation ? `\n\nIts first admin, ${adminEmail}, sets a password with this link (valid 7 days, once):\n  ${invitation}` : ''),
        );
        break;
      }
      case 'instance invite': {
        if (!values.instance) throw new UsageError('instance invite needs --instance ID');
        const address = email(values.email, '--email');
        if (!address) throw new UsageError('instance invite needs --email EMAIL');
        if (values.role !== undefined && !(ROLES as readonly string[]).includes(values.role)) throw new UsageError('--role must be admin, agent or viewer');
        const role = (values.role ?? 'admin') as Role;
        const { person, link, created } = await people.linkForEmail(values.instance, { email: address, ...(values.name ? { name: values.name } : {}), role });
        const url = urlOf(link);
        print(
          { id: person.id, email: person.email, role: person.role, purpose: link.purpose, url, expiresOn: link.expiresOn },
          `${created ? `Added ${person.email} as ${person.role}.` : `${person.email} is a person of the instance (${person.role}).`} ${link.purpose === 'invitation' ? 'Invitation' : 'Password reset'} link (once, until ${link.expiresOn}):\n  ${url}`,
        );
        break;
      }
      case 'instance list': {
        const list = await instances.list();
        const rows = list.map((i) => ({ id: i.id, name: i.name, enabled: i.enabled }));
        print(rows, rows.length === 0 ? 'No instances.' : rows.map((r) => `${r.id}  ${r.name}${r.enabled ? '' : '  (disabled)'}`).join('\n'));
        break;
      }
      case 'instance keys regenerate': {
        const which = values.which;
        if (!values.instance) throw new UsageError('instance keys regenerate needs --instance ID');
        if (which !== 'primary' && which !== 'secondary') throw new UsageError('--which must be primary or secondary');
        const key = await instances.regenerateKey(values.instance, which as KeyName);
        print({ id: values.instance, which, key }, `New ${which} key of ${values.instance} (shown only now):\n  ${key}`);
        break;
      }
      case 'instance update': {
        if (!values.instance || !updatePatch) throw new UsageError('instance update needs --instance ID');
        const item = await instances.updateSettings(values.instance, updatePatch);
        const state = {
          id: item.id,
          name: item.name,
          enabled: item.enabled,
          rateLimit: item.rateLimit,
          storageQuotaBytes: item.storageQuotaBytes,
          storageUsedBytes: item.storageUsedBytes,
        };
        const storage = `${item.storageUsedBytes} bytes of attachments${item.storageQuotaBytes === null ? '' : ` of a ${item.storageQuotaBytes}-byte quota`}`;
        print(
          state,
          `Updated instance "${item.name}" (${item.id}): ${item.enabled ? 'enabled' : 'disabled'}, ${item.rateLimit.max} requests per ${item.rateLimit.windowSeconds} s, ${storage}`,
        );
        break;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    await store.close();
  }
}

run(process.argv.slice(2)).catch((error: unknown) => {
  if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  if (error instanceof ConfigError || error instanceof DomainError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
