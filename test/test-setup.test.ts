import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * What `npm test` says about PostgreSQL (README "Test it", test/global-setup.ts): without a
 * reachable one the SQLite half still runs and the output says PostgreSQL was skipped; with
 * REQUIRE_POSTGRES=1 (as CI) that is a failure; TEST_POSTGRES=off runs the SQLite half on
 * purpose and contradicts REQUIRE_POSTGRES=1. Each case runs the suite's setup for real, in a
 * vitest of its own on one small test file.
 */

const ROOT = join(import.meta.dirname, '..');
const UNREACHABLE = 'postgres://postgres@127.0.0.1:1/ticketing_test';

function runSuite(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  // The outer run's own variables (VITEST_*, its PostgreSQL settings) stay out of the inner one.
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(VITEST|TEST_|REQUIRE_)/.test(name)));
  const child = spawn(process.execPath, [join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'src/domain/ticket-jobs.test.ts'], {
    cwd: ROOT,
    env: { ...inherited, NODE_ENV: 'test', NO_COLOR: '1', FORCE_COLOR: '0', TEST_SERVER_BUILT: '1', ...env },
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

describe('npm test without PostgreSQL', () => {
  it('runs the SQLite half and says that PostgreSQL was skipped', async () => {
    const { code, output } = await runSuite({ TEST_DATABASE_URL: UNREACHABLE });
    expect(output).toMatch(/PostgreSQL SKIPPED: .*127\.0\.0\.1:1/);
    expect(output).toMatch(/Tests +\d+ passed/);
    expect(code, output).toBe(0);
  });

  it('fails with REQUIRE_POSTGRES=1, naming the database it could not use', async () => {
    const { code, output } = await runSuite({ TEST_DATABASE_URL: UNREACHABLE, REQUIRE_POSTGRES: '1' });
    expect(output).toMatch(/REQUIRE_POSTGRES=1 but PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:1\/ticketing_test_\d+ is not usable/);
    expect(code).not.toBe(0);
  });

  it('runs the SQLite half alone with TEST_POSTGRES=off, says so, and refuses it with REQUIRE_POSTGRES=1', async () => {
    const off = await runSuite({ TEST_POSTGRES: 'off' });
    expect(off.output).toContain('PostgreSQL not run in this pass (TEST_POSTGRES=off)');
    expect(off.code, off.output).toBe(0);
    const contradiction = await runSuite({ TEST_POSTGRES: 'off', REQUIRE_POSTGRES: '1' });
    expect(contradiction.output).toContain('TEST_POSTGRES=off contradicts REQUIRE_POSTGRES=1');
    expect(contradiction.code).not.toBe(0);
  });
});
