/*
 * The help-desk engine's background cost with a large backlog of timers: how long one
 * scheduler poll takes when nothing is due, with `--jobs N` pending jobs (default 2,000,000:
 * a first-response and a resolution timer for each of 1M open tickets).
 *
 *   npx tsx bench/engine-cost.ts [--jobs N]          (SQLite, a fresh file under bench/data)
 *   DATABASE_URL=postgres://… npx tsx bench/engine-cost.ts   (a fresh database next to it)
 */
import { mkdirSync, rmSync } from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { sql } from 'kysely';
import { Scheduler } from '../src/jobs/scheduler.js';
import { openMigratedStore } from '../src/store/db.js';

const { values } = parseArgs({ options: { jobs: { type: 'string', default: '2000000' }, polls: { type: 'string', default: '2000' } } });
const jobCount = Number(values.jobs);
const polls = Number(values.polls);

async function freshDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const base = process.env.DATABASE_URL;
  if (!base) {
    mkdirSync('bench/data', { recursive: true });
    const file = `bench/data/engine-cost-${process.pid}.db`;
    return { url: `sqlite:${file}`, drop: async () => rmSync(file, { force: true }) };
  }
  const name = `ticketing_engine_cost_${process.pid}`;
  const admin = new URL(base);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  await client.query(`CREATE DATABASE "${name}"`);
  await client.end();
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: admin.toString() });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

const { url, drop } = await freshDatabase();
const store = await openMigratedStore(url);
try {
  const started = Date.now();
  // Timers spread over the next year: none due now.
  const now = Date.now();
  const batch = 5000;
  for (let offset = 0; offset < jobCount; offset += batch) {
    const rows = Array.from({ length: Math.min(batch, jobCount - offset) }, (_, i) => {
      const n = offset + i;
      return {
        instance_id: 'bench',
        ticket_seq: Math.floor(n / 2) + 1,
        kind: n % 2 ? 'sla.rt' : 'sla.frt',
        run_at: new Date(now + 60_000 + (n % 525_600) * 60_000).toISOString(),
        attempts: 0,
      };
    });
    await store.dialect.transaction(store.db, (tx) => tx.insertInto('jobs').values(rows).execute());
  }
  if (store.dialect.name === 'postgres') await sql`ANALYZE jobs`.execute(store.db);
  const seeded = (Date.now() - started) / 1000;

  const scheduler = new Scheduler({ store });
  await scheduler.runDue(); // warm up
  const cpu = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < polls; i++) await scheduler.runDue();
  const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
  const used = process.cpuUsage(cpu);
  const perPollMs = wallMs / polls;
  const cpuPerPollMs = (used.user + used.system) / 1000 / polls;
  console.log(
    JSON.stringify(
      {
        store: store.dialect.name,
        pendingJobs: jobCount,
        seedSeconds: seeded,
        polls,
        msPerPoll: Number(perPollMs.toFixed(4)),
        cpuMsPerPoll: Number(cpuPerPollMs.toFixed(4)),
        // At the default JOBS_POLL_MS=1000, the share of one core the idle scheduler uses.
        cpuShareAtDefaultPoll: `${((cpuPerPollMs / 1000) * 100).toFixed(4)}%`,
      },
      null,
      2,
    ),
  );
} finally {
  await store.close();
  await drop();
}
