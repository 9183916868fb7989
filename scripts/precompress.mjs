// Writes a Brotli (.br) and a gzip (.gz) copy beside each compressible file of the built app,
// for scripts/static-server.mjs to send to browsers that accept them. Skips a file whose copies
// are newer than it, so a rebuild compresses only what changed.
//   node scripts/precompress.mjs [dir]                 (default: dist)
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { brotliCompress, gzip, constants } from 'node:zlib';
import { promisify } from 'node:util';

const COMPRESSIBLE = new Set(['.html', '.js', '.wasm', '.css', '.txt', '.json', '.safetensors']);
// Brotli's top quality: the wasm is the first visit's largest download, and it is compressed
// once per build.
const BROTLI = { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY } };

const dir = process.argv[2] ?? 'dist';
const fresh = async (file, copy) => (await stat(copy).catch(() => null))?.mtimeMs >= (await stat(file)).mtimeMs;
for (const name of await readdir(dir)) {
  const file = join(dir, name);
  if (!COMPRESSIBLE.has(extname(name)) || !(await stat(file)).isFile()) continue;
  if (await fresh(file, `${file}.br`) && await fresh(file, `${file}.gz`)) continue;
  const started = Date.now();
  const body = await readFile(file);
  const [br, gz] = await Promise.all([
    promisify(brotliCompress)(body, { ...BROTLI, params: { ...BROTLI.params, [constants.BROTLI_PARAM_SIZE_HINT]: body.length } }),
    promisify(gzip)(body, { level: 9 }),
  ]);
  await writeFile(`${file}.br`, br);
  await writeFile(`${file}.gz`, gz);
  const mb = (n) => (n / 1e6).toFixed(2);
  console.log(`precompress: ${name} ${mb(body.length)} MB -> br ${mb(br.length)}, gz ${mb(gz.length)} MB (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}
