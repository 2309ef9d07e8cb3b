import { TicketForm } from '../components/ticket-form.js';
import { api, browserTimezone, query } from '../lib/api.js';
import { useApp } from '../lib/app-context.js';
import { Link, navigate } from '../lib/router.js';
import type { Ticket } from '../lib/types.js';

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
            const r = await api<{ item: Ticket }>(`/tickets${query({ timezone: browserTimezone() })}`, { method: 'POST', body: { ticket, user: session.user } });
            notify(`Ticket #${r.item.ticketId} created`);
            navigate(`/tickets/${r.item.ticketId}`);
          }}
        />
      </section>
    </div>
  );
}
