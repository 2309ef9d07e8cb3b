import { PostgresAdapter, sql, type Kysely } from 'kysely';

/*
 * The rate limiter's counters, shared by every server process on one PostgreSQL database
 * (src/http/rate-limit.ts; rate-limiter-flexible's RateLimiterPostgres, told the table exists).
 * Until now the rate limiter created this table itself at start-up, outside the migrations; a
 * database it already ran on has the table, so both statements cope with that.
 *
 * UNLOGGED: counters need no durability (a crash at worst forgets part of a minute's counts),
 * and their writes then make no WAL, so a counting commit does not wait for a WAL flush.
 * Versions before the UNLOGGED one made a logged table: it is converted. The conversion is
 * only a speed-up, so if it cannot be done the logged table is kept and the start goes on.
 *
 * Processes starting together run migrations one at a time (an advisory lock, src/store/migrate.ts),
 * so no CREATE races another here. SQLite keeps its counters in memory (one process): nothing to do.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */
export async function up(db: Kysely<any>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof PostgresAdapter)) return;
  await sql`CREATE UNLOGGED TABLE IF NOT EXISTS rate_limits (key varchar(255) PRIMARY KEY, points integer NOT NULL DEFAULT 0, expire bigint)`.execute(db);
  await sql`
    DO $$
    BEGIN
      IF (SELECT relpersistence FROM pg_class WHERE oid = 'rate_limits'::regclass) = 'p' THEN
        ALTER TABLE rate_limits SET UNLOGGED;
      END IF;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'rate_limits stays a logged table: %', SQLERRM;
    END
    $$`.execute(db);
}
