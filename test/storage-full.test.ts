import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, postgresUrl, requestor, type Client, type TestApp } from './helpers.js';
import { dropPostgresDatabase, freshPostgresDatabase } from './e2e/server-process.js';
import { onMaintenanceDatabase } from './pg-admin.js';

/*
 * A full disk, made real on each store: SQLite's writer connection limited to the pages the
 * file already has (PRAGMA max_page_count: SQLite then fails as on a full disk, SQLITE_FULL);
 * PostgreSQL's tickets table on a tablespace on a tiny tmpfs that the test fills (53100
 * disk_full from the server's own "could not extend file"). Mounting needs root; where the
 * test cannot mount, a trigger raises the same SQLSTATE instead (the test's name says which).
 * A write that does not fit answers 507 insufficient_storage, leaves nothing behind, and the
 * same write succeeds once there is room again.
 */

interface FullDisk {
  how: string;
  fill(): Promise<void>;
  free(): Promise<void>;
  close(): Promise<void>;
}

/** SQLite: no page beyond those in the file now (the writer is Kysely's one connection). */
function sqliteFullDisk(t: TestApp): FullDisk {
  return {
    how: 'max_page_count',
    async fill() {
      const { rows } = await sql<{ page_count: number }>`PRAGMA page_count`.execute(t.store.db);
      await sql.raw(`PRAGMA max_page_count = ${rows[0]!.page_count}`).execute(t.store.db);
    },
    async free() {
      await sql.raw('PRAGMA max_page_count = 1073741823').execute(t.store.db);
    },
    close: async () => undefined,
  };
}

const admin = async <T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> => {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
};

/** PostgreSQL: tickets (and their TOAST) on a 1 MiB tmpfs; filling it is writing a file into it. */
async function postgresFullDisk(databaseUrl: string): Promise<FullDisk> {
  const tablespace = `ticketing_full_${process.pid}_${Date.now()}`;
  const dir = mkdtempSync(join(tmpdir(), 'ticketing-full-'));
  let mounted = false;
  try {
    const uid = execFileSync('id', ['-u', 'postgres']).toString().trim();
    const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=1m,uid=${uid},gid=${gid},mode=0700`, 'tmpfs', dir], { stdio: 'ignore' });
    mounted = true;
    await admin(databaseUrl, async (c) => {
      await c.query(`CREATE TABLESPACE "${tablespace}" LOCATION '${dir}'`);
      await c.query(`ALTER TABLE tickets SET TABLESPACE "${tablespace}"`);
    });
  } catch {
    // Not root, or PostgreSQL is not on this host: the same SQLSTATE, raised by the server.
    if (mounted) execFileSync('umount', [dir]);
    rmSync(dir, { recursive: true, force: true });
    await admin(databaseUrl, (c) =>
      c.query(`CREATE FUNCTION disk_is_full() RETURNS trigger LANGUAGE plpgsql AS $$
                 BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = 'disk_full'; END $$`),
    );
    return {
      how: 'a trigger raising disk_full (no tmpfs here)',
      fill: () =>
        admin(databaseUrl, (c) => c.query('CREATE TRIGGER disk_is_full BEFORE INSERT ON tickets FOR EACH ROW EXECUTE FUNCTION disk_is_full()')).then(
          () => undefined,
        ),
      free: () => admin(databaseUrl, (c) => c.query('DROP TRIGGER disk_is_full ON tickets')).then(() => undefined),
      close: async () => undefined,
    };
  }
  const filler = join(dir, 'filler');
  return {
    how: 'a tablespace on a full tmpfs',
    async fill() {
      // Everything the tmpfs has left, so the next page PostgreSQL adds to tickets has no room.
      const free = Number(execFileSync('df', ['--output=avail', '-B1', dir]).toString().trim().split('\n').pop());
      writeFileSync(filler, Buffer.alloc(free));
    },
    async free() {
      rmSync(filler, { force: true });
    },
    async close() {
      await dropPostgresDatabase(databaseUrl);
      await onMaintenanceDatabase(databaseUrl, `DROP TABLESPACE IF EXISTS "${tablespace}"`);
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Rows of the instance, to show a refused write left nothing behind. */
async function rowCounts(t: TestApp, instanceId: string) {
  const count = async (table: 'tickets' | 'activities' | 'events' | 'jobs') =>
    Number(
      (
        await t.store.db
          .selectFrom(table)
          .select((eb) => eb.fn.countAll().as('n'))
          .where('instance_id', '=', instanceId)
          .executeTakeFirstOrThrow()
      ).n,
    );
  const instance = await t.store.db.selectFrom('instances').select('last_ticket_number').where('id', '=', instanceId).executeTakeFirstOrThrow();
  return {
    tickets: await count('tickets'),
    activities: await count('activities'),
    events: await count('events'),
    jobs: await count('jobs'),
    lastTicketNumber: Number(instance.last_ticket_number),
  };
}

for (const dialect of DIALECTS) {
  describe.skipIf(dialect.skip)(`a full disk (${dialect.name})`, () => {
    let t: TestApp;
    let disk: FullDisk;
    let databaseUrl: string | undefined;
    let api: Client;
    let instanceId: string;

    beforeAll(async () => {
      if (dialect.name === 'postgres') {
        // A database of its own: its tickets table moves to the tiny tablespace.
        databaseUrl = await freshPostgresDatabase(postgresUrl!, 'ticketing_full');
        t = await createTestApp('postgres', { databaseUrl });
        disk = await postgresFullDisk(databaseUrl);
      } else {
        t = await createTestApp('sqlite');
        disk = sqliteFullDisk(t);
      }
      ({ api, id: instanceId } = await createInstance(t.app));
    });
    afterAll(async () => {
      await t?.close();
      await disk?.close();
      if (databaseUrl) await dropPostgresDatabase(databaseUrl).catch(() => undefined);
    });

    it('answers 507 insufficient_storage to a create that does not fit, keeps nothing of it, and creates it once there is room', async () => {
      const first = await createTicket(api, { title: 'before the disk filled' });
      // Random text does not compress: the ticket needs new pages, wherever its text is kept.
      const description = randomBytes(72 * 1024).toString('base64'); // 98,304 characters: under the description limit
      const before = await rowCounts(t, instanceId);

      await disk.fill();
      const refused = await api.post('/tickets', { ticket: { title: 'does not fit', description, requestor }, user: requestor });
      expect(refused.status, `${disk.how}: ${JSON.stringify(refused.body)}`).toBe(507);
      expect(refused.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(refused.body).toMatchObject({ code: 'insufficient_storage', status: 507, statusCode: 507, title: 'Insufficient storage' });
      expect(JSON.stringify(refused.body)).not.toMatch(/SQLITE|53100|tablespace|pg_tblspc|No space left/i);
      // Reads still work on a full disk.
      expect((await api.get(`/tickets/${first.id}`)).status).toBe(200);

      // Nothing half-written: no ticket, activity or event, and its number not taken.
      expect(await rowCounts(t, instanceId)).toEqual(before);
      expect((await api.get('/tickets?search=fit')).body.items).toEqual([]);

      await disk.free();
      const created = await api.post('/tickets', { ticket: { title: 'does not fit', description, requestor }, user: requestor });
      expect(created.status).toBe(201);
      expect(created.body.item.ticketId).toBe(first.ticketId + 1);
      expect((await api.get(`/tickets/${created.body.item.id}`)).body.item.description).toBe(description);
    });
  });
}
