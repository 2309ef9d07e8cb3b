import { openPostgres } from './postgres/dialect.js';
import { openSqlite, type SqliteOptions } from './sqlite/dialect.js';
import { migrateToLatest } from './migrate.js';

import type { Store } from './dialect.js';

export type { ReadQuery, Store } from './dialect.js';

/** `sqlite:` URL or bare path: embedded SQLite; `postgres://` or `postgresql://`: PostgreSQL. */
export function openStore(databaseUrl: string, options: SqliteOptions & { poolSize?: number } = { synchronous: 'NORMAL' }): Store {
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    const opened = openPostgres(databaseUrl, options.poolSize);
    const url = new URL(databaseUrl);
    return { ...opened, description: `PostgreSQL ${url.host}${url.pathname}` };
  }
  const file = databaseUrl.replace(/^sqlite:(\/\/)?/i, '') || './data/ticketing.db';
  return { ...openSqlite(file, options), description: `SQLite ${file}` };
}

export async function openMigratedStore(databaseUrl: string, options?: SqliteOptions & { poolSize?: number }): Promise<Store> {
  const store = openStore(databaseUrl, options);
  try {
    await migrateToLatest(store.db, store.dialect);
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
