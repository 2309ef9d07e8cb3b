import { useCallback, useEffect, useState, type FormEvent } from 'react';
import { Dialog, Field, Spinner, Toggle } from '../components/controls.js';
import { CopyField } from '../components/controls.js';
import { Section } from '../components/settings-kit.js';
import { ApiError, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { formatDateTime } from '../lib/format.js';
import {
  describeAttempt,
  EVENT_GROUPS,
  eventLabel,
  FORMAT_LABELS,
  FORMATS,
  type Delivery,
  type DeliveryStatus,
  type Webhook,
  type WebhookFormat,
} from '../lib/webhooks.js';

/*
 * Settings → Webhooks: subscriptions (event picker, format), the signing secret shown once,
 * enable/disable, test, and each webhook's delivery log with redelivery (docs/api.md §13).
 */

/** Where a webhook goes, without its query (a Teams or Slack URL's secret part). */
function shortUrl(url: string): string {
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.length > 40 ? `${parsed.pathname.slice(0, 39)}…` : parsed.pathname;
    return `${parsed.protocol}//${parsed.host}${path}${parsed.search ? '?…' : ''}`;
  } catch {
    return url;
  }
}

function health(w: Webhook): { text: string; tone: string } {
  if (!w.enabled)
    return w.disabledReason === 'failing' ? { text: 'Disabled: every delivery failed for 3 days', tone: 'alert-danger' } : { text: 'Disabled', tone: '' };
  if (w.failingSince) return { text: `Failing since ${formatDateTime(w.failingSince)}`, tone: 'alert-warn' };
  return { text: 'Enabled', tone: 'status-resolved' };
}

export function WebhooksSection() {
  const { session, notify } = useApp();
  // Settings are an admin's (docs/api.md §14); others see them without the buttons.
  const readOnly = session.role !== 'admin';
  const [items, setItems] = useState<Webhook[] | null>(null);
  const [error, setError] = useState('');
  const [editing, setEditing] = useState<Webhook | 'new' | null>(null);
  const [created, setCreated] = useState<{ webhook: Webhook; secret: string } | null>(null);
  const [logOf, setLogOf] = useState<string | null>(null);
  const [busy, setBusy] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      setItems((await send(client.GET('/instance/webhooks'))).items);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, []);
  useEffect(() => {
    if (!readOnly) void load();
  }, [load, readOnly]);

  const act = async (id: string, work: () => Promise<unknown>, message?: string) => {
    setBusy(id);
    setError('');
    try {
      await work();
      await load();
      if (message) notify(message);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(null);
    }
  };
  const setEnabled = (w: Webhook, enabled: boolean) =>
    act(
      w.id,
      () => send(client.PUT('/instance/webhooks/{id}', { params: { path: { id: w.id } }, body: { enabled } })),
      enabled ? 'Webhook enabled' : 'Webhook disabled',
    );
  const test = (w: Webhook) =>
    act(w.id, async () => {
      const { item } = await send(client.POST('/instance/webhooks/{id}/test', { params: { path: { id: w.id } } }));
      const attempt = item.attempts[item.attempts.length - 1];
      notify(
        item.status === 'delivered' ? `Test delivered: ${attempt ? describeAttempt(attempt) : ''}` : `Test failed: ${attempt ? describeAttempt(attempt) : ''}`,
        item.status === 'delivered' ? 'ok' : 'error',
      );
      if (logOf === w.id) setLogOf(null);
    });
  const remove = (w: Webhook) => {
    if (!window.confirm(`Delete the webhook to ${shortUrl(w.url)} and its delivery log? Nothing more is sent to it.`)) return;
    void act(w.id, () => send(client.DELETE('/instance/webhooks/{id}', { params: { path: { id: w.id } } })), 'Webhook deleted');
  };

  return (
    <Section
      id="webhooks"
      title="Webhooks"
      intro="Ticket changes and alerts pushed to other systems as they happen: your services (signed per Standard Webhooks), a Microsoft Teams channel or Slack. Failed deliveries are retried for 3 days."
    >
      {readOnly ? (
        <p className="muted">Webhooks need a read-write key: their URLs can be credentials. Sign in with a read-write key to see and change them.</p>
      ) : (
        <>
          {error && (
            <div className="alert error" role="alert">
              {error}
            </div>
          )}
          <div className="actions">
            <button type="button" className="primary" onClick={() => setEditing('new')}>
              Add webhook
            </button>
          </div>
          {items === null ? (
            !error && <Spinner label="Loading webhooks…" />
          ) : items.length === 0 ? (
            <p className="muted">No webhooks yet.</p>
          ) : (
            <ul className="rows webhooks">
              {items.map((w) => {
                const state = health(w);
                return (
                  <li key={w.id} className="webhook">
                    <div className="row">
                      <div className="row-main">
                        <strong className="mono webhook-url" title={shortUrl(w.url)}>
                          {shortUrl(w.url)}
                        </strong>
                        <span className={`badge ${state.tone}`}>{state.text}</span>
                        <div className="muted small">
                          {w.description ? `${w.description} · ` : ''}
                          {FORMAT_LABELS[w.format]} · {w.events.includes('*') ? 'All events' : w.events.map(eventLabel).join(', ')}
                          {w.includePrivate ? ' · with private notes' : ''}
                        </div>
                      </div>
                      <div className="row-actions">
                        <Toggle id={`wh-enabled-${w.id}`} checked={w.enabled} onChange={(on) => void setEnabled(w, on)} label="Enabled" />
                        <button type="button" disabled={busy === w.id} onClick={() => void test(w)} aria-label={`Send a test event to ${shortUrl(w.url)}`}>
                          {busy === w.id ? 'Sending…' : 'Test'}
                        </button>
                        <button type="button" aria-expanded={logOf === w.id} onClick={() => setLogOf(logOf === w.id ? null : w.id)}>
                          Deliveries
                        </button>
                        <button type="button" onClick={() => setEditing(w)} aria-label={`Edit the webhook to ${shortUrl(w.url)}`}>
                          Edit
                        </button>
                        <button type="button" className="danger" onClick={() => remove(w)} aria-label={`Delete the webhook to ${shortUrl(w.url)}`}>
                          Delete
                        </button>
                      </div>
                    </div>
                    {logOf === w.id && <DeliveryLog webhook={w} />}
                  </li>
                );
              })}
            </ul>
          )}
        </>
      )}
      <Dialog open={editing !== null} title={editing === 'new' ? 'New webhook' : 'Edit webhook'} onClose={() => setEditing(null)} wide>
        {editing !== null && (
          <WebhookEditor
            webhook={editing === 'new' ? undefined : editing}
            onDone={(result) => {
              setEditing(null);
              void load();
              if (result?.secret) setCreated({ webhook: result.webhook, secret: result.secret });
              else if (result) notify('Webhook saved');
            }}
          />
        )}
      </Dialog>
      <Dialog
        open={created !== null}
        title="The webhook's signing secret"
        onClose={() => {
          setCreated(null);
          notify('Webhook created');
        }}
        wide
      >
        <p>
          <strong>Copy it now.</strong> It is shown only this once. The receiver checks each delivery's <code>webhook-signature</code> with it (Standard
          Webhooks; see the README for a receiver in a few lines).
        </p>
        <CopyField value={created?.secret ?? ''} label="Signing secret" />
        <div className="actions">
          <button type="button" className="primary" onClick={() => setCreated(null)}>
            I have saved it
          </button>
        </div>
      </Dialog>
    </Section>
  );
}

function WebhookEditor({ webhook, onDone }: { webhook?: Webhook; onDone: (result?: { webhook: Webhook; secret?: string }) => void }) {
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [format, setFormat] = useState<WebhookFormat>(webhook?.format ?? 'standard');
  const [all, setAll] = useState(webhook ? webhook.events.includes('*') : true);
  const [events, setEvents] = useState<string[]>(webhook && !webhook.events.includes('*') ? webhook.events : []);
  const [includePrivate, setIncludePrivate] = useState(webhook?.includePrivate ?? false);
  const [enabled, setEnabled] = useState(webhook?.enabled ?? true);
  const [errors, setErrors] = useState<Record<string, string[]>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!all && events.length === 0) {
      setErrors({ events: ['Pick at least one event, or all events'] });
      return;
    }
    setBusy(true);
    setErrors({});
    const body = { url: url.trim(), description: description.trim() || null, format, events: all ? ['*'] : events, includePrivate, enabled };
    try {
      if (webhook) {
        const { item } = await send(client.PUT('/instance/webhooks/{id}', { params: { path: { id: webhook.id } }, body }));
        onDone({ webhook: item });
      } else {
        const { item, secret } = await send(client.POST('/instance/webhooks', { body }));
        onDone({ webhook: item, secret });
      }
    } catch (e) {
      const byField: Record<string, string[]> = {};
      if (e instanceof ApiError && e.errors.length) {
        for (const fe of e.errors) (byField[fe.path.replace(/^\/body\//, '').split('/')[0] ?? ''] ??= []).push(fe.message);
      } else byField[''] = [errorMessage(e)];
      setErrors(byField);
    } finally {
      setBusy(false);
    }
  };
  const toggle = (type: string, on: boolean) => setEvents((list) => (on ? [...list, type] : list.filter((t) => t !== type)));

  return (
    <form onSubmit={(e) => void submit(e)} noValidate>
      {errors[''] && (
        <div className="alert error" role="alert">
          {errors[''].join(' · ')}
        </div>
      )}
      <Field
        label="URL"
        htmlFor="wh-url"
        required
        errors={errors.url}
        hint="Where events are posted (https). For Microsoft Teams: the URL of the Workflows template “Post to a channel when a webhook request is received”."
      >
        <input id="wh-url" type="url" value={url} onChange={(e) => setUrl(e.target.value)} required className="mono" />
      </Field>
      <Field label="Description" htmlFor="wh-description" errors={errors.description}>
        <input id="wh-description" type="text" value={description} onChange={(e) => setDescription(e.target.value)} maxLength={500} />
      </Field>
      <Field label="Format" htmlFor="wh-format" errors={errors.format}>
        <select id="wh-format" value={format} onChange={(e) => setFormat(e.target.value as WebhookFormat)}>
          {FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      </Field>
      <Field label="Events" as="fieldset" errors={errors.events}>
        <label className="check">
          <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> All events, also those added later
        </label>
        {!all && (
          <div className="event-picker">
            {EVENT_GROUPS.map(([group, types]) => (
              <div key={group}>
                <div className="muted small">{group}</div>
                {types.map((type) => (
                  <label key={type} className="check">
                    <input type="checkbox" checked={events.includes(type)} onChange={(e) => toggle(type, e.target.checked)} /> {eventLabel(type)}{' '}
                    <span className="muted small mono">{type}</span>
                  </label>
                ))}
              </div>
            ))}
          </div>
        )}
      </Field>
      <Toggle id="wh-private" checked={includePrivate} onChange={setIncludePrivate} label="Send the text of private notes (otherwise it is left out)" />
      <Toggle id="wh-enabled" checked={enabled} onChange={setEnabled} label="Enabled" />
      <div className="actions">
        <button type="submit" className="primary" disabled={busy}>
          {busy ? 'Saving…' : webhook ? 'Save' : 'Create webhook'}
        </button>
        <button type="button" onClick={() => onDone()}>
          Cancel
        </button>
      </div>
    </form>
  );
}

const STATUS_TONE: Record<DeliveryStatus, string> = { delivered: 'status-resolved', pending: 'alert-warn', failed: 'alert-danger' };

function DeliveryLog({ webhook }: { webhook: Webhook }) {
  const { notify } = useApp();
  const [items, setItems] = useState<Delivery[] | null>(null);
  const [token, setToken] = useState<string | null>(null);
  const [status, setStatus] = useState<DeliveryStatus | ''>('');
  const [error, setError] = useState('');

  const load = useCallback(
    async (more?: string) => {
      setError('');
      try {
        const page = await send(
          client.GET('/instance/webhooks/{id}/deliveries', {
            params: { path: { id: webhook.id }, query: { limit: '20', ...(status ? { status } : {}), ...(more ? { continuationToken: more } : {}) } },
          }),
        );
        setItems((list) => (more ? [...(list ?? []), ...page.items] : page.items));
        setToken(page.continuationToken);
      } catch (e) {
        setError(errorMessage(e));
      }
    },
    [webhook.id, status],
  );
  useEffect(() => {
    void load();
  }, [load]);

  const redeliver = async (d: Delivery) => {
    try {
      await send(client.POST('/instance/webhooks/{id}/deliveries/{deliveryId}/redeliver', { params: { path: { id: webhook.id, deliveryId: d.id } } }));
      notify('Queued for delivery again');
      await load();
    } catch (e) {
      setError(errorMessage(e));
    }
  };

  return (
    <div className="delivery-log">
      <div className="alerts-controls">
        <div className="filter">
          <label htmlFor={`dl-status-${webhook.id}`}>Show</label>
          <select id={`dl-status-${webhook.id}`} value={status} onChange={(e) => setStatus(e.target.value as DeliveryStatus | '')}>
            <option value="">All deliveries</option>
            <option value="pending">Pending</option>
            <option value="delivered">Delivered</option>
            <option value="failed">Failed</option>
          </select>
        </div>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error && (
        <div className="alert error" role="alert">
          {error}
        </div>
      )}
      {items === null ? (
        !error && <Spinner label="Loading deliveries…" />
      ) : items.length === 0 ? (
        <p className="muted">No deliveries{status ? ` ${status}` : ''} yet.</p>
      ) : (
        <table className="data alerts deliveries">
          <caption className="visually-hidden">Deliveries to {shortUrl(webhook.url)}, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Event</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Next</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((d) => (
              <tr key={d.id}>
                <td data-label="Event">
                  {eventLabel(d.eventType)}
                  <div className="muted small">
                    <time dateTime={d.createdOn}>{formatDateTime(d.createdOn)}</time> · <span className="mono">{d.id}</span>
                  </div>
                </td>
                <td data-label="Status" className="nowrap">
                  <span className={`badge ${STATUS_TONE[d.status]}`}>{d.status}</span>
                </td>
                <td data-label="Attempts">
                  <ol className="attempts">
                    {d.attempts.map((a, i) => (
                      <li key={i}>
                        <span className={a.error ? 'attempt-failed' : 'attempt-ok'}>{describeAttempt(a)}</span>{' '}
                        <span className="muted small">
                          <time dateTime={a.createdOn}>{formatDateTime(a.createdOn)}</time>
                        </span>
                      </li>
                    ))}
                  </ol>
                </td>
                <td data-label="Next" className="nowrap">
                  {d.nextAttemptOn ? formatDateTime(d.nextAttemptOn) : <span className="muted">—</span>}
                </td>
                <td className="no-label">
                  {d.status !== 'pending' && (
                    <button
                      type="button"
                      disabled={!webhook.enabled}
                      title={webhook.enabled ? undefined : 'Enable the webhook first'}
                      onClick={() => void redeliver(d)}
                    >
                      Redeliver
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {token && (
        <div className="actions">
          <button type="button" onClick={() => void load(token)}>
            Load more
          </button>
        </div>
      )}
    </div>
  );
}
