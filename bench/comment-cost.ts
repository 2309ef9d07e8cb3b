// npx tsx bench/comment-cost.ts [DATABASE_URL] [comments] [kilobytes]
// Adds comments of a given size to one ticket of a fresh instance, in process, and prints how
// long each one took to commit: with a search index that re-reads a ticket's comments, the
// time grows with every comment; indexed one by one, it stays flat.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InstancesService } from '../src/services/instances.service.js';
import { TicketsService } from '../src/services/tickets.service.js';
import { openMigratedStore } from '../src/store/db.js';

const dir = mkdtempSync(join(tmpdir(), 'comment-cost-'));
const url = process.argv[2] ?? `sqlite:${join(dir, 'store.db')}`;
const count = Number(process.argv[3] ?? 30);
const kilobytes = Number(process.argv[4] ?? 100);
const store = await openMigratedStore(url, { synchronous: 'NORMAL', poolSize: 2 });
try {
  const instances = new InstancesService({ store, defaults: { rateLimitMax: 100, rateLimitWindowSeconds: 60 } });
  const tickets = new TicketsService({ store, tokenSecret: 'comment-cost' });
  const { instance } = await instances.create({ name: 'comment cost' });
  const user = { id: 'u1', name: 'Bench', email: 'bench@example.com' };
  const { item: ticket } = await tickets.create(instance.id, { title: 'a ticket with large comments', requestor: user } as never, user, 0);
  let n = 0;
  const text = (i: number) => {
    const words: string[] = [];
    for (let length = 0; length < kilobytes * 1024; n++) {
      const word = `w${i}x${n.toString(36)}`;
      words.push(word);
      length += word.length + 1;
    }
    return words.join(' ');
  };
  const times: number[] = [];
  for (let i = 1; i <= count; i++) {
    const comment = text(i);
    const since = performance.now();
    await tickets.addComment(instance.id, String(ticket.ticketId), { comment }, user);
    times.push(performance.now() - since);
  }
  console.log(
    `${store.dialect.name}: ${count} comments of ${kilobytes} KB; ms per comment: 1st ${times[0]!.toFixed(1)}, 10th ${times[9]?.toFixed(1)}, ${count}th ${times[count - 1]!.toFixed(1)}`,
  );
} finally {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
