// Shared by the browser tests: a static server for dist/ and a headless Debian Chromium.
import { before, after } from 'node:test';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { serve } from '../../scripts/static-server.mjs';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const screenshotDir = join(repoRoot, 'tests/e2e/screenshots');

/** Serves dist/ on a free loopback port, as scripts/serve.sh does. */
export const serveDist = () => serve(join(repoRoot, 'dist'));

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

/** Layout faults on the page as it stands: how far the page scrolls sideways, and each visible
 * control narrower than its own text (a field's value, a select's chosen option, a button's
 * label) or reaching outside its panel. */
export const layoutFaults = (page) => page.evaluate(() => {
  const root = document.documentElement;
  const measure = document.createElement('canvas').getContext('2d');
  const textWidth = (el, text) => { measure.font = getComputedStyle(el).font; return measure.measureText(text).width; };
  const name = (el) => `${el.tagName.toLowerCase()}[${el.dataset.testid ?? el.getAttribute('aria-label') ?? el.className}]`;
  const narrow = [...document.querySelectorAll('button, select, input, textarea')]
    .filter((el) => el.offsetParent !== null && !['file', 'checkbox', 'radio', 'range'].includes(el.type))
    .flatMap((el) => {
      const style = getComputedStyle(el);
      const inner = el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      if (el.tagName === 'SELECT') {
        const text = el.selectedOptions[0]?.textContent ?? '';
        // The drop-down arrow takes about 1rem.
        const need = textWidth(el, text) + 14;
        return inner < need ? [`${name(el)} ${Math.round(inner)} px < ${Math.round(need)} px for "${text}"`] : [];
      }
      return el.scrollWidth > el.clientWidth + 1 ? [`${name(el)} ${el.clientWidth} px < ${el.scrollWidth} px`] : [];
    });
  // A control poking out of its panel (a grid column sized by a long choice, say).
  const outside = [...document.querySelectorAll('button, select, input, textarea')]
    .filter((el) => el.offsetParent !== null && el.closest('.panel'))
    .flatMap((el) => {
      const box = el.getBoundingClientRect();
      const panel = el.closest('.panel').getBoundingClientRect();
      return box.right > panel.right + 1 || box.left < panel.left - 1
        ? [`${name(el)} spans ${Math.round(box.left)}–${Math.round(box.right)} px, its panel ${Math.round(panel.left)}–${Math.round(panel.right)} px`] : [];
    });
  return { overflow: root.scrollWidth - root.clientWidth, narrow: narrow.concat(outside) };
});
