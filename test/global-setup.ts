import { execFileSync } from 'node:child_process';
import { databaseName, onMaintenanceDatabase } from './pg-admin.js';
import type { TestProject } from 'vitest/node';
import { openMigratedStore } from '../src/store/db.js';

/*
 * Prepares the PostgreSQL half of the suite: a fresh database of its own for this run (so runs
 * in parallel don't disturb each other), migrated once and dropped at the end. Without a
 * reachable PostgreSQL the SQLite half still runs and this says loudly that PostgreSQL was
 * skipped, unless REQUIRE_POSTGRES=1 (as in CI), where that is a failure. TEST_POSTGRES=off runs
 * the SQLite half alone on purpose (CI's second pass, on Node 24), and says so.
 */
const DEFAULT_URL = 'postgres://postgres@127.0.0.1:5432/ticketing_test';

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string | null;
  }
}

const recreateDatabase = (url: string) =>
  onMaintenanceDatabase(url, `DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`, `CREATE DATABASE "${databaseName(url)}"`);
const dropDatabase = (url: string) => onMaintenanceDatabase(url, `DROP DATABASE IF EXISTS "${databaseName(url)}" WITH (FORCE)`);

export default async function setup(project: TestProject) {
  // The end-to-end tests start the server as `npm start` does: the bundle of the current sources.
  // (Not again in a run that test/test-setup.test.ts starts inside another: that one built it.)
  if (process.env.TEST_SERVER_BUILT !== '1') execFileSync(process.execPath, ['scripts/build-server.mjs'], { stdio: 'inherit' });
  if (process.env.TEST_POSTGRES === 'off') {
    // Asked for (CI's second pass, on Node 24: the PostgreSQL half ran in the first pass).
    if (process.env.REQUIRE_POSTGRES === '1') throw new Error('TEST_POSTGRES=off contradicts REQUIRE_POSTGRES=1');
    project.provide('postgresUrl', null);
    process.stdout.write('\n[test] *** PostgreSQL not run in this pass (TEST_POSTGRES=off). Only the SQLite suite runs. ***\n');
    return;
  }
  const base = new URL(process.env.TEST_DATABASE_URL ?? DEFAULT_URL);
  base.pathname = `${base.pathname}_${process.pid}`;
  const url = base.toString();
  const required = process.env.REQUIRE_POSTGRES === '1';
  try {
    await recreateDatabase(url);
    const store = await openMigratedStore(url);
    await store.close();
    project.provide('postgresUrl', url);
    process.stdout.write(`\n[test] PostgreSQL: running against ${base.host}${base.pathname}\n`);
    return async () => {
      await dropDatabase(url).catch(() => undefined);
    };
  } catch (error) {
    if (required) throw new Error(`REQUIRE_POSTGRES=1 but PostgreSQL at ${url} is not usable: ${(error as Error).message}`);
    project.provide('postgresUrl', null);
    process.stdout.write(
      `\n[test] *** PostgreSQL SKIPPED: ${url} is not reachable (${(error as Error).message}). Only the SQLite suite runs. ***\n` +
        '[test] Set TEST_DATABASE_URL to a PostgreSQL database, or REQUIRE_POSTGRES=1 to make this a failure.\n',
    );
  }
}
