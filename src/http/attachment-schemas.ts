import { Type, type Static } from 'typebox';
import { CAPTION_MAX, LINK_MAX, LINKS_PER_REQUEST } from '../domain/attachments.js';
import { COMMENT_MAX } from '../domain/limits.js';
import { nullable } from './schema-helpers.js';

/* Wire schemas of attachments (docs/api.md §12): validation, serialisation and the OpenAPI document. */

const UserRef = Type.Ref('IUser');
const DateTime = Type.String({ description: 'ISO 8601 UTC date-time' });

export const Attachment = Type.Object(
  {
    id: Type.String({ description: 'The attachment id (a UUID)' }),
    filename: Type.String({ description: 'The file name, for display only (never a path); for a link, the last segment of its path' }),
    caption: nullable(Type.String()),
    src: Type.String({
      description:
        'A file: an absolute URL under PUBLIC_URL that downloads it without a key until it expires (ATTACHMENT_URL_TTL_SECONDS, 1 hour by default); with a key, GET /tickets/{ticketId}/attachments/{attachmentId}/content downloads it at any time. A link: the link.',
    }),
    isHyperlink: Type.Boolean(),
    isImage: Type.Boolean({ description: 'A PNG, JPEG, GIF or WebP image (read from its bytes; for a link, from its extension): the only types shown inline' }),
    isArchive: Type.Boolean({ description: 'A zip, tar, gzip, 7z, rar… archive (read from its bytes; for a link, from its extension)' }),
    contentType: nullable(Type.String({ description: 'Read from the bytes where they say it, else as the client declared it; null for a link' })),
    size: nullable(Type.Integer({ description: 'Bytes; null for a link' })),
    sha256: nullable(Type.String({ description: 'SHA-256 of the bytes, hex; null for a link' })),
    createdDateTime: DateTime,
    createdBy: Type.String({ description: 'The id of the user who added it' }),
    activityId: Type.String({ description: 'The activity (comment) that added it' }),
    isPrivate: Type.Boolean({ description: 'Added with a private note: shown to agents, never sent to the requestor' }),
  },
  { $id: 'IAttachment' },
);
const AttachmentRef = Type.Unsafe<Static<typeof Attachment>>(Type.Ref('IAttachment'));

export const AttachmentList = Type.Object({ items: Type.Array(AttachmentRef), itemCount: Type.Integer({ description: 'The number of items' }) });

const CommentTexts = {
  comment: Type.Optional(Type.String({ maxLength: COMMENT_MAX, description: 'A comment recorded with the attachments' })),
  comment_HTML: Type.Optional(
    Type.String({ maxLength: COMMENT_MAX, description: 'The comment as HTML (sanitised; the plain text is derived from it when comment is absent)' }),
  ),
  isPrivate: Type.Optional(Type.Boolean({ description: 'A private note: its attachments are never sent to the requestor' })),
};

export const InsertLinksRequest = Type.Object(
  {
    attachments: Type.Array(
      Type.Object(
        {
          src: Type.String({ minLength: 1, maxLength: LINK_MAX, description: 'An absolute http or https URL' }),
          caption: Type.Optional(nullable(Type.String({ maxLength: CAPTION_MAX }))),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: LINKS_PER_REQUEST },
    ),
    ...CommentTexts,
    user: UserRef,
  },
  { additionalProperties: false, $id: 'insertLinksRequest', description: 'Links (JSON). Files go as multipart/form-data.' },
);
export type InsertLinksBody = Static<typeof InsertLinksRequest>;

/*
 * multipart/form-data is not read into a body (files stream to storage as they arrive), so
 * Fastify validates nothing of it: the parts are checked as they are read
 * (src/http/routes/attachments.routes.ts). This schema documents the form in the OpenAPI
 * document only (a route's `multipartForm`, see app.ts).
 */
export const UploadForm = Type.Object(
  {
    files: Type.Array(Type.String({ format: 'binary' }), {
      description: 'One part per file, each with its file name (ATTACHMENT_MAX_BYTES each, ATTACHMENT_MAX_FILES per request)',
    }),
    comment: Type.Optional(Type.String({ maxLength: COMMENT_MAX })),
    comment_HTML: Type.Optional(Type.String({ maxLength: COMMENT_MAX })),
    isPrivate: Type.Optional(Type.String({ enum: ['true', 'false'], description: 'true: a private note' })),
    user: Type.String({ description: 'The acting user as JSON text: {"id": …, "name": …, "email": …}' }),
  },
  { description: 'Files: one `files` part per file, and text parts.' },
);
