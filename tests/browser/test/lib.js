// lib.js: Debian's Chromium under playwright-core, with the network blocked:
// every request that is not a file: URL is aborted and recorded, and the
// context is offline as well. Pages record console errors and page errors.
// No browser is ever downloaded: executablePath is the system's chromium.
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodePng } from '../../sdk/common/png.js';

export const FIX = process.env.REPORT_FIXTURES;
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

// A browser context in a fresh profile folder; close() removes it.
export async function browser(opts = {}) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gb-chromium-'));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM, headless: true, args: ARGS,
    viewport: { width: opts.width || 1280, height: opts.height || 900 },
    javaScriptEnabled: opts.js !== false,
    offline: true,
  });
  const blocked = [];
  await ctx.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith('file:')) return route.continue();
    blocked.push(u);
    return route.abort();
  });
  return {
    ctx, blocked,
    async close() { await ctx.close(); fs.rmSync(dir, { recursive: true, force: true }); },
  };
}

// Open a report; returns the page and what it logged.
export async function open(b, file, { waitTable = true } = {}) {
  const page = await b.ctx.newPage();
  const log = { errors: [], requests: [], dialogs: [] };
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.errors.push(`${m.type()}: ${m.text()}`); });
  page.on('pageerror', (e) => log.errors.push(`pageerror: ${e.message}`));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) log.requests.push(r.url()); });
  page.on('dialog', (d) => { log.dialogs.push(d.message()); d.dismiss(); });
  await page.goto('file://' + path.resolve(file), { waitUntil: 'load' });
  if (waitTable) await page.waitForSelector('#rows[data-ready]', { timeout: 60000 });
  return { page, log };
}

export function readJsonl(file) {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

export function at(obj, key) {
  return key.split('.').reduce((o, k) => (o && typeof o === 'object' ? o[k] : undefined), obj);
}

// A screenshot is "not blank" when it has many colours and enough pixels
// differ from the most common one (the background).
export function inkOf(png) {
  const img = decodePng(png);
  const ch = img.colorType === 6 ? 4 : img.colorType === 2 ? 3 : 1;
  const counts = new Map();
  for (let i = 0; i + ch <= img.pixels.length; i += ch) {
    const k = img.pixels.readUIntBE(i, 3);
    counts.set(k, (counts.get(k) || 0) + 1);
  }
  const total = img.pixels.length / ch;
  const top = Math.max(...counts.values());
  return { colours: counts.size, ink: 1 - top / total };
}
