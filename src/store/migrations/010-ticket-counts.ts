/*
 * Tickets learn where they came from (`origin`) and whether an SLA target was missed
 * (`is_frt_breached`, `is_rt_breached`), and the store keeps exact counts of tickets, so that a
 * listing's itemCount (the number of matching tickets over all pages) costs a handful of rows at
 * any size (docs/decisions/014-exact-item-counts.md).
 *
 * ticket_counts holds, per instance, how many tickets have each combination of status, priority,
 * origin and the four SLA flags; ticket_assignee_counts the same per assignee (id and e-mail) but
 * origin. Triggers on tickets keep both exact in the transaction of every write, whatever the
 * code path (service, engine, SQL by hand). A row is only ever added to (+1, -1): a count may end
 * at 0 and stays.
 *
 * PostgreSQL: a count row is locked from the ticket write until its transaction commits, so one
 * row per combination would make every write of the common combinations (Open and Medium) wait
 * for the one before it, from every process. Each combination is therefore split over STRIPES
 * rows, a ticket always using stripe seq % STRIPES, and readers add the stripes up; the two rows
 * a change moves a ticket between are taken in key order, so two writes moving tickets the
 * opposite way cannot deadlock. SQLite has one writer: one stripe.
 *
 * Existing tickets: origin 'api' (where they came from was not recorded), breached where
 * escalated.
 *
 * Frozen: plain SQL, importing nothing from the live code.
 */

const STRIPES = 8;

/** The flags of a ticket that counts are kept by, as columns of both tickets and the count tables. */
const FLAGS = ['is_frt_escalated', 'is_rt_escalated', 'is_frt_breached', 'is_rt_breached'];

/** The key columns of each count table, after instance_id and before stripe. */
const KEYS = {
  ticket_counts: ['status_rank', 'priority_rank', 'origin', ...FLAGS],
  ticket_assignee_counts: ['assignee_id', 'assignee_email_sort', 'status_rank', 'priority_rank', ...FLAGS],
} as const;
type CountTable = keyof typeof KEYS;

const TEXT_COLUMNS = new Set(['instance_id', 'origin', 'assignee_id', 'assignee_email_sort']);

function countTable(dialect: 'sqlite' | 'postgres', table: CountTable): string[] {
  const keys = ['instance_id', ...KEYS[table], 'stripe'];
  const columns = keys.map((c) => `${c} ${TEXT_COLUMNS.has(c) ? 'TEXT' : 'INTEGER'} NOT NULL`);
  const statements = [
    `CREATE TABLE ${table} (${columns.join(', ')}, n INTEGER NOT NULL, PRIMARY KEY (${keys.join(', ')}))${dialect === 'sqlite' ? ' WITHOUT ROWID' : ''}`,
  ];
  // The assignee filter matches the id or the e-mail: the e-mail needs its own way in.
  if (table === 'ticket_assignee_counts') statements.push(`CREATE INDEX ticket_assignee_counts_by_email ON ${table} (instance_id, assignee_email_sort)`);
  return statements;
}

/** Only assigned tickets have assignee counts. */
const counted = (table: CountTable, row: 'new' | 'old') => (table === 'ticket_assignee_counts' ? `${row}.assignee_id IS NOT NULL` : 'true');

/**
 * Counts of the tickets there are now, in stripes as the triggers write them. The tickets are
 * read once (at a million, each pass over the table takes seconds): grouped by every key column
 * into a temporary table, which both count tables are then summed from. Their breach flags are
 * the escalation flags, as the UPDATE before sets them.
 */
function backfill(dialect: 'sqlite' | 'postgres'): string[] {
  const columns = ['instance_id', 'assignee_id', 'assignee_email_sort', 'status_rank', 'priority_rank', 'origin', 'is_frt_escalated', 'is_rt_escalated'];
  // (A constant in GROUP BY would name a column by its position.)
  const [stripe, groups] = dialect === 'postgres' ? [`seq % ${STRIPES}`, `, seq % ${STRIPES}`] : ['0', ''];
  const sum = (table: CountTable, where: string) => {
    const keys = ['instance_id', ...KEYS[table]];
    const from = keys.map((c) => c.replace('is_frt_breached', 'is_frt_escalated').replace('is_rt_breached', 'is_rt_escalated'));
    const grouping = ['instance_id', ...KEYS[table].filter((c) => !c.endsWith('_breached')), 'stripe'];
    return `INSERT INTO ${table} (${keys.join(', ')}, stripe, n)
              SELECT ${from.join(', ')}, stripe, sum(n) FROM ticket_counts_backfill ${where} GROUP BY ${grouping.join(', ')}`;
  };
  return [
    `CREATE TEMPORARY TABLE ticket_counts_backfill AS
       SELECT ${columns.join(', ')}, ${stripe} AS stripe, count(*) AS n FROM tickets GROUP BY ${columns.join(', ')}${groups}`,
    sum('ticket_counts', 'WHERE true'),
    sum('ticket_assignee_counts', 'WHERE assignee_id IS NOT NULL'),
    `DROP TABLE ticket_counts_backfill`,
  ];
}

/**
 * An upsert adding `delta` to the count row of the trigger's `row` (new or old) in `table`, when
 * that row is counted there. SQLite takes the condition as the WHERE of an INSERT … SELECT (its
 * triggers have no IF); PostgreSQL's trigger functions test it first, and only then upsert.
 */
function addTo(table: CountTable, row: 'new' | 'old', delta: 1 | -1, stripe: string, where?: string): string {
  const keys = ['instance_id', ...KEYS[table], 'stripe'];
  const values = ['instance_id', ...KEYS[table]].map((c) => `${row}.${c}`);
  const source = where === undefined ? `VALUES (${values.join(', ')}, ${stripe}, ${delta})` : `SELECT ${values.join(', ')}, ${stripe}, ${delta} WHERE ${where}`;
  return `INSERT INTO ${table} (${keys.join(', ')}, n) ${source}
            ON CONFLICT (${keys.join(', ')}) DO UPDATE SET n = ${table}.n + ${delta}`;
}

function sqliteTriggers(table: CountTable): string[] {
  const add = (row: 'new' | 'old', delta: 1 | -1) => addTo(table, row, delta, '0', counted(table, row));
  const keys = KEYS[table];
  const changed = keys.map((c) => `old.${c} IS NOT new.${c}`).join(' OR ');
  return [
    `CREATE TRIGGER ${table}_insert AFTER INSERT ON tickets BEGIN ${add('new', 1)}; END`,
    `CREATE TRIGGER ${table}_delete AFTER DELETE ON tickets BEGIN ${add('old', -1)}; END`,
    `CREATE TRIGGER ${table}_update AFTER UPDATE OF ${keys.join(', ')} ON tickets WHEN ${changed}
       BEGIN ${add('old', -1)}; ${add('new', 1)}; END`,
  ];
}

function postgresTriggers(table: CountTable, order: number): string[] {
  const keys = KEYS[table];
  const add = (row: 'new' | 'old', delta: 1 | -1) => `${addTo(table, row, delta, `${row}.seq % ${STRIPES}`)};`;
  const has = (row: 'new' | 'old') => counted(table, row);
  const tuple = (row: 'new' | 'old') => `ROW(${keys.map((c) => `${row}.${c}`).join(', ')})`;
  return [
    `CREATE FUNCTION ${table}_change() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
       IF TG_OP = 'INSERT' THEN
         IF ${has('new')} THEN ${add('new', 1)} END IF;
       ELSIF TG_OP = 'DELETE' THEN
         IF ${has('old')} THEN ${add('old', -1)} END IF;
       ELSIF ${tuple('old')} IS DISTINCT FROM ${tuple('new')} THEN
         IF ${has('old')} AND ${has('new')} THEN
           -- Key order: a write moving another ticket the other way takes the two rows in the same order.
           IF ${tuple('old')} < ${tuple('new')} THEN ${add('old', -1)} ${add('new', 1)}
           ELSE ${add('new', 1)} ${add('old', -1)} END IF;
         ELSIF ${has('old')} THEN ${add('old', -1)}
         ELSIF ${has('new')} THEN ${add('new', 1)}
         END IF;
       END IF;
       RETURN NULL;
     END $$`,
    // Triggers on one event fire in name order: every write takes ticket_counts rows before
    // ticket_assignee_counts rows.
    `CREATE TRIGGER tickets_count_${order} AFTER INSERT OR DELETE OR UPDATE OF ${keys.join(', ')} ON tickets
       FOR EACH ROW EXECUTE FUNCTION ${table}_change()`,
  ];
}

export function ticketCountsSchema(dialect: 'sqlite' | 'postgres'): string[] {
  const tables: CountTable[] = ['ticket_counts', 'ticket_assignee_counts'];
  return [
    `ALTER TABLE tickets ADD COLUMN origin TEXT NOT NULL DEFAULT 'api'`,
    `ALTER TABLE tickets ADD COLUMN is_frt_breached INTEGER NOT NULL DEFAULT 0`,
    `ALTER TABLE tickets ADD COLUMN is_rt_breached INTEGER NOT NULL DEFAULT 0`,
    `UPDATE tickets SET is_frt_breached = is_frt_escalated, is_rt_breached = is_rt_escalated WHERE is_frt_escalated = 1 OR is_rt_escalated = 1`,
    ...tables.flatMap((table) => countTable(dialect, table)),
    ...backfill(dialect),
    ...tables.flatMap((table, i) => (dialect === 'postgres' ? postgresTriggers(table, i + 1) : sqliteTriggers(table))),
  ];
}
