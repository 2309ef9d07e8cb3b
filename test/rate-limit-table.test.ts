import { sql } from 'kysely';
import { afterEach, describe, expect, it } from 'vitest';
import { openMigratedStore, openStore, type Store } from '../src/store/db.js';
import { migrateTo } from '../src/store/migrate.js';
import { dropPostgresDatabase, freshPostgresDatabase } from './e2e/server-process.js';
import { postgresUrl } from './helpers.js';

/*
 * The rate limiter's counter table belongs to the store's migrations (009), not to the rate
 * limiter: it is there, UNLOGGED, as soon as the store is migrated, and a logged table made by
 * an earlier version becomes UNLOGGED on upgrade, its counts kept.
 */
describe.skipIf(!postgresUrl)('rate-limit counter table (postgres)', () => {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  });

  async function migratedStore(url: string): Promise<Store> {
    const store = await openMigratedStore(url, { synchronous: 'NORMAL', poolSize: 2 });
    cleanups.push(() => store.close());
    return store;
  }

  async function freshDatabase(): Promise<string> {
    const url = await freshPostgresDatabase(postgresUrl!, 'ticketing_rl');
    cleanups.push(() => dropPostgresDatabase(url));
    return url;
  }

  const persistence = async (store: Store) =>
    (await sql<{ relpersistence: string }>`SELECT relpersistence FROM pg_class WHERE oid = to_regclass('rate_limits')`.execute(store.db)).rows[0]
      ?.relpersistence;

  it('exists, UNLOGGED, once the store is migrated, before any rate limiter runs', async () => {
    const store = await migratedStore(await freshDatabase());
    expect(await persistence(store)).toBe('u');
    await sql`INSERT INTO rate_limits (key, points, expire) VALUES ('rl:probe', 1, NULL)`.execute(store.db);
  });

  it('turns the logged table of an earlier version UNLOGGED on upgrade, keeping its counts', async () => {
    const url = await freshDatabase();
    // The state an earlier version left: the migrations before 009, and a logged table its rate limiter made.
    const before = openStore(url, { synchronous: 'NORMAL', poolSize: 2 });
    cleanups.push(() => before.close());
    await migrateTo(before.db, before.dialect, '008-large-tickets');
    await sql`CREATE TABLE rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(before.db);
    await sql`INSERT INTO rate_limits (key, points, expire) VALUES ('rl:instance:100:60:x', 7, 9999999999999)`.execute(before.db);
    expect(await persistence(before)).toBe('p');

    const after = await migratedStore(url);
    expect(await persistence(after)).toBe('u');
    expect((await sql<{ points: number }>`SELECT points FROM rate_limits`.execute(after.db)).rows).toEqual([{ points: 7 }]);
  });
});
