import { Migrator, sql, type Migration, type MigrationProvider, type MigrationResultSet } from 'kysely';
import type { StoreDialect } from './dialect.js';
import type { Db } from './schema.js';
import { initialSchema } from './migrations/001-initial.js';
import { engineSchema } from './migrations/002-engine.js';
import { filteredListSchema } from './migrations/003-filtered-lists.js';
import { ticketSearchSchema } from './migrations/004-ticket-search.js';
import { creationOrderSchema } from './migrations/005-creation-order.js';
import { up as sessionsUp } from './migrations/006-sessions.js';
import { commentSearchSchema } from './migrations/007-comment-search.js';
import { largeTicketsSchema } from './migrations/008-large-tickets.js';
import { up as rateLimitsUp } from './migrations/009-rate-limits.js';
import { ticketCountsSchema } from './migrations/010-ticket-counts.js';
import { richTextSchema } from './migrations/011-rich-text.js';
import { up as webhooksUp } from './migrations/013-webhooks.js';
import { up as attachmentsUp } from './migrations/014-attachments.js';
import { up as peopleUp } from './migrations/015-people.js';
import { ticketVersionSchema } from './migrations/016-ticket-versions.js';
import { up as cannedResponsesUp } from './migrations/017-canned-responses.js';
import { up as savedViewsUp } from './migrations/018-saved-views.js';
import { up as webhookSweepUp } from './migrations/019-webhook-sweep.js';

export async function runStatements(db: Db, statements: readonly string[]): Promise<void> {
  for (const statement of statements) await sql.raw(statement).execute(db);
}

/** Every migration by name, in order (exported for tests that start from an older schema). */
export function migrations(dialect: StoreDialect): Record<string, Migration> {
  return {
    '001-initial': { up: (db) => runStatements(db as Db, initialSchema(dialect.name)) },
    '002-engine': { up: (db) => runStatements(db as Db, engineSchema(dialect.name)) },
    '003-filtered-lists': { up: (db) => runStatements(db as Db, filteredListSchema()) },
    '004-ticket-search': { up: (db) => runStatements(db as Db, ticketSearchSchema(dialect.name)) },
    '005-creation-order': { up: (db) => runStatements(db as Db, creationOrderSchema(dialect.name)) },
    '006-sessions': { up: sessionsUp },
    '007-comment-search': { up: (db) => runStatements(db as Db, commentSearchSchema(dialect.name)) },
    '008-large-tickets': { up: (db) => runStatements(db as Db, largeTicketsSchema()) },
    '009-rate-limits': { up: rateLimitsUp },
    '010-ticket-counts': { up: (db) => runStatements(db as Db, ticketCountsSchema(dialect.name)) },
    '011-rich-text': { up: (db) => runStatements(db as Db, richTextSchema()) },
    '013-webhooks': { up: webhooksUp },
    '014-attachments': { up: attachmentsUp },
    '015-people': { up: peopleUp },
    '016-ticket-versions': { up: (db) => runStatements(db as Db, ticketVersionSchema()) },
    '017-canned-responses': { up: cannedResponsesUp },
    '018-saved-views': { up: savedViewsUp },
    '019-webhook-sweep': { up: webhookSweepUp },
  };
}

/**
 * Brings the schema up to date. Safe to run twice and from several processes at once:
 * Kysely records applied migrations, and on PostgreSQL an advisory lock makes processes queue.
 */
export async function migrateToLatest(db: Db, dialect: StoreDialect): Promise<void> {
  await migrate(db, dialect, (migrator) => migrator.migrateToLatest());
}

/**
 * Brings the schema up to the migration `name` and no further: the store as an earlier version
 * left it, for tests of what an upgrade does.
 */
export async function migrateTo(db: Db, dialect: StoreDialect, name: string): Promise<void> {
  await migrate(db, dialect, (migrator) => migrator.migrateTo(name));
}

async function migrate(db: Db, dialect: StoreDialect, run: (migrator: Migrator) => Promise<MigrationResultSet>): Promise<void> {
  const provider: MigrationProvider = { getMigrations: async () => migrations(dialect) };
  const { error, results } = await dialect.withExclusiveLock(db, (locked) => run(new Migrator({ db: locked, provider })));
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new Error(`migration ${failed ?? ''} failed: ${(error as Error).message}`, { cause: error });
  }
}
