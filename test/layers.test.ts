import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/*
 * The layering a newcomer reads from the folder tree (docs: STYLE, "Imports point inward"):
 * routes reach storage only through services, and nothing in http/ opens or shapes the store
 * itself. Checked on the import statements, so a shortcut shows up here rather than in review.
 */

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

/** Every import of a file: the module it names and whether it brings types only. */
function importsOf(file: string): { from: string; typeOnly: boolean }[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/^import\s+(type\s+)?[^;]*?from\s+'([^']+)'/gms)].map((m) => ({ from: m[2]!, typeOnly: m[1] !== undefined }));
}

/** `file: module` for each import of a file under `dir` that resolves into src/store. */
function storeImports(dir: string, accept: (i: { typeOnly: boolean }) => boolean): string[] {
  return sourceFiles(join(SRC, dir)).flatMap((file) =>
    importsOf(file)
      .filter((i) => i.from.startsWith('.') && relative(SRC, join(file, '..', i.from)).startsWith('store') && !accept(i))
      .map((i) => `${relative(SRC, file)}: ${i.from}`),
  );
}

/**
 * The import cycles among the files of src/, each as `a -> b -> … -> a`. Every edge counts,
 * type-only imports and re-exports too: a cycle of types is still two files that cannot be read
 * (or moved) one without the other.
 */
function importCycles(): { cycles: string[]; imports: number } {
  const edges = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const modules = [...text.matchAll(/^\s*(?:import|export)\s[^;]*?from\s+'(\.[^']+)'/gms), ...text.matchAll(/import\(\s*'(\.[^']+)'\s*\)/g)].map(
      (m) => m[1]!,
    );
    edges.set(
      relative(SRC, file),
      modules.map((module) => relative(SRC, join(dirname(file), module.replace(/\.js$/, '.ts')))),
    );
  }
  const cycles: string[] = [];
  const done = new Set<string>();
  const path: string[] = [];
  const visit = (file: string): void => {
    const at = path.indexOf(file);
    if (at >= 0) {
      cycles.push([...path.slice(at), file].join(' -> '));
      return;
    }
    if (done.has(file)) return;
    path.push(file);
    for (const next of edges.get(file) ?? []) visit(next);
    path.pop();
    done.add(file);
  };
  for (const file of [...edges.keys()].sort()) visit(file);
  return { cycles, imports: [...edges.values()].flat().length };
}

describe('layers', () => {
  it('no file of src/ imports itself through others: each folder can be read from the bottom up', () => {
    const { cycles, imports } = importCycles();
    // The graph was read at all (a pattern that stopped matching would find no cycle either).
    expect(imports).toBeGreaterThan(150);
    expect(cycles).toEqual([]);
  });

  it('code outside the dialect folders asks a dialect what it offers, never its name', () => {
    // The migrations are frozen and may not ask the live code, so they choose their SQL by name.
    const outside = sourceFiles(SRC).filter((file) => !/^store\/(sqlite|postgres|migrations)\//.test(relative(SRC, file)));
    const checks = outside.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .flatMap((line, i) =>
          /[!=]==?\s*'(sqlite|postgres)'|'(sqlite|postgres)'\s*[!=]==?|dialect\.name\s*[!=]==?/.test(line)
            ? [`${relative(SRC, file)}:${i + 1}: ${line.trim()}`]
            : [],
        ),
    );
    expect(checks).toEqual([]);
  });

  it('routes import nothing from the store, not even its types: they call services', () => {
    expect(storeImports('http/routes', () => false)).toEqual([]);
  });

  it('nothing in http/ opens a connection or runs SQL of its own: the store hands out what it needs', () => {
    expect(storeImports('http', (i) => i.typeOnly)).toEqual([]);
  });
});
