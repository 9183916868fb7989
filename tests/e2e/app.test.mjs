// The first page: loads the shipped model and continues a prompt greedily, exactly as the CLI does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { serveDist, launchBrowser, screenshot, repoRoot } from './harness.mjs';

let served, browser, page;
const pageErrors = [];

before(async () => {
  served = await serveDist();
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
  page.on('pageerror', (e) => pageErrors.push(String(e)));
  await page.goto(served.url);
});

after(async () => {
  await browser?.close();
  served?.server.close();
});

const status = () => page.getByTestId('model-status');

test('the shipped model loads and the page says so', async () => {
  await page.waitForSelector('[data-testid="model-status"][data-state="ready"]', { timeout: 120_000 });
  assert.match(await status().textContent(), /4 layers × 4 heads/);
  assert.match(await page.getByTestId('backend-badge').textContent(), /CPU/);
  await screenshot(page, 'ready');
});

test('greedy continuation in the browser equals the CLI', async () => {
  await page.getByTestId('prompt-input').fill('ROMEO:');
  await page.getByTestId('generate-button').click();
  await page.waitForSelector('[data-testid="output"][data-done="true"]:not(:empty)', { timeout: 120_000 });
  await page.waitForFunction(() => document.querySelector('[data-testid="output"]').dataset.done === 'true'
    && document.querySelector('[data-testid="output"]').textContent.length > 200, null, { timeout: 120_000 });
  const shown = await page.getByTestId('output').textContent();
  const cli = JSON.parse(execFileSync(join(repoRoot, 'target/release/glassbox'),
    ['generate', '--prompt', 'ROMEO:', '--strategy', 'greedy', '--max-new', '200', '--json']).toString());
  assert.equal(shown, 'ROMEO:' + cli.new_text);
  await screenshot(page, 'greedy');
});

test('characters outside the vocabulary get a clear message and the page stays usable', async () => {
  await page.getByTestId('prompt-input').fill('Zoë ~');
  await page.getByTestId('generate-button').click();
  const banner = page.getByTestId('error-banner');
  await banner.waitFor({ timeout: 10_000 });
  assert.match(await banner.textContent(), /'~', 'ë'/);
  await screenshot(page, 'unknown-characters');
  await page.getByTestId('prompt-input').fill('');
  await page.getByTestId('generate-button').click();
  assert.match(await banner.textContent(), /empty/);
  assert.equal(await page.getByTestId('generate-button').isEnabled(), true);
  // The continuation shown still belongs to the prompt it was made from.
  assert.match(await page.getByTestId('output').textContent(), /^ROMEO:/);
  assert.deepEqual(pageErrors, []);
});
