import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { forbiddenAddress } from './addresses.js';
import { generateWebhookSecret, nextRetryAt, restUntil, RETRY_DELAYS_MS, RETRY_WINDOW_MS, signatureHeader, urlProblem } from './webhooks.js';

describe('webhook signatures', () => {
  it('sign as the Standard Webhooks reference implementation does', () => {
    const secret = generateWebhookSecret();
    const body = JSON.stringify({ type: 'ticket.created', timestamp: '2026-11-23T08:00:00.000Z', data: { text: 'héllo ✓' } });
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader(secret, 'msg_1', timestamp, body);
    expect(header).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    expect(new Webhook(secret).verify(body, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header })).toEqual(
      JSON.parse(body),
    );
    expect(() =>
      new Webhook(secret).verify(`${body} `, { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header }),
    ).toThrow();
  });
});

describe('the retry schedule', () => {
  const at = (attempts: number, random: number) => nextRetryAt(attempts, 0, RETRY_WINDOW_MS, () => random);
  it('waits about 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, then a day, ±20 %', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8].map((n) => at(n, 0.5))).toEqual([5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000, 86_400_000, 86_400_000]);
    expect(at(1, 0)).toBe(4_000);
    expect(at(1, 0.999999)).toBe(6_000);
    expect(RETRY_DELAYS_MS).toHaveLength(7);
  });
  it('ends with an attempt at the end of the window, then gives up', () => {
    expect(nextRetryAt(9, RETRY_WINDOW_MS - 1000, RETRY_WINDOW_MS, () => 0.5)).toBe(RETRY_WINDOW_MS);
    expect(nextRetryAt(10, RETRY_WINDOW_MS, RETRY_WINDOW_MS, () => 0.5)).toBeNull();
  });
  it('rests an endpoint only after 5 failures in a row, as long as it has been failing, at most an hour', () => {
    expect(restUntil(4, 0, 60_000, () => 0.5)).toBeUndefined();
    expect(restUntil(5, 0, 1_000, () => 0.5)).toBe(6_000);
    expect(restUntil(9, 0, 600_000, () => 0.5)).toBe(1_200_000);
    expect(restUntil(50, 0, 86_400_000, () => 0.5)).toBe(86_400_000 + 3_600_000);
  });
});

describe('where webhooks may go', () => {
  it.each([
    ['127.0.0.1', 'a loopback address'],
    ['127.255.255.254', 'a loopback address'],
    ['10.0.0.1', 'a private address'],
    ['172.31.255.255', 'a private address'],
    ['192.168.0.1', 'a private address'],
    ['169.254.169.254', 'a link-local address (cloud metadata lives there)'],
    ['100.64.0.1', 'a carrier-grade NAT address'],
    ['0.0.0.0', 'a "this network" address'],
    ['224.0.0.1', 'a multicast address'],
    ['255.255.255.255', 'a reserved address'],
    ['::1', 'a loopback address'],
    ['::', 'the unspecified address'],
    ['fe80::1', 'a link-local address'],
    ['fd00:ec2::254', 'a private (unique local) address'],
    ['fc00::1', 'a private (unique local) address'],
    ['ff02::1', 'a multicast address'],
    ['::ffff:127.0.0.1', 'a loopback address (127.0.0.1, inside an IPv6 address)'],
    ['::ffff:a9fe:a9fe', 'a link-local address (cloud metadata lives there) (169.254.169.254, inside an IPv6 address)'],
    ['::ffff:10.1.2.3', 'a private address (10.1.2.3, inside an IPv6 address)'],
    ['64:ff9b::a00:1', 'a private address (10.0.0.1, inside an IPv6 address)'],
    ['2002:c0a8:0101::1', 'a private address (192.168.1.1, inside an IPv6 address)'],
    ['::127.0.0.1', 'a loopback address (127.0.0.1, inside an IPv6 address)'],
  ])('refuses %s (%s)', (address, reason) => {
    expect(forbiddenAddress(address)).toBe(reason);
  });
  it.each(['8.8.8.8', '93.184.215.14', '100.128.0.1', '172.32.0.1', '2606:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('allows %s', (address) => {
    expect(forbiddenAddress(address)).toBeUndefined();
  });
  it('checks URLs when saved: scheme, IP addresses and names of this machine, unless private targets are allowed', () => {
    const strict = { allowPrivate: false };
    expect(urlProblem('https://hooks.example.com/x?token=1', strict)).toBeUndefined();
    expect(urlProblem('http://[::ffff:7f00:1]:8080/', strict)).toMatch(/loopback/);
    expect(urlProblem('http://0x7f.1/', strict)).toMatch(/loopback/);
    expect(urlProblem('http://LOCALHOST./', strict)).toMatch(/a name of this machine/);
    expect(urlProblem('file:///etc/passwd', strict)).toBe('must be an http: or https: URL');
    expect(urlProblem('http://127.0.0.1:9/', { allowPrivate: true })).toBeUndefined();
  });
});
