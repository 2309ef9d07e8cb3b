import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * A migration is history: what it did must not change when the live code does. So a migration
 * imports nothing but Kysely (no dialect objects, no repository constants, no shared helpers).
 */
const folder = join(import.meta.dirname, '..', 'src', 'store', 'migrations');

describe('migrations', () => {
  const files = readdirSync(folder).filter((name) => /^\d{3}-.+\.ts$/.test(name));

  it('are numbered in order from 001, each number once', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
    const numbers = files.map((name) => Number(name.slice(0, 3))).sort((a, b) => a - b);
    expect(numbers[0]).toBe(1);
    // Numbers are handed out to features built side by side: while one is merged before another,
    // the list has a gap, but never a number twice.
    expect(new Set(numbers).size).toBe(numbers.length);
  });

  it.each(files)('%s imports nothing but kysely', (name) => {
    const source = readFileSync(join(folder, name), 'utf8');
    const imported = [
      ...source.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/gm),
      ...source.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
    ].map((m) => m[1]);
    expect(imported.filter((module) => module !== 'kysely')).toEqual([]);
  });
});
