import { useState } from 'react';
import { sendAttachments, useAttachmentDraft } from '../components/attachments.js';
import { TicketForm } from '../components/ticket-form.js';
import { browserTimezone, client, errorMessage, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { Link, navigate } from '../lib/router.js';
import type { NewTicket } from '../lib/types.js';

export function NewTicketPage() {
  const { session, notify } = useApp();
  const draft = useAttachmentDraft();
  const [progress, setProgress] = useState<number | undefined>(undefined);
  return (
    <div className="page">
      <nav className="crumbs" aria-label="Breadcrumb">
        <Link href="/tickets">Desk</Link> <span aria-hidden="true">›</span> <span aria-current="page">New ticket</span>
      </nav>
      <h1>New ticket</h1>
      <section className="card">
        <TicketForm
          submitLabel="Create ticket"
          onCancel={() => history.back()}
          attachments={{ draft, progress }}
          onSubmit={async (ticket) => {
            // The form has checked the title and the requestor before it submits.
            const r = await send(
              client.POST('/tickets', {
                params: { query: { timezone: String(browserTimezone()) } },
                body: { ticket: ticket as NewTicket, user: session.user },
              }),
            );
            // The files go with the new ticket as its first activity; the ticket exists whatever happens to them.
            let message = `Ticket #${r.item.ticketId} created`;
            let failed = false;
            if (!draft.isEmpty) {
              if (draft.files.length > 0) setProgress(0);
              try {
                await sendAttachments(r.item.id, draft, { isPrivate: false, user: session.user, onProgress: setProgress });
                draft.clear();
              } catch (error) {
                message += `, but its attachments were not added: ${errorMessage(error)}`;
                failed = true;
              } finally {
                setProgress(undefined);
              }
            }
            notify(message, failed ? 'error' : 'ok');
            navigate(`/tickets/${r.item.ticketId}`);
          }}
        />
      </section>
    </div>
  );
}
