import { existsSync, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openMigratedStore, type Store } from '../src/store/db.js';
import { startCheckpointer } from '../src/store/sqlite/sqlite-checkpointer.js';
import { DIALECTS, postgresUrl } from './helpers.js';

/*
 * Store transactions as the services use them, many at once. On SQLite, transactions that
 * arrive together commit as one group (docs/decisions/009-group-commit.md); on PostgreSQL they
 * are ordinary concurrent transactions. Either way each one must stand alone: one that fails
 * leaves nothing behind, and a transaction is answered only once what it wrote is committed.
 */

for (const { name, skip } of DIALECTS) {
  describe.skipIf(skip)(`transactions (${name})`, () => {
    let store: Store;
    const table = `tx_probe_${process.pid}`;

    beforeAll(async () => {
      const url = name === 'sqlite' ? `sqlite:${join(mkdtempSync(join(tmpdir(), 'ticketing-tx-')), 'tx.db')}` : postgresUrl!;
      store = await openMigratedStore(url, { synchronous: 'NORMAL', poolSize: 8 });
      await sql.raw(`CREATE TABLE ${table} (label TEXT NOT NULL)`).execute(store.db);
    });
    afterAll(async () => {
      await sql.raw(`DROP TABLE IF EXISTS ${table}`).execute(store.db);
      await store.close();
    });

    const labels = async () => (await store.readRows({ sql: `SELECT label FROM ${table} ORDER BY label`, parameters: [] })).map((row) => String(row[0]));
    const insert = (tx: Parameters<Parameters<Store['dialect']['transaction']>[1]>[0], label: string) =>
      sql`INSERT INTO ${sql.table(table)} (label) VALUES (${label})`.execute(tx);

    it('keeps each of many concurrent transactions apart: the failing ones leave nothing, the rest commit', async () => {
      const outcomes = await Promise.allSettled(
        Array.from({ length: 30 }, (_, i) =>
          store.dialect.transaction(store.db, async (tx) => {
            const label = `t${String(i).padStart(2, '0')}`;
            await insert(tx, `${label}-a`);
            if (i % 7 === 3) throw new Error(`transaction ${i} fails after writing`);
            await insert(tx, `${label}-b`);
            return label;
          }),
        ),
      );
      const failed = outcomes.flatMap((o, i) => (o.status === 'rejected' ? [i] : []));
      expect(failed).toEqual([3, 10, 17, 24]);
      expect((outcomes[3] as PromiseRejectedResult).reason.message).toBe('transaction 3 fails after writing');
      const expected = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [`${o.value}-a`, `${o.value}-b`] : []));
      expect(await labels()).toEqual(expected);
    });

    it('answers a transaction only once its writes are committed (visible to a new reader)', async () => {
      const seenAtAnswer = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          store.dialect.transaction(store.db, (tx) => insert(tx, `visible-${i}`)).then(async () => (await labels()).includes(`visible-${i}`)),
        ),
      );
      expect(seenAtAnswer).toEqual(Array(10).fill(true));
    });

    // Only SQLite keeps counts under a change stamp (PostgreSQL counts on every listing).
    if (name === 'sqlite')
      it('raises the change stamp for a transaction that wrote, and only for one that did (kept counts)', async () => {
        const stamp = () => store.changeStamp!();
        const before = stamp();
        // What the scheduler's poll does when no job is due: a read in a transaction.
        await store.dialect.transaction(store.db, (tx) => sql`SELECT count(*) FROM ${sql.table(table)}`.execute(tx));
        expect(stamp()).toBe(before);
        let during = -1;
        await store.dialect.transaction(store.db, async (tx) => {
          await insert(tx, 'stamped');
          during = stamp();
        });
        expect(during).toBeGreaterThan(before);
        // The commit raises it again: a count made between the write and its commit saw neither.
        expect(stamp()).toBeGreaterThan(during);
        const committed = stamp();
        await store.dialect.transaction(store.db, (tx) => sql`SELECT 1`.execute(tx));
        expect(stamp()).toBe(committed);
        await expect(
          store.dialect.transaction(store.db, async (tx) => {
            await insert(tx, 'rolled back');
            throw new Error('fails after writing');
          }),
        ).rejects.toThrow('fails after writing');
        expect(stamp()).toBeGreaterThan(committed);
      });
  });
}

describe('reads on an in-memory SQLite database', () => {
  it('go through the writer connection, which is the only one that sees the data', async () => {
    const store = await openMigratedStore('sqlite::memory:', { synchronous: 'NORMAL' });
    try {
      await sql`CREATE TABLE memory_probe (label TEXT NOT NULL)`.execute(store.db);
      await store.dialect.transaction(store.db, (tx) => sql`INSERT INTO memory_probe (label) VALUES ('kept')`.execute(tx));
      expect(await store.readRows({ sql: 'SELECT label, 7 FROM memory_probe', parameters: [] })).toEqual([['kept', 7]]);
    } finally {
      await store.close();
    }
  });
});

describe('SQLite checkpoints off the event loop', () => {
  it('keeps the WAL from growing without bound under writes that never pause, and loses nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ticketing-wal-'));
    const file = join(dir, 'wal.db');
    const store = await openMigratedStore(`sqlite:${file}`);
    try {
      await sql.raw('CREATE TABLE wal_probe (n INTEGER NOT NULL, body TEXT NOT NULL)').execute(store.db);
      const body = 'x'.repeat(3_500); // about a page per row
      // 72,000 rows ≈ 280 MB of pages through the WAL, in groups of 40 transactions, back to back.
      for (let round = 0; round < 1_800; round++) {
        await Promise.all(
          Array.from({ length: 40 }, (_, i) =>
            store.dialect.transaction(store.db, (tx) => sql`INSERT INTO wal_probe (n, body) VALUES (${round * 40 + i}, ${body})`.execute(tx)),
          ),
        );
      }
      // The automatic checkpoint is off; the worker's checkpoints and the writer's restarts keep
      // the WAL to what is written in a few checkpoint intervals (42–69 MB here, idle or beside
      // busy processes), not the 280 MB written. (This also holds the committer to one group per
      // event-loop turn: chaining groups without yielding kept the worker's messages from the
      // writer, and the WAL grew to 161 MB of 140. And the worker pauses while the writer
      // restarts: the writer's checkpoint kept finding the worker's running, 110–148 MB.)
      expect(statSync(`${file}-wal`).size).toBeLessThan(120 * 1024 * 1024);
      const [[count]] = (await store.readRows({ sql: 'SELECT count(*) FROM wal_probe', parameters: [] })) as [[number]];
      expect(count).toBe(72_000);
    } finally {
      await store.close();
    }
    // Closing checkpoints everything into the database file and removes the WAL.
    expect(existsSync(`${file}-wal`)).toBe(false);
  });
});

describe('SQLite checkpoint worker failing', () => {
  it('reports the failure, so that the writer takes automatic checkpoints back', async () => {
    const reasons: string[] = [];
    // A database the worker cannot open: it fails as it starts.
    const checkpointer = startCheckpointer(join(tmpdir(), `no-such-dir-${process.pid}`, 'missing.db'), {
      onRestartWanted: () => undefined,
      onFailure: (reason) => reasons.push(reason),
    });
    await expect.poll(() => reasons.length, { timeout: 10_000 }).toBe(1);
    expect(reasons[0]).toMatch(/exited with|unable to open|does not exist/i);
    await checkpointer.close();
    expect(reasons).toHaveLength(1);
  });
});
