// Global setup: starts the backend (the debug `astro-auth` binary) and the example's server on
// free ports, with a fresh SQLite database and mail directory, and waits until both answer.
// The tests find them through the environment variables set here.
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const example = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repo = resolve(example, '../..');

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createNetServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => done(port));
    });
  });
}

/** Polls `url` until it answers 200, failing early if `child` exits. */
async function waitUntilUp(url: string, child: ChildProcess, name: string, log: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}; see ${log}`);
    const ok = await fetch(url).then((answer) => answer.ok, () => false);
    if (ok) return;
    await new Promise((wake) => setTimeout(wake, 100));
  }
  throw new Error(`${name} did not answer ${url} within 120 s; see ${log}`);
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv, log: string): ChildProcess {
  const out = createWriteStream(log);
  const child = spawn(command, args, { cwd: example, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(out);
  child.stderr!.pipe(out);
  return child;
}

/** The attacker's pages: a form that posts itself to `?action=` on load (for the CSRF test). */
function attackerServer(port: number) {
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://attacker');
    const action = url.searchParams.get('action') ?? '';
    const field = url.searchParams.get('field');
    const escape = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    const value = url.searchParams.get('value') ?? '';
    const input = field ? `<input type="hidden" name="${escape(field)}" value="${escape(value)}">` : '';
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>Win a prize</title>
      <form id="f" method="POST" action="${escape(action)}" enctype="${escape(url.searchParams.get('enctype') ?? 'application/x-www-form-urlencoded')}">${input}</form>
      <script>document.getElementById('f').submit()</script>`);
  });
  return new Promise<typeof server>((done) => server.listen(port, '127.0.0.1', () => done(server)));
}

export default async function globalSetup() {
  const binary = process.env.ASTRO_AUTH_BIN
    ?? join(process.env.CARGO_TARGET_DIR ?? join(repo, 'target'), 'debug', 'astro-auth');
  if (!existsSync(binary)) throw new Error(`no backend binary at ${binary}: run \`cargo build -p astro-auth\``);
  if (!existsSync(join(example, 'dist', 'index.html'))) throw new Error('no built site: run `npm run build`');

  const scratch = await mkdtemp(join(tmpdir(), 'astro-journey-'));
  const logs = resolve(example, 'test-results', 'stack');
  await mkdir(logs, { recursive: true });
  const mailDir = join(scratch, 'mail');
  const [apiPort, sitePort, attackerPort] = [await freePort(), await freePort(), await freePort()];
  const site = `http://localhost:${sitePort}`;

  const backendLog = join(logs, 'backend.log');
  const backend = start(binary, ['serve'], {
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    DATABASE_URL: `sqlite:///${join(scratch, 'astro-auth.db')}`,
    MAIL_DIR: mailDir,
    AVATAR_DIR: join(scratch, 'avatars'),
    // The site is the public face: links in emails, avatar URLs and the CSRF origin check.
    FRONTEND_URL: site,
    BASE_URL: site,
    COOKIE_SECURE: 'false',
    ENVIRONMENT: 'development',
    // Every browser request comes through the one proxy address: the per-IP limits would
    // count the whole suite as one client.
    LOGIN_RATE_LIMIT_PER_15MIN: '1000',
    PASSWORD_RESET_RATE_LIMIT_PER_HOUR: '1000',
    RATE_LIMIT_PER_MINUTE: '100000',
    MAIL_POLL_INTERVAL_MS: '100',
    RUST_LOG: process.env.RUST_LOG ?? 'info',
  }, backendLog);
  const siteLog = join(logs, 'site.log');
  const server = start(process.execPath, ['serve.mjs'], {
    PORT: String(sitePort),
    HOST: '127.0.0.1',
    API_URL: `http://127.0.0.1:${apiPort}`,
  }, siteLog);
  const attacker = await attackerServer(attackerPort);

  const stop = async () => {
    for (const child of [server, backend]) child.kill('SIGTERM');
    attacker.close();
    await Promise.all([server, backend].map((child) =>
      child.exitCode !== null ? null : new Promise((done) => child.once('exit', done))));
    await rm(scratch, { recursive: true, force: true });
  };
  try {
    await waitUntilUp(`http://127.0.0.1:${apiPort}/health`, backend, 'the backend', backendLog);
    await waitUntilUp(`${site}/`, server, 'the site server', siteLog);
  } catch (error) {
    await stop();
    throw error;
  }

  process.env.SITE_URL = site;
  process.env.MAIL_DIR = mailDir;
  process.env.ATTACKER_SAME_SITE = `http://localhost:${attackerPort}`;
  process.env.ATTACKER_CROSS_SITE = `http://127.0.0.1:${attackerPort}`;
  console.log(`backend http://127.0.0.1:${apiPort} (log ${backendLog}), site ${site} (log ${siteLog})`);
  return stop;
}
