// synthetic.test.js: reports of output folders made by mk_outdir.py: hostile
// content, a 100,000-job run (timings recorded, not asserted tight), a table
// sampled past --max-rows, and a folder without cost or cache fields.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIX, browser, open, readJsonl, at } from './lib.js';

let b;
before(async () => { b = await browser(); });
after(async () => { await b.close(); });

function clean(log) {
  assert.deepEqual(log.errors, [], 'console errors');
  assert.deepEqual(log.requests, [], 'network requests');
  assert.deepEqual(b.blocked, [], 'blocked requests');
  assert.deepEqual(log.dialogs, [], 'dialogs');
}

test('hostile ids, answers, errors and paths stay text', async () => {
  const dir = path.join(FIX, 'hostile');
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  const pwned = () => page.evaluate(() => window.__pwned);
  assert.equal(await pwned(), undefined);
  // only the page's own two script elements, no injected element or handler
  assert.equal(await page.locator('script').count(), 2);
  assert.equal(await page.locator('body svg:not(.chart), body img:not(.sheet img), [onerror], [onload]').count(), 0);
  assert.equal(await page.locator('a[href^="javascript"], img[src^="javascript"], a[href*=".."]').count(), 0);
  // the hostile text is shown as text: in the table, after a search and a sort
  await page.fill('#q', '</script>');
  await page.waitForFunction(() => /<\/script>/.test(document.querySelector('#rows tbody')?.textContent || ''), null, { timeout: 10000 });
  await page.click('#rows thead th:nth-child(1) button');
  await page.fill('#q', 'onerror');
  await page.waitForFunction(() => /<img src=x onerror/.test(document.querySelector('#rows tbody')?.textContent || ''), null, { timeout: 10000 });
  const errs = await page.textContent('#errors');
  assert.match(errs, /<img src=x onerror="window.__pwned=2">/);
  assert.match(await page.textContent('#answers'), /<\/script><script>window.__pwned=1<\/script>/);
  assert.equal(await pwned(), undefined);
  const refused = readJsonl(path.join(dir, 'results.jsonl')).flatMap((r) => r.files || [])
    .filter((f) => f.includes(':') || f.split('/').includes('..')).length;
  assert.ok(refused >= 2);
  assert.match(await page.textContent('.notes'), new RegExp(`${refused} image paths were not plain relative paths`));
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, /script-src 'sha256-/);
  clean(log);
  await page.close();
});

test('100,000 jobs: loads, searches and pages; figures recorded', async () => {
  const dir = path.join(FIX, 'big');
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  const t0 = Date.now();
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  const loadMs = Date.now() - t0;
  const perf = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    ready: Number(document.querySelector('#rows').dataset.ready),
  }));
  for (const k of ['counts.jobs', 'counts.completed', 'counts.failed', 'cost.total_usd', 'counts.cache_hits']) {
    const v = await page.getAttribute(`[data-key="${k}"]`, 'data-value');
    assert.equal(Number(v), at(run, k), k);
  }
  assert.equal(await page.textContent('#count'), '100,000 of 100,000 rows');
  const id = 'job-0077777';
  const s0 = await page.evaluate(() => performance.now());
  await page.fill('#q', id);
  await page.waitForFunction((id) => document.querySelector('#rows tbody tr')?.cells[0].textContent === id, id, { timeout: 30000 });
  const searchMs = (await page.evaluate(() => performance.now())) - s0;
  assert.equal(await page.textContent('#count'), '1 of 100,000 rows');
  // a second search reuses the lowered text: the steady-state figure
  const s1 = await page.evaluate(() => performance.now());
  await page.fill('#q', 'job-0012345');
  await page.waitForFunction(() => document.querySelector('#rows tbody tr')?.cells[0].textContent === 'job-0012345', null, { timeout: 30000 });
  const search2Ms = (await page.evaluate(() => performance.now())) - s1;
  await page.fill('#q', '');
  await page.waitForFunction(() => document.querySelector('#count').textContent.startsWith('100,000'));
  await page.click('#next');
  assert.match(await page.textContent('#page'), /^page 2 of 2,000$/);
  await page.selectOption('#st', { label: 'failed' });
  await page.waitForFunction(() => document.querySelector('#count').textContent.startsWith('2,000 of'));
  assert.equal(await page.locator('svg.chart[aria-labelledby^="tput"]').count(), 1, 'no throughput chart');
  assert.ok(await page.locator('#cost svg.chart').count() >= 1, 'no cost chart');
  const figures = { load_ms: loadMs, first_contentful_paint_ms: Math.round(perf.fcp), table_ready_ms: perf.ready,
    first_search_ms: Math.round(searchMs), second_search_ms: Math.round(search2Ms),
    bytes: fs.statSync(path.join(dir, 'report.html')).size };
  fs.writeFileSync(path.join(FIX, 'browser-figures.json'), JSON.stringify(figures));
  clean(log);
  await page.close();
});

test('a table past --max-rows is an even sample, and the page says so', async () => {
  const dir = path.join(FIX, 'sampled');
  const n = readJsonl(path.join(dir, 'results.jsonl')).length + readJsonl(path.join(dir, 'errors.jsonl')).length;
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  assert.equal(await page.textContent('#count'), '500 of 500 rows');
  assert.match(await page.textContent('#table .note'), new RegExp(`sample of 500 of the ${n.toLocaleString('en-US')} jobs`));
  assert.equal(Number(await page.getAttribute('[data-key="counts.jobs"]', 'data-value')), n);
  clean(log);
  await page.close();
});

test('no cost or cache fields: no cost section, no zeros', async () => {
  const dir = path.join(FIX, 'plain');
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  assert.equal(await page.locator('#cost').count(), 0);
  assert.equal(await page.locator('[data-key^="cost"], [data-key="counts.cache_hits"]').count(), 0);
  assert.doesNotMatch(await page.textContent('#summary'), /cost|cache/i);
  const cols = await page.$$eval('#rows thead th', (ths) => ths.map((t) => t.textContent));
  assert.ok(!cols.includes('cost USD') && !cols.includes('cached'), cols.join());
  assert.match(await page.textContent('#timing'), /needs each job's finish time/);
  clean(log);
  await page.close();
});
