// The example's same-origin setup for production-like runs and the browser test: one Node
// server (no dependencies) that serves the built site from dist/ and forwards /api/* and
// /media/* to the gateway. The browser sees one origin, so the gateway's cookies (SameSite,
// Path=/api/auth) and its CSRF check (Origin = BASE_URL) work without CORS.
//
//   API_URL   where the gateway listens          [default: http://127.0.0.1:8000]
//   PORT      where this server listens          [default: 3000]
//   HOST      the address it binds               [default: 127.0.0.1]
//   DIST_DIR  the built site                     [default: ./dist]
import { createServer, request as httpRequest } from 'node:http';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const api = new URL(process.env.API_URL ?? 'http://127.0.0.1:8000');
const port = Number(process.env.PORT ?? 3000);
const host = process.env.HOST ?? '127.0.0.1';
const dist = resolve(process.env.DIST_DIR ?? join(here, 'dist'));
const PROXIED = ['/api/', '/media/'];
// Connection-level headers are the hop's own, never forwarded (RFC 9110, 7.6.1).
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade',
  'proxy-connection', 'te', 'trailer']);
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.json': 'application/json', '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

function proxy(req, res) {
  const headers = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (!HOP_BY_HOP.has(name)) headers[name] = value;
  }
  // The gateway believes these only from peers listed in its TRUSTED_PROXIES.
  const peer = req.socket.remoteAddress ?? '';
  headers['x-forwarded-for'] = req.headers['x-forwarded-for']
    ? `${req.headers['x-forwarded-for']}, ${peer}` : peer;
  headers['x-forwarded-proto'] = 'http';
  headers['x-forwarded-host'] = req.headers.host ?? '';
  const upstream = httpRequest({
    protocol: api.protocol, hostname: api.hostname, port: api.port,
    method: req.method, path: req.url, headers,
  }, (answer) => {
    const raw = [];
    for (let i = 0; i < answer.rawHeaders.length; i += 2) {
      if (!HOP_BY_HOP.has(answer.rawHeaders[i].toLowerCase())) {
        raw.push(answer.rawHeaders[i], answer.rawHeaders[i + 1]);
      }
    }
    res.writeHead(answer.statusCode ?? 502, raw);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ detail: 'The API is not reachable' }));
    } else {
      res.destroy();
    }
  });
  req.pipe(upstream);
}

/** The file for a URL path: the path itself, `path.html` or `path/index.html` (Astro's formats). */
async function fileFor(pathname) {
  let path;
  try {
    path = normalize(decodeURIComponent(pathname));
  } catch {
    return null;
  }
  const base = join(dist, path);
  if (base !== dist && !base.startsWith(dist + sep)) return null;
  for (const candidate of [base, `${base}.html`, join(base, 'index.html')]) {
    const info = await stat(candidate).catch(() => null);
    if (info?.isFile()) return candidate;
  }
  return null;
}

async function serveFile(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  const { pathname } = new URL(req.url ?? '/', 'http://site');
  const file = await fileFor(pathname);
  const found = file ?? (await fileFor('/404.html'));
  const headers = {
    'content-type': TYPES[extname(found ?? '')] ?? 'application/octet-stream',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'same-origin',
    // Hashed bundles never change; pages are always revalidated.
    'cache-control': pathname.startsWith('/_astro/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  };
  if (!found) {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('Not found');
    return;
  }
  res.writeHead(file ? 200 : 404, headers);
  if (req.method === 'HEAD') res.end();
  else createReadStream(found).pipe(res);
}

const server = createServer((req, res) => {
  const url = req.url ?? '/';
  if (PROXIED.some((prefix) => url.startsWith(prefix))) proxy(req, res);
  else serveFile(req, res).catch(() => res.destroy());
});
server.listen(port, host, () => {
  console.log(`example site on http://${host === '127.0.0.1' ? 'localhost' : host}:${port} (API: ${api.origin})`);
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close(() => process.exit(0));
    server.closeAllConnections();
  });
}
