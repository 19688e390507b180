// Drives the console in Debian's Chromium (puppeteer-core): every page's content against the
// seed rounds (tools/seed, from the documents in the seeds), axe-core at WCAG 2.1 AA on every
// page (zero violations), a screenshot of every page into $ARTIFACTS, and a KS flow and a
// registrar flow clicked through. Run by browser_test.sh (which starts remissd and loads the
// seed rounds); CONSOLE_URL, ARTIFACTS, AXE_PATH come from it.
'use strict';
const fs = require('fs');
const path = require('path');
const puppeteer = require('puppeteer-core');

const base = process.env.CONSOLE_URL.replace(/\/$/, '');
const artifacts = process.env.ARTIFACTS;
const axeSource = fs.readFileSync(process.env.AXE_PATH, 'utf8');
const failures = [];
const shots = [];
let shotNumber = 0;

function fail(message) {
  failures.push(message);
  console.error(`FAIL: ${message}`);
}

async function text(page) {
  return page.evaluate(() => document.body.innerText);
}

// axe-core on the page as it stands: WCAG 2.0 and 2.1, A and AA.
async function axe(page, name) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } }));
  for (const v of result.violations) {
    fail(`${name}: axe ${v.id} (${v.impact}): ${v.help} at ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
  }
  return result.violations.length;
}

async function shot(page, name, what) {
  const file = path.join(artifacts, `${String(++shotNumber).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  shots.push(`${file}: ${what}`);
}

// Opens `url`, expects HTTP `status`, the texts in `expect`, then axe and a screenshot.
async function visit(page, name, url, expect, what, status = 200) {
  const response = await page.goto(base + url, { waitUntil: 'load' });
  if (response.status() !== status) fail(`${name}: ${url} answered ${response.status()}, not ${status}`);
  await checkPage(page, name, expect, what);
}

async function checkPage(page, name, expect, what) {
  const body = await text(page);
  for (const e of expect) {
    if (!body.includes(e)) fail(`${name}: the page does not show "${e}"`);
  }
  const lang = await page.evaluate(() => document.documentElement.lang);
  if (lang !== 'sv') fail(`${name}: <html lang="${lang}">, not sv`);
  await axe(page, name);
  await shot(page, name, what);
}

async function click(page, selector) {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

async function setValue(page, selector, value) {
  const found = await page.$(selector);
  if (!found) throw new Error(`no field ${selector} on ${page.url()}`);
  await page.$eval(selector, (e, v) => { e.value = v; }, value);
}

async function json(page, url) {
  return page.evaluate(async (u) => {
    const r = await fetch(u, { headers: { Accept: 'application/json' } });
    return { status: r.status, body: await r.json() };
  }, base + url);
}

async function signIn(page, identity) {
  await page.goto(base + '/logga-in', { waitUntil: 'load' });
  await page.click(`input[value="${identity}"]`);
  await click(page, 'form[action="/logga-in"] button[type=submit]');
}

async function signOut(page) {
  await click(page, 'form[action="/logga-ut"] button[type=submit]');
}

// Reloads `url` until `holds(text)` (the services' views follow the commands within moments).
async function until(page, url, holds, what) {
  for (let i = 0; i < 100; ++i) {
    await page.goto(base + url, { waitUntil: 'load' });
    if (holds(await text(page))) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  fail(`${url}: ${what} never showed`);
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=sv-SE'],
  });
  try {
    const page = await browser.newPage();
    await page.setBypassCSP(true);  // axe-core is injected as a script; the console's CSP allows none
    await page.setViewport({ width: 1280, height: 900 });

    // ---- not signed in: every page leads to the sign-in; no anonymous write ----
    const anonymous = await page.goto(base + '/remisser', { waitUntil: 'load' });
    if (!page.url().endsWith('/logga-in')) fail(`anonymous /remisser went to ${page.url()}, not /logga-in`);
    if (anonymous.status() !== 200) fail(`/logga-in answered ${anonymous.status()}`);
    await checkPage(page, 'logga-in', ['Logga in', 'KS registrator', 'Registrator, Bromma stadsdelsnämnd'],
      'the development sign-in: KS, a reader and one registrar per organization');
    const anonymousPost = await page.evaluate(async (u) => (await fetch(u, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'command_id=x&case_number=KS+2030%2F1&title=x&sender_org_id=ks' })).status, base + '/ny-remiss');
    if (anonymousPost !== 401) fail(`an anonymous POST /ny-remiss answered ${anonymousPost}, not 401`);

    // ---- KS reads: the seed rounds ----
    await signIn(page, 'ks-handlaggare-7');
    await visit(page, 'remisser', '/remisser',
      ['KS 2019/1939', 'Stockholms stads trygghetsprogram 2020-2023', 'KS 2023/739',
       'Stockholms stads trygghetsprogram 2024-2027', 'Kommunstyrelsen', 'Inskickat: 6'],
      'the rounds: both seed rounds with deadline, status and counts per stage');
    await visit(page, 'remisser-filter', '/remisser?status=issued&ar=2023&avsandare=ks',
      ['KS 2023/739', '1 remiss'], 'the rounds filtered: issued, year 2023, sent by KS');
    const filtered = await text(page);
    if (filtered.includes('KS 2019/1939')) fail('the 2023 filter still shows KS 2019/1939');

    await visit(page, 'statustavla-ks-2019-1939', '/remisser/ks-2019-1939',
      ['KS 2019/1939', 'Bromma stadsdelsnämnd', 'BRO 2020/440', 'Hässelby-Vällingby stadsdelsnämnd',
       'Södermalms stadsdelsnämnd', 'Utbildningsnämnden', 'Socialnämnden', 'Skärholmens stadsdelsnämnd',
       'Inkom sent', 'Anstånd beviljat', 'Alla remissinstanser har svarat', 'I huvudsak positiv, med synpunkter'],
      "KS's status board of KS 2019/1939: six bodies, diary numbers, Socialnämnden late, Skärholmen's extension");
    const board = await json(page, '/remisser/ks-2019-1939.json');
    if (board.status !== 200 || board.body.rows.length !== 6) fail(`board JSON: ${board.status}, ${board.body.rows && board.body.rows.length} rows`);
    const soc = board.body.rows.find((r) => r.org_id === 'socialnamnden');
    if (!soc || !soc.flags.late) fail(`board JSON: socialnämnden is not flagged late: ${JSON.stringify(soc)}`);

    await visit(page, 'statustavla-ks-2023-739', '/remisser/ks-2023-739',
      ['KS 2023/739', 'Kyrkogårdsnämnden', 'Ej inkommit', 'Registrator', '@example.stockholm.se'],
      'the status board of the revision KS 2023/739 two days before its deadline, with the "ej inkommit" list');

    await visit(page, 'organisation-bromma-sdn', '/organisationer/bromma-sdn',
      ['Bromma stadsdelsnämnd', 'Besvarade', 'KS 2019/1939', 'Positiv'],
      "Bromma's page: what it owes and by when, what it answered");
    await visit(page, 'revisionskedja-ks-2023-739', '/remisser/ks-2023-739/kedja',
      ['Revisionskedja', 'KS 2019/1939', 'KS 2023/739', 'Kyrkogårdsnämnden', 'ej tillfrågad', 'Positiv'],
      'the revision chain: standpoints side by side across KS 2019/1939 and KS 2023/739');
    await visit(page, 'sammanstallning-ks-2019-1939', '/remisser/ks-2019-1939/sammanstallning',
      ['Remissammanställning: Stockholms stads trygghetsprogram 2020-2023', 'Bromma stadsdelsnämnd',
       'Förvaltningen ställer sig positiv till förslaget', 'Synpunkter per ämne',
       'Reservationer och särskilda uttalanden per parti', 'Reservation', 'Särskilt uttalande', 'SD'],
      'the compilation (remissammanställning) as a document');
    await page.emulateMediaType('print');
    await shot(page, 'sammanstallning-utskrift', 'the compilation with the print styles (what the browser prints on A4)');
    await page.pdf({ path: path.join(artifacts, 'sammanstallning-utskrift.pdf'), format: 'A4', printBackground: false });
    shots.push(`${path.join(artifacts, 'sammanstallning-utskrift.pdf')}: Chromium's A4 print of the compilation page`);
    await page.emulateMediaType('screen');
    const pdf = await page.evaluate(async (u) => {
      const r = await fetch(u);
      return { status: r.status, type: r.headers.get('content-type'), bytes: Array.from(new Uint8Array(await r.arrayBuffer())) };
    }, base + '/remisser/ks-2019-1939/sammanstallning.pdf');
    const pdfBytes = Buffer.from(pdf.bytes);
    fs.writeFileSync(path.join(artifacts, 'remissammanstallning-ks-2019-1939.pdf'), pdfBytes);
    shots.push(`${path.join(artifacts, 'remissammanstallning-ks-2019-1939.pdf')}: the console's own PDF download of the compilation`);
    if (pdf.status !== 200 || pdf.type !== 'application/pdf' || pdfBytes.subarray(0, 5).toString('latin1') !== '%PDF-') {
      fail(`the PDF download: ${pdf.status} ${pdf.type}`);
    }
    if (!pdfBytes.toString('latin1').includes('S\xF6dermalms stadsdelsn\xE4mnd')) fail('the PDF does not hold "Södermalms stadsdelsnämnd" in WinAnsi');

    // ---- the KS flow: a new round, a refused one, issued ----
    await visit(page, 'ny-remiss', '/ny-remiss', ['Ny remiss', 'Diarienummer', 'Sändlistor', 'samtliga stadsdelsnämnder', 'Fler remissinstanser', 'Utelämna trots sändlista'], "KS's form for a new round: distribution lists, single bodies, bodies left out");
    await setValue(page, '#case_number', 'Kommunstyrelsen');
    await setValue(page, '#title', 'En remiss utan siffror');
    await setValue(page, '#deadline', '2024-01-31');
    await click(page, 'form[action="/ny-remiss"] button[type=submit]');
    await checkPage(page, 'ny-remiss-fel', ['Det gick inte', 'Diarienummer (case_number)'],
      'a refused round: the error in Swedish naming the field, the form kept');
    await setValue(page, '#case_number', 'KS 2023/999');
    await setValue(page, '#title', 'Stockholms stads program för ökad trygghet i parker');
    await setValue(page, '#summary', 'Förslaget gäller parker och grönområden.');
    await setValue(page, '#deadline', '2024-01-31');
    // From the seed's distribution list "samtliga stadsdelsnämnder", less two of them, plus one single body.
    await page.click('#lista-samtliga-stadsdelsnamnder');
    await page.click('#utom-hasselby-vallingby-sdn');
    await page.click('#utom-skarholmen-sdn');
    await page.click('#instans-kyrkogardsnamnden');
    await click(page, 'form[action="/ny-remiss"] button[type=submit]');
    await checkPage(page, 'ny-remiss-utkast', ['Remissen skapades som utkast', 'Bromma stadsdelsnämnd', 'Södermalms stadsdelsnämnd',
      'Kyrkogårdsnämnden', 'Skicka ut remissen'],
      'the new round as a draft, addressed from a distribution list plus one body, ready to issue');
    const draft = await json(page, '/remisser/ks-2023-999.json');
    const addressed = draft.body.referral.addressees.map((a) => a.org_id).sort();
    if (JSON.stringify(addressed) !== JSON.stringify(['bromma-sdn', 'kyrkogardsnamnden', 'sodermalm-sdn'])) {
      fail(`the draft is addressed to ${JSON.stringify(addressed)}`);
    }
    await click(page, 'form[action$="/utfarda"] button[type=submit]');
    if (!(await text(page)).includes('Remissen är utskickad')) fail('issuing did not say "Remissen är utskickad"');
    await until(page, '/remisser/ks-2023-999', (t) => t.includes('En rad per remissinstans') && t.includes('Södermalms stadsdelsnämnd'), 'the issued round\'s board');
    await checkPage(page, 'statustavla-ny', ['Ej registrerad', 'Ej inkommit', '2024-01-31', 'registrator.bromma@example.stockholm.se',
      'registrator.kyrkogard@example.stockholm.se'], 'the new round issued: all three bodies in "ej inkommit", with their registry mailboxes');
    // A form without the CSRF token is refused and changes nothing.
    const forged = await page.evaluate(async (u) => (await fetch(u, { method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'command_id=forged&decided_by=x' })).status,
      base + '/remisser/ks-2023-999/utfall');
    if (forged !== 403) fail(`a POST without the CSRF token answered ${forged}, not 403`);
    await signOut(page);

    // ---- the registrar flow: Bromma registers, asks for time, answers, submits ----
    await signIn(page, 'bromma-sdn-registrator-1');
    await checkPage(page, 'registrator-bromma', ['Bromma stadsdelsnämnd', 'Att besvara', 'KS 2023/999', 'Arbeta med svaret'],
      "Bromma's registrar after signing in: the new round to answer");
    await click(page, 'a[href="/remisser/ks-2023-999/svar/bromma-sdn"]');
    await checkPage(page, 'svar-registrera', ['Registrera i diariet', 'Ej registrerad'], "Bromma's answer, not yet registered");
    await setValue(page, '#diary_number', 'BRO 2023/999');
    await setValue(page, '#registered_on', '2023-12-18');
    await click(page, 'form[action$="/registrera"] button[type=submit]');
    await checkPage(page, 'svar-registrerat', ['Remissen är registrerad', 'BRO 2023/999', 'Tjänsteutlåtande', 'Begär anstånd'],
      'registered in Bromma\'s diary; the next steps\' forms');
    await setValue(page, '#requested_date', '2024-02-15');
    await setValue(page, '#reason', 'Nämnden sammanträder först i februari.');
    await click(page, 'form[action$="/anstand"] button[type=submit]');
    if (!(await text(page)).includes('Anståndet är begärt')) fail('asking for an extension did not say so');
    await signOut(page);

    await signIn(page, 'ks-registrator-1');
    await until(page, '/remisser/ks-2023-999', (t) => t.includes('Begärda anstånd'), 'the extension request');
    await checkPage(page, 'ks-anstand', ['Bromma stadsdelsnämnd begär anstånd till 2024-02-15', 'Nämnden sammanträder först i februari.'],
      "KS's board with Bromma's extension request to grant or refuse");
    await click(page, 'form[action$="/anstand"] button[value="bevilja"]');
    if (!(await text(page)).includes('Anståndet beviljades')) fail('granting did not say so');
    await until(page, '/remisser/ks-2023-999', (t) => t.includes('Anstånd beviljat') && t.includes('2024-02-15'), 'the granted extension');
    await signOut(page);

    await signIn(page, 'bromma-sdn-registrator-1');
    await page.goto(base + '/remisser/ks-2023-999/svar/bromma-sdn', { waitUntil: 'load' });
    await page.select('#standpoint', 'STANDPOINT_POSITIVE');
    await setValue(page, '#statement_date', '2023-12-18');
    await setValue(page, '#proposed_decision', 'Nämnden överlämnar tjänsteutlåtandet som svar på remissen.');
    await setValue(page, '#summary', 'Förvaltningen ställer sig positiv till programmet.');
    await click(page, 'form[action$="/utlatande"] button[type=submit]');
    if (!(await text(page)).includes('Tjänsteutlåtandet sparades')) fail('the statement was not saved');
    await setValue(page, '#decided_by_name', 'Stadsdelsdirektören');
    await setValue(page, '#decided_by_title', 'Stadsdelsdirektör');
    await setValue(page, '#date', '2023-12-18');
    await setValue(page, '#decision_text', 'Svaret lämnas på delegation.');
    await click(page, 'form[action$="/delegationsbeslut"] button[type=submit]');
    await checkPage(page, 'svar-beslutat', ['Delegationsbeslutet registrerades', 'Beslutad', 'Skicka in'],
      'the answer decided on delegation, ready to submit');
    await click(page, 'form[action$="/skicka"] button[type=submit]');
    await checkPage(page, 'svar-inskickat', ['Svaret är inskickat', 'Inskickat', 'Positiv'], "Bromma's answer submitted");
    await signOut(page);

    await signIn(page, 'ks-handlaggare-7');
    await until(page, '/remisser/ks-2023-999', (t) => /Bromma stadsdelsnämnd[^\n]*Inskickat/.test(t), "Bromma's submission on KS's board");
    await checkPage(page, 'statustavla-besvarad', ['BRO 2023/999', 'Anstånd beviljat', 'Ej inkommit', 'Södermalms stadsdelsnämnd',
      'registrator.sodermalm@example.stockholm.se'],
      "KS's board after the registrar's flow: Bromma submitted within its extension, Södermalm and Kyrkogårdsnämnden not yet");
    const after = await json(page, '/remisser/ks-2023-999?format=json');
    const na = (after.body.not_answered || []).map((n) => `${n.org_id} ${n.registry_mailbox}`).sort();
    if (JSON.stringify(na) !== JSON.stringify(['kyrkogardsnamnden registrator.kyrkogard@example.stockholm.se',
      'sodermalm-sdn registrator.sodermalm@example.stockholm.se'])) fail(`"ej inkommit" after the flows: ${JSON.stringify(na)}`);
  } finally {
    await browser.close();
  }
  fs.writeFileSync(path.join(artifacts, 'screenshots.txt'), shots.join('\n') + '\n');
  console.log(shots.join('\n'));
  if (failures.length > 0) {
    console.error(`${failures.length} failure(s)`);
    process.exit(1);
  }
  console.log(`console test: every page checked, axe-core found no WCAG 2.1 AA violation on ${shotNumber} screenshots' pages`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
