// The console's "Utskick" tables in Debian's Chromium (puppeteer-core): after the seed rounds
// with a mail server that refuses Bromma's registry (550), the status board of KS 2019/1939
// and the organization pages show per body what was mailed: Södermalm's round delivered
// (Skickat, the time, the server's 250), Bromma's refused and parked (Avvisat av
// e-postservern, the server's 550, first in the table), each for the right body and address;
// axe-core at WCAG 2.1 AA on each page. Run by notices_browser_test.sh; CONSOLE_URL,
// ARTIFACTS, AXE_PATH come from it.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const base = process.env.CONSOLE_URL.replace(/\/$/, '');
const artifacts = process.env.ARTIFACTS;
const axeSource = fs.readFileSync(process.env.AXE_PATH, 'utf8');
const failures = [];

function fail(message) {
  failures.push(message);
  console.error(`FAIL: ${message}`);
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function signIn(page, identity) {
  await page.goto(base + '/logga-in', { waitUntil: 'load' });
  await page.click(`input[value="${identity}"]`);
  await click(page, 'form[action="/logga-in"] button[type=submit]');
}

async function signOut(page) {
  await click(page, 'form[action="/logga-ut"] button[type=submit]');
}

async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const v of result.violations) {
    fail(`${name}: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
}

// The "Utskick" table as the reader sees it: its caption, its header cells, and each row's cells' text.
async function noticesTable(page) {
  return page.evaluate(() => {
    const heading = document.getElementById('utskick');
    if (!heading) return null;
    let table = heading.nextElementSibling;
    while (table && table.tagName !== 'TABLE' && table.tagName !== 'H2') table = table.nextElementSibling;
    if (!table || table.tagName !== 'TABLE') return { heading: heading.innerText, rows: [], after: heading.nextElementSibling ? heading.nextElementSibling.innerText : '' };
    return {
      heading: heading.innerText,
      caption: table.caption ? table.caption.innerText : '',
      columns: [...table.querySelectorAll('thead th')].map((th) => th.innerText.trim()),
      rows: [...table.querySelectorAll('tbody tr')].map((tr) => [...tr.children].map((c) => c.innerText.trim())),
    };
  });
}

// The page's notices once none is waiting to be sent (the outbox works on its own).
async function settledTable(page, url) {
  for (let i = 0; i < 300; ++i) {
    await page.goto(base + url, { waitUntil: 'load' });
    const t = await noticesTable(page);
    if (t && t.rows.length > 0 && !t.rows.some((r) => r[3] === 'Väntar på att skickas' || r[3].startsWith('Försenat'))) {
      return t;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  fail(`${url}: the Utskick table never settled: ${JSON.stringify(await noticesTable(page))}`);
  return noticesTable(page);
}

const COLUMNS = ['Remissinstans', 'Vad', 'Till', 'Status', 'Skickat (UTC)', 'Försök', 'Serverns svar'];
const BROMMA = 'registrator.bromma@example.stockholm.se';
const SODERMALM = 'registrator.sodermalm@example.stockholm.se';

function expectRow(name, table, holds, what) {
  if (!table.rows.some(holds)) fail(`${name}: no row ${what} in ${JSON.stringify(table.rows)}`);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=sv-SE'],
  });
  try {
    const page = await browser.newPage();
    await page.setBypassCSP(true);  // axe-core is injected as a script
    await page.setViewport({ width: 1280, height: 900 });

    // ---- KS: the round's status board ----
    await signIn(page, 'ks-registrator-1');
    const board = await settledTable(page, '/remisser/ks-2019-1939');
    if (board.heading !== 'Utskick till registratorerna') fail(`status board: heading "${board.heading}"`);
    if (board.caption !== 'Vad som skickats, när, och vad som misslyckats') fail(`status board: caption "${board.caption}"`);
    if (JSON.stringify(board.columns) !== JSON.stringify(COLUMNS)) fail(`status board: columns ${JSON.stringify(board.columns)}`);
    expectRow('status board', board, (r) => r[0] === 'Södermalms stadsdelsnämnd' && r[1] === 'Remissen' &&
      r[2] === SODERMALM && r[3] === 'Skickat' && /^20\d\d-\d\d-\d\d \d\d:\d\d$/.test(r[4]) && r[5] === '1' &&
      r[6].startsWith('250'), "Södermalm's round delivered (Skickat, a time, 1 try, 250)");
    expectRow('status board', board, (r) => r[0] === 'Bromma stadsdelsnämnd' && r[1] === 'Remissen' &&
      r[2] === BROMMA && r[3] === 'Avvisat av e-postservern' && r[4] === '–' && r[6].startsWith('550'),
      "Bromma's round refused and parked (550)");
    // Every Bromma notice refused, none of Södermalm's; the refused ones first.
    for (const r of board.rows) {
      if (r[2] === BROMMA && r[3] !== 'Avvisat av e-postservern') fail(`status board: a Bromma row not refused: ${r}`);
      if (r[2] === SODERMALM && r[3] !== 'Skickat') fail(`status board: a Södermalm row not delivered: ${r}`);
    }
    const firstDelivered = board.rows.findIndex((r) => r[3] === 'Skickat');
    const lastParked = board.rows.map((r) => r[3]).lastIndexOf('Avvisat av e-postservern');
    if (firstDelivered < lastParked) fail('status board: a refused notice listed after a delivered one');
    await axe(page, 'status board');
    await page.screenshot({ path: path.join(artifacts, 'utskick-statustavla.png'), fullPage: true });

    // ---- KS: Södermalm's organization page, per round ----
    const sodermalm = await settledTable(page, '/organisationer/sodermalm-sdn');
    if (sodermalm.columns[0] !== 'Remiss') fail(`Södermalm's page: first column "${sodermalm.columns[0]}"`);
    expectRow("Södermalm's page", sodermalm, (r) => r[0] === 'KS 2019/1939' && r[1] === 'Remissen' &&
      r[2] === SODERMALM && r[3] === 'Skickat' && r[6].startsWith('250'), 'KS 2019/1939 delivered');
    if (sodermalm.rows.some((r) => r[2] !== SODERMALM)) fail(`Södermalm's page lists another body's mail: ${JSON.stringify(sodermalm.rows)}`);
    await axe(page, "Södermalm's page");
    await signOut(page);

    // ---- Bromma's registrar: its own page shows what failed ----
    await signIn(page, 'bromma-sdn-registrator-1');
    const bromma = await settledTable(page, '/organisationer/bromma-sdn');
    expectRow("Bromma's page", bromma, (r) => r[0] === 'KS 2019/1939' && r[1] === 'Remissen' && r[2] === BROMMA &&
      r[3] === 'Avvisat av e-postservern' && r[6].startsWith('550'), 'KS 2019/1939 refused (550)');
    if (bromma.rows.some((r) => r[2] !== BROMMA)) fail(`Bromma's page lists another body's mail: ${JSON.stringify(bromma.rows)}`);
    if (bromma.rows.some((r) => r[3] === 'Skickat')) fail(`Bromma's page shows a delivery to a refused address`);
    await axe(page, "Bromma's page");
    await page.screenshot({ path: path.join(artifacts, 'utskick-bromma.png'), fullPage: true });
    console.log(`notices in the console: status board ${board.rows.length} rows, Södermalm ${sodermalm.rows.length}, ` +
      `Bromma ${bromma.rows.length} (all refused)`);
  } finally {
    await browser.close();
  }
  if (failures.length > 0) {
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
