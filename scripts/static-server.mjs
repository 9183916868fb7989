// Serves the built app (dist/) as a web server should: each file with its type, the
// precompressed copy (.br, else .gz, written by scripts/precompress.mjs) when the browser
// accepts it, content-hashed files cached for good and the rest revalidated (Last-Modified, 304).
// Used by scripts/serve.sh and by the browser tests (tests/e2e/harness.mjs), so the tests see
// what a user gets.
//   node scripts/static-server.mjs [dir] [port]        (default: dist 8080, on 127.0.0.1)
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm',
  '.css': 'text/css', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json',
  '.safetensors': 'application/octet-stream',
};
const HASHED = /-[0-9a-f]{16}(_bg)?\.(js|wasm|css)$/;

/** The encodings to try for a request, best first, each with its file suffix. */
function encodings(acceptEncoding = '') {
  const accepted = acceptEncoding.split(',').map((e) => e.trim().split(';')[0]);
  return [['br', '.br'], ['gzip', '.gz']].filter(([name]) => accepted.includes(name)).concat([[null, '']]);
}

/** Starts serving `dir` on `host:port` (0: any free port); resolves to `{ server, url }`. */
export async function serve(dir, { port = 0, host = '127.0.0.1' } = {}) {
  const server = createServer(async (req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url, 'http://x').pathname)).replace(/^([/\\])+/, '') || 'index.html';
    const file = join(dir, path);
    if (!file.startsWith(dir) || (req.method !== 'GET' && req.method !== 'HEAD')) return res.writeHead(404).end('not found');
    const original = await stat(file).catch(() => null);
    if (!original?.isFile()) return res.writeHead(404).end('not found');
    for (const [encoding, suffix] of encodings(req.headers['accept-encoding'])) {
      const info = suffix ? await stat(file + suffix).catch(() => null) : original;
      // A copy older than its file is from an earlier build.
      if (!info?.isFile() || info.mtimeMs < original.mtimeMs) continue;
      const modified = new Date(Math.floor(info.mtimeMs / 1000) * 1000);
      const headers = {
        'content-type': TYPES[extname(path)] ?? 'application/octet-stream',
        'cache-control': HASHED.test(path) ? 'public, max-age=31536000, immutable' : 'no-cache',
        'last-modified': modified.toUTCString(),
        vary: 'accept-encoding',
      };
      if (encoding) headers['content-encoding'] = encoding;
      const since = Date.parse(req.headers['if-modified-since'] ?? '');
      if (since >= modified.getTime()) return res.writeHead(304, headers).end();
      const body = await readFile(file + suffix);
      headers['content-length'] = body.length;
      res.writeHead(200, headers);
      return res.end(req.method === 'HEAD' ? undefined : body);
    }
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  return { server, url: `http://${host}:${server.address().port}/` };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = resolve(process.argv[2] ?? 'dist');
  const { url } = await serve(dir, { port: Number(process.argv[3] ?? 8080) });
  console.log(`Glassbox: serving ${dir} at ${url} (Ctrl+C stops)`);
}
