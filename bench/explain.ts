// node --import tsx bench/explain.ts bench/data/<state>.json [word]
// For a store kept with `npm run bench -- --keep`: runs the hot queries of the scenarios through
// tickets.repo.ts, prints their SQL and plan (SQLite: EXPLAIN QUERY PLAN and timings, prepared and
// not; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)).
import { readFileSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import type { Store } from '../src/store/db.js';
import { parseListQuery } from '../src/domain/listing.js';
import { sqliteDialect } from '../src/store/sqlite/dialect.js';
import { postgresDialect } from '../src/store/postgres/dialect.js';
import * as repo from '../src/store/tickets.repo.js';
import type { Database as Schema } from '../src/store/schema.js';

const state = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const word = process.argv[3] ?? 'printer';
const captured: CompiledQuery[] = [];
const isPg = state.store === 'postgres';
let db: Kysely<Schema>;
let raw: Database.Database | undefined;
let pool: pg.Pool | undefined;
if (isPg) {
  pool = new pg.Pool({ connectionString: state.databaseUrl });
  db = new Kysely<Schema>({
    dialect: new PostgresDialect({ pool }),
    log: (e) => {
      if (e.level === 'query') captured.push(e.query);
    },
  });
} else {
  raw = new Database(state.databaseUrl.replace(/^sqlite:/, ''), { readonly: true });
  db = new Kysely<Schema>({
    dialect: new SqliteDialect({ database: raw }),
    log: (e) => {
      if (e.level === 'query') captured.push(e.query);
    },
  });
}
const dialect = isPg ? postgresDialect : sqliteDialect;
// The repositories read through Store.readRows; here it runs on the logged Kysely connection.
const store: Store = {
  db,
  dialect,
  description: state.databaseUrl,
  close: async () => undefined,
  readRows: async (query) =>
    (await db.executeQuery<Record<string, unknown>>(CompiledQuery.raw(query.sql, [...query.parameters]))).rows.map((row) => Object.values(row)),
};
const I = state.instanceId;
const cases: [string, () => Promise<unknown>][] = [
  ['get by number', () => repo.findTicket(db, dialect, I, { number: 123456 })],
  ['list default', () => repo.listTickets(store, I, parseListQuery({}), undefined)],
  [
    'list filtered',
    () => repo.listTickets(store, I, parseListQuery({ limit: '50', status: 'Open', priority: 'Urgent', orderBy: 'lastInteraction' }), undefined),
  ],
  [`search ${word}`, () => repo.listTickets(store, I, parseListQuery({ search: word }), undefined)],
  ['walk page 500', () => repo.listTickets(store, I, parseListQuery({ limit: '1000' }), { position: ['2024-06-01T00:00:00.000Z', 500000], inclusive: false })],
];
for (const [name, run] of cases) {
  captured.length = 0;
  const t = performance.now();
  await run();
  const ms = performance.now() - t;
  const q = captured[0]!;
  console.log(`\n=== ${name}: ${ms.toFixed(1)} ms\n${q.sql}\n-- params ${JSON.stringify(q.parameters).slice(0, 200)}`);
  if (raw) {
    for (const r of raw.prepare(`EXPLAIN QUERY PLAN ${q.sql}`).all(...(q.parameters as unknown[])) as { id: number; parent: number; detail: string }[])
      console.log(`   ${r.parent}/${r.id} ${r.detail}`);
    const stmt = raw.prepare(q.sql);
    const t2 = performance.now();
    for (let i = 0; i < 20; i++) stmt.all(...(q.parameters as unknown[]));
    console.log(`   prepared, 20 runs: ${((performance.now() - t2) / 20).toFixed(2)} ms each`);
    const t3 = performance.now();
    for (let i = 0; i < 200; i++) raw.prepare(q.sql);
    console.log(`   prepare only: ${(((performance.now() - t3) / 200) * 1000).toFixed(0)} µs`);
  } else {
    const plan = await pool!.query(`EXPLAIN (ANALYZE, BUFFERS) ${q.sql}`, q.parameters as unknown[]);
    for (const r of plan.rows) console.log(`   ${r['QUERY PLAN']}`);
  }
}
await db.destroy();
