#!/usr/bin/env node
/*
 * Builds the web app (web/ -> web/dist) with Vite when the build is missing or older than its
 * sources, so `npm start` on a fresh clone serves the app (it runs as `prestart`).
 * `node scripts/build-web.mjs --force` (npm run build:web) always builds.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const web = join(root, 'web');
const dist = join(web, 'dist');
const stamp = join(dist, 'index.html');
const force = process.argv.includes('--force');

/** The newest modification time of the files under a folder of the app's sources (without dist/). */
function newestSource(dir = web) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'dist' || entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestSource(path) : statSync(path).mtimeMs);
  }
  return newest;
}

const lock = join(root, 'package-lock.json');
// The app imports the server's pure domain modules (the statuses and their transitions).
const sourcesTime = Math.max(newestSource(), newestSource(join(root, 'src', 'domain')), existsSync(lock) ? statSync(lock).mtimeMs : 0);
if (!force && existsSync(stamp) && statSync(stamp).mtimeMs >= sourcesTime) process.exit(0);

// Always a production build (React's development build is twice the size), even when run from
// a test runner that sets NODE_ENV=test.
process.env.NODE_ENV = 'production';
let vite;
try {
  vite = await import('vite');
} catch {
  // Installed without devDependencies: the server still starts, with a page that says how to build.
  process.stderr.write('The web app is not built and Vite is not installed (npm ci installs it); the server will start without it.\n');
  process.exit(existsSync(stamp) ? 0 : force ? 1 : 0);
}
const started = Date.now();
process.stdout.write('Building the web app (web/ -> web/dist)…\n');
await vite.build({ configFile: join(web, 'vite.config.ts'), root: web, mode: 'production', logLevel: 'warn' });
process.stdout.write(`Built the web app in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
