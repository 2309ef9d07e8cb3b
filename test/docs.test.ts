import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { problemBody } from '../src/http/errors.js';
import type { ErrorCode } from '../src/domain/errors.js';

/*
 * docs/api.md is where clients and maintainers read what each error code means, and code and
 * tests cite its sections. These checks keep it from falling behind the code (as Fastify's
 * test of its error catalogue does): a code added to ErrorCode without a line in the docs, a
 * code documented with the wrong status, or a citation of a section that is not there fails.
 */

const root = join(import.meta.dirname, '..');
const apiDoc = readFileSync(join(root, 'docs/api.md'), 'utf8');

/** The members of the ErrorCode union, read from the source (a type has no runtime value). */
function errorCodes(): string[] {
  const file = join(root, 'src/domain/errors.ts');
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
  const alias = source.statements.find((s): s is ts.TypeAliasDeclaration => ts.isTypeAliasDeclaration(s) && s.name.text === 'ErrorCode');
  if (!alias || !ts.isUnionTypeNode(alias.type)) throw new Error('ErrorCode is no longer a union of string literals in src/domain/errors.ts');
  return alias.type.types.map((member) => {
    if (!ts.isLiteralTypeNode(member) || !ts.isStringLiteral(member.literal)) throw new Error(`ErrorCode member ${member.getText()} is not a string literal`);
    return member.literal.text;
  });
}

/** `code` -> status, from the table rows of docs/api.md's errors section. */
function documentedCodes(): Map<string, number> {
  const section = /^## 3\. Errors$([\s\S]*?)^## /m.exec(apiDoc)?.[1];
  if (!section) throw new Error('docs/api.md has no "## 3. Errors" section');
  const rows = new Map<string, number>();
  for (const [, code, status] of section.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \|/gm)) rows.set(code!, Number(status));
  return rows;
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === 'node_modules' || name === 'dist') return [];
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

describe('docs/api.md', () => {
  it('documents every error code of src/domain/errors.ts with the status the server answers, and no other code', () => {
    const codes = errorCodes();
    const documented = documentedCodes();
    expect(codes.length).toBeGreaterThan(10);
    for (const code of codes) {
      expect(documented.has(code), `error code ${code} has no row in docs/api.md §3`).toBe(true);
      expect(documented.get(code), `status of ${code} in docs/api.md §3`).toBe(problemBody(code as ErrorCode, '').status);
    }
    expect([...documented.keys()].sort()).toEqual([...codes].sort());
  });

  it('has every section that the code, the tests and the docs cite as "docs/api.md §N"', () => {
    const sections = new Set([...apiDoc.matchAll(/^## (\d+)\. /gm)].map((m) => Number(m[1])));
    const cited: string[] = [];
    const files = ['src', 'test', 'web/src', 'docs', 'bench', 'scripts'].flatMap((dir) => filesUnder(join(root, dir))).concat(join(root, 'README.md'));
    for (const file of files.filter((f) => /\.(ts|tsx|mjs|md)$/.test(f))) {
      const text = readFileSync(file, 'utf8');
      // "docs/api.md §2", "`docs/api.md` §7", "docs/api.md §1, §8 and §9"
      for (const [citation] of text.matchAll(/docs\/api\.md`? §\d+(?:(?:, | and )§\d+)*/g)) {
        for (const [, n] of citation.matchAll(/§(\d+)/g)) {
          cited.push(`${file.slice(root.length + 1)}: §${n}`);
          expect(sections.has(Number(n)), `${file.slice(root.length + 1)} cites docs/api.md §${n}, which does not exist`).toBe(true);
        }
      }
    }
    expect(cited.length).toBeGreaterThan(10);
  });
});
