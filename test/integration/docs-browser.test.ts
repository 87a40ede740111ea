/**
 * GET /api/openapi.json and GET /api/docs over real HTTP (the local server, as `npm start`
 * runs it), and the docs page in headless Chromium: every route family and every route
 * is there, the filter works, the page loads nothing from elsewhere and runs without
 * errors. Screenshots go to test-results/ (not committed).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { ROUTES, FAMILIES } from '#lib/http/routes';
import { createLocalServer } from '#lib/http/local-server';
import { openApiPath } from '#lib/docs/samples';
import { loadFamily } from '../../functions/registry';
import { startHarness, type Harness } from '../support/api';
import { launchChromium } from '../support/chromium';

const root = join(__dirname, '..', '..');
const shots = join(root, 'test-results');
let h: Harness;
let server: Server;
let base: string;
let browser: Browser;

before(async () => {
  h = await startHarness();
  server = createLocalServer(loadFamily);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  browser = await launchChromium();
  mkdirSync(shots, { recursive: true });
});
after(async () => {
  await browser?.close();
  await new Promise((resolve) => server?.close(resolve));
  await h?.close();
});

test('GET /api/openapi.json serves the document built at build time, publicly, under both bases', async () => {
  const built = JSON.parse(readFileSync(join(root, 'lib', 'model', 'generated', 'openapi.json'), 'utf8'));
  for (const path of ['/api/openapi.json', '/iredadmin/api/openapi.json/']) {
    const res = await fetch(base + path);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.match(res.headers.get('cache-control') ?? '', /max-age/);
    assert.deepEqual(await res.json(), built);
  }
  const wrongMethod = await fetch(base + '/api/openapi.json', { method: 'POST' });
  assert.deepEqual(await wrongMethod.json(), { _success: false, _msg: 'INVALID_HTTP_METHOD' });
});

test('GET /api/docs is a self-contained HTML page with a strict content security policy', async () => {
  const res = await fetch(base + '/api/docs');
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const html = await res.text();
  assert.doesNotMatch(html, /<(script|link|img)[^>]+(src|href)=["']?https?:/i, 'nothing is loaded from another host');
});

test('the docs page in Chromium lists every route family and route, filters, and links the document', async () => {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => { if (message.type() === 'error') problems.push(`console: ${message.text()}`); });
  page.on('request', (request) => { if (!request.url().startsWith(base)) problems.push(`request elsewhere: ${request.url()}`); });
  await page.goto(`${base}/api/docs`);
  assert.match(await page.title(), /API documentation/);

  for (const family of FAMILIES) {
    const section = page.locator(`section#family-${family}`);
    assert.equal(await section.count(), 1, `family ${family} has a section`);
    const expected = ROUTES.filter((route) => route.family === family);
    assert.equal(await section.locator('details.op').count(), expected.length, `family ${family}: one entry per route`);
    assert.equal((await page.locator(`nav a[href="#family-${family}"] .n`).textContent())?.trim(), String(expected.length));
    const summaries = await section.locator('details.op > summary').allTextContents();
    for (const route of expected) {
      const path = `/api${openApiPath(route.pattern)}`;
      assert.ok(summaries.some((text) => text.includes(route.method) && text.includes(path)), `${route.method} ${path} is listed`);
    }
  }
  assert.ok(await page.locator('#codes tr#code-EMPTY_PASSSWORD').count(), 'the _msg table lists the vocabulary');
  assert.equal(await page.locator('#spec-link').getAttribute('href'), '/api/openapi.json');
  await page.screenshot({ path: join(shots, 'docs-overview.png') });

  // The filter narrows the list; opening an operation shows its parameters and codes.
  await page.fill('#filter', 'keep_mailbox_days');
  const visible = await page.locator('details.op:not(.hidden)').count();
  assert.equal(visible, ROUTES.filter((route) => route.pattern.includes('keep_mailbox_days')).length);
  assert.equal(await page.locator('section#family-login.hidden').count(), 1, 'families without a match are hidden');
  await page.fill('#filter', '');
  await page.goto(`${base}/api/docs#op-putDomainDomain`);
  const op = page.locator('#op-putDomainDomain');
  assert.equal(await op.getAttribute('open'), '', 'a linked operation opens');
  const text = await op.textContent();
  for (const expected of ['quota', 'INVALID_QUOTA_SIZE', 'body', 'PERMISSION_DENIED']) assert.ok(text?.includes(expected), `PUT /domain shows ${expected}`);
  await page.screenshot({ path: join(shots, 'docs-operation.png') });

  // Under the other base with a trailing slash, the link still finds the document.
  await page.goto(`${base}/iredadmin/api/docs/`);
  assert.equal(await page.locator('#spec-link').getAttribute('href'), '/iredadmin/api/openapi.json');
  await page.close();
  assert.deepEqual(problems, []);
});
