import { TicketForm } from '../components/ticket-form.js';
import { browserTimezone, client, send } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { Link, navigate } from '../lib/router.js';
import type { NewTicket } from '../lib/types.js';

export function NewTicketPage() {
  const { session, notify } = useApp();
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
          onSubmit={async (ticket) => {
            // The form has checked the title and the requestor before it submits.
            const r = await send(
              client.POST('/tickets', {
                params: { query: { timezone: String(browserTimezone()) } },
                body: { ticket: ticket as NewTicket, user: session.user },
              }),
            );
            notify(`Ticket #${r.item.ticketId} created`);
            navigate(`/tickets/${r.item.ticketId}`);
          }}
        />
      </section>
    </div>
  );
}
