import { useCallback, useEffect, useId, useRef, useState, type FormEvent, type ReactNode } from 'react';
import { EscalationBadges, Field, PriorityBadge, ResolutionSelect, Spinner, StatusBadge, TagChip, UserInput } from '../components/controls.js';
import { customFieldText } from '../components/custom-field.js';
import { RichText, RichTextEditor, type EditorContent } from '../components/rich-text.js';
import { TicketForm } from '../components/ticket-form.js';
import { AttachmentList, DraftEditor, DropZone, FilesPanel, sendAttachments, useAttachmentDraft } from '../components/attachments.js';
import { ApiError, browserTimezone, client, errorMessage, send, sendTagged } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { useCommentDraft } from '../lib/drafts.js';
import { dueHint, type Tone } from '../lib/engine.js';
import { formatDate, formatDateTime, formatUser } from '../lib/format.js';
import { Link } from '../lib/router.js';
import { useShortcuts } from '../lib/shortcuts.js';
import { reportReplying } from '../lib/live.js';
import { TicketLive } from '../components/live.js';
import {
  isSystemUser,
  NEXT_STATUSES,
  RESOLUTION_LABELS,
  type Activity,
  type CannedResponse,
  type CustomField,
  type Resolution,
  type Status,
  type TagCategory,
  type Ticket,
  type User,
} from '../lib/types.js';

/** One ticket: every field, its history, and everything an agent does to it. */
export function TicketPage({ id }: { id: string }) {
  const { instance, session, notify } = useApp();
  const [ticket, setTicket] = useState<Ticket | null>(null);
  const [activities, setActivities] = useState<Activity[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState(false);
  /** The ticket as another person saved it while this one was editing (shown on Cancel). */
  const staleEdit = useRef<Ticket | null>(null);
  // Counts changes, so the file list reloads after an upload.
  const [version, setVersion] = useState(0);

  const loadActivities = useCallback(
    async () =>
      setActivities(
        (await send(client.GET('/tickets/{ticketId}/activities', { params: { path: { ticketId: id }, query: { include: 'comment_HTML' } } }))).items,
      ),
    [id],
  );
  /** The version of the ticket on screen (its ETag): the writes below name it in If-Match. */
  const etag = useRef<string | null>(null);
  const fetchTicket = useCallback(
    () =>
      sendTagged(
        client.GET('/tickets/{ticketId}', { params: { path: { ticketId: id }, query: { timezone: String(browserTimezone()), include: 'description_HTML' } } }),
      ),
    [id],
  );
  const loadTicket = useCallback(
    () =>
      fetchTicket().then(({ data, etag: tag }) => {
        etag.current = tag;
        setTicket(data.item);
      }),
    [fetchTicket],
  );
  /** A write's headers: If-Match with the version on screen, when it is known. */
  const ifMatch = useCallback((): Record<string, string> => (etag.current ? { 'If-Match': etag.current } : {}), []);
  useEffect(() => {
    loadTicket().catch((e) => setError(e instanceof ApiError && e.status === 404 ? `There is no ticket ${id}.` : errorMessage(e)));
    loadActivities().catch((e) => setError(errorMessage(e)));
  }, [id, loadTicket, loadActivities]);
  useEffect(() => {
    if (ticket) document.title = `#${ticket.ticketId} ${ticket.title} · Ticketing`;
    return () => {
      document.title = 'Ticketing';
    };
  }, [ticket]);

  // The focus follows what the person did: to the ticket's title when it opens, to the new entry
  // of the timeline after a comment, a status change or an assignment.
  const heading = useRef<HTMLHeadingElement>(null);
  const focusNewest = useRef(false);
  const changed = (item: Ticket, message?: string, tag?: string | null) => {
    setTicket(item);
    // A write that answered no ticket (a comment) changed its version too: read the new one.
    if (tag === undefined) loadTicket().catch(() => undefined);
    else etag.current = tag;
    if (message) notify(message);
    setVersion((v) => v + 1);
    focusNewest.current = true;
    loadActivities().catch(() => undefined);
  };

  /** A panel's write was refused (412): the page shows the ticket as it is now. */
  const reloadStale = () => {
    loadTicket().catch(() => undefined);
    loadActivities().catch(() => undefined);
  };

  const loaded = ticket !== null;
  useEffect(() => {
    if (loaded) heading.current?.focus();
  }, [loaded]);
  useEffect(() => {
    if (!focusNewest.current || !activities) return;
    focusNewest.current = false;
    const newest = document.querySelector<HTMLElement>('.timeline > li:last-child');
    if (!newest) return;
    newest.tabIndex = -1;
    newest.focus();
  }, [activities]);

  const focus = (selector: string) => (event: KeyboardEvent) => {
    const target = document.querySelector<HTMLElement>(selector);
    if (!target) return;
    event.preventDefault();
    target.focus();
    target.scrollIntoView({ block: 'center' });
  };
  useShortcuts({
    c: focus('.comment-form [contenteditable="true"]'),
    a: focus('#t-assignee'),
    s: focus('input[name="new-status"]:checked, input[name="new-status"]'),
  });

  if (error)
    return (
      <div className="page narrow">
        <div className="alert error" role="alert">
          {error}
        </div>
        <Link href="/tickets">Back to the desk</Link>
      </div>
    );
  if (!ticket) return <Spinner label="Loading the ticket…" />;

  return (
    <div className="page ticket-page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/tickets">Desk</Link> <span aria-hidden="true">›</span> <span aria-current="page">#{ticket.ticketId}</span>
      </nav>
      <header className="ticket-head">
        <h1 ref={heading} tabIndex={-1}>
          <span className="muted">#{ticket.ticketId}</span> {ticket.title}
        </h1>
        <div className="badges">
          <StatusBadge status={ticket.status} />
          <PriorityBadge priority={ticket.priority} />
          {ticket.resolution && <span className="badge">{RESOLUTION_LABELS[ticket.resolution]}</span>}
          <EscalationBadges frt={ticket.isFrtEscalated} rt={ticket.isRtEscalated} />
        </div>
        <DueHints ticket={ticket} />
        <TicketLive
          ticketId={ticket.id}
          editing={editing}
          onReload={() => {
            loadTicket().catch(() => undefined);
            loadActivities().catch(() => undefined);
            setVersion((v) => v + 1);
          }}
        />
        {!editing && (
          <button type="button" onClick={() => setEditing(true)}>
            Edit ticket
          </button>
        )}
      </header>

      {editing ? (
        <section className="card" aria-label="Edit ticket">
          <h2>Edit ticket</h2>
          <TicketForm
            ticket={ticket}
            submitLabel="Save changes"
            onCancel={() => {
              setEditing(false);
              if (staleEdit.current) setTicket(staleEdit.current);
              staleEdit.current = null;
            }}
            onSubmit={async (updates) => {
              if (Object.keys(updates).length === 0) return setEditing(false);
              try {
                const r = await sendTagged(
                  client.PUT('/tickets/{ticketId}', {
                    params: { path: { ticketId: ticket.id }, query: { timezone: String(browserTimezone()), include: 'description_HTML' } },
                    body: { updates, user: session.user },
                    headers: ifMatch(),
                  }),
                );
                setEditing(false);
                changed(r.data.item, 'Ticket saved', r.etag);
              } catch (e) {
                if (!(e instanceof ApiError) || e.status !== 412) throw e;
                // Someone else saved first: the form keeps what this agent typed, and the next save
                // names the version now current (docs/decisions/020-ticket-etags.md).
                const latest = await fetchTicket();
                etag.current = latest.etag;
                staleEdit.current = latest.data.item;
                throw new ApiError(
                  412,
                  e.code,
                  `${latest.data.item.lastUpdatedBy?.name ?? 'Someone'} changed this ticket while you were editing it: your changes were not saved. Save again to apply them to the ticket as it is now, or Cancel to see it.`,
                );
              }
            }}
          />
        </section>
      ) : (
        <div className="ticket-layout">
          {/* First in the page, so on a phone they are near the top, not under the whole conversation. */}
          <div className="ticket-controls">
            <StatusPanel ticket={ticket} ifMatch={ifMatch} onStale={reloadStale} onChanged={(t, tag) => changed(t, `Status changed to ${t.status}`, tag)} />
            <AssignPanel
              ticket={ticket}
              ifMatch={ifMatch}
              onStale={reloadStale}
              onChanged={(t, tag) => changed(t, t.assignee ? `Assigned to ${t.assignee.name}` : 'Unassigned', tag)}
            />
          </div>
          <div className="ticket-main">
            <section className="card" aria-labelledby="t-description">
              <h2 id="t-description">Description</h2>
              {!ticket.description ? (
                <p className="muted">No description.</p>
              ) : ticket.description_HTML !== undefined ? (
                <RichText html={ticket.description_HTML} />
              ) : (
                <div className="prose">{ticket.description}</div>
              )}
            </section>
            <FilesPanel ticketId={ticket.id} version={version} />
            <section className="card" aria-labelledby="t-activity">
              <h2 id="t-activity">Activity</h2>
              {activities === null ? <Spinner /> : <Timeline activities={activities} fields={instance.customFields} />}
              <CommentForm ticketId={ticket.id} onAdded={(what) => changed(ticket, what)} />
            </section>
          </div>
          <div className="ticket-side">
            <Details ticket={ticket} />
          </div>
        </div>
      )}
    </div>
  );
}

/** Re-renders every `ms`, for texts relative to now ("due in 5 min"). */
function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}

/** The SLA due times of the ticket, while something is due: "First response due in 3 h 20 min". */
function DueHints({ ticket }: { ticket: Ticket }) {
  const now = useNow();
  const items: { key: string; label: string; dueOn: string; escalated: boolean }[] = [];
  if (ticket.frtDueOn) items.push({ key: 'frt', label: 'First response', dueOn: ticket.frtDueOn, escalated: ticket.isFrtEscalated });
  if (ticket.rtDueOn) items.push({ key: 'rt', label: 'Resolution', dueOn: ticket.rtDueOn, escalated: ticket.isRtEscalated });
  if (items.length === 0) return null;
  return (
    <ul className="due-hints" aria-label="Service level">
      {items.map((item) => {
        const hint = dueHint(item.dueOn, item.escalated, now);
        return (
          <li key={item.key} className={`due tone-${hint.tone}`}>
            <DueIcon tone={hint.tone} />
            <span>
              <strong>{item.label}</strong> {hint.text}{' '}
              <time dateTime={item.dueOn} className="muted">
                ({hint.overdue ? 'was due' : 'by'} {formatDateTime(item.dueOn)})
              </time>
            </span>
          </li>
        );
      })}
    </ul>
  );
}

function DueIcon({ tone }: { tone: Tone }) {
  return (
    <svg viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" className="due-icon">
      <circle cx="8" cy="8" r="6.5" fill="none" stroke="currentColor" strokeWidth="1.5" />
      {tone === 'danger' ? (
        <path d="M8 4.2v4.6M8 10.8v.9" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
      ) : (
        <path d="M8 4.5V8l2.4 1.6" fill="none" stroke="currentColor" strokeWidth="1.5" strokeLinecap="round" />
      )}
    </svg>
  );
}

function Details({ ticket }: { ticket: Ticket }) {
  const { instance, tagCategories } = useApp();
  const fields = instance.customFields.filter((f) => !f.deleted || ticket.customFields[f.id] !== undefined);
  const row = (label: string, value: ReactNode) => (
    <>
      <dt>{label}</dt>
      <dd>{value === '' || value === null || value === undefined ? <span className="muted">—</span> : value}</dd>
    </>
  );
  return (
    <section className="card" aria-labelledby="t-details">
      <h2 id="t-details">Details</h2>
      <dl className="details">
        {row('Requestor', <Person user={ticket.requestor} />)}
        {row('Assignee', ticket.assignee ? <Person user={ticket.assignee} /> : '')}
        {row('Priority', ticket.priority)}
        {row('Expected date', formatDate(ticket.expectedDate))}
        {ticket.frtDueOn && row('First response due', formatDateTime(ticket.frtDueOn))}
        {ticket.rtDueOn && row('Resolution due', formatDateTime(ticket.rtDueOn))}
        {row(
          'Tags',
          ticket.tags.length ? (
            <span className="chips">
              {ticket.tags.map((t) => (
                <TagChip key={`${t.tagCategoryId}_${t.text}`} tag={t} categories={tagCategories} />
              ))}
            </span>
          ) : (
            ''
          ),
        )}
        {fields.map((f) => (
          <CustomFieldRow key={f.id} field={f} value={ticket.customFields[f.id]} />
        ))}
        {row('Resolution', ticket.resolution ? RESOLUTION_LABELS[ticket.resolution] : '')}
        {row('Resolution comment', ticket.lastResolutionComment ?? '')}
        {row('Created', `${formatDateTime(ticket.createdOn)} by ${ticket.createdBy.name}`)}
        {row('Last updated', `${formatDateTime(ticket.lastUpdatedOn)} by ${ticket.lastUpdatedBy.name}`)}
        {row('Last interaction', formatDateTime(ticket.lastInteraction))}
        {row('First response', formatDateTime(ticket.firstResponseOn))}
        {row('First resolved', formatDateTime(ticket.firstResolutionOn))}
        {row('Last resolved', formatDateTime(ticket.lastResolutionOn))}
        {row('Id', <code className="small">{ticket.id}</code>)}
      </dl>
    </section>
  );
}

function Person({ user }: { user: User }) {
  return (
    <>
      <div>{user.name}</div>
      <div className="muted small">{user.email}</div>
    </>
  );
}

function CustomFieldRow({ field, value }: { field: CustomField; value: unknown }) {
  const text = customFieldText(field, value);
  return (
    <>
      <dt>
        {field.name}
        {field.deleted && <span className="muted"> (deleted)</span>}
      </dt>
      <dd className={field.typeName === 'textArea' ? 'prose' : undefined}>{text || <span className="muted">—</span>}</dd>
    </>
  );
}

/** What the status and assignment panels need to write with If-Match, and to tell a refused (stale) write. */
interface PanelProps {
  ticket: Ticket;
  ifMatch: () => Record<string, string>;
  onStale: () => void;
  onChanged: (t: Ticket, etag: string | null) => void;
}

const STALE = 'Someone else changed this ticket a moment ago: it now shows as it is. Check, then choose again.';

function StatusPanel({ ticket, ifMatch, onStale, onChanged }: PanelProps) {
  const { session } = useApp();
  const next = NEXT_STATUSES[ticket.status];
  const [status, setStatus] = useState<Status | ''>('');
  const [resolution, setResolution] = useState<Resolution | ''>('');
  const [comment, setComment] = useState('');
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    setStatus('');
    setResolution('');
    setComment('');
    setErrors({});
  }, [ticket.status]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!status) return setErrors({ status: ['Choose the new status'] });
    if (status === 'Resolved' && !resolution) return setErrors({ resolution: ['A resolved ticket needs a resolution'] });
    setBusy(true);
    setErrors({});
    try {
      const r = await sendTagged(
        client.PUT('/tickets/{ticketId}/status', {
          params: { path: { ticketId: ticket.id }, query: { include: 'description_HTML' } },
          body: { status, ...(status === 'Resolved' && resolution ? { resolution } : {}), ...(comment.trim() ? { comment } : {}), user: session.user },
          headers: ifMatch(),
        }),
      );
      onChanged(r.data.item, r.etag);
    } catch (e) {
      const byField: Record<string, string[]> = {};
      if (e instanceof ApiError && e.status === 412) {
        byField.status = [STALE];
        onStale();
      } else if (e instanceof ApiError && e.errors.length)
        for (const fe of e.errors)
          (byField[fe.path.includes('resolution') ? 'resolution' : fe.path.includes('comment') ? 'comment' : 'status'] ??= []).push(fe.message);
      else byField.status = [errorMessage(e)];
      setErrors(byField);
    } finally {
      setBusy(false);
    }
  };
  const verb: Record<Status, string> = { Open: 'Open', Started: 'Start', Resolved: 'Resolve', Closed: 'Close', Reopened: 'Reopen' };
  return (
    <section className="card" aria-labelledby="t-status">
      <h2 id="t-status">Status</h2>
      <form onSubmit={(event) => void submit(event)} noValidate>
        <Field label="New status" errors={errors.status} as="fieldset">
          <div className="segmented">
            {next.map((s) => (
              <label key={s} className={status === s ? 'on' : undefined}>
                <input type="radio" name="new-status" value={s} checked={status === s} onChange={() => setStatus(s)} />
                {verb[s]}
              </label>
            ))}
          </div>
        </Field>
        {status === 'Resolved' && (
          <Field label="Resolution" htmlFor="t-resolution" errors={errors.resolution} required>
            <ResolutionSelect id="t-resolution" value={resolution} invalid={!!errors.resolution} onChange={setResolution} />
          </Field>
        )}
        {status && (
          <>
            <Field label="Comment (optional)" htmlFor="t-status-comment" errors={errors.comment}>
              <textarea id="t-status-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
            </Field>
            <button type="submit" className="primary" disabled={busy}>
              {busy ? 'Saving…' : `${verb[status]} ticket`}
            </button>
          </>
        )}
      </form>
    </section>
  );
}

function AssignPanel({ ticket, ifMatch, onStale, onChanged }: PanelProps) {
  const { session, people } = useApp();
  const [who, setWho] = useState<User | null>(ticket.assignee);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  useEffect(() => setWho(ticket.assignee), [ticket.assignee]);
  const assign = async (assignee: User | null) => {
    setBusy(true);
    setError('');
    try {
      const r = await sendTagged(
        client.PUT('/tickets/{ticketId}', {
          params: { path: { ticketId: ticket.id }, query: { include: 'description_HTML' } },
          body: { updates: { assignee }, user: session.user },
          headers: ifMatch(),
        }),
      );
      onChanged(r.data.item, r.etag);
    } catch (e) {
      if (e instanceof ApiError && e.status === 412) {
        setError(STALE);
        onStale();
      } else setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  const isMe = ticket.assignee?.email.toLowerCase() === session.user.email.toLowerCase();
  return (
    <section className="card" aria-labelledby="t-assign">
      <h2 id="t-assign">Assignment</h2>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          if (JSON.stringify(who) !== JSON.stringify(ticket.assignee)) void assign(who);
        }}
      >
        <Field label="Assignee" htmlFor="t-assignee" errors={error ? [error] : undefined}>
          <UserInput id="t-assignee" value={who} onChange={setWho} people={people} />
        </Field>
        <div className="actions">
          <button type="submit" className="primary" disabled={busy}>
            Assign
          </button>
          {!isMe && (
            <button type="button" disabled={busy} onClick={() => void assign(session.user)}>
              Assign to me
            </button>
          )}
          {ticket.assignee && (
            <button type="button" disabled={busy} onClick={() => void assign(null)}>
              Unassign
            </button>
          )}
        </div>
      </form>
    </section>
  );
}

/**
 * Canned responses to insert into the comment box, filled in for this ticket by the server (so
 * placeholders read the same in every client). Absent while there are none to offer.
 */
function CannedResponsePicker({ ticketId, onInsert, onError }: { ticketId: string; onInsert: (html: string) => void; onError: (message: string) => void }) {
  const [responses, setResponses] = useState<CannedResponse[]>([]);
  const [busy, setBusy] = useState(false);
  const pickerId = useId();
  useEffect(() => {
    let live = true;
    // A list that cannot be read (an older server) just leaves the picker out.
    send(client.GET('/instance/canned-responses')).then(
      (answer) => live && setResponses(answer.items),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, []);
  if (responses.length === 0) return null;
  const pick = async (id: string) => {
    if (!id) return;
    setBusy(true);
    try {
      const rendered = await send(client.POST('/instance/canned-responses/{id}/render', { params: { path: { id } }, body: { ticketId } }));
      onInsert(rendered.item.body_HTML);
    } catch (e) {
      onError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <span className="canned-picker">
      <label htmlFor={pickerId}>Canned response</label>{' '}
      <select id={pickerId} value="" disabled={busy} onChange={(e) => void pick(e.target.value)}>
        <option value="">Insert…</option>
        {responses.map((r) => (
          <option key={r.id} value={r.id}>
            {r.title}
          </option>
        ))}
      </select>
    </span>
  );
}

function CommentForm({ ticketId, onAdded }: { ticketId: string; onAdded: (what: string) => void }) {
  const { session } = useApp();
  const labelId = useId();
  const kept = useCommentDraft(session.instance.id, session.user.id, ticketId);
  const [content, setContent] = useState<EditorContent>(() => ({ html: kept.initialHtml, isEmpty: kept.initialHtml === '' }));
  const [insert, setInsert] = useState<{ html: string; key: number } | undefined>(undefined);
  const [resetKey, setResetKey] = useState(0);
  const [isPrivate, setPrivate] = useState(false);
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [progress, setProgress] = useState<number | undefined>(undefined);
  const draft = useAttachmentDraft();
  useEffect(() => reportReplying(ticketId, !content.isEmpty), [ticketId, content.isEmpty]);
  const submit = async () => {
    if (content.isEmpty && draft.isEmpty) return setError('Write something or attach a file first');
    setBusy(true);
    setError('');
    try {
      const what = draft.isEmpty ? 'Comment added' : `${draft.files.length + draft.links.length === 1 ? 'Attachment' : 'Attachments'} added`;
      if (draft.isEmpty) {
        // The server sanitises the HTML and makes the plain text from it.
        await send(
          client.POST('/tickets/{ticketId}/comments', { params: { path: { ticketId } }, body: { comment_HTML: content.html, isPrivate, user: session.user } }),
        );
      } else {
        if (draft.files.length > 0) setProgress(0);
        await sendAttachments(ticketId, draft, {
          ...(content.isEmpty ? {} : { commentHtml: content.html }),
          isPrivate,
          user: session.user,
          onProgress: setProgress,
        });
      }
      setContent({ html: '', isEmpty: true });
      kept.clear();
      setResetKey((k) => k + 1);
      setPrivate(false);
      draft.clear();
      onAdded(what);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
      setProgress(undefined);
    }
  };
  return (
    <form
      className={`comment-form${isPrivate ? ' private' : ''}`}
      onSubmit={(event: FormEvent) => {
        event.preventDefault();
        void submit();
      }}
      noValidate
    >
      <Field label={isPrivate ? 'Private note' : 'Comment'} labelId={labelId} errors={error ? [error] : undefined}>
        <DropZone draft={draft} label="Comment and attachments">
          <RichTextEditor
            labelId={labelId}
            resetKey={resetKey}
            initialHtml={kept.initialHtml}
            onChange={(next) => {
              setContent(next);
              kept.save(next.html, next.isEmpty);
            }}
            onSubmit={() => void submit()}
            invalid={!!error}
            placeholder={isPrivate ? 'Only agents see private notes' : 'Reply or add information'}
            insert={insert}
          />
          <DraftEditor draft={draft} idPrefix="t-comment" progress={progress} disabled={busy} />
        </DropZone>
      </Field>
      <div className="actions">
        <CannedResponsePicker ticketId={ticketId} onInsert={(html) => setInsert((last) => ({ html, key: (last?.key ?? 0) + 1 }))} onError={setError} />
        <label className="check">
          <input type="checkbox" checked={isPrivate} onChange={(e) => setPrivate(e.target.checked)} />
          Private note (never sent to the requestor)
        </label>
        <button type="submit" className="primary" disabled={busy}>
          {busy ? (progress !== undefined ? 'Uploading…' : 'Saving…') : isPrivate ? 'Add private note' : 'Add comment'}
        </button>
      </div>
    </form>
  );
}

const FIELD_LABELS: Record<string, string> = {
  title: 'the title',
  description: 'the description',
  priority: 'the priority',
  requestor: 'the requestor',
  assignee: 'the assignee',
  expectedDate: 'the expected date',
  tags: 'the tags',
};

function describeValue(field: string, value: unknown, fields: CustomField[], categories: TagCategory[]): string {
  if (value === null || value === undefined || value === '' || (Array.isArray(value) && value.length === 0)) return 'nothing';
  const custom = fields.find((f) => f.id === field || `customFields.${f.id}` === field || `customFields/${f.id}` === field);
  if (custom) return customFieldText(custom, value) || 'nothing';
  if (field === 'expectedDate' && typeof value === 'string') return formatDate(value);
  if (field === 'tags' && Array.isArray(value))
    return value
      .map((t: { tagCategoryId?: string; text?: string }) => `${categories.find((c) => c.id === t.tagCategoryId)?.text ?? '?'}: ${t.text}`)
      .join(', ');
  if (typeof value === 'object' && value !== null && 'email' in value) return formatUser(value as User);
  if (typeof value === 'string') return value.length > 80 ? `${value.slice(0, 80)}…` : value;
  return JSON.stringify(value);
}

function Timeline({ activities, fields }: { activities: Activity[]; fields: CustomField[] }) {
  const { tagCategories } = useApp();
  if (activities.length === 0) return <p className="muted">Nothing has happened yet.</p>;
  return (
    <ol className="timeline">
      {activities.map((a) => {
        const when = (
          <time dateTime={a.createdOn} className="muted small">
            {formatDateTime(a.createdOn)}
          </time>
        );
        const system = isSystemUser(a.user);
        const who = system ? (
          <>
            <strong>{a.user.name || a.user.id.slice('system:'.length)}</strong> <span className="badge auto">Automatic</span>
          </>
        ) : (
          <strong>{a.user.name || a.user.email}</strong>
        );
        if (a.type === 'escalation') {
          const target = a.escalation === 'resolution' ? 'resolution' : 'first response';
          return (
            <li key={a.id} className="event escalation">
              <div className="event-head">
                {who} — the {target} target was missed{a.dueOn ? <> (due {formatDateTime(a.dueOn)})</> : null}: the ticket is escalated. {when}
              </div>
              {a.comment && <div className="prose">{a.comment}</div>}
            </li>
          );
        }
        if (a.type === 'idle') {
          return (
            <li key={a.id} className="event idle">
              <div className="event-head">
                {who} — no interaction for {a.idleDays ?? '?'} day{a.idleDays === 1 ? '' : 's'}: the ticket is idle. {when}
              </div>
              {a.comment && <div className="prose">{a.comment}</div>}
            </li>
          );
        }
        if (a.type === 'fieldChange' && a.field === 'assignee' && system) {
          const to = describeValue('assignee', a.to, fields, tagCategories);
          const from = a.from ? <> (was {describeValue('assignee', a.from, fields, tagCategories)})</> : null;
          const why =
            a.user.id === 'system:auto-assign' ? (
              a.rule ? (
                <>
                  by the rule <em>“{a.rule}”</em>
                </>
              ) : (
                'by the default rule'
              )
            ) : a.user.id === 'system:sla' ? (
              'after a missed SLA target'
            ) : a.user.id === 'system:idle' ? (
              'because the ticket was idle'
            ) : null;
          return (
            <li key={a.id} className="event field auto">
              <div className="event-head">
                {who} — assigned to <em>{to}</em> {why}
                {from} {when}
              </div>
            </li>
          );
        }
        if (a.type === 'comment') {
          const files = a.attachments.length;
          const verb = a.comment
            ? a.isPrivate
              ? 'added a private note'
              : 'commented'
            : `attached ${files === 1 ? 'a file or link' : `${files} files and links`}`;
          return (
            <li key={a.id} className={`event comment${a.isPrivate ? ' private' : ''}`}>
              <div className="event-head">
                {who} {verb} {a.isPrivate && <span className="badge private">Private</span>} {when}
              </div>
              {a.comment && <ActivityComment activity={a} />}
              <AttachmentList attachments={a.attachments} />
            </li>
          );
        }
        if (a.type === 'statusChange') {
          return (
            <li key={a.id} className="event status">
              <div className="event-head">
                {who} changed the status from <StatusBadge status={String(a.from)} /> to <StatusBadge status={String(a.to)} />
                {a.resolution ? ` (${RESOLUTION_LABELS[a.resolution as Resolution] ?? a.resolution})` : ''} {when}
              </div>
              {a.comment && <ActivityComment activity={a} />}
            </li>
          );
        }
        if (a.type === 'fieldChange' && a.field) {
          const custom = fields.find((f) => a.field === f.id || a.field === `customFields.${f.id}` || a.field === `customFields/${f.id}`);
          const label = custom ? `“${custom.name}”` : (FIELD_LABELS[a.field] ?? a.field);
          return (
            <li key={a.id} className="event field">
              <div className="event-head">
                {who} changed {label} from <em>{describeValue(a.field, a.from, fields, tagCategories)}</em> to{' '}
                <em>{describeValue(a.field, a.to, fields, tagCategories)}</em> {when}
              </div>
            </li>
          );
        }
        return (
          <li key={a.id} className="event other">
            <div className="event-head">
              {who} · {a.type.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase()} {when}
            </div>
            {a.comment && <div className="prose">{a.comment}</div>}
          </li>
        );
      })}
    </ol>
  );
}

/** An activity's comment: its sanitised HTML when the answer has it, else its plain text. */
function ActivityComment({ activity }: { activity: Activity }) {
  return typeof activity.comment_HTML === 'string' ? (
    <RichText html={activity.comment_HTML} className="comment-text" />
  ) : (
    <div className="prose comment-text">{activity.comment}</div>
  );
}
