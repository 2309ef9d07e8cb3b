import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/*
 * Proves the benchmark suite still works: `npm run bench -- --smoke` (a few thousand tickets on
 * SQLite, one second per scenario) must measure every scenario with some throughput and no
 * errors. The numbers themselves are not checked here: that is what the full run is for.
 */

const SCENARIOS = ['raw', 'get-ticket', 'list-default', 'list-filtered', 'search', 'search-common', 'walk', 'create', 'comment', 'memory'];

describe('benchmark suite (smoke run)', () => {
  const out = mkdtempSync(join(tmpdir(), 'ticketing-bench-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('measures every scenario with non-zero throughput and zero errors', async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL; // SQLite, whatever the environment says
    delete env.BENCH_NODE_FLAGS;
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/run.ts', '--smoke', '--out', out], {
      cwd: process.cwd(),
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code, output).toBe(0);

    const files = readdirSync(out).filter((f) => f.endsWith('-sqlite.json'));
    expect(files, output).toHaveLength(1);
    const result = JSON.parse(readFileSync(join(out, files[0]!), 'utf8')) as {
      tickets: number;
      rows: { id: string; rps: number; errors: number; rssMb: number; ticketsPerSecond?: number; complete?: boolean; itemCounts?: Record<string, number> }[];
      table: string;
    };
    expect(result.tickets).toBeGreaterThanOrEqual(1000);
    expect(result.rows.map((r) => r.id)).toEqual(SCENARIOS);
    for (const row of result.rows) {
      expect(row.rssMb, `${row.id} RSS`).toBeGreaterThan(0);
      if (row.id === 'memory') continue;
      expect(row.rps, `${row.id} throughput\n${result.table}`).toBeGreaterThan(0);
      expect(row.errors, `${row.id} errors\n${result.table}`).toBe(0);
    }
    const walk = result.rows.find((r) => r.id === 'walk')!;
    expect(walk.complete, 'the walk reached the last page').toBe(true);
    expect(walk.ticketsPerSecond).toBeGreaterThan(0);
    // Every listing scenario answers itemCount, the tickets matching its filters over all pages.
    const counted = (id: string) => Object.values(result.rows.find((r) => r.id === id)!.itemCounts ?? {});
    expect(counted('list-default')).toEqual([result.tickets]);
    expect(counted('walk')).toEqual([result.tickets]);
    for (const id of ['list-filtered', 'search', 'search-common']) {
      expect(counted(id).length, id).toBeGreaterThan(0);
      for (const n of counted(id)) expect(n, id).toBeLessThan(result.tickets);
    }
    expect(result.table).toContain('GET /tickets/{id}');
  }, 120_000);
});
