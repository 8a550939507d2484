// Pure formatting and bucketing helpers (no DOM): numbers, money, durations, dates in the
// viewer's time zone, and the per-bucket error and latency figures derived from log rows.
// tests/dashboard/unit.test.mjs runs these under Node.

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** The viewer's IANA time zone (sent to the admin API as X-GoModel-Timezone). */
export function timeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

export function num(n) {
  return n === null || n === undefined || Number.isNaN(n) ? '—' : integer.format(n);
}

/** 1234 → "1.2k", 3400000 → "3.4M": axis labels. */
export function compact(n) {
  const abs = Math.abs(n);
  for (const [size, suffix] of [[1e9, 'B'], [1e6, 'M'], [1e3, 'k']]) {
    if (abs >= size) return `${trim(n / size)}${suffix}`;
  }
  return trim(n);
}

function trim(n) {
  const abs = Math.abs(n);
  return String(Number(n.toFixed(abs < 1 ? 2 : abs < 10 ? 1 : 0)));
}

/**
 * US dollars. Small amounts keep three significant digits, because one request on a cheap model
 * costs thousandths of a cent and "$0.00" would read as free.
 */
export function usd(value) {
  if (value === 0) return '$0.00';
  const abs = Math.abs(value);
  if (abs >= 1) return `$${value.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
  if (abs >= 0.01) return `$${value.toFixed(4).replace(/0{1,2}$/, '')}`;
  const digits = Math.min(12, 2 - Math.floor(Math.log10(abs)));
  return `$${Number(value.toPrecision(3)).toFixed(digits).replace(/0+$/, '')}`;
}

/**
 * A cost for display. `value` is the priced sum (null when nothing was priced), `unpriced` how
 * many requests had no price, `requests` how many there were. Unpriced traffic is never shown as
 * $0: all-unpriced reads "unpriced", partly-unpriced reads "$1.20 + 3 unpriced".
 */
export function cost(value, unpriced = 0, requests = null) {
  const allUnpriced = value === null || value === undefined
    || (requests !== null && requests > 0 && unpriced >= requests);
  if (allUnpriced) return { text: 'unpriced', unpriced: true };
  if (unpriced > 0) return { text: `${usd(value)} + ${num(unpriced)} unpriced`, unpriced: true };
  return { text: usd(value), unpriced: false };
}

/** A USD per million tokens price, or null for "no price". */
export function perMillion(value) {
  return value === null || value === undefined ? null : `$${Number(value.toPrecision(4))}`;
}

export function ms(value) {
  if (value === null || value === undefined) return '—';
  if (value === 0) return '0 ms';
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 1000) return `${Math.round(value)} ms`;
  return `${(value / 1000).toFixed(2)} s`;
}

/** Unix microseconds → "2026-12-03 09:01:06" in `zone`. */
export function dateTime(tsUs, zone = timeZone()) {
  const p = parts(tsUs / 1000, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

function parts(epochMs, zone) {
  const fmt = new Intl.DateTimeFormat('en-US', {
    timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', second: '2-digit',
  });
  const out = {};
  for (const { type, value } of fmt.formatToParts(new Date(epochMs))) out[type] = value;
  return out;
}

/** The local day `YYYY-MM-DD` of an instant (ms) in `zone`. */
export function dayKey(epochMs, zone = timeZone()) {
  const p = parts(epochMs, zone);
  return `${p.year}-${p.month}-${p.day}`;
}

/** The local hour `YYYY-MM-DD HH` of an instant (ms) in `zone`. */
export function hourKey(epochMs, zone = timeZone()) {
  const p = parts(epochMs, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}`;
}

/** The `n` calendar days ending with `lastDay` (`YYYY-MM-DD`), oldest first. */
export function dayKeys(lastDay, n) {
  const [y, m, d] = lastDay.split('-').map(Number);
  const keys = [];
  for (let i = n - 1; i >= 0; i--) {
    keys.push(new Date(Date.UTC(y, m - 1, d - i)).toISOString().slice(0, 10));
  }
  return keys;
}

/** The hours of `day` (`YYYY-MM-DD`), as `YYYY-MM-DD HH` keys. */
export function hourKeys(day) {
  return Array.from({ length: 24 }, (_, i) => `${day} ${String(i).padStart(2, '0')}`);
}

/** The `p`-th percentile (0..1) of an ascending array, nearest rank; null when empty. */
export function percentile(sorted, p) {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1];
}

/**
 * Groups log rows (usage or audit) into the given bucket keys: requests, errors (status >= 400)
 * and latency p50 / p95 per bucket. `keyOf` maps a row to its bucket key; rows outside the keys
 * are ignored.
 */
export function bucketRows(rows, keys, keyOf) {
  const buckets = new Map(keys.map((k) => [k, { requests: 0, errors: 0, latencies: [] }]));
  for (const row of rows) {
    const bucket = buckets.get(keyOf(row));
    if (!bucket) continue;
    bucket.requests += 1;
    if (row.status_code >= 400) bucket.errors += 1;
    const latency = row.latency_ms ?? row.duration_ms;
    if (typeof latency === 'number') bucket.latencies.push(latency);
  }
  return keys.map((key) => {
    const b = buckets.get(key);
    const sorted = b.latencies.sort((x, y) => x - y);
    return {
      key, requests: b.requests, errors: b.errors,
      p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95),
    };
  });
}

/** Fills a period list from the API with zeros for the days it has no row for. */
export function fillDays(rows, keys) {
  const byDate = new Map(rows.map((r) => [r.date, r]));
  return keys.map((date) => byDate.get(date) || {
    date, requests: 0, input_tokens: 0, output_tokens: 0, total_tokens: 0,
    input_cost: 0, output_cost: 0, total_cost: 0, unpriced_requests: 0,
  });
}

/** Text of a chat message's content: a string, or the text parts of a content array. */
export function messageText(content) {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content.map((part) => {
      if (typeof part === 'string') return part;
      if (part && typeof part.text === 'string') return part.text;
      if (part && part.type) return `[${part.type}]`;
      return JSON.stringify(part);
    }).join('\n');
  }
  return JSON.stringify(content, null, 2);
}
