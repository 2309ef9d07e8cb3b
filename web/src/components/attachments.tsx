import { useCallback, useEffect, useRef, useState, type ClipboardEvent, type DragEvent, type ReactNode } from 'react';
import { client, errorMessage, send, sendForm } from '../lib/api.js';
import type { Attachment, User } from '../lib/types.js';

/*
 * Files and links on tickets (docs/api.md §12): what a comment or a new ticket will attach (a
 * draft: dropped, pasted or picked files, and links), how it is sent (one upload with progress,
 * then the links), and how attachments are shown (thumbnails for images, private ones marked).
 */

export interface DraftFile {
  key: string;
  file: File;
  /** An object URL of an image, for its thumbnail before it is sent. */
  preview?: string;
}
export interface DraftLink {
  key: string;
  src: string;
  caption: string;
}

export interface AttachmentDraft {
  files: DraftFile[];
  links: DraftLink[];
  isEmpty: boolean;
  addFiles(files: Iterable<File>): void;
  removeFile(key: string): void;
  /** Adds a link; answers why not when it is not an http(s) URL. */
  addLink(src: string, caption: string): string | undefined;
  removeLink(key: string): void;
  clear(): void;
}

const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);
let nextKey = 0;

/** A draft of attachments; the thumbnails' object URLs are released with the files. */
export function useAttachmentDraft(): AttachmentDraft {
  const [files, setFiles] = useState<DraftFile[]>([]);
  const [links, setLinks] = useState<DraftLink[]>([]);
  const previews = useRef(new Set<string>());
  useEffect(() => {
    const urls = previews.current;
    return () => urls.forEach((url) => URL.revokeObjectURL(url));
  }, []);
  const release = (file: DraftFile) => {
    if (!file.preview) return;
    URL.revokeObjectURL(file.preview);
    previews.current.delete(file.preview);
  };
  return {
    files,
    links,
    isEmpty: files.length === 0 && links.length === 0,
    addFiles(added) {
      const drafts = [...added].map((file) => {
        const preview = IMAGE_TYPES.has(file.type) ? URL.createObjectURL(file) : undefined;
        if (preview) previews.current.add(preview);
        return { key: `f${nextKey++}`, file, ...(preview ? { preview } : {}) };
      });
      setFiles((current) => [...current, ...drafts]);
    },
    removeFile(key) {
      setFiles((current) => {
        current.filter((f) => f.key === key).forEach(release);
        return current.filter((f) => f.key !== key);
      });
    },
    addLink(src, caption) {
      let url: URL;
      try {
        url = new URL(src.trim());
      } catch {
        return 'Enter a full address, such as https://example.com/guide';
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'Only http and https links can be added';
      setLinks((current) => [...current, { key: `l${nextKey++}`, src: url.toString(), caption: caption.trim() }]);
      return undefined;
    },
    removeLink(key) {
      setLinks((current) => current.filter((l) => l.key !== key));
    },
    clear() {
      files.forEach(release);
      setFiles([]);
      setLinks([]);
    },
  };
}

/** Sends a draft to a ticket: the files in one upload (with the comment, if any), then the links. */
export async function sendAttachments(
  ticketId: string,
  draft: Pick<AttachmentDraft, 'files' | 'links'>,
  options: { commentHtml?: string; isPrivate: boolean; user: User; onProgress?: (fraction: number) => void },
): Promise<void> {
  // The comment goes as HTML (the comment box writes it); the server sanitises it and makes the plain text.
  let comment = options.commentHtml?.trim() ? options.commentHtml : undefined;
  if (draft.files.length > 0) {
    const form = new FormData();
    form.append('user', JSON.stringify(options.user));
    form.append('isPrivate', String(options.isPrivate));
    if (comment) form.append('comment_HTML', comment);
    for (const { file } of draft.files) form.append('files', file, file.name);
    await sendForm(`/tickets/${encodeURIComponent(ticketId)}/attachments`, form, options.onProgress);
    comment = undefined;
  }
  if (draft.links.length > 0) {
    await send(
      client.POST('/tickets/{ticketId}/attachments', {
        params: { path: { ticketId } },
        body: {
          attachments: draft.links.map((l) => ({ src: l.src, ...(l.caption ? { caption: l.caption } : {}) })),
          ...(comment ? { comment_HTML: comment } : {}),
          isPrivate: options.isPrivate,
          user: options.user,
        },
      }),
    );
  }
}

/** Files dropped on or pasted into `children` (a comment box, a description) join the draft. */
export function DropZone(props: { draft: AttachmentDraft; children: ReactNode; label: string }) {
  const [over, setOver] = useState(false);
  const hasFiles = (event: DragEvent) => [...event.dataTransfer.types].includes('Files');
  return (
    <div
      className={`drop-zone${over ? ' over' : ''}`}
      aria-label={props.label}
      onDragOver={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        event.dataTransfer.dropEffect = 'copy';
        setOver(true);
      }}
      onDragLeave={() => setOver(false)}
      onDrop={(event) => {
        if (!hasFiles(event)) return;
        event.preventDefault();
        setOver(false);
        props.draft.addFiles(event.dataTransfer.files);
      }}
      onPaste={(event: ClipboardEvent) => {
        // Pasted screenshots arrive as files; pasted text stays text.
        if (event.clipboardData.files.length === 0) return;
        event.preventDefault();
        props.draft.addFiles(event.clipboardData.files);
      }}
    >
      {props.children}
      {over && (
        <div className="drop-hint" aria-hidden="true">
          Drop files to attach them
        </div>
      )}
    </div>
  );
}

export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '';
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(bytes < 10 * 1024 ? 1 : 0)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** The draft's files and links, with the buttons that add and remove them, and the upload's progress. */
export function DraftEditor(props: { draft: AttachmentDraft; idPrefix: string; progress?: number | undefined; disabled?: boolean }) {
  const { draft } = props;
  const input = useRef<HTMLInputElement>(null);
  const [linking, setLinking] = useState(false);
  const [src, setSrc] = useState('');
  const [caption, setCaption] = useState('');
  const [linkError, setLinkError] = useState('');
  const addLink = () => {
    const problem = draft.addLink(src, caption);
    setLinkError(problem ?? '');
    if (problem) return;
    setSrc('');
    setCaption('');
    setLinking(false);
  };
  return (
    <div className="draft-attachments">
      <div className="draft-buttons">
        <button type="button" className="small" onClick={() => input.current?.click()} disabled={props.disabled}>
          Attach files
        </button>
        <input
          ref={input}
          id={`${props.idPrefix}-files`}
          type="file"
          multiple
          hidden
          aria-label="Files to attach"
          onChange={(event) => {
            if (event.target.files) draft.addFiles(event.target.files);
            event.target.value = '';
          }}
        />
        <button type="button" className="small" onClick={() => setLinking((on) => !on)} aria-expanded={linking} disabled={props.disabled}>
          Add link
        </button>
        <span className="muted small">or drop or paste files here</span>
      </div>
      {linking && (
        <div className="link-form" role="group" aria-label="New link">
          <input
            id={`${props.idPrefix}-link`}
            type="url"
            placeholder="https://…"
            aria-label="Link address"
            value={src}
            onChange={(e) => setSrc(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === 'Enter') {
                e.preventDefault();
                addLink();
              }
            }}
          />
          <input type="text" placeholder="Caption (optional)" aria-label="Link caption" value={caption} onChange={(e) => setCaption(e.target.value)} />
          <button type="button" className="small" onClick={addLink}>
            Add
          </button>
          {linkError && (
            <div className="field-error" role="alert">
              {linkError}
            </div>
          )}
        </div>
      )}
      {!draft.isEmpty && (
        <ul className="draft-list" aria-label="To attach">
          {draft.files.map((f) => (
            <li key={f.key} className="draft-item">
              {f.preview ? <img src={f.preview} alt="" className="thumb" /> : <FileIcon />}
              <span className="name">{f.file.name}</span>
              <span className="muted small">{formatBytes(f.file.size)}</span>
              <button type="button" className="link" onClick={() => draft.removeFile(f.key)} aria-label={`Remove ${f.file.name}`} disabled={props.disabled}>
                ✕
              </button>
            </li>
          ))}
          {draft.links.map((l) => (
            <li key={l.key} className="draft-item">
              <LinkIcon />
              <span className="name">{l.caption || l.src}</span>
              <button type="button" className="link" onClick={() => draft.removeLink(l.key)} aria-label={`Remove link ${l.src}`} disabled={props.disabled}>
                ✕
              </button>
            </li>
          ))}
        </ul>
      )}
      {props.progress !== undefined && (
        <div className="upload-progress">
          <progress max={1} value={props.progress} aria-label="Upload progress" />
          <span className="small muted">{Math.round(props.progress * 100)} %</span>
        </div>
      )}
    </div>
  );
}

/**
 * A file's `src` as a path on this server: the signed download link works without a key, is
 * not counted against the instance's rate limit, and the browser may keep what it fetched.
 */
export function localSrc(src: string): string {
  const url = new URL(src, window.location.href);
  const at = url.pathname.indexOf('/files/');
  return at >= 0 ? url.pathname.slice(at) + url.search : src;
}

/** Attachments as thumbnails (images), file rows and links; private ones marked. */
export function AttachmentList(props: { attachments: Attachment[]; showPrivate?: boolean }) {
  if (props.attachments.length === 0) return null;
  const images = props.attachments.filter((a) => a.isImage && !a.isHyperlink);
  const others = props.attachments.filter((a) => !(a.isImage && !a.isHyperlink));
  const badge = (a: Attachment) => (props.showPrivate && a.isPrivate ? <span className="badge private">Private</span> : null);
  return (
    <div className="attachments">
      {images.length > 0 && (
        <ul className="thumbs" aria-label="Images">
          {images.map((a) => (
            <li key={a.id}>
              <a href={`${localSrc(a.src)}&disposition=inline`} target="_blank" rel="noopener noreferrer" title={`${a.filename} · ${formatBytes(a.size)}`}>
                <img src={localSrc(a.src)} alt={a.filename} loading="lazy" className="thumb" />
              </a>
              {badge(a)}
            </li>
          ))}
        </ul>
      )}
      {others.length > 0 && (
        <ul className="files" aria-label="Files and links">
          {others.map((a) => (
            <li key={a.id}>
              {a.isHyperlink ? (
                <>
                  <LinkIcon />
                  <a href={a.src} target="_blank" rel="noopener noreferrer nofollow">
                    {a.caption || a.filename}
                  </a>
                  {a.caption && <span className="muted small">{new URL(a.src).host}</span>}
                </>
              ) : (
                <>
                  <FileIcon />
                  <a href={localSrc(a.src)} download={a.filename}>
                    {a.filename}
                  </a>
                  <span className="muted small">{formatBytes(a.size)}</span>
                </>
              )}
              {badge(a)}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/** Every attachment of a ticket; `version` changes when something was added. */
export function FilesPanel(props: { ticketId: string; version: number }) {
  const [attachments, setAttachments] = useState<Attachment[] | null>(null);
  const [error, setError] = useState('');
  const load = useCallback(
    () =>
      send(client.GET('/tickets/{ticketId}/attachments', { params: { path: { ticketId: props.ticketId } } })).then(
        (r) => setAttachments(r.items),
        (e) => setError(errorMessage(e)),
      ),
    [props.ticketId],
  );
  useEffect(() => {
    void load();
  }, [load, props.version]);
  if (error) return <p className="field-error">{error}</p>;
  if (attachments === null || attachments.length === 0) return null;
  const privateCount = attachments.filter((a) => a.isPrivate).length;
  return (
    <section className="card" aria-labelledby="t-files">
      <h2 id="t-files">
        Files and links <span className="muted small">({attachments.length})</span>
      </h2>
      {privateCount > 0 && <p className="muted small">Files of private notes are marked Private: they are never sent to the requestor.</p>}
      <AttachmentList attachments={attachments} showPrivate />
    </section>
  );
}

function FileIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" className="file-icon">
      <path d="M4 1.5h5l3 3v10H4z" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
      <path d="M9 1.5v3h3" fill="none" stroke="currentColor" strokeWidth="1.3" strokeLinejoin="round" />
    </svg>
  );
}

function LinkIcon() {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" className="file-icon">
      <path
        d="M6.5 9.5l3-3M7 4.5l1-1a2.5 2.5 0 013.5 3.5l-1 1M9 11.5l-1 1A2.5 2.5 0 014.5 9l1-1"
        fill="none"
        stroke="currentColor"
        strokeWidth="1.3"
        strokeLinecap="round"
      />
    </svg>
  );
}
