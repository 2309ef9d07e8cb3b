// npx tsx bench/search-cost.ts bench/data/<state>.json [search ...]
// Times GET /tickets?search=… in process, as the route runs it (parseListQuery, then the store's
// JSON page on SQLite), on a kept bench store: median of repeated runs per search, in ms. On
// SQLite the search statements run on the store's search workers (src/store/sqlite-searcher.ts),
// so each time includes a message to a worker and back.
import { readFileSync } from 'node:fs';
import { parseListQuery } from '../src/domain/listing.js';
import { openMigratedStore } from '../src/store/db.js';
import { inCreationOrder, listTickets, listTicketsJson } from '../src/store/tickets.repo.js';

const state = JSON.parse(readFileSync(process.argv[2]!, 'utf8'));
const searches =
  process.argv.length > 3 ? process.argv.slice(3) : ['printer', 'toner', 'bitlocker', 'kalo', 'the', 'printer jam', 'toner boot loop', 'vpn zel'];
const since = performance.now();
const store = await openMigratedStore(state.databaseUrl, { synchronous: 'NORMAL', poolSize: 2 });
console.log(`opened (migrations included) in ${((performance.now() - since) / 1000).toFixed(1)} s`);
try {
  for (const search of searches) {
    let query;
    try {
      query = parseListQuery({ search });
    } catch (error) {
      console.log(`${JSON.stringify(search).padEnd(40)} rejected: ${(error as Error).message}`);
      continue;
    }
    const once = async () => {
      const walk = await inCreationOrder(store, state.instanceId, query);
      const page = await listTicketsJson(store, state.instanceId, query, undefined, walk);
      return page ?? (await listTickets(store, state.instanceId, query, undefined, walk));
    };
    await once();
    const times: number[] = [];
    const start = performance.now();
    while (times.length < 3 || (performance.now() - start < 1500 && times.length < 500)) {
      const t = performance.now();
      await once();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    const walk = await inCreationOrder(store, state.instanceId, query);
    console.log(
      `${JSON.stringify(search).padEnd(40)} median ${times[times.length >> 1]!.toFixed(2)} ms, max ${times[times.length - 1]!.toFixed(2)} ms (${times.length} runs${walk ? ', walk' : ''})`,
    );
  }
} finally {
  await store.close();
}
