import pg from 'pg';

/** Runs statements on the maintenance database of the server `url` points at (CREATE/DROP DATABASE). */
export async function onMaintenanceDatabase(url: string, ...statements: string[]): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString(), connectionTimeoutMillis: 3000 });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

export const databaseName = (url: string): string => new URL(url).pathname.slice(1);
