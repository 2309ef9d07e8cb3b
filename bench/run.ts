import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { openStore } from '../src/store/db.js';
import type { HttpJob, LoadResult, RequestTemplate, WalkJob } from './load.js';
import { rng, vocabulary, type DatasetSetup } from './dataset.js';
import { seed } from './seed.js';

/*
 * npm run bench [-- --tickets N --duration S --connections C --smoke]
 *
 * Seeds a fresh store (SQLite under bench/data/, or a fresh PostgreSQL database next to
 * DATABASE_URL), starts the real server as a child process, drives it over HTTP from a load
 * generator in another child process (bench/load.ts, autocannon), samples the server's RSS the
 * whole time, measures a bare node:http server the same way as the ceiling, prints a table and
 * writes it as JSON to bench/results/. See bench/README.md.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

// ---------------------------------------------------------------------------------------------
// Options

interface Options {
  tickets: number;
  duration: number;
  warmup: number;
  connections: number;
  walkers: number;
  walkMaxSeconds: number;
  smoke: boolean;
  only: string[] | undefined;
  keep: boolean;
  seedOnly: boolean;
  reuse: string | undefined;
  out: string;
}

function parseOptions(argv: string[]): Options {
  const value = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const number = (name: string, fallback: number) => {
    const raw = value(name);
    if (raw === undefined) return fallback;
    const n = Number(raw.replaceAll('_', '').replaceAll(',', ''));
    if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number, got "${raw}"`);
    return n;
  };
  const known = [
    '--tickets',
    '--duration',
    '--warmup',
    '--connections',
    '--walkers',
    '--walk-max',
    '--smoke',
    '--only',
    '--keep',
    '--reuse',
    '--out',
    '--seed-only',
  ];
  for (const arg of argv) if (arg.startsWith('--') && !known.includes(arg)) throw new Error(`unknown option ${arg}; options: ${known.join(' ')}`);
  const smoke = argv.includes('--smoke');
  return {
    smoke,
    tickets: Math.floor(number('tickets', smoke ? 3000 : 1_000_000)),
    duration: number('duration', smoke ? 1 : 10),
    warmup: argv.includes('--warmup') ? Number(value('warmup')) : smoke ? 0 : 2,
    connections: Math.floor(number('connections', 32)),
    walkers: Math.floor(number('walkers', 1)),
    walkMaxSeconds: number('walk-max', smoke ? 15 : 120),
    only: value('only')?.split(','),
    keep: argv.includes('--keep') || argv.includes('--seed-only'),
    seedOnly: argv.includes('--seed-only'),
    reuse: value('reuse'),
    out: resolve(value('out') ?? join(ROOT, 'bench', 'results')),
  };
}

// ---------------------------------------------------------------------------------------------
// Child processes: the servers and the load generator

const children = new Set<ChildProcess>();
/** Drops the fresh database / deletes the SQLite file; also run on Ctrl-C. */
let cleanup: () => Promise<void> = async () => undefined;

function startProcess(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  label: string,
): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  let output = '';
  child.stdout!.on('data', (chunk) => (output += chunk));
  child.stderr!.on('data', (chunk) => (output += chunk));
  return new Promise((resolvePromise, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start in 60 s:\n${output}`)), 60_000);
    const check = () => {
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePromise({ child, url: match[1]!, output: () => output });
      }
    };
    child.stdout!.on('data', check);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}:\n${output}`));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  return new Promise((resolvePromise) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolvePromise();
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolvePromise();
    });
    child.kill('SIGTERM');
  });
}

class LoadGenerator {
  private readonly child: ChildProcess;
  private next = 1;
  private readonly waiting = new Map<number, { resolve: (r: LoadResult) => void; reject: (e: Error) => void }>();
  constructor() {
    this.child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'load.ts')], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.add(this.child);
    this.child.on('message', (message: { id: number; result?: LoadResult; error?: string }) => {
      const waiter = this.waiting.get(message.id);
      this.waiting.delete(message.id);
      if (message.error) waiter?.reject(new Error(message.error));
      else waiter?.resolve(message.result!);
    });
    this.child.on('exit', (code) => {
      children.delete(this.child);
      for (const waiter of this.waiting.values()) waiter.reject(new Error(`load generator exited with ${code}`));
    });
  }
  get pid(): number {
    return this.child.pid!;
  }
  run(job: HttpJob | WalkJob): Promise<LoadResult> {
    const id = this.next++;
    return new Promise((resolvePromise, reject) => {
      this.waiting.set(id, { resolve: resolvePromise, reject });
      this.child.send({ id, job });
    });
  }
  close(): Promise<void> {
    this.child.disconnect();
    return stopProcess(this.child);
  }
}

// ---------------------------------------------------------------------------------------------
// Sampling the server process: RSS (VmRSS) and CPU time, every 100 ms

const CLOCK_TICKS = 100; // USER_HZ on Linux

function readProcess(pid: number): { rssMb: number; cpuSeconds: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const rss = /VmRSS:\s+(\d+) kB/.exec(status);
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const cpu = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS; // utime + stime
    return { rssMb: rss ? Number(rss[1]) / 1024 : 0, cpuSeconds: cpu };
  } catch {
    return undefined; // not on Linux, or the process is gone
  }
}

class Sampler {
  peakRssMb = 0;
  private windowPeak = 0;
  private timer: NodeJS.Timeout;
  constructor(private readonly pid: number) {
    this.timer = setInterval(() => this.sample(), 100);
    this.sample();
  }
  private sample() {
    const s = readProcess(this.pid);
    if (!s) return;
    this.peakRssMb = Math.max(this.peakRssMb, s.rssMb);
    this.windowPeak = Math.max(this.windowPeak, s.rssMb);
  }
  /** Starts a measurement window; the returned function ends it. */
  window(): () => { peakRssMb: number; cpuPercent: number } {
    this.sample();
    this.windowPeak = readProcess(this.pid)?.rssMb ?? 0;
    const startCpu = readProcess(this.pid)?.cpuSeconds ?? 0;
    const started = performance.now();
    return () => {
      this.sample();
      const cpu = (readProcess(this.pid)?.cpuSeconds ?? startCpu) - startCpu;
      return { peakRssMb: this.windowPeak, cpuPercent: (100 * cpu) / ((performance.now() - started) / 1000) };
    };
  }
  stop() {
    clearInterval(this.timer);
  }
}

/**
 * Waits until the server answers /readyz (which runs a query through the store's pool) quickly:
 * requests the client gave up on (timeouts) may still be queued in the server or running in the
 * database, and would slow down the next scenario.
 */
async function drain(url: string, databaseUrl: string, log: (line: string) => void): Promise<void> {
  const started = performance.now();
  if (/^postgres(ql)?:\/\//i.test(databaseUrl)) {
    // The server does not cancel a query when its client goes away: wait for PostgreSQL too.
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      for (;;) {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND state = 'active' AND pid <> pg_backend_pid()`,
        );
        if (rows[0]!.n === 0 || performance.now() - started > 180_000) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    } finally {
      await client.end();
    }
  }
  for (;;) {
    const t = performance.now();
    try {
      await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(120_000) });
    } catch {
      // keep trying until the deadline
    }
    if (performance.now() - t < 50) break;
    if (performance.now() - started > 180_000) {
      log('  (the server is still busy after 3 minutes; going on)');
      break;
    }
  }
  const waited = performance.now() - started;
  if (waited > 1000) log(`  (waited ${(waited / 1000).toFixed(1)} s for the server to finish queued requests)`);
}

// ---------------------------------------------------------------------------------------------
// Stores

interface BenchState {
  store: 'sqlite' | 'postgres';
  databaseUrl: string;
  instanceId: string;
  primaryKey: string;
  tickets: number;
  setup: Pick<DatasetSetup, 'fields' | 'categories' | 'requestors' | 'agents'>;
  seeding?: unknown;
}

async function createPostgresDatabase(baseUrl: string): Promise<string> {
  const name = `ticketing_bench_${process.pid}_${Date.now()}`;
  const admin = new URL(baseUrl);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE "${name}"`);
  } finally {
    await client.end();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function dropPostgresDatabase(url: string): Promise<void> {
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS "${new URL(url).pathname.slice(1)}" WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

const redact = (url: string) => url.replace(/\/\/([^:@/]+):[^@/]*@/, '//$1:***@');

/** Words for the search scenarios: a mid-frequency band (what people search for) and one common word. */
async function pickSearchWords(
  databaseUrl: string,
  instanceId: string,
  tickets: number,
): Promise<{ words: { word: string; matches: number }[]; common: { word: string; matches: number } }> {
  const store = openStore(databaseUrl, { synchronous: 'NORMAL', poolSize: 2 });
  try {
    const count = async (word: string) => {
      const parameters: unknown[] = [];
      const param = (value: unknown) => store.dialect.placeholder(parameters.push(value));
      const text = `SELECT count(*) FROM tickets t WHERE t.instance_id = ${param(instanceId)} AND ${store.dialect.fullTextCondition(param, instanceId, [word])}`;
      const rows = await store.readRows({ sql: text, parameters });
      return Number(rows[0]?.[0] ?? 0);
    };
    const vocab = vocabulary();
    const low = Math.max(1, tickets * 0.001);
    const high = Math.max(5, tickets * 0.01);
    const words: { word: string; matches: number }[] = [];
    const random = rng(11);
    const tried = new Set<number>();
    for (let attempt = 0; attempt < 30 && words.length < 6; attempt++) {
      const rank = 250 + Math.floor(random() * 2500);
      if (tried.has(rank)) continue;
      tried.add(rank);
      const word = vocab[rank]!;
      const matches = await count(word);
      if (matches >= low && matches <= high) words.push({ word, matches });
    }
    if (words.length === 0) words.push({ word: vocab[300]!, matches: await count(vocab[300]!) });
    const commonWord = vocab.indexOf('printer') >= 0 ? 'printer' : vocab[25]!;
    return { words, common: { word: commonWord, matches: await count(commonWord) } };
  } finally {
    await store.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Scenarios and targets

interface Target {
  rps?: number;
  p99?: number;
  ticketsPerSecond?: number;
  text: string;
}

interface Scenario {
  id: string;
  name: string;
  target?: Target;
  job: (url: string) => HttpJob | WalkJob;
}

interface Row {
  id: string;
  scenario: string;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  requests: number;
  rssMb: number;
  serverCpuPercent: number;
  /** Throughput per fully used server core: rps × 100 / CPU %. Less sensitive to other load on the machine. */
  rpsPerCore: number | null;
  ratioToRaw: number | null;
  target: string;
  met: boolean | null;
  ticketsPerSecond?: number;
  complete?: boolean;
  /** Listings: the itemCount (matching tickets over all pages) each of the scenario's URLs answers. */
  itemCounts?: Record<string, number>;
  statusCodes?: Record<string, number>;
  loadAverage: number;
  vsSqlite?: number | null;
  withinTwiceSqlite?: boolean | null;
}

function requestBodies(setup: BenchState['setup'], n: number) {
  const random = rng(5);
  const pick = <T>(list: readonly T[]) => list[Math.floor(random() * list.length)]!;
  const vocab = vocabulary();
  const words = (k: number) => Array.from({ length: k }, () => vocab[Math.floor(Math.pow(random(), 3) * 1500)]).join(' ');
  const [department, , asset, , vip] = setup.fields;
  const tickets = Array.from({ length: n }, () => {
    const category = pick(setup.categories);
    const requestor = pick(setup.requestors);
    return JSON.stringify({
      ticket: {
        title: `New ${words(5)}`,
        description: `${words(25)}.`,
        priority: pick(['Low', 'Medium', 'Important', 'Urgent']),
        requestor,
        ...(random() < 0.7 ? { assignee: pick(setup.agents) } : {}),
        tags: random() < 0.8 ? [{ tagCategoryId: category.id, text: pick(category.tags).text }] : [],
        customFields: {
          [department!.id]: [pick(department!.options).id],
          [asset!.id]: `AT-${100000 + Math.floor(random() * 900000)}`,
          [vip!.id]: random() < 0.05,
        },
      },
      user: requestor,
    });
  });
  const comments = Array.from({ length: n }, () => JSON.stringify({ comment: `${words(15)}.`, isPrivate: random() < 0.15, user: pick(setup.agents) }));
  return { tickets, comments };
}

function scenarios(opts: Options, state: BenchState, search: Awaited<ReturnType<typeof pickSearchWords>>): Scenario[] {
  const headers = { 'x-api-key': state.primaryKey, accept: 'application/json' };
  const http =
    (request: Omit<RequestTemplate, 'headers'> & { headers?: Record<string, string> }) =>
    (url: string): HttpJob => ({
      kind: 'http',
      url,
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
      request: { ...request, headers: { ...headers, ...request.headers } },
    });
  const bodies = requestBodies(state.setup, 200);
  const json = { 'content-type': 'application/json' };
  return [
    {
      id: 'get-ticket',
      name: 'GET /tickets/{id}',
      target: { rps: 15_000, p99: 10, text: '≥ 15,000 req/s, p99 ≤ 10 ms' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets/{n}'], min: 1, max: state.tickets }),
    },
    {
      id: 'list-default',
      name: 'GET /tickets',
      target: { rps: 8_000, p99: 15, text: '≥ 8,000 req/s, p99 ≤ 15 ms' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets'] }),
    },
    {
      id: 'list-filtered',
      name: 'GET /tickets?limit=50&status=Open&priority=Urgent&orderBy=lastInteraction',
      target: { rps: 3_000, text: '≥ 3,000 req/s' },
      job: http({ method: 'GET', paths: ['/api/v1/tickets?limit=50&status=Open&priority=Urgent&orderBy=lastInteraction'] }),
    },
    {
      id: 'search',
      name: `GET /tickets?search=<word> (${search.words.length} words, ${Math.min(...search.words.map((w) => w.matches))}–${Math.max(...search.words.map((w) => w.matches))} matches)`,
      target: { rps: 1_500, p99: 30, text: '≥ 1,500 req/s, p99 ≤ 30 ms' },
      job: http({ method: 'GET', paths: search.words.map((w) => `/api/v1/tickets?search=${encodeURIComponent(w.word)}`) }),
    },
    {
      id: 'search-common',
      name: `GET /tickets?search=${search.common.word} (common word, ${search.common.matches} matches; 2 connections; no target)`,
      job: (url) => ({
        ...http({ method: 'GET', paths: [`/api/v1/tickets?search=${encodeURIComponent(search.common.word)}`] })(url),
        connections: Math.min(2, opts.connections),
      }),
    },
    {
      id: 'walk',
      name: `walk every page, limit=1000 (${opts.walkers} walker${opts.walkers > 1 ? 's' : ''})`,
      target: { ticketsPerSecond: 100_000, text: '≥ 100,000 tickets/s' },
      job: (url) => ({ kind: 'walk', url, path: '/api/v1/tickets?limit=1000', headers, walkers: opts.walkers, maxSeconds: opts.walkMaxSeconds }),
    },
    {
      id: 'create',
      name: 'POST /tickets',
      target: { rps: 4_000, text: '≥ 4,000 req/s' },
      job: http({ method: 'POST', paths: ['/api/v1/tickets'], bodies: bodies.tickets, headers: json }),
    },
    {
      id: 'comment',
      name: 'POST /tickets/{id}/activities',
      target: { rps: 4_000, text: '≥ 4,000 req/s' },
      job: http({ method: 'POST', paths: ['/api/v1/tickets/{n}/activities'], min: 1, max: state.tickets, bodies: bodies.comments, headers: json }),
    },
  ];
}

function toRow(
  id: string,
  name: string,
  result: LoadResult,
  window: { peakRssMb: number; cpuPercent: number },
  raw: LoadResult | undefined,
  target: Target | undefined,
): Row {
  const errors = result.non2xx + result.errors + result.timeouts;
  const ticketsPerSecond = result.items !== undefined ? result.items / result.seconds : undefined;
  let met: boolean | null = null;
  if (target) {
    met = errors === 0;
    if (target.rps !== undefined) met &&= result.rps >= target.rps;
    if (target.p99 !== undefined) met &&= result.p99 <= target.p99;
    if (target.ticketsPerSecond !== undefined) met &&= (ticketsPerSecond ?? 0) >= target.ticketsPerSecond;
  }
  return {
    id,
    scenario: name,
    rps: Math.round(result.rps * 10) / 10,
    p50: result.p50,
    p99: result.p99,
    errors,
    requests: result.requests,
    rssMb: Math.round(window.peakRssMb),
    serverCpuPercent: Math.round(window.cpuPercent),
    rpsPerCore: window.cpuPercent > 0 ? Math.round((result.rps * 100) / window.cpuPercent) : null,
    ratioToRaw: raw ? Math.round((result.rps / raw.rps) * 1000) / 1000 : null,
    target: target?.text ?? '',
    met,
    ...(ticketsPerSecond !== undefined ? { ticketsPerSecond: Math.round(ticketsPerSecond), complete: result.complete } : {}),
    ...(result.itemCount !== undefined ? { itemCounts: { [name]: result.itemCount } } : {}),
    ...(result.statusCodes ? { statusCodes: result.statusCodes } : {}),
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  };
}

/**
 * The itemCount each listing URL of a scenario answers: every listing counts the tickets matching
 * its filters over all pages, so the scenarios measure that too (docs/decisions/014).
 */
async function listingCounts(url: string, job: HttpJob | WalkJob): Promise<Record<string, number> | undefined> {
  if (job.kind !== 'http' || job.request.method !== 'GET') return undefined;
  const listings = job.request.paths.filter((path) => /^\/api\/v1\/tickets(\?|$)/.test(path));
  if (listings.length === 0) return undefined;
  const counts: Record<string, number> = {};
  for (const path of listings) {
    const response = await fetch(`${url}${path}`, { headers: job.request.headers });
    if (!response.ok) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    counts[path] = ((await response.json()) as { itemCount: number }).itemCount;
  }
  return counts;
}

// ---------------------------------------------------------------------------------------------
// Output

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

function printTable(rows: Row[], store: string): string {
  const withSqlite = rows.some((r) => r.vsSqlite !== undefined);
  const header = [
    'scenario',
    'req/s',
    'p50 ms',
    'p99 ms',
    'errors',
    'RSS MB',
    'CPU %',
    'req/s/core',
    '× raw',
    'target',
    'met?',
    ...(withSqlite ? ['÷ SQLite', '≤ 2×?'] : []),
  ];
  const lines = rows.map((r) => [
    r.scenario,
    r.ticketsPerSecond !== undefined
      ? `${fmt(r.rps, 1)} pages (${fmt(r.ticketsPerSecond)} tickets/s${r.complete === false ? ', partial' : ''})`
      : r.id === 'memory'
        ? ''
        : fmt(r.rps),
    r.id === 'memory' ? '' : fmt(r.p50, 2),
    r.id === 'memory' ? '' : fmt(r.p99, 2),
    r.id === 'memory' ? '' : fmt(r.errors),
    fmt(r.rssMb),
    r.id === 'memory' ? '' : fmt(r.serverCpuPercent),
    r.rpsPerCore === null ? '' : fmt(r.rpsPerCore),
    r.ratioToRaw === null ? '' : fmt(r.ratioToRaw, 3),
    r.target,
    r.met === null ? '' : r.met ? 'yes' : 'NO',
    ...(withSqlite ? [r.vsSqlite == null ? '' : fmt(r.vsSqlite, 2), r.withinTwiceSqlite == null ? '' : r.withinTwiceSqlite ? 'yes' : 'NO'] : []),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => (i === 0 || i === 9 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const text = [`Results (${store})`, line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(line)].join('\n');
  process.stdout.write(`\n${text}\n`);
  return text;
}

/** The newest SQLite result with the same number of tickets, to hold PostgreSQL to "within 2×". */
function latestSqliteResult(out: string, tickets: number): { file: string; rows: Row[] } | undefined {
  if (!existsSync(out)) return undefined;
  const files = readdirSync(out)
    .filter((f) => f.endsWith('-sqlite.json'))
    .sort()
    .reverse();
  for (const file of files) {
    try {
      const data = JSON.parse(readFileSync(join(out, file), 'utf8')) as { tickets: number; rows: Row[]; smoke?: boolean; options?: { only?: string[] } };
      if (data.tickets === tickets && !data.smoke && !data.options?.only) return { file, rows: data.rows };
    } catch {
      // ignore unreadable files
    }
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const startedAt = new Date();
  const stamp = startedAt.toISOString().replace(/[:.]/g, '-');
  const base = process.env.DATABASE_URL?.trim();
  const storeName: 'sqlite' | 'postgres' = base && /^postgres(ql)?:\/\//i.test(base) ? 'postgres' : 'sqlite';
  const loadAtStart = os.loadavg();

  log(`Benchmark: ${fmt(opts.tickets)} tickets on ${storeName}, ${opts.duration} s per scenario (+${opts.warmup} s warm-up), ${opts.connections} connections`);
  log(
    `Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, ${fmt(os.totalmem() / 2 ** 30, 1)} GiB, Node ${process.version}, load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}`,
  );

  let state: BenchState;
  if (opts.reuse) {
    state = JSON.parse(readFileSync(opts.reuse, 'utf8')) as BenchState;
    log(`Reusing ${redact(state.databaseUrl)} (${fmt(state.tickets)} tickets) from ${opts.reuse}`);
  } else {
    let databaseUrl: string;
    if (storeName === 'postgres') {
      databaseUrl = await createPostgresDatabase(base!);
      if (!opts.keep) cleanup = () => dropPostgresDatabase(databaseUrl);
    } else {
      mkdirSync(join(ROOT, 'bench', 'data'), { recursive: true });
      const file = join(ROOT, 'bench', 'data', `bench-${stamp}.db`);
      databaseUrl = `sqlite:${file}`;
      if (!opts.keep)
        cleanup = async () => {
          for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(`${file}${suffix}`, { force: true });
        };
    }
    log(`Seeding ${redact(databaseUrl)} …`);
    try {
      const seeded = await seed(databaseUrl, opts.tickets, log);
      const { setup } = seeded;
      state = {
        store: storeName,
        databaseUrl,
        instanceId: seeded.instanceId,
        primaryKey: seeded.primaryKey,
        tickets: seeded.result.lastTicketNumber,
        setup: { fields: setup.fields, categories: setup.categories, requestors: setup.requestors, agents: setup.agents },
        seeding: { seconds: Math.round(seeded.seconds * 10) / 10, finishSeconds: Math.round(seeded.finishSeconds * 10) / 10, ...seeded.result },
      };
      const r = seeded.result;
      log(
        `Seeded ${fmt(r.tickets)} tickets, ${fmt(r.activities)} activities, ${fmt(r.tags)} tags in ${seeded.seconds.toFixed(1)} s ` +
          `(${fmt(r.tickets / seeded.seconds)} tickets/s; indexes + commit ${seeded.finishSeconds.toFixed(1)} s) — ${Object.entries(r.timings)
            .map(([k, v]) => `${k} ${(v / 1000).toFixed(1)} s`)
            .join(', ')}`,
      );
      if (opts.keep) {
        const stateFile = join(ROOT, 'bench', 'data', `bench-${stamp}-${storeName}.json`);
        writeFileSync(stateFile, JSON.stringify(state, null, 2));
        log(`Kept the store; rerun on it with --reuse ${stateFile}`);
      }
    } catch (error) {
      await cleanup().catch(() => undefined);
      throw error;
    }
  }

  if (opts.seedOnly) return;
  const rows: Row[] = [];
  let serverOutput = '';
  let peakRss = 0;
  let searchInfo: Awaited<ReturnType<typeof pickSearchWords>>;
  try {
    searchInfo = await pickSearchWords(state.databaseUrl, state.instanceId, state.tickets);
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  log(`Search words: ${searchInfo.words.map((w) => `${w.word} (${w.matches})`).join(', ')}; common: ${searchInfo.common.word} (${searchInfo.common.matches})`);

  const load = new LoadGenerator();
  try {
    // The ceiling: a bare node:http server, measured like the scenarios.
    const rawServer = await startProcess(['--import', 'tsx', join(ROOT, 'bench', 'raw-server.ts')], {}, /listening on (http:\/\/\S+)/, 'raw server');
    const rawSampler = new Sampler(rawServer.child.pid!);
    const rawWindow = rawSampler.window();
    const raw = await load.run({
      kind: 'http',
      url: rawServer.url,
      connections: opts.connections,
      warmup: opts.warmup,
      duration: opts.duration,
      request: { method: 'GET', paths: ['/'], headers: {} },
    });
    rows.push(toRow('raw', 'raw node:http, 1 KB JSON (ceiling)', raw, rawWindow(), raw, undefined));
    log(`  ${rows.at(-1)!.scenario}: ${fmt(raw.rps)} req/s`);
    rawSampler.stop();
    await stopProcess(rawServer.child);

    // The real server, as `npm start` runs it (bundled first, as its prestart does), plus whatever BENCH_NODE_FLAGS adds
    // (e.g. BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench/profiles").
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build-server.mjs')], { stdio: 'inherit' });
    const nodeFlags = (process.env.BENCH_NODE_FLAGS ?? '').split(/\s+/).filter(Boolean);
    const server = await startProcess(
      [...nodeFlags, 'dist/server.mjs'],
      {
        DATABASE_URL: state.databaseUrl,
        PORT: '0',
        HOST: '127.0.0.1',
        RATE_LIMIT_MAX: '1000000000',
        LOG_LEVEL: 'warn',
        ADMIN_TOKEN: 'tka_benchmark-admin-token-0123456789abcdef',
        PUBLIC_URL: '',
      },
      /listening on (http:\/\/\S+)/,
      'server',
    );
    const sampler = new Sampler(server.child.pid!);
    try {
      for (const scenario of scenarios(opts, state, searchInfo)) {
        if (opts.only && !opts.only.includes(scenario.id)) continue;
        await drain(server.url, state.databaseUrl, log);
        const job = scenario.job(server.url);
        const itemCounts = await listingCounts(server.url, job);
        const end = sampler.window();
        const result = await load.run(job);
        const row = toRow(scenario.id, scenario.name, result, end(), raw, scenario.target);
        if (itemCounts) row.itemCounts = itemCounts;
        if (scenario.id === 'list-default' && itemCounts && Object.values(itemCounts)[0] !== state.tickets) {
          log(`  WRONG itemCount: GET /tickets counted ${Object.values(itemCounts)[0]} tickets of ${state.tickets}`);
        }
        if (row.id === 'walk' && result.complete && result.items !== (result.itemCount ?? 0) * Math.max(1, opts.walkers)) {
          log(`  WRONG itemCount: the walk received ${result.items} tickets, its first page counted ${result.itemCount} per walker`);
        }
        rows.push(row);
        const codes =
          row.errors > 0 ? ` status codes ${JSON.stringify(result.statusCodes ?? {})}, socket errors ${result.errors}, timeouts ${result.timeouts}` : '';
        const counted = row.itemCounts
          ? `, itemCount ${Object.values(row.itemCounts)
              .map((n) => fmt(n))
              .join(' / ')}`
          : '';
        log(
          `  ${row.scenario}: ${row.ticketsPerSecond !== undefined ? `${fmt(row.ticketsPerSecond)} tickets/s, ` : ''}${fmt(row.rps)} req/s, p50 ${row.p50} ms, p99 ${row.p99} ms, errors ${row.errors}${codes}${counted}`,
        );
      }
    } finally {
      sampler.stop();
      peakRss = sampler.peakRssMb;
      serverOutput = server.output();
      await stopProcess(server.child);
    }
  } finally {
    await load.close();
    await cleanup().catch((error: unknown) => log(`cleanup failed: ${String(error)}`));
  }

  rows.push({
    id: 'memory',
    scenario: 'server RSS, peak over all of the above',
    rps: 0,
    p50: 0,
    p99: 0,
    errors: 0,
    requests: 0,
    rssMb: Math.round(peakRss),
    serverCpuPercent: 0,
    rpsPerCore: null,
    ratioToRaw: null,
    target: 'RSS ≤ 250 MB',
    met: peakRss <= 250,
    loadAverage: Math.round(os.loadavg()[0]! * 100) / 100,
  });

  let comparedWith: string | undefined;
  if (storeName === 'postgres') {
    const sqlite = latestSqliteResult(opts.out, state.tickets);
    if (sqlite) {
      comparedWith = sqlite.file;
      for (const row of rows) {
        const other = sqlite.rows.find((r) => r.id === row.id);
        if (!other || row.id === 'memory' || row.id === 'raw') continue;
        const mine = row.ticketsPerSecond ?? row.rps;
        const theirs = other.ticketsPerSecond ?? other.rps;
        row.vsSqlite = theirs > 0 ? Math.round((mine / theirs) * 100) / 100 : null;
        row.withinTwiceSqlite = theirs > 0 ? mine * 2 >= theirs : null;
      }
    }
  }

  const table = printTable(rows, `${storeName}, ${fmt(state.tickets)} tickets${comparedWith ? `; ÷ SQLite: against ${comparedWith}` : ''}`);
  // Warnings and errors the server logged, grouped by message.
  const warnings = new Map<string, number>();
  for (const line of serverOutput.split('\n')) {
    if (!/"level":(40|50|60)/.test(line)) continue;
    let message = line.slice(0, 200);
    try {
      const entry = JSON.parse(line) as { msg?: string; err?: { message?: string } };
      message = `${entry.msg ?? ''}${entry.err?.message ? ` (${entry.err.message})` : ''}`;
    } catch {
      // not JSON: keep the start of the line
    }
    warnings.set(message, (warnings.get(message) ?? 0) + 1);
  }
  if (warnings.size > 0) {
    log('\nThe server logged warnings/errors:');
    for (const [message, count] of warnings) log(`  ${count} × ${message}`);
  }

  mkdirSync(opts.out, { recursive: true });
  const file = join(opts.out, `${stamp}-${storeName}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        store: storeName,
        tickets: state.tickets,
        smoke: opts.smoke,
        options: { ...opts, out: undefined },
        machine: {
          cpus: os.cpus().length,
          model: os.cpus()[0]?.model,
          memoryGiB: Math.round(os.totalmem() / 2 ** 30),
          node: process.version,
          loadAverageAtStart: loadAtStart,
          loadAverageAtEnd: os.loadavg(),
        },
        serverNodeFlags: process.env.BENCH_NODE_FLAGS ?? '',
        seeding: state.seeding ?? null,
        searchWords: searchInfo,
        comparedWith: comparedWith ?? null,
        rows,
        table,
        serverWarnings: Object.fromEntries(warnings),
      },
      null,
      2,
    ),
  );
  log(`\nWrote ${file}`);
}

const killChildren = () => {
  for (const child of children) child.kill('SIGKILL');
};
process.on('exit', killChildren);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    killChildren();
    process.stderr.write('\ninterrupted: cleaning up the benchmark store\n');
    const timer = setTimeout(() => process.exit(130), 15_000);
    cleanup()
      .catch(() => undefined)
      .finally(() => {
        clearTimeout(timer);
        process.exit(130);
      });
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exitCode = 1;
});
