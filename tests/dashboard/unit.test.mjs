// Unit tests for the dashboard's pure helpers (js/format.js), run with `node --test` by
// crates/gomodel/tests/e2e/dashboard.rs (no browser needed).

import test from 'node:test';
import assert from 'node:assert/strict';
import {
  bucketRows, compact, cost, dateTime, dayKey, dayKeys, fillDays, hourKeys, messageText, ms, percentile, usd,
} from '../../crates/gateway/assets/dashboard/js/format.js';

test('unpriced costs never read as $0', () => {
  assert.deepEqual(cost(null), { text: 'unpriced', unpriced: true });
  assert.deepEqual(cost(0, 3, 3), { text: 'unpriced', unpriced: true });
  assert.deepEqual(cost(1.5, 2, 5), { text: '$1.50 + 2 unpriced', unpriced: true });
  assert.deepEqual(cost(0, 0, 0), { text: '$0.00', unpriced: false });
  assert.deepEqual(cost(0.0000144, 0, 1), { text: '$0.0000144', unpriced: false });
});

test('dollars keep three significant digits below a cent', () => {
  assert.equal(usd(1234.5), '$1,234.50');
  assert.equal(usd(0.05), '$0.05');
  assert.equal(usd(0.0123), '$0.0123');
  assert.equal(usd(0.00123456), '$0.00123');
  assert.equal(usd(0.0000144), '$0.0000144');
  assert.equal(usd(0.00000002), '$0.00000002');
  assert.equal(usd(0.001), '$0.001');
});

test('compact numbers and durations', () => {
  assert.equal(compact(0), '0');
  assert.equal(compact(0.25), '0.25');
  assert.equal(compact(7.5), '7.5');
  assert.equal(compact(1234), '1.2k');
  assert.equal(compact(25_000_000), '25M');
  assert.equal(ms(0), '0 ms');
  assert.equal(ms(0.5), '0.50 ms');
  assert.equal(ms(12.4), '12 ms');
  assert.equal(ms(1500), '1.50 s');
  assert.equal(ms(null), '—');
});

test('days and hours in a time zone', () => {
  const t = Date.UTC(2026, 2, 29, 23, 30); // 2026-03-29 23:30 UTC
  assert.equal(dayKey(t, 'UTC'), '2026-03-29');
  assert.equal(dayKey(t, 'Europe/Berlin'), '2026-03-30');
  assert.equal(dateTime(t * 1000, 'Asia/Kolkata'), '2026-03-30 05:00:00');
  assert.deepEqual(dayKeys('2026-03-01', 3), ['2026-02-27', '2026-02-28', '2026-03-01']);
  assert.equal(hourKeys('2026-03-01').length, 24);
  assert.equal(hourKeys('2026-03-01')[9], '2026-03-01 09');
});

test('periods without rows are zero-filled', () => {
  const rows = fillDays([{ date: '2026-03-02', requests: 4 }], ['2026-03-01', '2026-03-02']);
  assert.equal(rows[0].requests, 0);
  assert.equal(rows[0].unpriced_requests, 0);
  assert.equal(rows[1].requests, 4);
});

test('log rows bucket into requests, errors and latency percentiles', () => {
  const rows = [
    { key: 'a', status_code: 200, latency_ms: 10 },
    { key: 'a', status_code: 500, latency_ms: 30 },
    { key: 'a', status_code: 200, duration_ms: 20 },
    { key: 'b', status_code: 429, latency_ms: 5 },
    { key: 'z', status_code: 200, latency_ms: 1 },
  ];
  const [a, b, c] = bucketRows(rows, ['a', 'b', 'c'], (r) => r.key);
  assert.deepEqual(a, { key: 'a', requests: 3, errors: 1, p50: 20, p95: 30 });
  assert.deepEqual(b, { key: 'b', requests: 1, errors: 1, p50: 5, p95: 5 });
  assert.deepEqual(c, { key: 'c', requests: 0, errors: 0, p50: null, p95: null });
  assert.equal(percentile([], 0.5), null);
});

test('message text from strings and content parts', () => {
  assert.equal(messageText('hi'), 'hi');
  assert.equal(messageText([{ type: 'text', text: 'a' }, { type: 'image_url' }]), 'a\n[image_url]');
  assert.equal(messageText(null), '');
});
