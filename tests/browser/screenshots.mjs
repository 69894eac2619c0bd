// screenshots.mjs: PNG pictures of report pages for the docs, through the
// same offline Chromium as the tests. Not part of make test.
//   node screenshots.mjs OUT.png REPORT.html [WIDTH] [HEIGHT] [SELECTOR]
// Captures the top HEIGHT pixels of the page (or the element SELECTOR).
import { browser, open } from './test/lib.js';

const [out, file, width = '1280', height = '1500', sel] = process.argv.slice(2);
const b = await browser({ width: Number(width), height: 900 });
const { page, log } = await open(b, file);
if (sel) {
  await page.locator(sel).first().screenshot({ path: out });
} else {
  const h = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.screenshot({ path: out, fullPage: true, clip: { x: 0, y: 0, width: Number(width), height: Math.min(h, Number(height)) } });
}
if (log.errors.length || log.requests.length) console.error(JSON.stringify(log));
await b.close();
