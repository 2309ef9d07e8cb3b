import pg from 'pg';

/**
 * A pool whose connections may drop at any time (the server restarts, an operator terminates
 * backends, the network breaks) without taking the process down. pg emits `error` on a client
 * whose connection dies; the pool listens only while the client is idle, so one checked out
 * (inside a transaction, or between a query's error and its release) would emit it unheard,
 * and an unheard `error` event ends the process. Each client gets a listener of its own: the
 * query in flight is rejected anyway, a later one fails as "not queryable", and the pool
 * discards the client when it comes back. New connections are made as needed, so the pool
 * recovers by itself when the database is back.
 */
export function openPool(connectionString: string, max: number): pg.Pool {
  const pool = new pg.Pool({ connectionString, max, connectionTimeoutMillis: 5000 });
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
}
