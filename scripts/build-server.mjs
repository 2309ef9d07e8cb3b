#!/usr/bin/env node
/*
 * Bundles the server (src/main.ts and what it imports; packages stay imports) into
 * dist/server.mjs with esbuild, and the webhook sender's thread into
 * dist/webhook-sender-thread.mjs, so `npm start` runs plain JavaScript on node. Running through
 * tsx instead keeps a TypeScript loader on a thread of its own with its own JavaScript heap for
 * the life of the process: 45 MB more resident memory measured at start (181 → 135 MB), out of
 * a 250 MB budget at a million tickets (docs/decisions/010-running-bundled.md). Takes well
 * under a second, so it runs before every start (`prestart`) and before the tests.
 */
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
await build({
  // The webhook sender's thread is a module of its own, loaded next to the server's.
  entryPoints: { server: join(root, 'src', 'main.ts'), 'webhook-sender-thread': join(root, 'src', 'services', 'webhook-sender-thread.ts') },
  outdir: join(root, 'dist'),
  outExtension: { '.js': '.mjs' },
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  // Stack traces and profiles name our functions as the sources do.
  keepNames: true,
  sourcemap: 'linked',
  logLevel: 'warning',
});
