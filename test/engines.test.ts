import { readFileSync } from 'node:fs';
import semver from 'semver';
import { describe, expect, it } from 'vitest';

/*
 * A newcomer's first command is `npm ci`. It must run clean on every Node line we support: a
 * package that declares it needs a newer Node prints EBADENGINE and may use APIs that line lacks.
 * The lock file records each package's declared engines, so this is checked without installing.
 */
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { engines: { node: string } };
const lock = JSON.parse(readFileSync('package-lock.json', 'utf8')) as { packages: Record<string, { engines?: { node?: string } | string[] }> };

// The oldest release of each line the engines field admits.
const OLDEST_SUPPORTED = ['20.19.0', '22.13.0', '24.0.0'];

describe('supported Node versions', () => {
  it('package.json admits exactly the lines we test on', () => {
    for (const version of OLDEST_SUPPORTED) expect(semver.satisfies(version, pkg.engines.node), version).toBe(true);
    expect(semver.satisfies('18.20.0', pkg.engines.node)).toBe(false);
  });

  it('every locked package declares it runs on each of them (npm ci prints no EBADENGINE)', () => {
    const refusals: string[] = [];
    let declared = 0;
    for (const [path, entry] of Object.entries(lock.packages)) {
      const node = Array.isArray(entry.engines) ? undefined : entry.engines?.node;
      if (!path || !node) continue;
      declared++;
      for (const version of OLDEST_SUPPORTED) if (!semver.satisfies(version, node)) refusals.push(`${path} wants node ${node}, not ${version}`);
    }
    expect(declared).toBeGreaterThan(50);
    expect(refusals).toEqual([]);
  });
});
