#!/usr/bin/env node
/*
 * Compares two scenarios of one benchmark run in the server's CPU profile, per request: where
 * does the event loop spend the time one scenario costs more than the other?
 *
 *   BENCH_WINDOWS=/tmp/windows.jsonl BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=/tmp/prof" \
 *     npm run bench -- --tickets 20000 --only comment,comment-webhook --rounds 2
 *   node bench/profile-windows.mjs /tmp/windows.jsonl /tmp/prof/<main thread>.cpuprofile comment comment-webhook
 *
 * Options: --by ours (default: each sample counts for the nearest frame of the server's own
 * bundle above it, so Node's and the libraries' work is charged to the code that asked for it),
 * --by self (the function that was running), --top N (30), --skip REGEX (frames of the server
 * to look past, e.g. the store's plumbing: 'queryCompiledOnce|executeQuery|server.mjs:121'),
 * --under REGEX (only samples with such a frame on their stack).
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  if (at === -1) return fallback;
  const [value] = args.splice(at, 2).slice(1);
  return value;
};
const by = option('by', 'ours');
const top = Number(option('top', '30'));
const skip = option('skip', undefined);
const under = option('under', undefined);
const underPattern = under === undefined ? undefined : new RegExp(under);
const skipPattern = skip === undefined ? undefined : new RegExp(skip);
const skipped = (node) => skipPattern !== undefined && skipPattern.test(frameName(node));
const [windowsFile, profileFile, idA, idB] = args;
if (!idB) {
  console.error('usage: profile-windows.mjs WINDOWS.jsonl PROFILE.cpuprofile SCENARIO_A SCENARIO_B [--by ours|self] [--top N]');
  process.exit(2);
}

const windows = readFileSync(windowsFile, 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line));
const profile = JSON.parse(readFileSync(profileFile, 'utf8'));

const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
const parent = new Map();
for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
const frameName = (node) => `${node.callFrame.functionName || '(anonymous)'} ${basename(node.callFrame.url || '(native)')}:${node.callFrame.lineNumber + 1}`;
const ours = (node) => (node.callFrame.url.includes('server.mjs') || node.callFrame.url.includes('/src/')) && !skipped(node);
const keyCache = new Map();
function keyOf(id) {
  let key = keyCache.get(id);
  if (key !== undefined) return key;
  let node = nodes.get(id);
  if (by === 'ours') {
    let at = id;
    while (at !== undefined && !ours(nodes.get(at))) at = parent.get(at);
    node = at === undefined ? node : nodes.get(at);
  }
  key = frameName(node);
  keyCache.set(id, key);
  return key;
}

const ancestorCache = new Map();
/** Whether a frame matching --under is on the sample's stack. */
function hasAncestor(id) {
  let found = ancestorCache.get(id);
  if (found !== undefined) return found;
  found = false;
  for (let at = id; at !== undefined && !found; at = parent.get(at)) found = underPattern.test(frameName(nodes.get(at)));
  ancestorCache.set(id, found);
  return found;
}

/** µs per request by key, over every window of the scenario `id`. */
function perRequest(id) {
  const mine = windows.filter((w) => w.id === id);
  if (mine.length === 0) throw new Error(`no window for ${id} in ${windowsFile}`);
  const requests = mine.reduce((sum, w) => sum + (w.rps * (w.endUs - w.startUs)) / 1e6, 0);
  const totals = new Map();
  let time = profile.startTime;
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    time += profile.timeDeltas[i];
    const delta = profile.timeDeltas[i + 1] ?? 0;
    if (!mine.some((w) => time >= w.startUs && time < w.endUs)) continue;
    if (under !== undefined && !hasAncestor(profile.samples[i])) continue;
    const key = keyOf(profile.samples[i]);
    if (key.startsWith('(idle)')) continue;
    totals.set(key, (totals.get(key) ?? 0) + delta);
    all += delta;
  }
  for (const [key, value] of totals) totals.set(key, value / requests);
  return { totals, all: all / requests, requests };
}

const a = perRequest(idA);
const b = perRequest(idB);
const keys = new Set([...a.totals.keys(), ...b.totals.keys()]);
const rows = [...keys].map((key) => ({ key, a: a.totals.get(key) ?? 0, b: b.totals.get(key) ?? 0 })).sort((x, y) => Math.abs(y.b - y.a) - Math.abs(x.b - x.a));
const us = (n) => n.toFixed(1).padStart(8);
console.log(
  `busy µs per request: ${idA} ${a.all.toFixed(0)} (${Math.round(a.requests)} requests), ${idB} ${b.all.toFixed(0)} (${Math.round(b.requests)} requests)`,
);
console.log(`${'A'.padStart(8)} ${'B'.padStart(8)} ${'B−A'.padStart(8)}  frame (${by === 'ours' ? 'nearest frame of the server' : 'self'})`);
for (const row of rows.slice(0, top)) console.log(`${us(row.a)} ${us(row.b)} ${us(row.b - row.a)}  ${row.key}`);
