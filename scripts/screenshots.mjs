#!/usr/bin/env node
/*
 * Takes the README's screenshots of the web app (docs/screenshots/*.png): starts a server on a
 * throw-away SQLite file, fills it with a small help desk through the API, signs in with
 * Debian's Chromium (playwright-core) and photographs the desk, a ticket, the new-ticket form,
 * settings (with the SLA policy and the assignment rules), the overview and its alerts, on a
 * laptop and on a phone.
 *
 *   node scripts/screenshots.mjs            (needs /usr/bin/chromium: apt-get install chromium)
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'docs', 'screenshots');

for (const script of ['build-web.mjs', 'build-server.mjs']) {
  const build = spawnSync(process.execPath, [join(root, 'scripts', script)], { stdio: 'inherit' });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const dir = mkdtempSync(join(tmpdir(), 'ticketing-shots-'));
const server = spawn(process.execPath, ['dist/server.mjs'], {
  cwd: root,
  env: {
    ...process.env,
    DATABASE_URL: `sqlite:${join(dir, 'shots.db')}`,
    PORT: '0',
    HOST: '127.0.0.1',
    RATE_LIMIT_MAX: '100000',
    LOG_LEVEL: 'warn',
    JOBS_POLL_MS: '100',
  },
  stdio: ['ignore', 'pipe', 'pipe'],
});
let output = '';
server.stdout.on('data', (c) => (output += c));
server.stderr.on('data', (c) => (output += c));
const base = await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error(`server did not start:\n${output}`)), 60_000);
  server.stdout.on('data', () => {
    const url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    if (url && /secondary key:\s+\S+/.test(output)) {
      clearTimeout(timer);
      resolve(url);
    }
  });
  server.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${output}`)));
});
const key = /primary key:\s+(\S+)/.exec(output)[1];
try {
  await takeScreenshots();
} catch (error) {
  process.stderr.write(`${error.stack ?? error}\n--- server output ---\n${output}\n`);
  process.exitCode = 1;
} finally {
  server.kill('SIGTERM');
}

async function call(method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: { 'X-API-Key': key, ...(body ? { 'Content-Type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json().catch(() => undefined);
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(data)}`);
  return data;
}

async function takeScreenshots() {
  // ---------------------------------------------------------------- a small help desk
  const people = {
    megan: { id: 'megan.bowen@contoso.com', name: 'Megan Bowen', email: 'megan.bowen@contoso.com' },
    alex: { id: 'alex.wilber@contoso.com', name: 'Alex Wilber', email: 'alex.wilber@contoso.com' },
    lee: { id: 'lee.gu@contoso.com', name: 'Lee Gu', email: 'lee.gu@contoso.com' },
    adele: { id: 'adele.vance@contoso.com', name: 'Adele Vance', email: 'adele.vance@contoso.com' },
    diego: { id: 'diego.siciliani@contoso.com', name: 'Diego Siciliani', email: 'diego.siciliani@contoso.com' },
    nestor: { id: 'nestor.wilke@contoso.com', name: 'Nestor Wilke', email: 'nestor.wilke@contoso.com' },
  };
  const me = people.megan;

  const department = (
    await call('POST', '/instance/customFields', {
      name: 'Department',
      type: 'singleItemPicker',
      required: true,
      options: [{ text: 'Finance' }, { text: 'Sales' }, { text: 'Engineering' }, { text: 'HR' }],
    })
  ).item;
  const devices = (
    await call('POST', '/instance/customFields', {
      name: 'Affected devices',
      type: 'multipleItemsPicker',
      options: [{ text: 'Laptop' }, { text: 'Phone' }, { text: 'Printer' }, { text: 'Monitor' }],
    })
  ).item;
  const watchers = (await call('POST', '/instance/customFields', { name: 'Watchers', type: 'peoplePicker' })).item;
  const asset = (await call('POST', '/instance/customFields', { name: 'Asset tag', type: 'textField' })).item;
  const vip = (await call('POST', '/instance/customFields', { name: 'VIP requestor', type: 'toggle' })).item;
  const since = (await call('POST', '/instance/customFields', { name: 'Broken since', type: 'datePicker' })).item;
  const steps = (await call('POST', '/instance/customFields', { name: 'Steps to reproduce', type: 'textArea' })).item;
  await call('PUT', '/instance', {
    name: 'Contoso IT',
    customFieldsLeft: [department.id, devices.id],
    customFieldsRight: [watchers.id, vip.id],
    optionalFieldsLeft: [asset.id, steps.id],
    optionalFieldsRight: [since.id],
    assignees: { type: 'customAssignee', peoples: [people.megan, people.alex, people.lee, people.nestor] },
    dayBeforeTicketsIdle: 5,
    isNotifyIdleTicket: true,
    idleTicketAssignedTo: [people.lee],
  });
  const area = (
    await call('POST', '/tags', { text: 'Area', color: '#2456c7', tags: [{ text: 'Network' }, { text: 'Email' }, { text: 'Hardware' }, { text: 'Accounts' }] })
  ).item;
  const kind = (await call('POST', '/tags', { text: 'Kind', color: '#b54708', tags: [{ text: 'Incident' }, { text: 'Request' }, { text: 'Question' }] })).item;
  await call('POST', '/tags', { text: 'Site', color: '#067647', tags: [{ text: 'Paris' }, { text: 'Seattle' }] });
  // Assignment rules: unassigned tickets about hardware go to Nestor, network ones to Alex and Lee in turn.
  await call('PUT', '/instance', {
    isAutomaticAssignTickets: true,
    assigneeRules: [
      {
        id: 'rule-network',
        name: 'Network',
        conditions: { tags: [`${area.id}_Network`], priority: ['Urgent', 'Important'] },
        assignees: [people.alex, people.lee],
        mode: 'roundRobin',
      },
      {
        id: 'rule-hardware',
        name: 'Hardware and printers',
        conditions: { tags: [`${area.id}_Hardware`], titleContains: ['printer', 'monitor', 'badge'] },
        assignees: [people.nestor],
        mode: 'single',
      },
    ],
    defaultRuleAssignee: [{ assignees: [people.megan] }],
    alertNotification: { enabled: true, daysBeforeExpectedDate: 1, whenOverdue: true },
  });

  const opt = (field, text) => field.options.find((o) => o.text === text).id;
  const seeds = [
    ['VPN drops every few minutes from home', 'Urgent', people.adele, people.alex, 'Engineering', ['Laptop'], 'Network', 'Incident', 'Started', -2],
    ['New starter needs a laptop and accounts', 'Important', people.diego, people.megan, 'Sales', ['Laptop', 'Phone'], 'Accounts', 'Request', 'Open', 5],
    ['Printer on 3rd floor jams on double-sided', 'Medium', people.nestor, null, 'Finance', ['Printer'], 'Hardware', 'Incident', 'Open', 3],
    ['Shared mailbox for payroll', 'Medium', people.adele, people.lee, 'HR', [], 'Email', 'Request', 'Resolved', null],
    ['Outlook keeps asking for the password', 'Important', people.lee, people.alex, 'Finance', ['Laptop'], 'Email', 'Incident', 'Open', -1],
    ['Second monitor flickers', 'Low', people.diego, null, 'Sales', ['Monitor'], 'Hardware', 'Incident', 'Closed', null],
    ['How do I book the Paris meeting room screen?', 'Low', people.nestor, people.megan, 'Engineering', [], 'Hardware', 'Question', 'Resolved', null],
    ['Wi-Fi slow in the Seattle office', 'Urgent', people.alex, people.lee, 'Engineering', ['Laptop', 'Phone'], 'Network', 'Incident', 'Reopened', 1],
    ['Access to the finance reporting share', 'Medium', people.adele, people.megan, 'Finance', [], 'Accounts', 'Request', 'Started', 7],
    ['Phone does not sync the calendar', 'Medium', people.diego, people.alex, 'Sales', ['Phone'], 'Email', 'Incident', 'Open', null],
    ['Replace the badge reader at the side entrance', 'Important', people.nestor, people.lee, 'HR', [], 'Hardware', 'Request', 'Open', 10],
    ['Password reset for a contractor', 'Low', people.lee, people.megan, 'Engineering', [], 'Accounts', 'Request', 'Resolved', null],
  ];
  const tickets = [];
  for (const [title, priority, requestor, assignee, dept, devs, areaTag, kindTag, status, dueDays] of seeds) {
    const due = dueDays === null ? undefined : new Date(Date.now() + dueDays * 86_400_000).toISOString().slice(0, 10);
    const { item } = await call('POST', '/tickets', {
      ticket: {
        title,
        description: `${title}.\n\nReported by ${requestor.name}.`,
        priority,
        requestor,
        ...(assignee ? { assignee } : {}),
        ...(due ? { expectedDate: due } : {}),
        tags: [
          { tagCategoryId: area.id, text: areaTag },
          { tagCategoryId: kind.id, text: kindTag },
        ],
        customFields: {
          [department.id]: [opt(department, dept)],
          ...(devs.length ? { [devices.id]: devs.map((d) => opt(devices, d)) } : {}),
          [vip.id]: priority === 'Urgent',
        },
      },
      user: requestor,
    });
    tickets.push(item);
    const by = assignee ?? me;
    if (status !== 'Open') {
      await call('POST', `/tickets/${item.id}/comments`, { comment: 'Thanks, looking into it now.', user: by });
      if (status === 'Started' || status === 'Reopened') await call('PUT', `/tickets/${item.id}/status`, { status: 'Started', user: by });
      if (status === 'Resolved' || status === 'Closed' || status === 'Reopened')
        await call('PUT', `/tickets/${item.id}/status`, { status: 'Resolved', resolution: 'fixed', comment: 'Done, please check.', user: by });
      if (status === 'Closed') await call('PUT', `/tickets/${item.id}/status`, { status: 'Closed', user: by });
      if (status === 'Reopened')
        await call('PUT', `/tickets/${item.id}/status`, { status: 'Reopened', comment: 'Still slow in the afternoon.', user: requestor });
    }
  }
  const featured = tickets[0];
  await call('PUT', `/tickets/${featured.id}`, {
    updates: {
      customFields: {
        [watchers.id]: [people.lee, people.nestor],
        [asset.id]: 'LT-20931',
        [since.id]: new Date(Date.now() - 3 * 86_400_000).toISOString().slice(0, 10),
        [steps.id]: '1. Connect to the VPN\n2. Open Teams\n3. Wait five minutes',
      },
    },
    user: people.alex,
  });
  await call('POST', `/tickets/${featured.id}/comments`, {
    comment: 'Seen on two other laptops with the same driver version. Escalating to the network team.',
    isPrivate: true,
    user: people.alex,
  });
  await call('POST', `/tickets/${featured.id}/comments`, { comment: 'It happens again right now, if you want to look.', user: people.adele });

  // SLA: first a policy whose Urgent resolution target has already passed, so the two open Urgent
  // tickets escalate (and go to the breach assignee), then the real policy the screenshots show.
  const slaPolicy = {
    enabled: true,
    timeZone: 'Europe/Paris',
    workingDays: [1, 2, 3, 4, 5],
    workingHours: { start: '09:00', end: '18:00' },
    holidays: ['2026-12-25', '2027-01-01', '2027-05-01'],
    targets: {
      Low: { firstResponseMinutes: 960, resolutionMinutes: 4320 },
      Medium: { firstResponseMinutes: 480, resolutionMinutes: 2160 },
      Important: { firstResponseMinutes: 240, resolutionMinutes: 1080 },
      Urgent: { firstResponseMinutes: 60, resolutionMinutes: 480 },
    },
    breachAssignees: [people.lee],
  };
  await call('PUT', '/instance', {
    sla: {
      ...slaPolicy,
      timeZone: 'UTC',
      workingDays: [1, 2, 3, 4, 5, 6, 7],
      workingHours: { start: '00:00', end: '24:00' },
      targets: { Urgent: { firstResponseMinutes: 0, resolutionMinutes: 0 } },
    },
  });
  for (let i = 0; ; i++) {
    const { items } = await call('GET', '/tickets?priority=Urgent&isRtEscalated=true&select=id');
    if (items.length >= 2) break;
    if (i > 100) throw new Error('the Urgent tickets did not escalate');
    await new Promise((r) => setTimeout(r, 100));
  }
  await call('PUT', '/instance', { sla: slaPolicy });

  // ---------------------------------------------------------------- photographs
  mkdirSync(out, { recursive: true });
  const browser = await launchChromium();
  try {
    const laptop = await browser.newContext({ viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 });
    const page = await laptop.newPage();
    // The person taking the pictures: an admin, signed in through their invitation link.
    const invited = await call('POST', '/instance/users', { email: me.email, name: me.name, role: 'admin' });
    await page.goto(invited.invitation.url);
    await page.getByLabel('New password', { exact: true }).fill('screenshots need a password');
    await page.getByLabel('The same password again').fill('screenshots need a password');
    await page.getByRole('button', { name: 'Save and sign in' }).click();
    await page.locator('table.tickets tbody tr').first().waitFor();
    await page.screenshot({ path: join(out, 'desk.png') });
    console.log('docs/screenshots/desk.png');

    await page.goto(`${base}/tickets/${featured.ticketId}`);
    await page.getByRole('heading', { name: 'Activity' }).waitFor();
    await page.locator('.timeline .event').nth(3).waitFor();
    await page.screenshot({ path: join(out, 'ticket.png'), fullPage: true });
    console.log('docs/screenshots/ticket.png');

    await page.goto(`${base}/tickets/new`);
    await page.getByLabel('Title').waitFor();
    await page.screenshot({ path: join(out, 'new-ticket.png'), fullPage: true });
    console.log('docs/screenshots/new-ticket.png');

    await page.goto(`${base}/settings`);
    await page.getByRole('heading', { name: 'Custom fields' }).waitFor();
    await page.screenshot({ path: join(out, 'settings.png') });
    console.log('docs/screenshots/settings.png');
    // Sections on their own: the sticky top bar would cover their top edge.
    await page.evaluate(() => (document.querySelector('.topbar').style.position = 'static'));
    await page.locator('#sla').screenshot({ path: join(out, 'settings-sla.png') });
    console.log('docs/screenshots/settings-sla.png');
    await page.locator('#assignees').screenshot({ path: join(out, 'settings-rules.png') });
    console.log('docs/screenshots/settings-rules.png');
    await page.evaluate(() => (document.querySelector('.topbar').style.position = ''));

    await page.goto(`${base}/overview`);
    await page.getByRole('heading', { name: /Created and resolved/ }).waitFor();
    await page.screenshot({ path: join(out, 'overview.png'), fullPage: true });
    console.log('docs/screenshots/overview.png');

    await page.goto(`${base}/overview/alerts`);
    await page.locator('table.alerts tbody tr').first().waitFor();
    await page.screenshot({ path: join(out, 'alerts.png') });
    console.log('docs/screenshots/alerts.png');

    const cookies = await laptop.cookies();
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await phone.addCookies(cookies);
    const small = await phone.newPage();
    await small.goto(`${base}/tickets`);
    await small.locator('table.tickets tbody tr').first().waitFor();
    await small.screenshot({ path: join(out, 'desk-phone.png') });
    console.log('docs/screenshots/desk-phone.png');
    await small.goto(`${base}/tickets/${featured.ticketId}`);
    await small.getByRole('heading', { name: 'Activity' }).waitFor();
    await small.screenshot({ path: join(out, 'ticket-phone.png') });
    console.log('docs/screenshots/ticket-phone.png');
    await small.goto(`${base}/settings#sla`);
    await small.getByRole('heading', { name: 'SLA policy' }).waitFor();
    await small.evaluate(() => document.getElementById('sla').scrollIntoView({ block: 'start' }));
    await small.screenshot({ path: join(out, 'settings-sla-phone.png') });
    console.log('docs/screenshots/settings-sla-phone.png');
  } finally {
    await browser.close();
  }
}
