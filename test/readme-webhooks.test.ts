import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createInstance, createTestApp, createTicket, DIALECTS, type TestApp } from './helpers.js';

/*
 * The README's webhook receiver, run exactly as printed (the code block after its marker) as a
 * process of its own, receiving real deliveries: so the example stays true.
 */

const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
const example = /<!-- webhook receiver example: [^>]*-->\n```js\n([\s\S]*?)```/.exec(readme)?.[1];

const freePort = () =>
  new Promise<number>((resolve) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });

describe('the README webhook receiver', () => {
  let t: TestApp;
  let receiver: ChildProcess | undefined;
  beforeAll(async () => {
    t = await createTestApp(DIALECTS[0]!.name, { env: { WEBHOOK_ALLOW_PRIVATE: '1' } });
  });
  afterAll(async () => {
    receiver?.kill();
    await t?.close();
  });

  it('verifies real deliveries and refuses forged ones', async () => {
    expect(example, 'README.md has the marked receiver example').toBeDefined();
    const { api } = await createInstance(t.app);
    const port = await freePort();
    const created = await api.post('/instance/webhooks', { url: `http://127.0.0.1:${port}/`, events: ['ticket.created'] });
    expect(created.status).toBe(201);

    // Run from the repository, as a user's project would, with standardwebhooks installed.
    receiver = spawn(process.execPath, ['--input-type=module', '-e', example!], {
      cwd: join(import.meta.dirname, '..'),
      env: { ...process.env, WEBHOOK_SECRET: created.body.secret, PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    receiver.stdout!.on('data', (chunk) => (output += chunk));
    receiver.stderr!.on('data', (chunk) => (output += chunk));
    await expect
      .poll(
        () =>
          fetch(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' }).then(
            (r) => r.status,
            () => 0,
          ),
        { timeout: 10_000 },
      )
      .toBe(400);

    const ticket = await createTicket(api);
    expect(await t.webhooks.runDue()).toBe(1);
    const [delivery] = (await api.get(`/instance/webhooks/${created.body.item.id}/deliveries`)).body.items;
    expect(delivery).toMatchObject({ status: 'delivered', lastStatusCode: 204 });
    await expect.poll(() => output).toContain(`${delivery.id} ticket.created ${ticket.ticketId}`);

    // Signed with another secret: refused.
    const forged = await fetch(`http://127.0.0.1:${port}/`, {
      method: 'POST',
      headers: { 'webhook-id': delivery.id, 'webhook-timestamp': String(Math.floor(Date.now() / 1000)), 'webhook-signature': 'v1,Zm9yZ2Vk' },
      body: JSON.stringify({ type: 'ticket.created', timestamp: new Date().toISOString(), data: {} }),
    });
    expect(forged.status).toBe(400);
  });
});
