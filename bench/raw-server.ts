import http from 'node:http';

/*
 * The ceiling: a bare node:http server answering every request with the same 1 KB JSON body
 * (after reading a POST's body to its end), or with n bytes for `GET /bytes/<n>`. Nothing the
 * ticket server does can be faster than this on the same machine, so each scenario is also
 * reported as a fraction of it.
 */
const items = Array.from({ length: 9 }, (_, i) => ({ id: `0193a4c2-7d1e-7000-8000-00000000000${i}`, title: `Ticket number ${i}`, status: 'Open' }));
let body = JSON.stringify({ items, continuationToken: null, itemCount: items.length, pad: '' });
body = JSON.stringify({ items, continuationToken: null, itemCount: items.length, pad: 'x'.repeat(Math.max(0, 1024 - body.length)) });
const payload = Buffer.from(body);

/** The ceiling of downloads: `GET /bytes/<n>` answers n bytes (up to 32 MiB) from memory. */
const bytes = Buffer.alloc(32 * 1024 * 1024, 7);

const server = http.createServer((request, response) => {
  const size = /^\/bytes\/(\d+)$/.exec(request.url ?? '')?.[1];
  if (request.method === 'GET' && size !== undefined) {
    const n = Math.min(Number(size), bytes.length);
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': n });
    response.end(bytes.subarray(0, n));
    return;
  }
  // The ceiling of uploads: a POST is read to its end (and dropped), then answered like a GET.
  request.resume();
  request.on('end', () => {
    response.writeHead(request.method === 'POST' ? 201 : 200, { 'content-type': 'application/json; charset=utf-8', 'content-length': payload.length });
    response.end(payload);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  process.stdout.write(`raw server listening on http://127.0.0.1:${port} (${payload.length} byte body)\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
