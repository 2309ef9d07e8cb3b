// node --expose-gc --import tsx bench/cpu-per-request.ts <rounds> <n> <label=worktree=state.json>...
// CPU time per request of listings, comparable between two versions on a noisy machine. Loads each
// worktree's app (its own src/, a store kept with `npm run bench -- --keep`) into this one process,
// each with its scheduler polling every second as the server does, and measures the process's CPU
// time (all threads: the search workers too) over blocks of n app.inject calls, the versions'
// blocks interleaved in each round so that the machine's load hits them alike. Also counts the
// count statements (itemCount, docs/decisions/014) each version runs per 1,000 requests.
// Env: CONC=32 (requests at once, as the benchmark's connections), ONLY=id,id, NO_SCHEDULER=1,
// BUDGET=ms (search budget; raise it under valgrind), WARM=n, MARKS=file (block order, for
// callgrind --dump-before='*CPUUsage*').
import { readFileSync } from 'node:fs';
const rounds = Number(process.argv[2]);
const N = Number(process.argv[3]);
const trees = process.argv.slice(4).map((s) => {
  const [label, root, statePath] = s.split('=');
  return { label: label!, root: root!, state: JSON.parse(readFileSync(statePath!, 'utf8')) };
});
const only = process.env.ONLY?.split(',');
process.env.RATE_LIMIT_MAX = '1000000000';
process.env.LOG_LEVEL = 'warn';
const apps: {
  label: string;
  inject: (url: string) => Promise<any>;
  close: () => Promise<void>;
  headers: any;
  countsRun: { n: number };
  paths: Record<string, string[]>;
}[] = [];
for (const { label, root, state } of trees) {
  const { loadConfig } = await import(`${root}/src/config.ts`);
  const { buildApp } = await import(`${root}/src/http/app.ts`);
  const { createRateLimiter } = await import(`${root}/src/http/rate-limit.ts`);
  const { InstancesService } = await import(`${root}/src/services/instances.service.ts`);
  const { TicketsService } = await import(`${root}/src/services/tickets.service.ts`);
  const { Scheduler } = await import(`${root}/src/jobs/scheduler.ts`);
  const { openMigratedStore } = await import(`${root}/src/store/db.ts`);
  const { rng, vocabulary } = await import(`${root}/bench/dataset.ts`);
  const config = loadConfig({ ...process.env, DATABASE_URL: state.databaseUrl });
  const store0 = await openMigratedStore(config.databaseUrl, {
    synchronous: config.sqliteSynchronous,
    ...(process.env.BUDGET ? { searchBudgetMs: Number(process.env.BUDGET) } : {}),
  });
  const store = store0;
  const countsRun = { n: 0 };
  const realReadRows = store.readRows.bind(store);
  store.readRows = (q: any) => {
    if (/^\s*SELECT (count\(\*\)|coalesce\(sum\(c\.n\)|\(SELECT count\(\*\))/.test(q.sql)) countsRun.n++;
    return realReadRows(q);
  };
  const instances = new InstancesService({ store, defaults: { rateLimitMax: config.rateLimitMax, rateLimitWindowSeconds: config.rateLimitWindowSeconds } });
  const tokenSecret = await instances.ensureTokenSecret(config.tokenSecret);
  const admin = await instances.ensureAdminToken(config.adminToken);
  const tickets = new TicketsService({ store, tokenSecret });
  const rateLimit = await createRateLimiter({ config, store });
  const app = await buildApp({
    store,
    tickets,
    instances,
    adminTokenHash: admin.hash,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimit,
    logger: { level: 'warn' },
  });
  await app.ready();
  const scheduler = process.env.NO_SCHEDULER ? undefined : new Scheduler({ store, pollMs: 1000 });
  scheduler?.start();
  const count = async (word: string) => {
    const parameters: unknown[] = [];
    const param = (v: unknown) => store.dialect.placeholder(parameters.push(v));
    const text = `SELECT count(*) FROM tickets t WHERE t.instance_id = ${param(state.instanceId)} AND ${store.dialect.fullTextCondition(param, state.instanceId, [word])}`;
    return Number((await store.readRows({ sql: text, parameters }))[0]?.[0] ?? 0);
  };
  const vocab = vocabulary();
  const words: string[] = [];
  const random = rng(11);
  const tried = new Set<number>();
  const low = Math.max(1, state.tickets * 0.001),
    high = Math.max(5, state.tickets * 0.01);
  for (let a = 0; a < 30 && words.length < 6; a++) {
    const rank = 250 + Math.floor(random() * 2500);
    if (tried.has(rank)) continue;
    tried.add(rank);
    const m = await count(vocab[rank]!);
    if (m >= low && m <= high) words.push(vocab[rank]!);
  }
  const headers = { 'x-api-key': state.primaryKey, accept: 'application/json' };
  apps.push({
    label,
    headers,
    countsRun,
    inject: (url) => app.inject({ method: 'GET', url, headers }),
    close: async () => {
      await scheduler?.stop();
      await app.close();
      await rateLimit.close?.();
      await store.close();
    },
    paths: {
      'list-default': ['/api/v1/tickets'],
      'list-filtered': ['/api/v1/tickets?limit=50&status=Open&priority=Urgent&orderBy=lastInteraction'],
      search: words.map((w) => `/api/v1/tickets?search=${encodeURIComponent(w)}`),
      'search-common': ['/api/v1/tickets?search=printer'],
    },
  });
}
const scale: Record<string, number> = { 'list-default': 1, 'list-filtered': 0.4, search: 1, 'search-common': 0.2 };
const ids = Object.keys(scale).filter((id) => !only || only.includes(id));
const results: Record<string, Record<string, number[]>> = {};
const countStats: Record<string, Record<string, number[]>> = {};
let calls = 0;
const marks: string[] = [];
async function block(a: (typeof apps)[0], id: string, n: number) {
  const paths = a.paths[id]!;
  const c0 = process.cpuUsage();
  calls++;
  const conc = Number(process.env.CONC ?? 1);
  let next = 0;
  const k0 = a.countsRun.n;
  await Promise.all(
    Array.from({ length: conc }, async () => {
      while (next < n) {
        const i = next++;
        const r = await a.inject(paths[i % paths.length]!);
        if (r.statusCode !== 200) throw new Error(`${a.label} ${id} ${r.statusCode} ${r.body}`);
      }
    }),
  );
  ((countStats[id] ??= {})[a.label] ??= []).push(((a.countsRun.n - k0) / n) * 1000);
  const c = process.cpuUsage(c0);
  calls++;
  marks.push(`${calls} ${a.label} ${id} ${n}`);
  return (c.user + c.system) / n;
}
for (const a of apps)
  for (const id of ids) {
    await block(a, id, Number(process.env.WARM ?? 300));
    const r = await a.inject(a.paths[id]![0]!);
    console.log(`${a.label} ${id}: itemCount ${JSON.parse(r.body).itemCount}, ${r.body.length} bytes`);
  }
for (let r = 0; r < rounds; r++) {
  for (const id of ids) {
    const order = r % 2 === 0 ? apps : [...apps].reverse();
    for (const a of order) {
      global.gc?.();
      ((results[id] ??= {})[a.label] ??= []).push(await block(a, id, Math.max(20, Math.round(N * scale[id]!))));
    }
  }
}
const med = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
console.log(
  `\n${rounds} rounds, n=${N} (× scale) per block; CPU µs per request (median [min–max]); ratio = median over rounds of (tree / first tree) in the same round`,
);
for (const id of ids) {
  const base = results[id]![apps[0]!.label]!;
  const cells = apps.map((a) => {
    const xs = results[id]![a.label]!;
    const ratio = med(xs.map((x, i) => x / base[i]!));
    return `${a.label} ${med(xs).toFixed(0)} [${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}] ×${ratio.toFixed(3)}`;
  });
  console.log(`${id.padEnd(14)} ${cells.join('   ')}`);
}
console.log('count statements per 1000 requests (median over rounds, incl. warm-up block):');
for (const id of ids) console.log(`${id.padEnd(14)} ${apps.map((a) => `${a.label} ${med(countStats[id]![a.label]!).toFixed(1)}`).join('   ')}`);
for (const a of apps) await a.close();
if (process.env.MARKS) (await import('node:fs')).writeFileSync(process.env.MARKS, marks.join('\n') + '\n');
