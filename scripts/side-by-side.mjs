// Glassbox's native training and generation beside PyTorch + Hugging Face `transformers` on the
// same model, batch, optimiser and thread count, the two interleaved round by round so that the
// machine's load falls on both alike. Writes bench-results/side-by-side.json and prints a table.
//
//   node scripts/side-by-side.mjs [--rounds N] [--train-steps N] [--batch N] [--in-tab]
//
// The peer runs under $GLASSBOX_PEER_PYTHON (default python3); without torch and transformers it
// is skipped, and the report says so. --in-tab also trains the same preset and batch in the app
// (the built dist/, headless Chromium, CPU backend) in the middle round, beside the same run's
// native and PyTorch figures.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

const { values: options } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    'train-steps': { type: 'string', default: '20' },
    batch: { type: 'string', default: '32' },
    preset: { type: 'string', default: 'shipped' },
    out: { type: 'string', default: 'bench-results/side-by-side.json' },
    'in-tab': { type: 'boolean', default: false },
  },
});
const counts = {};
for (const name of ['rounds', 'train-steps', 'batch']) {
  const value = Number(options[name]);
  if (!Number.isInteger(value) || value < 1 || value > 1000) {
    console.error(`--${name} must be a whole number from 1 to 1000, not ${options[name]}`);
    process.exit(1);
  }
  counts[name] = value;
}

const glassbox = 'target/release/glassbox';
const python = process.env.GLASSBOX_PEER_PYTHON ?? 'python3';
const scratch = join(tmpdir(), `glassbox-side-by-side-${process.pid}`);
mkdirSync(scratch, { recursive: true });

function peerMissing() {
  const probe = spawnSync(python, ['-c', 'import torch, transformers'], { encoding: 'utf8' });
  if (probe.error) return `${python} not found`;
  return probe.status === 0 ? null : `${python} has no torch and transformers (pip install torch transformers)`;
}

function runGlassbox(round) {
  const out = join(scratch, `glassbox-${round}.json`);
  execFileSync(glassbox, ['bench', '--preset', options.preset, '--batch', String(counts.batch),
    '--train-steps', String(counts['train-steps']), '--out', out], { stdio: ['ignore', 'ignore', 'inherit'] });
  return JSON.parse(readFileSync(out, 'utf8'));
}

function runPeer(vocab, threads) {
  const stdout = execFileSync(python, ['scripts/peer_bench.py', '--preset', options.preset,
    '--vocab', String(vocab), '--batch', String(counts.batch),
    '--train-steps', String(counts['train-steps']), '--threads', String(threads)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return JSON.parse(stdout);
}

/** The app's own tokens/s, training the preset at the batch in a headless Chromium tab. */
async function runInTab() {
  if (!existsSync('dist/index.html')) return { skipped: 'no dist/ (build the app first: trunk build)' };
  const { serveDist, launchBrowser, openApp } = await import('../tests/e2e/harness.mjs');
  const { trainRate } = await import('../tests/e2e/train-harness.mjs');
  const served = await serveDist();
  const browser = await launchBrowser();
  try {
    const { page } = await openApp(browser, served, '?backend=cpu&view=train', { timeout: 600_000 });
    const tokensPerS = await trainRate(page, options.preset, Math.min(counts['train-steps'], 20), counts.batch);
    return { backend: 'cpu', browser: browser.version(), train_tokens_per_s: tokensPerS };
  } finally {
    await browser.close();
    served.server.close();
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const metrics = ['train_tokens_per_s', 'generate_ms_per_token_cached', 'generate_ms_per_token_uncached'];

const skipped = peerMissing();
if (skipped) console.log(`peer skipped: ${skipped}`);
const rounds = { glassbox: [], peer: [] };
let inTab = null;
for (let round = 1; round <= counts.rounds; round++) {
  rounds.glassbox.push(runGlassbox(round));
  if (options['in-tab'] && round === Math.ceil(counts.rounds / 2)) {
    inTab = await runInTab();
    console.log(`in the tab: ${inTab.skipped ?? `${inTab.train_tokens_per_s} tokens/s`}`);
  }
  // The peer gets the vocabulary and thread count `glassbox bench` reports.
  if (!skipped) rounds.peer.push(runPeer(rounds.glassbox[0].vocab_size, rounds.glassbox[0].threads));
  console.log(`round ${round} of ${counts.rounds}: glassbox ${rounds.glassbox.at(-1).train_tokens_per_s.toFixed(0)} tokens/s`
    + (skipped ? '' : `, peer ${rounds.peer.at(-1).train_tokens_per_s.toFixed(0)} tokens/s`));
}

const summary = (runs) => Object.fromEntries(metrics.map((m) => [m, median(runs.map((r) => r[m]))]));
const report = {
  preset: options.preset,
  batch: counts.batch,
  train_steps: counts['train-steps'],
  rounds: counts.rounds,
  threads: rounds.glassbox[0].threads,
  glassbox: { median: summary(rounds.glassbox), runs: rounds.glassbox },
  peer: skipped ? { skipped } : { name: rounds.peer[0].peer, median: summary(rounds.peer), runs: rounds.peer },
  ...(inTab && { in_tab: inTab }),
};
if (!skipped) {
  const g = report.glassbox.median;
  const p = report.peer.median;
  // Above 1 means Glassbox is faster.
  report.ratio = {
    training: g.train_tokens_per_s / p.train_tokens_per_s,
    generation_cached: p.generate_ms_per_token_cached / g.generate_ms_per_token_cached,
    generation_uncached: p.generate_ms_per_token_uncached / g.generate_ms_per_token_uncached,
    ...(inTab?.train_tokens_per_s && { in_tab_training: inTab.train_tokens_per_s / p.train_tokens_per_s }),
  };
}
mkdirSync('bench-results', { recursive: true });
writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);

const row = (label, unit, m, digits) => {
  const g = report.glassbox.median[m];
  const p = skipped ? null : report.peer.median[m];
  const ratio = p === null ? 'skipped' : `${(m.startsWith('train') ? g / p : p / g).toFixed(2)}x`;
  return `| ${label} | ${g.toFixed(digits)} ${unit} | ${p === null ? '-' : `${p.toFixed(digits)} ${unit}`} | ${ratio} |`;
};
console.log(`\n| ${options.preset} preset, batch ${counts.batch}, ${report.threads} threads, median of ${counts.rounds} | Glassbox | PyTorch + transformers | Glassbox vs peer |`);
console.log('|---|---|---|---|');
console.log(row('training', 'tokens/s', 'train_tokens_per_s', 0));
console.log(row('generation, KV cache', 'ms/token', 'generate_ms_per_token_cached', 2));
console.log(row('generation, no cache', 'ms/token', 'generate_ms_per_token_uncached', 2));
if (inTab?.train_tokens_per_s) {
  const p = skipped ? null : report.peer.median.train_tokens_per_s;
  console.log(`| training in the tab (CPU wasm, one run) | ${inTab.train_tokens_per_s} tokens/s | ${p === null ? '-' : `${p.toFixed(0)} tokens/s`} | ${p === null ? 'skipped' : `${(inTab.train_tokens_per_s / p).toFixed(2)}x`} |`);
}
console.log(`\nwrote ${options.out}`);
