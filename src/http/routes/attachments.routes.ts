import { Readable } from 'node:stream';
import multipart from '@fastify/multipart';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { contentDisposition, downloadType, INLINE_IMAGE_TYPES } from '../../domain/attachments.js';
import { DomainError, FieldErrors } from '../../domain/errors.js';
import { COMMENT_MAX, EMAIL_MAX, isLongerThan, USER_ID_MAX, USER_NAME_MAX } from '../../domain/limits.js';
import type { IUser } from '../../domain/ticket.js';
import type { AttachmentsService, CommentFields, Download, UploadPart } from '../../services/attachments.service.js';
import { AttachmentList, InsertLinksRequest, UploadForm, type InsertLinksBody } from '../attachment-schemas.js';
import { actingUser, type RateLimitHooks } from '../auth.js';
import { sendProblem } from '../errors.js';
import { errorResponses } from '../schema-helpers.js';

const TicketParams = Type.Object({ ticketId: Type.String({ description: 'The ticket UUID `id` or its number `ticketId`' }) });
const DispositionQuery = Type.Object(
  {
    disposition: Type.Optional(
      Type.String({
        enum: ['attachment', 'inline'],
        description: 'inline: show a PNG, JPEG, GIF or WebP image in the browser; every other type is always an attachment',
      }),
    ),
  },
  { additionalProperties: true },
);
const Binary = { description: 'The bytes (or the requested range)', content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary' } } } };

/** A file download sent with no risk of being run: attachment, nosniff, a sandboxing CSP; Range honoured. */
function sendDownload(request: FastifyRequest, reply: FastifyReply, download: Download, options: { inline: boolean; cacheControl: string }) {
  const { attachment } = download;
  const size = attachment.size ?? 0;
  const etag = `"${attachment.sha256}"`;
  const inline = options.inline && attachment.isImage && INLINE_IMAGE_TYPES.has(attachment.contentType ?? '');
  reply
    .header('Content-Type', inline ? attachment.contentType! : downloadType(attachment.contentType))
    .header('Content-Disposition', contentDisposition(inline ? 'inline' : 'attachment', attachment.filename))
    .header('X-Content-Type-Options', 'nosniff')
    // Opened as a page anyway (a link, a bad browser): no script, no plugins, no same-origin access.
    .header('Content-Security-Policy', "default-src 'none'; img-src 'self'; sandbox")
    .header('Accept-Ranges', 'bytes')
    .header('ETag', etag)
    .header('Cache-Control', options.cacheControl);
  if (download.unsatisfiable) {
    reply.header('Content-Range', `bytes */${size}`);
    return sendProblem(reply, 'invalid_request', `the range is outside the file's ${size} bytes`, undefined, 416);
  }
  if (request.headers['if-none-match'] === etag) {
    download.body?.destroy();
    return reply.code(304).send();
  }
  const { range } = download;
  if (range) reply.code(206).header('Content-Range', `bytes ${range.start}-${range.end}/${size}`);
  reply.header('Content-Length', range ? range.end - range.start + 1 : size);
  // HEAD opens nothing: an empty stream keeps the Content-Length of the GET (Fastify's HEAD
  // route sets 0 for no payload, and drains a stream it is given).
  return reply.send(download.body ?? Readable.from([]));
}

/**
 * What the form parser (busboy) throws for a body that is not the multipart/form-data its
 * Content-Type says (no boundary, the closing boundary missing, a part cut short): the client's
 * error, not the server's. Its errors carry no code, only these messages.
 */
const MALFORMED_FORM = /^(Multipart: Boundary not found|Unexpected end of multipart data|\w+ terminated early due to unexpected end of multipart data)$/;

const TEXT_PARTS = new Set(['comment', 'comment_HTML', 'isPrivate', 'user']);

/** The text parts of an upload form, checked as the JSON schema checks a body (every bad part at once). */
export function parseUploadFields(raw: Map<string, unknown[]>, acting: (given: IUser | undefined) => IUser = requireUser): CommentFields {
  const errors = new FieldErrors();
  const text = (name: string): string | undefined => {
    const values = raw.get(name);
    if (!values) return undefined;
    if (values.length > 1) errors.add(`/body/${name}`, 'is given more than once');
    const value = values[0];
    if (typeof value !== 'string') {
      errors.add(`/body/${name}`, 'must be text');
      return undefined;
    }
    if (value.includes('\u0000')) errors.add(`/body/${name}`, 'must not contain NUL (\\u0000) characters');
    return value;
  };
  for (const name of raw.keys()) if (!TEXT_PARTS.has(name)) errors.add(`/body/${name}`, 'is not a known part (comment, comment_HTML, isPrivate, user, files)');
  const comment = text('comment');
  if (comment !== undefined && isLongerThan(comment, COMMENT_MAX)) errors.add('/body/comment', `must have at most ${COMMENT_MAX} characters`);
  const commentHtml = text('comment_HTML');
  if (commentHtml !== undefined && isLongerThan(commentHtml, COMMENT_MAX)) errors.add('/body/comment_HTML', `must have at most ${COMMENT_MAX} characters`);
  const privateText = text('isPrivate')?.trim().toLowerCase();
  if (privateText !== undefined && privateText !== 'true' && privateText !== 'false') errors.add('/body/isPrivate', 'must be "true" or "false"');
  const user = parseUser(raw.get('user')?.[0], errors);
  errors.throwIfAny();
  return { comment, comment_HTML: commentHtml, isPrivate: privateText === 'true', user: acting(user) };
}

/** Without a signed-in person (an instance key), the form names the acting user. */
function requireUser(given: IUser | undefined): IUser {
  if (!given) throw new DomainError('validation_failed', '/body/user is required', [{ path: '/body/user', message: 'is required' }]);
  return given;
}

/** The `user` part: JSON text (or a part sent as application/json, parsed already) of an IUser. */
function parseUser(value: unknown, errors: FieldErrors): IUser | undefined {
  // Absent: the signed-in person acts, or (with a key) requireUser says it is missing.
  if (value === undefined) return undefined;
  let user: unknown = value;
  if (typeof value === 'string') {
    try {
      user = JSON.parse(value);
    } catch {
      errors.add('/body/user', 'must be JSON text: {"id": …, "name": …, "email": …}');
      return undefined;
    }
  }
  if (typeof user !== 'object' || user === null || Array.isArray(user)) {
    errors.add('/body/user', 'must be an object {"id", "name", "email"}');
    return undefined;
  }
  const fields = user as Record<string, unknown>;
  const limits = { id: USER_ID_MAX, name: USER_NAME_MAX, email: EMAIL_MAX } as const;
  for (const [name, max] of Object.entries(limits)) {
    const field = fields[name];
    if (typeof field !== 'string') errors.add(`/body/user/${name}`, field === undefined ? 'is required' : 'must be a string');
    else if (name === 'id' && field.length === 0) errors.add('/body/user/id', 'must not be empty');
    else if (isLongerThan(field, max)) errors.add(`/body/user/${name}`, `must have at most ${max} characters`);
    else if (field.includes('\u0000')) errors.add(`/body/user/${name}`, 'must not contain NUL (\\u0000) characters');
  }
  for (const name of Object.keys(fields)) if (!(name in limits)) errors.add(`/body/user/${name}`, 'is not a known field');
  return { id: fields.id as string, name: fields.name as string, email: fields.email as string };
}

/** The attachment routes of the API (docs/api.md §12), behind the instance's key like every other. */
export const attachmentsRoutes =
  (attachments: AttachmentsService): FastifyPluginAsyncTypebox =>
  async (app) => {
    const { limits } = attachments;
    // Only these routes read multipart/form-data: on every other route it stays a 415.
    await app.register(multipart, {
      limits: {
        // One byte past the limit, so the service sees the file is too large (and says so) rather than a truncated one.
        fileSize: limits.maxBytes + 1,
        files: limits.maxFiles + 1,
        fields: 20,
        fieldSize: 1024 * 1024,
        parts: limits.maxFiles + 21,
        headerPairs: 100,
      },
    });

    app.get(
      '/tickets/:ticketId/attachments',
      {
        schema: {
          tags: ['attachments'],
          summary: 'List the attachments of a ticket, oldest first',
          description: "Files and links, private notes' ones included (marked isPrivate). docs/api.md §12.",
          params: TicketParams,
          response: { 200: AttachmentList, ...errorResponses(401, 404) },
        },
      },
      async (request) => attachments.listForTicket(request.auth.instanceId, request.params.ticketId),
    );

    app.get(
      '/tickets/activity/:activityId/attachments',
      {
        schema: {
          tags: ['attachments'],
          summary: 'List the attachments of one activity',
          params: Type.Object({ activityId: Type.String({ description: "The activity's id" }) }),
          response: { 200: AttachmentList, ...errorResponses(401, 404) },
        },
      },
      async (request) => attachments.listForActivity(request.auth.instanceId, request.params.activityId),
    );

    app.post(
      '/tickets/:ticketId/attachments',
      {
        schema: {
          tags: ['attachments'],
          summary: 'Add files (multipart/form-data) or links (JSON), recorded as one comment',
          description:
            'Files: multipart/form-data with one `files` part per file and the text parts `comment`, `comment_HTML`, `isPrivate` ("true"/"false") and `user` (JSON text). Each file streams to storage; the same bytes are stored once per instance. Links: JSON `{ attachments: [{ src, caption }], comment?, comment_HTML?, isPrivate?, user }`, http(s) only. Either way one activity (a comment, empty when none is given) holds the attachments, and the answer is that comment. 413 beyond ATTACHMENT_MAX_BYTES per file or ATTACHMENT_MAX_FILES files (nothing stored), 415 for blocked types, 507 beyond the storage quota. docs/api.md §12.',
          params: TicketParams,
          // Only JSON is validated here; the form's parts are checked as they stream in.
          body: { content: { 'application/json': { schema: InsertLinksRequest } } },
          multipartForm: UploadForm,
          response: { 201: Type.Object({ item: Type.Ref('IComment') }), ...errorResponses(400, 401, 403, 404, 409, 413, 415, 507) },
        },
      },
      async (request, reply) => {
        const { instanceId } = request.auth;
        const { ticketId } = request.params;
        let item;
        if (request.isMultipart()) {
          try {
            item = await attachments.upload(instanceId, ticketId, request.parts() as AsyncIterable<UploadPart>, (raw) =>
              parseUploadFields(raw, (given) => actingUser(request, given)),
            );
          } catch (error) {
            // Refused before the body was read to its end: the rest is not worth receiving. A file
            // too large closes it in any case: the client's next one is likely as large.
            if (!request.raw.complete || (error instanceof DomainError && error.code === 'payload_too_large')) reply.header('Connection', 'close');
            if (error instanceof Error && MALFORMED_FORM.test(error.message)) {
              throw new DomainError('invalid_request', `The multipart/form-data body is malformed: ${error.message}`);
            }
            throw error;
          }
        } else {
          const { attachments: links, user, comment, comment_HTML, isPrivate } = request.body as InsertLinksBody;
          item = await attachments.addLinks(instanceId, ticketId, links, { user: user as IUser, comment, comment_HTML, isPrivate });
        }
        reply.code(201);
        return { item };
      },
    );

    app.get(
      '/tickets/:ticketId/attachments/:attachmentId/content',
      {
        compress: false,
        schema: {
          tags: ['attachments'],
          summary: "Download a file's bytes",
          description:
            'Streamed, with `Content-Disposition: attachment` (RFC 6266 file name), `X-Content-Type-Options: nosniff` and a sandboxing Content-Security-Policy; `Range: bytes=…` answers 206 with that part (416 outside the file); `ETag` is the SHA-256. `disposition=inline` shows PNG, JPEG, GIF and WebP images in the browser. A link has no content (404).',
          params: Type.Object({ ticketId: TicketParams.properties.ticketId, attachmentId: Type.String() }),
          querystring: DispositionQuery,
          response: { 200: Binary, 206: Binary, ...errorResponses(401, 404, 416) },
        },
      },
      async (request, reply) => {
        const download = await attachments.openContent(request.auth.instanceId, request.params.ticketId, request.params.attachmentId, {
          range: request.headers.range,
          head: request.method === 'HEAD',
        });
        return sendDownload(request, reply, download, { inline: request.query.disposition === 'inline', cacheControl: 'private, no-store' });
      },
    );
  };

/**
 * Downloads through a file's signed `src` link (`/files/<instance>/<attachment>/<name>?expires=…&signature=…`):
 * no key, so that an <img> or a link in an e-mail works, until the link expires. Outside /api/v1,
 * whose routes all take a key; a wrong signature counts as a failed authentication.
 */
export const signedFilesRoutes =
  (attachments: AttachmentsService, rateLimit: RateLimitHooks | undefined): FastifyPluginAsync =>
  async (app) => {
    app.get<{
      Params: { instanceId: string; attachmentId: string; filename: string };
      Querystring: { expires?: string; signature?: string; disposition?: string };
    }>('/files/:instanceId/:attachmentId/:filename', { compress: false, schema: { hide: true } }, async (request, reply) => {
      if (rateLimit && (await rateLimit.refuseBlockedAddress(request, reply))) return reply;
      let opened;
      try {
        opened = await attachments.openSigned(
          {
            instanceId: request.params.instanceId,
            attachmentId: request.params.attachmentId,
            expires: request.query.expires,
            signature: request.query.signature,
          },
          { range: request.headers.range, head: request.method === 'HEAD' },
        );
      } catch (error) {
        if (error instanceof DomainError && error.code === 'forbidden' && rateLimit && (await rateLimit.countAuthFailure(request, reply))) return reply;
        throw error;
      }
      // Content-addressed: the bytes never change, so the browser may keep them as long as the link works.
      const maxAge = Math.max(0, Math.floor((opened.expiresAt - Date.now()) / 1000));
      return sendDownload(request, reply, opened.download, { inline: request.query.disposition === 'inline', cacheControl: `private, max-age=${maxAge}` });
    });
  };
