// demo.test.js: the reports of the sample pipelines (make demo's runs) and of
// a merged output folder, loaded from file:// with the network blocked.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { FIX, browser, open, readJsonl, at, inkOf } from './lib.js';

const DEMO = path.join(FIX, 'demo');
const demos = fs.readdirSync(DEMO).filter((d) => fs.existsSync(path.join(DEMO, d, 'report.html'))).sort();
const REQUIRED = ['counts.jobs', 'counts.completed', 'counts.failed', 'counts.in_doubt', 'wall_s',
  'tokens.total', 'latency_ms.p50', 'latency_ms.p95', 'latency_ms.p99'];
let b;
before(async () => { b = await browser(); });
after(async () => { await b.close(); });

// Every [data-key] on the page holds run.json's number at that path.
async function checkFigures(page, run) {
  const figs = await page.$$eval('[data-key]', (els) => els.map((e) => ({ key: e.dataset.key, value: e.dataset.value, text: e.textContent })));
  const keys = new Set(figs.map((f) => f.key));
  for (const k of REQUIRED) assert.ok(keys.has(k), `figure ${k} missing`);
  for (const f of figs) {
    const want = at(run, f.key);
    assert.equal(typeof want, 'number', `${f.key}: not a number in run.json`);
    assert.equal(Number(f.value), want, `${f.key}: page ${f.value}, run.json ${want}`);
    if (f.key === 'cost.total_usd' && at(run, 'cost.complete') === false) {
      // a cost nobody could price (an agent's) is said as such, never $0
      assert.match(f.text, at(run, 'cost.priced_requests') ? /^at least \$\d/ : /^unknown$/,
        `${f.key}: an incomplete cost shown as '${f.text}'`);
      continue;
    }
    assert.match(f.text, /\d/, `${f.key}: shown as '${f.text}'`);
  }
  // the counts people read, digit for digit
  for (const k of ['counts.jobs', 'counts.completed', 'counts.failed', 'tokens.total']) {
    const f = figs.find((x) => x.key === k);
    assert.equal(f.text.replace(/,/g, ''), String(at(run, k)), `${k} shown as '${f.text}'`);
  }
}

async function checkClean(log, b) {
  assert.deepEqual(log.errors, [], 'console errors');
  assert.deepEqual(log.requests, [], 'network requests');
  assert.deepEqual(b.blocked, [], 'blocked requests');
  assert.deepEqual(log.dialogs, [], 'dialogs');
}

async function checkCharts(page) {
  const charts = await page.$$eval('svg.chart', (ss) => ss.map((s) => ({
    label: s.getAttribute('aria-labelledby'), title: s.querySelector('title')?.textContent,
    desc: s.querySelector('desc')?.textContent, shapes: s.querySelectorAll('rect,line').length,
    w: s.getBoundingClientRect().width, h: s.getBoundingClientRect().height })));
  assert.ok(charts.length >= 2, `only ${charts.length} charts`);
  for (const c of charts) {
    assert.ok(c.title && c.desc, 'a chart without its text alternative');
    assert.ok(c.shapes > 0 && c.w > 100 && c.h > 20, `chart '${c.title}' is empty (${JSON.stringify(c)})`);
  }
  // every bar is drawn in a colour of the Okabe-Ito palette (safe for the
  // common colour blindnesses): blue, orange, grey, green, vermillion
  const okabeIto = new Set(['rgb(0, 114, 178)', 'rgb(230, 159, 0)', 'rgb(140, 140, 140)',
    'rgb(0, 158, 115)', 'rgb(213, 94, 0)', 'rgb(86, 180, 233)']);
  const fills = await page.$$eval('svg.chart rect', (rs) => [...new Set(rs.map((r) => getComputedStyle(r).fill))]);
  for (const f of fills) assert.ok(okabeIto.has(f), `a bar drawn in ${f}, not a palette colour`);
  const shot = await page.locator('svg.chart').first().screenshot();
  const ink = inkOf(shot);
  assert.ok(ink.colours >= 3 && ink.ink > 0.02, `first chart looks blank: ${JSON.stringify(ink)}`);
  const full = inkOf(await page.screenshot());
  assert.ok(full.colours >= 10 && full.ink > 0.05, `page looks blank: ${JSON.stringify(full)}`);
}

// The timing and retry charts add up to the lines and to run.json: the
// latency bins hold every sampled request, with the p50/p95/p99 marks in
// order; jobs by attempts hold every line, the completed ones as results;
// responses by HTTP status equal counts.http; re-asks hold the results.
async function checkTiming(page, run, nres, nerr) {
  const chart = (id) => page.$$eval(`svg[aria-labelledby="${id}-t ${id}-d"] g > title`,
    (ts) => ts.map((t) => t.textContent));
  const sum = (titles, what) => titles.reduce((a, t) => {
    const m = t.match(new RegExp(`: ([\\d,]+) ${what}$`));
    assert.ok(m, `bar '${t}' has no count of ${what}`);
    return a + Number(m[1].replace(/,/g, ''));
  }, 0);
  const lat = await chart('lat');
  assert.equal(sum(lat, 'requests?'), run.latency_ms.samples, 'latency bins against latency_ms.samples');
  const marks = await page.$$eval('svg[aria-labelledby="lat-t lat-d"] line.mark',
    (ls) => ls.map((l) => ({ c: l.getAttribute('class'), x: parseFloat(l.getAttribute('x1')) })));
  assert.deepEqual(marks.map((m) => m.c), ['mark m50', 'mark m95', 'mark m99'], 'percentile marks');
  assert.ok(marks[0].x <= marks[1].x && marks[1].x <= marks[2].x, `marks out of order: ${JSON.stringify(marks)}`);
  const att = await chart('att');
  assert.equal(sum(att, 'jobs?'), nres + nerr, 'jobs by attempts against the lines');
  assert.equal(sum(att.filter((t) => t.includes(', completed:')), 'jobs?'), nres, 'completed jobs by attempts');
  const http = await chart('http');
  const want = Object.values(run.counts.http).reduce((a, v) => a + v, 0);
  assert.equal(sum(http, 'responses?'), want, 'responses by HTTP status against counts.http');
  for (const [code, n] of Object.entries(run.counts.http))
    assert.ok(http.includes(`HTTP ${code}: ${n.toLocaleString('en-US')} response${n === 1 ? '' : 's'}`),
      `HTTP ${code}: ${n} not in ${http}`);
  const reask = await chart('reask');
  if (reask.length) assert.equal(sum(reask, 'jobs?'), nres, 'completed jobs by re-asks');
}

async function search(page, q) {
  await page.fill('#q', q);
  await page.waitForFunction((q) => {
    const r = document.querySelector('#rows tbody tr');
    return r && r.cells[0].textContent.toLowerCase().includes(q.toLowerCase());
  }, q, { timeout: 30000 });
  return page.$$eval('#rows tbody tr', (rs) => rs.map((r) => r.cells[0].textContent));
}

for (const name of demos) {
  test(`demo ${name}: offline, figures equal run.json, charts, search`, async () => {
    const dir = path.join(DEMO, name);
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    const results = readJsonl(path.join(dir, 'results.jsonl'));
    const { page, log } = await open(b, path.join(dir, 'report.html'));
    await checkFigures(page, run);
    await checkCharts(page);
    const nerr = readJsonl(path.join(dir, 'errors.jsonl')).length;
    await checkTiming(page, run, results.length, nerr);
    const rows = await page.$$eval('#rows tbody tr', (rs) => rs.length);
    assert.equal(rows, Math.min(50, results.length + nerr));
    const id = results[results.length - 1].id;
    const found = await search(page, id);
    assert.ok(found.includes(id), `search '${id}' found ${found}`);
    assert.match(await page.textContent('#count'), /^1 of /);
    await checkClean(log, b);
    await page.close();
  });
}

test('classify-images: the label distribution equals the results', async () => {
  const dir = path.join(DEMO, 'classify-images');
  const want = {};
  for (const r of readJsonl(path.join(dir, 'results.jsonl'))) want[r.output.category] = (want[r.output.category] || 0) + 1;
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  const card = page.locator('figure.card', { has: page.locator('figcaption code', { hasText: /^category$/ }) });
  const got = await card.locator('table.nums tbody tr').evaluateAll((rs) =>
    Object.fromEntries(rs.map((r) => [r.cells[0].textContent, Number(r.cells[1].textContent)])));
  assert.deepEqual(got, want);
  assert.equal(await card.locator('svg.chart rect').count(), Object.keys(want).length);
  await checkClean(log, b);
  await page.close();
});

test('generate-images: the contact sheet shows every generated image', async () => {
  const dir = path.join(DEMO, 'generate-images');
  const files = readJsonl(path.join(dir, 'results.jsonl')).flatMap((r) => r.files || []);
  assert.ok(files.length >= 5);
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  const imgs = page.locator('#images .sheet img');
  assert.equal(await imgs.count(), files.length);
  for (let i = 0; i < files.length; i++) {
    const img = imgs.nth(i);
    await img.scrollIntoViewIfNeeded();
    await page.waitForFunction((el) => el.complete && el.naturalWidth > 0, await img.elementHandle(), { timeout: 10000 });
  }
  const srcs = await imgs.evaluateAll((is) => is.map((i) => i.getAttribute('src')));
  assert.deepEqual(srcs.sort(), [...files].sort());
  await checkClean(log, b);
  await page.close();
});

test('merged output folder: figures equal the merged run.json', async () => {
  const dir = path.join(FIX, 'merged');
  const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
  assert.ok(run.merge, 'not a merged folder');
  const { page, log } = await open(b, path.join(dir, 'report.html'));
  await checkFigures(page, run);
  assert.match(await page.textContent('header .meta'), /merged from 2 folders/);
  assert.equal(await page.$$eval('#rows tbody tr', (rs) => rs.length), run.counts.completed + run.counts.failed);
  await checkClean(log, b);
  await page.close();
});

test('phone width: no page-wide horizontal scroll, charts fill the width', async () => {
  const pb = await browser({ width: 390, height: 844 });
  try {
    const { page, log } = await open(pb, path.join(DEMO, 'classify-images', 'report.html'));
    const { sw, cw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, cw: document.documentElement.clientWidth }));
    assert.ok(sw <= cw + 1, `page is ${sw}px wide in a ${cw}px window`);
    const widths = await page.$$eval('svg.chart', (ss) => ss.map((s) => s.getBoundingClientRect().width));
    for (const w of widths) assert.ok(w > 250 && w <= 390, `chart ${w}px wide`);
    const ink = inkOf(await page.screenshot());
    assert.ok(ink.ink > 0.05);
    await checkClean(log, pb);
  } finally { await pb.close(); }
});

test('without JavaScript the figures and charts are all there', async () => {
  const nb = await browser({ js: false });
  try {
    const dir = path.join(DEMO, 'classify-images');
    const run = JSON.parse(fs.readFileSync(path.join(dir, 'run.json'), 'utf8'));
    const { page, log } = await open(nb, path.join(dir, 'report.html'), { waitTable: false });
    await checkFigures(page, run);
    assert.ok(await page.locator('svg.chart').count() >= 3);
    assert.ok(await page.locator('noscript').count() === 1);
    await checkClean(log, nb);
  } finally { await nb.close(); }
});
