import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { multipartForm, PNG, ZIP, type FormPart } from './attachment-form.js';
import { dropPostgresDatabase, freshPostgresDatabase } from './e2e/server-process.js';
import {
  ADMIN_TOKEN,
  agent,
  client,
  createInstance,
  createTestApp,
  createTicket,
  DIALECTS,
  FakeClock,
  postgresUrl,
  requestor,
  type TestApp,
} from './helpers.js';
import { startS3Server, type S3Server } from './s3-server.js';

/*
 * Attachments (docs/api.md §12, API-CONTRACT §11) from outside, through HTTP, on each store and
 * each storage: the local disk and a real S3-compatible server (s3rver on 127.0.0.1, reached
 * through the AWS SDK like any bucket).
 */

const MAX_BYTES = 6 * 1024 * 1024;
const MAX_FILES = 3;
const PUBLIC_URL = 'https://tickets.example.com';
const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');
const user = { id: 'agent-1', name: 'Alex Wilber', email: 'alexw@example.com' };
const userPart: FormPart = { name: 'user', value: JSON.stringify(user) };
const file = (filename: string, data: Buffer | string, type?: string): FormPart => ({
  name: 'files',
  filename,
  data: Buffer.isBuffer(data) ? data : Buffer.from(data),
  ...(type ? { type } : {}),
});

let s3: S3Server;
beforeAll(async () => {
  s3 = await startS3Server();
});
afterAll(async () => {
  await s3?.close();
});

for (const dialect of DIALECTS) {
  for (const storageKind of ['disk', 's3'] as const) {
    describe.skipIf(dialect.skip)(`attachments: ${dialect.name}, ${storageKind} storage`, () => {
      let t: TestApp;
      const clock = new FakeClock(Date.now());
      // Each block keeps its objects under a prefix of its own in the shared bucket.
      const prefix = `${dialect.name}-${storageKind}`;

      beforeAll(async () => {
        t = await createTestApp(dialect.name, {
          clock,
          env: {
            PUBLIC_URL,
            ATTACHMENT_MAX_BYTES: String(MAX_BYTES),
            ATTACHMENT_MAX_FILES: String(MAX_FILES),
            ...(storageKind === 's3' ? { STORAGE_URL: s3.storageUrl.replace('s3://attachments?', `s3://attachments/${prefix}?`) } : {}),
          },
        });
      });
      afterAll(async () => {
        await t?.close();
      });

      const upload = async (key: string, ticketRef: string | number, parts: FormPart[], query = '') => {
        const { payload, contentType } = multipartForm(parts);
        const response = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${ticketRef}/attachments?key=${key}${query}`,
          headers: { 'content-type': contentType },
          payload,
        });
        return { status: response.statusCode, body: response.body ? JSON.parse(response.body) : undefined, headers: response.headers };
      };
      const download = (url: string, headers: Record<string, string> = {}) => t.app.inject({ method: 'GET', url, headers });

      /** Storage objects (not temporary) of an instance. */
      const objectsOf = async (instanceId: string): Promise<string[]> => {
        if (storageKind === 's3') return (await s3.keys(`${prefix}/${instanceId}/`)).map((key) => key.slice(`${prefix}/${instanceId}/`.length));
        const root = join(t.filesDir!, instanceId);
        const walk = (dir: string): string[] => {
          let names: string[];
          try {
            names = readdirSync(dir);
          } catch {
            return [];
          }
          return names.flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [relative(root, join(dir, name))]));
        };
        return walk(root);
      };
      /** Temporary objects of the whole storage (uploads in flight or dead). */
      const temps = () => t.storage.staleTemps(new Date(Date.now() + 86_400_000));
      const rows = async (instanceId: string) => ({
        attachments: Number(
          (
            await t.store.db
              .selectFrom('attachments')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('instance_id', '=', instanceId)
              .executeTakeFirstOrThrow()
          ).n,
        ),
        blobs: await t.store.db.selectFrom('attachment_blobs').selectAll().where('instance_id', '=', instanceId).execute(),
        activities: Number(
          (
            await t.store.db
              .selectFrom('activities')
              .select((eb) => eb.fn.countAll<number>().as('n'))
              .where('instance_id', '=', instanceId)
              .executeTakeFirstOrThrow()
          ).n,
        ),
      });
      /** Nothing of a refused upload is left: no row, no object, no temporary object. */
      const expectNothingStored = async (instanceId: string, before: Awaited<ReturnType<typeof rows>>) => {
        const after = await rows(instanceId);
        expect(after.attachments).toBe(before.attachments);
        expect(after.activities).toBe(before.activities);
        expect(after.blobs.map((b) => b.sha256).sort()).toEqual(before.blobs.map((b) => b.sha256).sort());
        expect(await objectsOf(instanceId)).toHaveLength(before.blobs.length);
        expect(await temps()).toEqual([]);
      };

      it('uploads files with a comment as one activity, answered in the comment shape with each IAttachment', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const log = 'line 1\nline 2\n';
        const answer = await upload(primaryKey, ticket.ticketId, [
          { name: 'comment', value: 'Screenshot and log attached' },
          { name: 'isPrivate', value: 'false' },
          userPart,
          // The declared types are wrong on purpose: what a file is comes from its bytes.
          file('screen shot.png', PNG, 'application/octet-stream'),
          file('app.log', log, 'text/plain'),
          file('logs.zip', ZIP, 'application/octet-stream'),
        ]);
        expect(answer.status).toBe(201);
        const item = answer.body.item;
        expect(item).toMatchObject({
          ticketId: ticket.id,
          ticketNo: ticket.ticketId,
          comment: 'Screenshot and log attached',
          comment_HTML: 'Screenshot and log attached',
          isPrivate: false,
          user,
          createdBy: user,
        });
        expect(item.activityId).toBe(item.id);
        expect(typeof item.ticketId).toBe('string');
        expect(item.createdDateTime).toBe(item.createdOn);
        expect(item.createdOn).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
        expect(item.attachments).toHaveLength(3);
        const [png, text, zip] = item.attachments;
        expect(png).toMatchObject({
          filename: 'screen shot.png',
          caption: null,
          isHyperlink: false,
          isImage: true,
          isArchive: false,
          contentType: 'image/png',
          size: PNG.length,
          sha256: sha256(PNG),
          createdBy: user.id,
          createdDateTime: item.createdOn,
          activityId: item.id,
          isPrivate: false,
        });
        expect(Object.keys(png).sort()).toEqual(
          [
            'activityId',
            'caption',
            'contentType',
            'createdBy',
            'createdDateTime',
            'filename',
            'id',
            'isArchive',
            'isHyperlink',
            'isImage',
            'isPrivate',
            'sha256',
            'size',
            'src',
          ].sort(),
        );
        expect(png.src.startsWith(`${PUBLIC_URL}/files/${instanceId}/${png.id}/`)).toBe(true);
        expect(text).toMatchObject({
          filename: 'app.log',
          contentType: 'text/plain',
          isImage: false,
          isArchive: false,
          size: Buffer.byteLength(log),
          sha256: sha256(log),
        });
        expect(zip).toMatchObject({ filename: 'logs.zip', contentType: 'application/zip', isImage: false, isArchive: true });

        // One activity, with its attachments, among the ticket's activities.
        const activities = (await api.get(`/tickets/${ticket.id}/activities`)).body.items;
        expect(activities).toHaveLength(1);
        expect(activities[0]).toMatchObject({ id: item.id, type: 'comment', comment: 'Screenshot and log attached' });
        expect(activities[0].attachments.map((a: { id: string }) => a.id)).toEqual(item.attachments.map((a: { id: string }) => a.id));
        expect(await temps()).toEqual([]);
        expect(await objectsOf(instanceId)).toHaveLength(3);
      });

      it('lists a ticket’s attachments (by number or UUID) and one activity’s, with itemCount; every activity carries its own', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const first = (await upload(primaryKey, ticket.id, [userPart, file('a.txt', 'a')])).body.item;
        await api.post(`/tickets/${ticket.id}/comments`, { comment: 'no files here', user });
        const second = (await upload(primaryKey, ticket.ticketId, [userPart, file('b.txt', 'b'), file('c.txt', 'c')])).body.item;

        for (const ref of [ticket.id, ticket.ticketId]) {
          const list = await api.get(`/tickets/${ref}/attachments`);
          expect(list.status).toBe(200);
          expect(list.body.itemCount).toBe(3);
          expect(list.body.items.map((a: { filename: string }) => a.filename)).toEqual(['a.txt', 'b.txt', 'c.txt']);
        }
        const one = await api.get(`/tickets/activity/${second.id}/attachments`);
        expect(one.status).toBe(200);
        expect(one.body).toMatchObject({ itemCount: 2, items: [{ filename: 'b.txt', activityId: second.id }, { filename: 'c.txt' }] });
        const activities = (await api.get(`/tickets/${ticket.id}/activities`)).body.items;
        expect(activities.map((a: { attachments: unknown[] }) => a.attachments.length)).toEqual([1, 0, 2]);
        expect(activities[0].id).toBe(first.id);
        expect(first.comment).toBe('');
        // An activity without attachments, and one that does not exist.
        const plain = activities[1].id;
        expect((await api.get(`/tickets/activity/${plain}/attachments`)).body).toEqual({ items: [], itemCount: 0 });
        expect((await api.get('/tickets/activity/00000000-0000-7000-8000-000000000000/attachments')).status).toBe(404);
      });

      it('downloads with a key: streamed whole or by Range, as an attachment with an RFC 6266 name, nosniff and a sandboxing CSP', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const data = Buffer.from('0123456789abcdefghij');
        const name = 'résumé "final"; ü.txt';
        const [text, png] = (await upload(primaryKey, ticket.id, [userPart, file(name, data, 'text/plain'), file('pixel.png', PNG)])).body.item.attachments;
        const url = (a: { id: string }, query = '') => `/api/v1/tickets/${ticket.ticketId}/attachments/${a.id}/content?key=${primaryKey}${query}`;

        const whole = await download(url(text));
        expect(whole.statusCode).toBe(200);
        expect(whole.rawPayload.equals(data)).toBe(true);
        expect(whole.headers['content-length']).toBe(String(data.length));
        expect(whole.headers['content-type']).toBe('text/plain; charset=utf-8');
        expect(whole.headers['content-disposition']).toBe(
          `attachment; filename="r_sum_ _final_; _.txt"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22%3B%20%C3%BC.txt`,
        );
        expect(whole.headers['x-content-type-options']).toBe('nosniff');
        expect(whole.headers['content-security-policy']).toContain('sandbox');
        expect(whole.headers['accept-ranges']).toBe('bytes');
        expect(whole.headers.etag).toBe(`"${sha256(data)}"`);
        expect(whole.headers['content-encoding']).toBeUndefined();

        // HEAD says what a GET would send, and sends nothing.
        const head = await t.app.inject({ method: 'HEAD', url: url(text), headers: { range: 'bytes=2-5' } });
        expect([head.statusCode, head.headers['content-length'], head.headers['content-range'], head.rawPayload.length]).toEqual([
          206,
          '4',
          `bytes 2-5/${data.length}`,
          0,
        ]);
        const part = await download(url(text), { range: 'bytes=2-5' });
        expect(part.statusCode).toBe(206);
        expect(part.body).toBe('2345');
        expect(part.headers['content-range']).toBe(`bytes 2-5/${data.length}`);
        expect(part.headers['content-length']).toBe('4');
        const tail = await download(url(text), { range: 'bytes=-3' });
        expect(tail.statusCode).toBe(206);
        expect(tail.body).toBe('hij');
        const open = await download(url(text), { range: 'bytes=18-' });
        expect(open.body).toBe('ij');
        const outside = await download(url(text), { range: 'bytes=20-30' });
        expect(outside.statusCode).toBe(416);
        expect(outside.headers['content-range']).toBe(`bytes */${data.length}`);
        expect(outside.headers['content-type']).toContain('application/problem+json');
        // Several ranges: ignored (RFC 9110 allows it), the whole file.
        expect((await download(url(text), { range: 'bytes=0-1,4-5' })).statusCode).toBe(200);

        // Compressible text is never compressed: Range and Content-Length speak of the stored bytes.
        expect((await download(url(text), { 'accept-encoding': 'gzip, br' })).headers['content-encoding']).toBeUndefined();

        // Inline only for images of safe types, and only when asked.
        expect((await download(url(png))).headers['content-disposition']).toMatch(/^attachment;/);
        const inline = await download(url(png, '&disposition=inline'));
        expect(inline.headers['content-disposition']).toMatch(/^inline;/);
        expect(inline.headers['content-type']).toBe('image/png');
        expect(inline.rawPayload.equals(PNG)).toBe(true);
        expect((await download(url(text, '&disposition=inline'))).headers['content-disposition']).toMatch(/^attachment;/);

        // The attachment belongs to this ticket only; unknown ids are 404.
        const other = await createTicket(api);
        expect((await download(`/api/v1/tickets/${other.id}/attachments/${text.id}/content?key=${primaryKey}`)).statusCode).toBe(404);
        expect((await download(`/api/v1/tickets/${ticket.id}/attachments/00000000-0000-7000-8000-000000000000/content?key=${primaryKey}`)).statusCode).toBe(
          404,
        );
      });

      it('downloads through the signed src without a key until it expires; a tampered or expired link is 403', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const data = Buffer.from('signed download bytes');
        const [attachment] = (await upload(primaryKey, ticket.id, [userPart, file('s.txt', data)])).body.item.attachments;
        const src = new URL(attachment.src);
        expect(src.origin).toBe(PUBLIC_URL);
        const path = src.pathname + src.search;

        const ok = await download(path);
        expect(ok.statusCode).toBe(200);
        expect(ok.rawPayload.equals(data)).toBe(true);
        expect(ok.headers['content-disposition']).toBe(`attachment; filename="s.txt"; filename*=UTF-8''s.txt`);
        expect(ok.headers['x-content-type-options']).toBe('nosniff');
        expect(ok.headers['content-security-policy']).toContain('sandbox');
        expect(ok.headers['cache-control']).toMatch(/^private, max-age=\d+$/);
        const ranged = await download(path, { range: 'bytes=7-14' });
        expect(ranged.statusCode).toBe(206);
        expect(ranged.body).toBe('download');

        const signature = src.searchParams.get('signature')!;
        const flipped = signature.slice(0, -1) + (signature.endsWith('A') ? 'B' : 'A');
        const expires = Number(src.searchParams.get('expires'));
        const tampered = [
          path.replace(signature, flipped),
          path.replace(`expires=${expires}`, `expires=${expires + 3600}`),
          path.replace(attachment.id, '00000000-0000-7000-8000-000000000000'),
          src.pathname,
        ];
        for (const bad of tampered) {
          const answer = await download(bad);
          expect(answer.statusCode, bad).toBe(403);
          expect(JSON.parse(answer.body)).toMatchObject({ code: 'forbidden' });
        }
        // The link works for about an hour (ATTACHMENT_URL_TTL_SECONDS), then not.
        expect(expires * 1000 - Date.parse(clock.now())).toBeGreaterThanOrEqual(3600_000);
        expect(expires * 1000 - Date.parse(clock.now())).toBeLessThanOrEqual(3900_000);
        const saved = clock.now();
        clock.advance(3 * 3600_000);
        try {
          const expired = await download(path);
          expect(expired.statusCode).toBe(403);
          expect(JSON.parse(expired.body).detail).toMatch(/expired/);
          // A fresh listing signs a fresh link.
          const fresh = new URL((await api.get(`/tickets/${ticket.id}/attachments`)).body.items[0].src);
          expect((await download(fresh.pathname + fresh.search)).statusCode).toBe(200);
        } finally {
          clock.set(saved);
        }
      });

      it('stores the same bytes once per instance, also twice in one request; each attachment downloads them', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const data = Buffer.from('the same bytes, three times');
        const one = await upload(primaryKey, ticket.id, [userPart, file('one.txt', data), file('two.txt', data)]);
        const three = await upload(primaryKey, ticket.id, [userPart, file('three.txt', data)]);
        expect([one.status, three.status]).toEqual([201, 201]);
        const state = await rows(instanceId);
        expect(state.attachments).toBe(3);
        expect(state.blobs).toHaveLength(1);
        expect(state.blobs[0]).toMatchObject({ sha256: sha256(data), ref_count: 3 });
        expect(await objectsOf(instanceId)).toHaveLength(1);
        expect((await api.get('/instance')).body.item.storageUsedBytes).toBe(data.length);
        for (const a of [...one.body.item.attachments, ...three.body.item.attachments]) {
          const body = await download(`/api/v1/tickets/${ticket.id}/attachments/${a.id}/content?key=${primaryKey}`);
          expect(body.rawPayload.equals(data)).toBe(true);
        }
        // Another instance keeps its own copy: content-addressed per instance.
        const other = await createInstance(t.app);
        const otherTicket = await createTicket(other.api);
        expect((await upload(other.primaryKey, otherTicket.id, [userPart, file('mine.txt', data)])).status).toBe(201);
        expect(await objectsOf(other.id)).toHaveLength(1);
      });

      it('a file over ATTACHMENT_MAX_BYTES is 413 and nothing is stored: no row, no blob, no temporary file', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        const tooLarge = await upload(primaryKey, ticket.id, [userPart, file('small.txt', 'fits'), file('big.bin', Buffer.alloc(MAX_BYTES + 1, 7))]);
        expect(tooLarge.status).toBe(413);
        expect(tooLarge.body).toMatchObject({ code: 'payload_too_large', status: 413 });
        await expectNothingStored(instanceId, before);
        // Exactly the limit is fine.
        expect((await upload(primaryKey, ticket.id, [userPart, file('limit.bin', Buffer.alloc(MAX_BYTES, 7))])).status).toBe(201);
      });

      it('a file over ATTACHMENT_MAX_BYTES in a body that ends before its part does is 413 too, not a malformed form', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        // The whole body at once, cut off inside the file: the parser reaches its end before the size check has read the file.
        const { payload, contentType } = multipartForm([userPart, file('big.bin', Buffer.alloc(MAX_BYTES + 1000, 7))]);
        const response = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${ticket.id}/attachments?key=${primaryKey}`,
          headers: { 'content-type': contentType },
          payload: payload.subarray(0, payload.length - 500),
        });
        expect(response.statusCode, response.body).toBe(413);
        expect(JSON.parse(response.body)).toMatchObject({ code: 'payload_too_large' });
        expect(response.headers.connection).toBe('close');
        await expectNothingStored(instanceId, before);
      });

      it(`more than ATTACHMENT_MAX_FILES (${MAX_FILES}) files in one request is 413, nothing stored`, async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        const answer = await upload(primaryKey, ticket.id, [userPart, ...[1, 2, 3, 4].map((n) => file(`${n}.txt`, `file ${n}`))]);
        expect(answer.status).toBe(413);
        expect(answer.body.detail).toMatch(/at most 3 files/);
        await expectNothingStored(instanceId, before);
      });

      it('a zero-byte file is fine', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const answer = await upload(primaryKey, ticket.id, [userPart, file('empty.txt', Buffer.alloc(0), 'text/plain')]);
        expect(answer.status).toBe(201);
        const [empty] = answer.body.item.attachments;
        expect(empty).toMatchObject({ size: 0, sha256: sha256(''), contentType: 'text/plain', isImage: false });
        const body = await download(`/api/v1/tickets/${ticket.id}/attachments/${empty.id}/content?key=${primaryKey}`, { range: 'bytes=0-10' });
        expect(body.statusCode).toBe(200);
        expect(body.headers['content-length']).toBe('0');
        expect(body.rawPayload.length).toBe(0);
      });

      it('file names are labels only: path tricks are inert, control characters go', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const names = ['../../../etc/passwd', '..\\..\\boot.ini', '..', 'a\u0007b\u202e.txt', `/abs/${'x'.repeat(300)}.txt`];
        const answer = await upload(primaryKey, ticket.id, [userPart, ...names.slice(0, 3).map((n, i) => file(n, `n${i}`))]);
        expect(answer.status).toBe(201);
        expect(answer.body.item.attachments.map((a: { filename: string }) => a.filename)).toEqual(['passwd', 'boot.ini', 'file']);
        const more = await upload(primaryKey, ticket.id, [userPart, ...names.slice(3).map((n, i) => file(n, `m${i}`))]);
        expect(more.status).toBe(201);
        const [control, long] = more.body.item.attachments;
        expect(control.filename).toBe('ab.txt');
        expect([...long.filename]).toHaveLength(255);
        expect(long.filename.endsWith('.txt')).toBe(true);
        // Stored by content only: every object is under the instance, named by its SHA-256.
        for (const key of await objectsOf(instanceId)) expect(key).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{64}\.[0-9a-f]+$/);
        if (t.filesDir) expect(readdirSync(t.filesDir).sort()).toEqual(expect.arrayContaining([instanceId]));
      });

      it('refuses executables by their bytes or their name (415), storing nothing', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        await upload(primaryKey, ticket.id, [userPart, file('ok.txt', 'fine')]);
        const before = await rows(instanceId);
        const windowsProgram = Buffer.alloc(512);
        windowsProgram.write('MZ', 0);
        for (const parts of [
          [file('report.pdf', windowsProgram)],
          [file('setup.EXE', 'not really')],
          [file('fine.txt', 'fine'), file('run.ps1', 'Remove-Item')],
        ]) {
          const answer = await upload(primaryKey, ticket.id, [userPart, ...parts]);
          expect(answer.status).toBe(415);
          expect(answer.body.code).toBe('unsupported_media_type');
          await expectNothingStored(instanceId, before);
        }
      });

      it('an unknown ticket or another instance’s ticket is 404 for every attachment route, before a byte is stored', async () => {
        const mine = await createInstance(t.app);
        const theirs = await createInstance(t.app);
        const ticket = await createTicket(theirs.api);
        const [attachment] = (await upload(theirs.primaryKey, ticket.id, [userPart, file('theirs.txt', 'secret')])).body.item.attachments;
        const activity = (await theirs.api.get(`/tickets/${ticket.id}/activities`)).body.items[0].id;
        const before = await rows(mine.id);
        for (const ref of [ticket.id, ticket.ticketId, '999999', 'not-a-ticket']) {
          expect((await upload(mine.primaryKey, ref, [userPart, file('x.txt', 'x')])).status).toBe(404);
          expect((await mine.api.post(`/tickets/${ref}/attachments`, { attachments: [{ src: 'https://example.com' }], user })).status).toBe(404);
          expect((await mine.api.get(`/tickets/${ref}/attachments`)).status).toBe(404);
          expect((await download(`/api/v1/tickets/${ref}/attachments/${attachment.id}/content?key=${mine.primaryKey}`)).statusCode).toBe(404);
        }
        expect((await mine.api.get(`/tickets/activity/${activity}/attachments`)).status).toBe(404);
        await expectNothingStored(mine.id, before);
      });

      it('a read-only key cannot upload (403) but lists and downloads', async () => {
        const { id: instanceId, api, primaryKey, secondaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const [attachment] = (await upload(primaryKey, ticket.id, [userPart, file('r.txt', 'read me')])).body.item.attachments;
        expect((await api.put('/instance', { keyAccess: { secondary: 'readOnly' } })).status).toBe(200);
        const before = await rows(instanceId);
        const refused = await upload(secondaryKey, ticket.id, [userPart, file('w.txt', 'write')]);
        expect(refused.status).toBe(403);
        expect(
          (await client(t.app, secondaryKey).post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com' }], user })).status,
        ).toBe(403);
        await expectNothingStored(instanceId, before);
        const readOnly = client(t.app, secondaryKey);
        expect((await readOnly.get(`/tickets/${ticket.id}/attachments`)).body.itemCount).toBe(1);
        const body = await download(`/api/v1/tickets/${ticket.id}/attachments/${attachment.id}/content?key=${secondaryKey}`);
        expect(body.statusCode).toBe(200);
        expect(body.body).toBe('read me');
      });

      it('adds links (JSON, http and https only) as one activity', async () => {
        const { id: instanceId, api } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const answer = await api.post(`/tickets/${ticket.id}/attachments`, {
          attachments: [{ src: 'https://docs.example.com/guide/setup.png?v=2', caption: 'Setup guide' }, { src: 'http://example.com/builds/app.zip' }],
          comment: 'See these',
          user,
        });
        expect(answer.status).toBe(201);
        expect(answer.body.item).toMatchObject({ comment: 'See these', ticketId: ticket.id, ticketNo: ticket.ticketId });
        expect(answer.body.item.attachments).toMatchObject([
          {
            src: 'https://docs.example.com/guide/setup.png?v=2',
            caption: 'Setup guide',
            filename: 'setup.png',
            isHyperlink: true,
            isImage: true,
            isArchive: false,
            size: null,
            sha256: null,
            contentType: null,
          },
          { src: 'http://example.com/builds/app.zip', caption: null, filename: 'app.zip', isHyperlink: true, isImage: false, isArchive: true },
        ]);
        // A link has no content to download.
        const [link] = answer.body.item.attachments;
        expect((await api.get(`/tickets/${ticket.id}/attachments/${link.id}/content`)).status).toBe(404);

        const before = await rows(instanceId);
        for (const src of [
          'javascript:alert(1)',
          'data:text/html,<script>alert(1)</script>',
          'ftp://example.com/a',
          'file:///etc/passwd',
          '/relative/path',
          'not a url',
        ]) {
          const refused = await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://fine.example.com' }, { src }], user });
          expect(refused.status, src).toBe(400);
          expect(refused.body.errors).toEqual([{ path: '/body/attachments/1/src', message: expect.any(String) }]);
        }
        expect((await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [], user })).status).toBe(400);
        expect((await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com' }] })).status).toBe(400);
        await expectNothingStored(instanceId, before);
      });

      it('a private note’s attachments are marked private everywhere, and their event says so (no delivery to the requestor takes it)', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const note = await upload(primaryKey, ticket.id, [
          userPart,
          { name: 'isPrivate', value: 'true' },
          { name: 'comment', value: 'internal' },
          file('internal.txt', 'x'),
        ]);
        expect(note.status).toBe(201);
        expect(note.body.item).toMatchObject({ isPrivate: true, attachments: [{ isPrivate: true }] });
        expect((await api.get(`/tickets/${ticket.id}/attachments`)).body.items[0].isPrivate).toBe(true);
        const activity = (await api.get(`/tickets/${ticket.id}/activities`)).body.items[0];
        expect(activity).toMatchObject({ isPrivate: true, attachments: [{ isPrivate: true }] });
        const events = (await api.get('/instance/events')).body.items.filter((e: { type: string }) => e.type === 'ticket.attachmentAdded');
        expect(events).toHaveLength(1);
        expect(events[0]).toMatchObject({ ticket: ticket.id, ticketId: ticket.ticketId, payload: { isPrivate: true, activityId: note.body.item.id } });
        expect(events[0].payload.attachments[0]).toMatchObject({ filename: 'internal.txt', size: 1 });
        expect(events[0].payload.attachments[0].src).toBeUndefined();
      });

      it('checks the text parts: user required and well-formed, known parts only, isPrivate true or false; nothing stored on a refusal', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        const cases: [FormPart[], string][] = [
          [[file('a.txt', 'a')], '/body/user'],
          [[{ name: 'user', value: '{not json' }, file('a.txt', 'a')], '/body/user'],
          [[{ name: 'user', value: JSON.stringify({ id: '', name: 'n', email: 'e' }) }, file('a.txt', 'a')], '/body/user/id'],
          [[userPart, { name: 'isPrivate', value: 'yes' }, file('a.txt', 'a')], '/body/isPrivate'],
          [[userPart, { name: 'colour', value: 'red' }, file('a.txt', 'a')], '/body/colour'],
          [[userPart, { name: 'comment', value: 'no files' }], '/body/files'],
          [[userPart, { name: 'attachment', filename: 'a.txt', data: Buffer.from('a') }], '/body/attachment'],
        ];
        for (const [parts, path] of cases) {
          const answer = await upload(primaryKey, ticket.id, parts);
          expect(answer.status, path).toBe(400);
          expect(answer.body.errors.map((e: { path: string }) => e.path)).toContain(path);
        }
        // `user` may also come as a part of type application/json, and the comment as HTML only.
        const html = await upload(primaryKey, ticket.id, [
          { name: 'user', value: JSON.stringify(user), type: 'application/json' },
          { name: 'comment_HTML', value: '<p>See <b>this</b></p><script>alert(1)</script>' },
          file('a.txt', 'a'),
        ]);
        expect(html.status).toBe(201);
        expect(html.body.item.comment).toBe('See this');
        expect(html.body.item.comment_HTML).toBe('<p>See <b>this</b></p>');
        expect((await rows(instanceId)).attachments).toBe(before.attachments + 1);
        // Any other body type is still 415.
        const text = await t.app.inject({
          method: 'POST',
          url: `/api/v1/tickets/${ticket.id}/attachments?key=${primaryKey}`,
          headers: { 'content-type': 'text/plain' },
          payload: 'hi',
        });
        expect(text.statusCode).toBe(415);
      });

      it('the storage quota (set by the operator) answers 507 insufficient_storage, storing nothing; the same bytes again need no room', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        // An instance's own key cannot set it.
        const own = await api.put('/instance', { storageQuotaBytes: 10 });
        expect(own.status).toBe(403);
        const admin = await t.app.inject({
          method: 'PUT',
          url: `/api/v1/admin/instances/${instanceId}`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
          payload: JSON.stringify({ storageQuotaBytes: 100 }),
        });
        expect(admin.statusCode).toBe(200);
        expect(JSON.parse(admin.body).item).toMatchObject({ storageQuotaBytes: 100, storageUsedBytes: 0 });
        expect((await upload(primaryKey, ticket.id, [userPart, file('p.png', PNG)])).status).toBe(201);
        const before = await rows(instanceId);
        const over = await upload(primaryKey, ticket.id, [userPart, file('more.txt', Buffer.alloc(40, 1))]);
        expect(over.status).toBe(507);
        expect(over.body).toMatchObject({ code: 'insufficient_storage', status: 507 });
        await expectNothingStored(instanceId, before);
        expect((await api.get('/instance')).body.item).toMatchObject({ storageQuotaBytes: 100, storageUsedBytes: PNG.length });
        expect((await upload(primaryKey, ticket.id, [userPart, file('again.png', PNG)])).status).toBe(201);
      });

      it('a body that is not the multipart form its Content-Type says is 400 invalid_request, storing nothing', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        const form = multipartForm([userPart, file('notes.txt', 'some notes')]);
        const send = (contentType: string, payload: Buffer) =>
          t.app.inject({
            method: 'POST',
            url: `/api/v1/tickets/${ticket.id}/attachments?key=${primaryKey}`,
            headers: { 'content-type': contentType },
            payload,
          });
        const cases: [string, Buffer][] = [
          ['multipart/form-data; boundary=not-the-one-in-the-body', form.payload], // no part found
          ['multipart/form-data', form.payload], // no boundary at all
          [form.contentType, form.payload.subarray(0, form.payload.length - 40)], // the closing boundary cut off
        ];
        for (const [contentType, payload] of cases) {
          const answer = await send(contentType, payload);
          expect([answer.statusCode, JSON.parse(answer.body).code], contentType).toEqual([400, 'invalid_request']);
          expect(JSON.parse(answer.body).detail).toMatch(/^The multipart\/form-data body is malformed: /);
        }
        await expectNothingStored(instanceId, before);
        expect((await send(form.contentType, form.payload)).statusCode).toBe(201);
      });

      it('a client that disconnects mid-upload leaves no file and no row', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const before = await rows(instanceId);
        const address = await t.app.listen({ port: 0, host: '127.0.0.1' });
        const { port } = new URL(address);
        const declared = MAX_BYTES - 1000;
        const head = multipartForm([userPart, file('big.bin', Buffer.alloc(0))]);
        // The form up to the file's bytes; the file then stops half-way and the connection drops.
        const [opening] = head.payload.toString('latin1').split(/\r\n--[^\r\n]*--\r\n$/);
        const cut = opening!;
        const socket = connect(Number(port), '127.0.0.1');
        await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
        socket.write(
          `POST /api/v1/tickets/${ticket.id}/attachments?key=${primaryKey} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: ${head.contentType}\r\nContent-Length: ${Buffer.byteLength(cut, 'latin1') + declared + 100}\r\n\r\n`,
        );
        socket.write(Buffer.from(cut, 'latin1'));
        // Past one S3 part (5 MiB), so the object store has a multipart upload under way.
        const sent = Buffer.alloc(5.5 * 1024 * 1024, 3);
        for (let at = 0; at < sent.length; at += 64 * 1024) socket.write(sent.subarray(at, at + 64 * 1024));
        await new Promise((resolve) => setTimeout(resolve, 1500));
        if (storageKind === 'disk') expect(await temps()).toHaveLength(1); // the upload was under way
        socket.destroy();
        // The server notices, removes what it wrote, and records nothing.
        for (let i = 0; i < 100 && (await temps()).length > 0; i++) await new Promise((resolve) => setTimeout(resolve, 100));
        await new Promise((resolve) => setTimeout(resolve, 300));
        await expectNothingStored(instanceId, before);
        // The server still works.
        expect((await upload(primaryKey, ticket.id, [userPart, file('after.txt', 'after')])).status).toBe(201);
      });

      it('caps a ticket at 1000 attachments (409); the nightly sweep then removes the blob that upload left, once its pin runs out, and dead temporary objects', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const links = Array.from({ length: 50 }, (_, i) => ({ src: `https://example.com/${i}` }));
        for (let i = 0; i < 20; i++) expect((await api.post(`/tickets/${ticket.id}/attachments`, { attachments: links, user })).status).toBe(201);
        expect((await api.post(`/tickets/${ticket.id}/attachments`, { attachments: [{ src: 'https://example.com/one-more' }], user })).status).toBe(409);

        // An upload refused this late has put its bytes in storage already: its blob is held, then swept.
        const orphan = Buffer.from('bytes of a refused upload');
        const refused = await upload(primaryKey, ticket.id, [userPart, file('late.txt', orphan)]);
        expect(refused.status).toBe(409);
        expect((await rows(instanceId)).blobs).toMatchObject([{ sha256: sha256(orphan), ref_count: 0 }]);
        // A blob in use on another ticket stays whatever happens.
        const other = await createTicket(api);
        const kept = (await upload(primaryKey, other.id, [userPart, file('kept.txt', 'kept')])).body.item.attachments[0];
        const dead = await t.storage.writeTemp(Readable.from([Buffer.from('an upload that died')]));
        expect(await objectsOf(instanceId)).toHaveLength(2);
        const usedBefore = (await api.get('/instance')).body.item.storageUsedBytes;

        // Still held by its upload's pin (an upload in flight looks the same): kept.
        await t.attachments.sweep();
        expect((await rows(instanceId)).blobs).toHaveLength(2);
        expect(await temps()).toContain(dead);

        const saved = clock.now();
        clock.advance(25 * 3600_000);
        try {
          const swept = await t.attachments.sweep();
          expect(swept.blobs).toBeGreaterThanOrEqual(1);
          expect(swept.temps).toBeGreaterThanOrEqual(1);
          expect((await rows(instanceId)).blobs.map((b) => b.sha256)).toEqual([sha256('kept')]);
          expect(await objectsOf(instanceId)).toHaveLength(1);
          expect(await temps()).toEqual([]);
          expect((await api.get('/instance')).body.item.storageUsedBytes).toBe(usedBefore - orphan.length);
          const body = await download(`/api/v1/tickets/${other.id}/attachments/${kept.id}/content?key=${primaryKey}`);
          expect(body.body).toBe('kept');
          // The same bytes uploaded after the sweep are stored afresh.
          const again = await upload(primaryKey, other.id, [userPart, file('late-again.txt', orphan)]);
          expect(again.status).toBe(201);
          const back = await download(`/api/v1/tickets/${other.id}/attachments/${again.body.item.attachments[0].id}/content?key=${primaryKey}`);
          expect(back.rawPayload.equals(orphan)).toBe(true);
        } finally {
          clock.set(saved);
        }
      });

      it('two uploads of the same new bytes at once both succeed, stored once', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        const data = Buffer.from(`concurrent ${Math.random()}`);
        const answers = await Promise.all([1, 2, 3, 4].map((n) => upload(primaryKey, ticket.id, [userPart, file(`${n}.txt`, data)])));
        expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201]);
        const state = await rows(instanceId);
        expect(state.blobs).toMatchObject([{ ref_count: 4 }]);
        expect(await objectsOf(instanceId)).toHaveLength(1);
        for (const answer of answers) {
          const body = await download(`/api/v1/tickets/${ticket.id}/attachments/${answer.body.item.attachments[0].id}/content?key=${primaryKey}`);
          expect(body.rawPayload.equals(data)).toBe(true);
        }
      });

      it('the sandbox copy of an instance copies no files', async () => {
        const { id: instanceId, api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        await upload(primaryKey, ticket.id, [userPart, file('s.txt', 'sandbox me not')]);
        const answer = await t.app.inject({
          method: 'POST',
          url: `/api/v1/admin/instances/${instanceId}/sandbox`,
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        expect(answer.statusCode).toBe(201);
        const sandbox = JSON.parse(answer.body);
        expect(sandbox.item.storageUsedBytes).toBe(0);
        expect(await objectsOf(sandbox.item.id)).toEqual([]);
        expect((await rows(sandbox.item.id)).blobs).toEqual([]);
        expect((await client(t.app, sandbox.primaryKey).get('/tickets')).body.items).toEqual([]);
      });

      it('a requestor’s upload is a reply like a comment: it sets no first response, an agent’s does', async () => {
        const { api, primaryKey } = await createInstance(t.app);
        const ticket = await createTicket(api);
        await upload(primaryKey, ticket.id, [{ name: 'user', value: JSON.stringify(requestor) }, file('r.txt', 'from the requestor')]);
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).toBeNull();
        await upload(primaryKey, ticket.id, [{ name: 'user', value: JSON.stringify(agent) }, file('a.txt', 'from the agent')]);
        expect((await api.get(`/tickets/${ticket.id}`)).body.item.firstResponseOn).not.toBeNull();
      });
    });
  }
}

describe.skipIf(DIALECTS.every((d) => d.skip))('the nightly sweep is housekeeping of the scheduler', () => {
  for (const dialect of DIALECTS.filter((d) => !d.skip)) {
    it(`${dialect.name}: scheduled once for 03:00 UTC, run when due by one process, then moved to the next night`, async () => {
      const clock = new FakeClock(Date.parse('2026-11-23T08:00:00.000Z'));
      // A store of its own: a sweep on the shared test database would sweep other tests' instances.
      const databaseUrl = dialect.name === 'postgres' ? await freshDatabase() : undefined;
      const t = await createTestApp(dialect.name, { clock, ...(databaseUrl ? { databaseUrl } : {}) });
      try {
        t.scheduler.start();
        const job = async () => t.store.db.selectFrom('jobs').select(['run_at', 'instance_id']).where('kind', '=', 'attachments.sweep').executeTakeFirst();
        for (let i = 0; i < 100 && !(await job()); i++) await new Promise((resolve) => setTimeout(resolve, 20));
        await t.scheduler.stop();
        expect(await job()).toEqual({ run_at: '2026-11-24T03:00:00.000Z', instance_id: '' });
        expect(await t.scheduler.runDue()).toBe(0);
        const { id: instanceId } = await createInstance(t.app);
        await t.store.db
          .insertInto('attachment_blobs')
          .values({
            instance_id: instanceId,
            sha256: 'f'.repeat(64),
            storage_key: `${instanceId}/ff/${'f'.repeat(64)}.1`,
            size: 1,
            ref_count: 0,
            pinned_until: null,
            created_on: clock.now(),
          })
          .execute();
        clock.set('2026-11-24T03:00:01.000Z');
        expect(await t.scheduler.runDue()).toBe(1);
        expect(await job()).toEqual({ run_at: '2026-11-25T03:00:00.000Z', instance_id: '' });
        for (
          let i = 0;
          i < 100 && (await t.store.db.selectFrom('attachment_blobs').select('sha256').where('instance_id', '=', instanceId).execute()).length > 0;
          i++
        ) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        expect(await t.store.db.selectFrom('attachment_blobs').select('sha256').where('instance_id', '=', instanceId).execute()).toEqual([]);
      } finally {
        await t.scheduler.stop();
        await t.close();
        if (databaseUrl) await dropPostgresDatabase(databaseUrl);
      }
    });
  }
});

const freshDatabase = () => freshPostgresDatabase(postgresUrl!, 'ticketing_sweep');
