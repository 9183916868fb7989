// Shared by the browser tests: a static server for dist/ and a headless Debian Chromium.
import { before, after } from 'node:test';
import { createServer } from 'node:http';
import { readFile, mkdir } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = join(repoRoot, 'tests/e2e/screenshots');

const types = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.safetensors': 'application/octet-stream' };

/** Serves dist/ on a free loopback port. */
export async function serveDist() {
  const dist = join(repoRoot, 'dist');
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^([/\\])+/, '') || 'index.html';
    try {
      const body = await readFile(join(dist, path));
      res.writeHead(200, { 'content-type': types[extname(path)] ?? 'application/octet-stream' });
      res.end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${server.address().port}/` };
}

/** For one test file: serves dist/ and launches one browser before its tests (then runs `ready`
 * with them, e.g. to open the page), closes both after. Returns `{ served, browser }`, filled once
 * the tests start. */
export function browserPerFile(options, ready) {
  const shared = {};
  before(async () => {
    shared.served = await serveDist();
    shared.browser = await launchBrowser(options);
    await ready?.(shared.browser, shared.served);
  });
  after(async () => {
    await shared.browser?.close();
    shared.served?.server.close();
  });
  return shared;
}

/** Headless Chromium; `webgpu` exposes its software WebGPU adapter. */
export async function launchBrowser({ webgpu = false } = {}) {
  const args = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];
  args.push(...(webgpu ? ['--enable-unsafe-webgpu', '--use-angle=swiftshader'] : ['--disable-gpu']));
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}

export async function screenshot(page, name) {
  await mkdir(screenshotDir, { recursive: true });
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

/** A 1280×720 page on the app (with `query`, e.g. '?backend=cpu'), once the model is ready. */
export async function openApp(browser, served, query = '', { timeout = 180_000 } = {}) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  // E2E_CONSOLE=1 shows the page's console (debugging a failing test).
  if (process.env.E2E_CONSOLE) page.on('console', (m) => console.log(`[page ${m.type()}] ${m.text()}`));
  await page.goto(served.url + query);
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout });
  return { page, errors };
}

export const stepCount = (page) =>
  page.getByTestId('step-status').getAttribute('data-steps').then(Number);

/** Clicks Step `n` times, each time waiting for the step to land. */
export async function step(page, n = 1, { timeout = 60_000 } = {}) {
  for (let i = 0; i < n; i++) {
    const before = await stepCount(page);
    await page.getByTestId('step-button').click();
    await page.waitForFunction((b) => {
      const s = document.querySelector('[data-testid="step-status"]');
      return Number(s.dataset.steps) === b + 1 && s.dataset.busy === 'false';
    }, before, { timeout });
  }
}

/** The generated text in the timeline (raw token texts). */
export const generatedText = (page) => page.$$eval('[data-testid="token"][data-kind="generated"]',
  (els) => els.map((e) => e.dataset.text).join(''));

/** The candidate rows as plain objects. */
export const candidates = (page) => page.$$eval('[data-testid="candidate"]', (els) => els.map((e) => ({
  token: e.dataset.token, prob: Number(e.dataset.prob), rawProb: Number(e.dataset.rawProb),
  chosen: e.dataset.chosen === 'true', excluded: e.dataset.excluded === 'true',
})));

/** Sets a numeric decoding control as a user would (type, then leave the field). */
export async function setField(page, testid, value) {
  const field = page.getByTestId(testid);
  await field.fill(String(value));
  await field.blur();
}

/** Whether every attention thumbnail has drawn pixels. */
export const thumbnailsDrawn = (page) => page.$$eval('[data-testid="attention-thumb"] canvas', (canvases) =>
  canvases.map((c) => {
    if (!c.width || !c.height) return false;
    const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    for (let i = 3; i < data.length; i += 4) if (data[i] > 0) return true;
    return false;
  }));

/** The CLI's answer for the same request (the native build is the reference). */
export function cliGenerate(args) {
  return JSON.parse(execFileSync(join(repoRoot, 'target/release/glassbox'), ['generate', '--json', ...args]).toString());
}

/** Clicks Step and resolves at the first frame painted after the step landed (for benchmarks). */
export const timedStep = (page) => page.evaluate(() => new Promise((resolve) => {
  const status = document.querySelector('[data-testid="step-status"]');
  const before = Number(status.dataset.steps);
  const start = performance.now();
  const observer = new MutationObserver(() => {
    if (Number(status.dataset.steps) === before + 1 && status.dataset.busy === 'false') {
      observer.disconnect();
      requestAnimationFrame(() => resolve({
        total: performance.now() - start,
        forward: Number(status.dataset.stepMs),
        grid: Number(document.querySelector('[data-testid="attention-grid"]').dataset.renderMs),
      }));
    }
  });
  observer.observe(status, { attributes: true });
  document.querySelector('[data-testid="step-button"]').click();
}));
