import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PNG } from '../attachment-form.js';
import { DIALECTS, postgresUrl, requestor } from '../helpers.js';
import { S3_CREDENTIALS, startS3Server, type S3Server } from '../s3-server.js';
import { dropPostgresDatabase, freshPostgresDatabase, json, printedKeys, startServer, tempSqliteUrl, type ServerProcess } from './server-process.js';

const run = promisify(execFile);
const LIMIT = 1024 * 1024;

/*
 * Attachments through the server as `npm start` runs it, over real sockets: curl's multipart
 * upload as the README shows it, the signed src fetched without a key from the URL the server
 * printed, and a too-large upload cut off with 413 and Connection: close. Each store, each storage.
 */
let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server('e2e');
});
afterAll(async () => {
  await s3?.close();
});

for (const dialect of DIALECTS) {
  for (const storageKind of ['disk', 's3'] as const) {
    describe.skipIf(dialect.skip)(`attachments through a real server (${dialect.name}, ${storageKind})`, () => {
      let server: ServerProcess;
      let databaseUrl: string;
      let key: string;
      const folder = mkdtempSync(join(tmpdir(), 'ticketing-e2e-files-'));

      beforeAll(async () => {
        databaseUrl = dialect.name === 'postgres' ? await freshPostgresDatabase(postgresUrl!, 'ticketing_e2e_att') : tempSqliteUrl();
        server = await startServer({
          DATABASE_URL: databaseUrl,
          RATE_LIMIT_MAX: '1000',
          ATTACHMENT_MAX_BYTES: String(LIMIT),
          // Disk: on SQLite the default (a `files` folder beside the database); on PostgreSQL a folder of this test's own.
          ...(storageKind === 's3'
            ? { STORAGE_URL: s3.storageUrl.replace('s3://e2e?', `s3://e2e/${dialect.name}?`), ...S3_CREDENTIALS }
            : dialect.name === 'postgres'
              ? { STORAGE_URL: `file:${join(folder, 'files')}` }
              : {}),
        });
        key = printedKeys(server.output()).primary;
        const created = await fetch(`${server.url}/api/v1/tickets?key=${key}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ticket: { title: 'Printer broken', requestor }, user: requestor }),
        });
        expect(created.status).toBe(201);
      });
      afterAll(async () => {
        await server?.stop();
        if (dialect.name === 'postgres' && databaseUrl) await dropPostgresDatabase(databaseUrl);
      });

      it("uploads with the README's curl command and downloads through the signed src, without a key", async () => {
        writeFileSync(join(folder, 'screenshot.png'), PNG);
        writeFileSync(join(folder, 'app.log'), 'line one\nline two\n');
        const { stdout } = await run(
          'curl',
          [
            '-sS',
            '-X',
            'POST',
            `${server.url}/api/v1/tickets/1/attachments`,
            '-H',
            `X-API-Key: ${key}`,
            '-F',
            'files=@screenshot.png',
            '-F',
            'files=@app.log',
            '-F',
            'comment=Screenshot and log',
            '-F',
            'isPrivate=false',
            '-F',
            'user={"id":"23424-xxxx","name":"Alex Wilber","email":"AlexW@example.com"}',
          ],
          { cwd: folder },
        );
        const { item } = JSON.parse(stdout);
        expect(item).toMatchObject({ ticketNo: 1, comment: 'Screenshot and log', isPrivate: false, user: { id: '23424-xxxx' } });
        const [png, log] = item.attachments;
        expect(png).toMatchObject({ filename: 'screenshot.png', contentType: 'image/png', isImage: true, size: PNG.length });
        expect(log).toMatchObject({ filename: 'app.log', contentType: 'text/plain', isImage: false });

        // The src is absolute, under the server's public URL, and works with no key at all.
        expect(png.src.startsWith(`${server.url}/files/`)).toBe(true);
        const image = await fetch(png.src);
        expect(image.status).toBe(200);
        expect(Buffer.from(await image.arrayBuffer()).equals(PNG)).toBe(true);
        expect(image.headers.get('x-content-type-options')).toBe('nosniff');

        // curl -OJ saves under the name the server gives; -r asks for a range.
        const saved = mkdtempSync(join(tmpdir(), 'ticketing-e2e-saved-'));
        await run('curl', ['-sS', '-OJ', `${server.url}/api/v1/tickets/1/attachments/${log.id}/content?key=${key}`], { cwd: saved });
        expect(readFileSync(join(saved, 'app.log'), 'utf8')).toBe('line one\nline two\n');
        const range = await run('curl', ['-sS', '-r', '5-7', log.src]);
        expect(range.stdout).toBe('one');
        // One character of the signature changed (to one it surely is not).
        const tampered = await fetch(log.src.replace(/signature=(.)/, (_match: string, first: string) => `signature=${first === 'x' ? 'y' : 'x'}`));
        expect(tampered.status).toBe(403);
        // By default the files go beside the SQLite database, named by their SHA-256.
        if (storageKind === 'disk' && dialect.name === 'sqlite') {
          const files = join(dirname(databaseUrl.slice('sqlite:'.length)), 'files');
          expect(readdirSync(files, { recursive: true }).some((name) => String(name).includes(png.sha256))).toBe(true);
        }
      });

      it('cuts a file over ATTACHMENT_MAX_BYTES off with 413 and Connection: close, storing nothing', async () => {
        const before = (await json(await fetch(`${server.url}/api/v1/tickets/1/attachments?key=${key}`))).itemCount;
        const boundary = 'e2e-boundary';
        const head = Buffer.from(
          `--${boundary}\r\nContent-Disposition: form-data; name="user"\r\n\r\n${JSON.stringify(requestor)}\r\n--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`,
        );
        const answer = await new Promise<{ status: number; connection: string | undefined; body: string }>((resolve, reject) => {
          const upload = request(
            `${server.url}/api/v1/tickets/1/attachments?key=${key}`,
            { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': head.length + 4 * LIMIT } },
            (response) => {
              let body = '';
              response.on('data', (chunk: Buffer) => (body += chunk));
              response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body }));
            },
          );
          // The server answers and closes while this side is still sending: that is the point.
          upload.on('error', (error) => (error.message.includes('EPIPE') || error.message.includes('ECONNRESET') ? undefined : reject(error)));
          upload.write(head);
          const chunk = Buffer.alloc(64 * 1024, 1);
          let sent = 0;
          const pump = () => {
            while (sent < 4 * LIMIT) {
              sent += chunk.length;
              if (!upload.write(chunk)) return upload.once('drain', pump);
            }
            upload.end();
          };
          pump();
        });
        expect(answer.status, answer.body).toBe(413);
        expect(answer.connection).toBe('close');
        expect(JSON.parse(answer.body)).toMatchObject({ code: 'payload_too_large' });
        expect((await json(await fetch(`${server.url}/api/v1/tickets/1/attachments?key=${key}`))).itemCount).toBe(before);
      });
    });
  }
}
