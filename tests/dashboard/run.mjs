// Drives the GoModel dashboard in headless Chromium (Debian's, through playwright-core) against a
// gateway that crates/gomodel/tests/e2e/dashboard.rs started and filled with real traffic.
//
//   node tests/dashboard/run.mjs <gateway url incl. BASE_PATH> <master key> <screenshot dir> [expectations JSON]
//
// Expectations (all optional): {"requests": n, "model": "gpt-4o-mini", "unpriced_model": "llama3.2",
// "conversation_user_path": "/team/chat", "conversation_turns": 3, "conversation_text": "...",
// "provider": "openai"}.
//
// Fails (exit 1) on any console error, page error, failed request, HTTP error or request to
// another origin, except the 401s of the deliberate wrong-key sign-in. Screenshots of every step
// go to the screenshot directory.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, key, shots, expectJson] = process.argv.slice(2);
if (!base || !key || !shots) {
  console.error('usage: node run.mjs <gateway url> <master key> <screenshot dir> [expectations JSON]');
  process.exit(2);
}
const expect = expectJson ? JSON.parse(expectJson) : {};
const executablePath = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const origin = new URL(base).origin;
const dashboard = `${base.replace(/\/$/, '')}/admin/dashboard`;
const STEP_TIMEOUT = 15_000;

mkdirSync(shots, { recursive: true });
const problems = [];
let phase = 'start';
let shotNumber = 0;

/** 401s are expected only while signing in with a wrong key. */
const expected401 = () => phase === 'wrong-key';

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const browser = await chromium.launch({
  executablePath,
  headless: true,
  // --no-sandbox: CI runs as root, where Chromium's sandbox cannot start.
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});
const context = await browser.newContext({ viewport: { width: 1440, height: 960 }, colorScheme: 'light' });
// Nothing may leave the gateway's origin: no CDN, no fonts (the dashboard must work offline).
await context.route('**/*', (route) => {
  const url = route.request().url();
  if (url.startsWith('data:') || new URL(url).origin === origin) return route.continue();
  problems.push(`[${phase}] request to another origin: ${url}`);
  return route.abort();
});
const page = await context.newPage();
page.setDefaultTimeout(STEP_TIMEOUT);
page.on('console', (msg) => {
  if (msg.type() !== 'error') return;
  if (expected401() && /status of 401/.test(msg.text())) return;
  problems.push(`[${phase}] console error: ${msg.text()}`);
});
page.on('pageerror', (err) => problems.push(`[${phase}] page error: ${err.message}`));
page.on('requestfailed', (req) => {
  // A navigation away from a page (or a reload) cancels its in-flight fetches and subresource
  // loads, the favicon among them; that is not a failure. A resource that really fails answers
  // with an error status (the listener below) or another network error.
  if (req.failure()?.errorText === 'net::ERR_ABORTED' && req.resourceType() !== 'document') return;
  problems.push(`[${phase}] request failed: ${req.method()} ${req.url()} ${req.failure()?.errorText}`);
});
page.on('response', (res) => {
  if (res.status() < 400) return;
  if (res.status() === 401 && expected401()) return;
  problems.push(`[${phase}] HTTP ${res.status()}: ${res.request().method()} ${res.url()}`);
});

/** A screenshot; `fullPage: false` for views inside the fixed drawer, which a full-page
 * capture (a resized viewport) would repaint mid-scroll. */
async function shot(name, { fullPage = true } = {}) {
  shotNumber += 1;
  const file = join(shots, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage });
  console.log(`  screenshot ${file}`);
}

async function step(name, body) {
  phase = name;
  console.log(`step: ${name}`);
  try {
    await body();
  } catch (err) {
    problems.push(`[${name}] ${err.message.split('\n')[0]}`);
    await shot(`FAILED-${name}`).catch(() => {});
    throw err;
  }
}

async function nav(name) {
  await page.click(`.sidebar a[data-page="${name}"]`);
  await page.waitForSelector(`#page[data-page="${name}"]`);
  await page.waitForFunction(() => !document.querySelector('#page .empty')?.textContent.includes('Loading'));
}

/** Waits for a chart with data: an SVG drawn at real width with bars, lines or points. */
async function chartWithData(name) {
  const selector = `.chart[data-chart="${name}"]`;
  // Attached, not visible: a one-point line is a zero-length path (its dot is what shows).
  await page.waitForSelector(`${selector} svg .series`, { state: 'attached' });
  const points = Number(await page.getAttribute(selector, 'data-points'));
  check(points > 0, `chart ${name} has no data points`);
  return points;
}

let failed = false;
try {
  await step('login-page', async () => {
    await page.goto(dashboard);
    await page.waitForSelector('#login:not([hidden])');
    check(await page.isVisible('#login-key'), 'no key field on the sign-in panel');
    await shot('login');
  });

  await step('wrong-key', async () => {
    await page.fill('#login-key', 'not-the-key');
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#login-error:not([hidden])');
    const message = await page.textContent('#login-error');
    check(/401/.test(message) && /invalid API key/i.test(message), `the sign-in panel does not show the server's 401 message: ${message}`);
    check(await page.isHidden('#app'), 'the dashboard opened with a wrong key');
    check(await page.evaluate(() => !sessionStorage.getItem('gomodel.adminKey')), 'a rejected key stayed in session storage');
    await shot('wrong-key');
  });

  await step('sign-in', async () => {
    await page.fill('#login-key', key);
    await page.click('#login-form button[type=submit]');
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('#page[data-page="overview"]');
    check(await page.evaluate(() => sessionStorage.getItem('gomodel.adminKey')) === key, 'the key is not in session storage');
    check(await page.evaluate(() => localStorage.getItem('gomodel.adminKey')) === null, 'the key leaked into local storage');
  });

  await step('overview', async () => {
    for (const name of ['requests', 'tokens', 'cost', 'errors', 'latency']) await chartWithData(name);
    const requests = await page.textContent('.stat:has(.label:text-is("Requests")) .value');
    if (expect.requests !== undefined) {
      check(Number(requests.replace(/,/g, '')) === expect.requests, `Overview shows ${requests} requests, expected ${expect.requests}`);
    }
    const errors = await page.textContent('.stat:has(.label:text-is("Errors")) .value');
    check(Number(errors) >= 1, `Overview shows ${errors} errors; the test sent a failing request`);
    const provider = expect.provider || 'openai';
    await page.waitForSelector(`.provider-card[data-provider="${provider}"]`);
    await page.hover('.chart[data-chart="requests"] svg');
    await shot('overview');
  });

  await step('usage', async () => {
    await nav('usage');
    await chartWithData('usage-tokens');
    const model = expect.model || 'gpt-4o-mini';
    await page.waitForSelector(`table td:has-text("${model}")`);
    if (expect.unpriced_model) {
      const row = page.locator(`#page tr:has(td:has-text("${expect.unpriced_model}"))`);
      const cost = await row.locator('td').last().textContent();
      check(cost.trim() === 'unpriced', `the unpriced model's cost reads "${cost}", not "unpriced"`);
    }
    await page.click('.segmented[aria-label="Metric"] button[data-value="costs"]');
    await page.waitForSelector('#page .chart[data-chart="usage-costs"]');
    await chartWithData('usage-costs');
    await shot('usage-costs');
  });

  await step('request-log', async () => {
    await nav('requests');
    const rows = await page.locator('#page tbody tr').count();
    check(rows >= 1, 'the request log is empty');
    if (expect.requests !== undefined) {
      check(rows === Math.min(expect.requests, 50), `the request log shows ${rows} rows, expected ${expect.requests}`);
    }
    await page.locator('#page tbody tr').first().click();
    await page.waitForSelector('.drawer:has-text("Request id")');
    await shot('request-detail');
    await page.click('.drawer-close');
  });

  await step('audit-log', async () => {
    await nav('audit');
    check(await page.locator('#page tbody tr').count() >= 1, 'the audit log is empty');
    const userPath = expect.conversation_user_path;
    if (userPath) {
      await page.fill('#page input[name="user_path"]', userPath);
      await page.click('#page form.filters button[type=submit]');
      await page.waitForFunction((p) => location.hash.includes(`user_path=${encodeURIComponent(p)}`), userPath);
      await page.waitForSelector('#page tbody tr');
    }
    await shot('audit-log');
    await page.locator('#page tbody tr').first().click();
    await page.waitForSelector('.drawer .audit-entry');
    const requestBody = await page.textContent('.drawer details[data-section="Request body"] pre');
    check(requestBody.includes('"messages"'), 'the audit entry shows no request body');
    if (expect.conversation_text) {
      check(requestBody.includes(expect.conversation_text), `the request body lacks "${expect.conversation_text}"`);
    }
    const responseBody = await page.textContent('.drawer details[data-section="Response body"] pre');
    check(responseBody.includes('"choices"'), 'the audit entry shows no response body');
    check(await page.evaluate(() => location.hash.includes('id=')), 'the open entry is not in the URL');
    await page.click('.drawer button:has-text("Show conversation")');
    await page.waitForSelector('.drawer .thread .turn');
    const turns = await page.locator('.drawer .thread .turn').count();
    const wanted = expect.conversation_turns || 2;
    check(turns === wanted, `the conversation thread has ${turns} entries, expected ${wanted}`);
    check(await page.locator('.drawer .thread .turn.current').count() === 1, 'the current entry is not marked in the thread');
    check(await page.locator('.drawer .thread .msg.assistant').count() === turns, 'not every turn shows its reply');
    await shot('audit-conversation');
    await page.locator('.drawer details[data-section="Response body"]').scrollIntoViewIfNeeded();
    await shot('audit-bodies', { fullPage: false });
  });

  await step('models', async () => {
    await page.click('.drawer-close');
    await nav('models');
    const model = expect.model || 'gpt-4o-mini';
    await page.waitForSelector(`#page td:has-text("${model}")`);
    check(await page.locator('#page tbody tr').count() >= 1, 'the model catalog is empty');
    await page.fill('#page input[aria-label="Filter models"]', model);
    check(await page.locator('#page section.panel').first().locator('tbody tr').count() >= 1, 'the model filter hides the model');
    await shot('models');
  });

  await step('providers', async () => {
    await nav('providers');
    const provider = expect.provider || 'openai';
    await page.waitForSelector(`.provider-card[data-provider="${provider}"]`);
    const card = await page.textContent(`.provider-card[data-provider="${provider}"]`);
    check(/healthy|degraded|unhealthy|unknown/.test(card), 'the provider card shows no status');
    check(!card.includes(key), 'the provider card shows the master key');
    await page.click('#page .page-head button.primary');
    await page.waitForSelector('#page [data-refresh]');
    await shot('providers');
  });

  await step('dark-mode', async () => {
    const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.click('#theme-toggle');
    await page.waitForSelector('html[data-theme="dark"]');
    const after = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    check(before !== after, `the background did not change (${before})`);
    const [r, g, b] = after.match(/\d+/g).map(Number);
    check(r + g + b < 150, `the dark background is not dark: ${after}`);
    await nav('overview');
    await chartWithData('requests');
    await shot('overview-dark');
    // A reload keeps the theme (localStorage), the session (sessionStorage) and the open audit
    // entry (#/audit?id=...).
    await nav('audit');
    await page.locator('#page tbody tr').first().click();
    await page.waitForSelector('.drawer .audit-entry');
    const entryId = await page.getAttribute('.drawer .audit-entry', 'data-id');
    await page.reload();
    await page.waitForSelector('#app:not([hidden])');
    await page.waitForSelector('html[data-theme="dark"]');
    await page.waitForSelector(`.drawer .audit-entry[data-id="${entryId}"]`);
    await page.click('.drawer button:has-text("Show conversation")');
    await page.waitForSelector('.drawer .thread .turn');
    await shot('audit-dark');
    await page.click('.drawer-close');
    await nav('usage');
    await shot('usage-dark');
  });

  await step('sign-out', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#login:not([hidden])');
    check(await page.evaluate(() => !sessionStorage.getItem('gomodel.adminKey')), 'sign-out left the key in session storage');
  });
} catch (err) {
  failed = true;
  console.error(`FAILED in ${phase}: ${err.message}`);
} finally {
  await browser.close();
}

if (problems.length > 0) {
  console.error(`\n${problems.length} problem(s):`);
  for (const problem of problems) console.error(`  - ${problem}`);
}
console.log(`screenshots in ${shots}`);
process.exit(failed || problems.length > 0 ? 1 : 0);
