// Opens a palisade HTML report in headless Chromium and checks that it
// renders, logs no console error, and that unticking a severity hides exactly
// that severity's rows. Saves a screenshot.
//
// usage: node check-html-report.mjs REPORT.html SCREENSHOT.png
// Needs playwright-core (NODE_PATH) and Chromium ($CHROMIUM, default /usr/bin/chromium).
import { chromium } from 'playwright-core';
import { pathToFileURL } from 'node:url';

const [report, screenshot] = process.argv.slice(2);
if (!report || !screenshot) {
  console.error('usage: node check-html-report.mjs REPORT.html SCREENSHOT.png');
  process.exit(2);
}
const failures = [];
const check = (ok, what) => {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const errors = [];
  const requests = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith('file:')) requests.push(r.url()); });
  await page.goto(pathToFileURL(report).href, { waitUntil: 'load' });

  const rows = page.locator('#findings tbody tr[data-severity]');
  const total = await rows.count();
  check(total > 0, `the findings table has rows (${total})`);
  check(await page.locator('svg#chart').isVisible(), 'the severity chart is drawn');
  const severities = await rows.evaluateAll((rs) => rs.map((r) => r.dataset.severity));
  const counts = {};
  for (const s of severities) counts[s] = (counts[s] || 0) + 1;
  // Hide the most common severity: the rows left must be all the others.
  const [hidden, hiddenCount] = Object.entries(counts).sort((a, b) => b[1] - a[1])[0] || [];
  const visibleRows = () => rows.evaluateAll((rs) => rs.filter((r) => r.offsetParent !== null).length);
  check(await visibleRows() === total, 'every row is visible at first');
  await page.uncheck(`input[name=severity][value="${hidden}"]`);
  const after = await visibleRows();
  check(after === total - hiddenCount,
    `unticking "${hidden}" hides its ${hiddenCount} row(s): ${after} of ${total} left`);
  const stillShown = await page.locator(`#findings tbody tr[data-severity="${hidden}"]`)
    .evaluateAll((rs) => rs.filter((r) => r.offsetParent !== null).length);
  check(stillShown === 0, `no "${hidden}" row stays visible`);
  await page.check(`input[name=severity][value="${hidden}"]`);
  check(await visibleRows() === total, 'ticking it again shows every row');
  check(requests.length === 0, `no request leaves the page (${requests.join(', ') || 'none'})`);
  check(errors.length === 0, `no console error (${errors.join(' | ') || 'none'})`);
  await page.screenshot({ path: screenshot, fullPage: false });
  console.log(`screenshot: ${screenshot}`);
} finally {
  await browser.close();
}
process.exit(failures.length ? 1 : 0);
