// Reading the emails the backend writes as .eml files under MAIL_DIR (no SMTP_HOST): a tiny
// MIME reader, enough for lettre's messages (multipart, quoted-printable or base64 parts).
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from '@playwright/test';

interface Part {
  headers: Map<string, string>;
  body: string;
}

function parsePart(raw: string): Part {
  const split = raw.search(/\r?\n\r?\n/);
  const head = split < 0 ? raw : raw.slice(0, split);
  const body = split < 0 ? '' : raw.slice(split).replace(/^\r?\n\r?\n/, '');
  const headers = new Map<string, string>();
  // Folded header lines continue with whitespace (RFC 5322, 2.2.3).
  for (const line of head.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  return { headers, body };
}

export function decodeQuotedPrintable(text: string): string {
  const joined = text.replace(/=\r?\n/g, '');
  const bytes: number[] = [];
  for (let i = 0; i < joined.length; i++) {
    const hex = joined.slice(i + 1, i + 3);
    if (joined[i] === '=' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(joined[i], 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get('content-transfer-encoding') ?? '7bit').toLowerCase();
  if (encoding === 'quoted-printable') return decodeQuotedPrintable(part.body);
  if (encoding === 'base64') return Buffer.from(part.body.replace(/\s+/g, ''), 'base64').toString('utf8');
  return part.body;
}

/** The decoded text/plain parts of a message (text/html ones if it has no plain text). */
export function textOf(raw: string): string {
  const plain: string[] = [];
  const html: string[] = [];
  const walk = (part: Part) => {
    const type = part.headers.get('content-type') ?? 'text/plain';
    const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
    if (type.toLowerCase().startsWith('multipart/') && boundary) {
      const pieces = part.body.split(`--${boundary}`).slice(1);
      for (const piece of pieces) {
        if (piece.startsWith('--')) break;
        walk(parsePart(piece.replace(/^\r?\n/, '')));
      }
    } else if (type.toLowerCase().startsWith('text/html')) {
      html.push(decodeBody(part));
    } else if (type.toLowerCase().startsWith('text/')) {
      plain.push(decodeBody(part));
    }
  };
  walk(parsePart(raw));
  return (plain.length ? plain : html).join('\n');
}

export interface Mail {
  file: string;
  to: string;
  subject: string;
  text: string;
}

async function readAll(dir: string): Promise<(Mail & { mtime: number })[]> {
  const names = (await readdir(dir).catch(() => [] as string[])).filter((n) => n.endsWith('.eml'));
  const mails = [];
  for (const name of names) {
    const file = join(dir, name);
    const [raw, info] = await Promise.all([readFile(file, 'utf8'), stat(file)]);
    const part = parsePart(raw);
    mails.push({
      file,
      to: part.headers.get('to') ?? '',
      subject: part.headers.get('subject') ?? '',
      text: textOf(raw),
      mtime: info.mtimeMs,
    });
  }
  return mails;
}

/** The files already there, so a wait can ask for a mail that arrives after this point. */
export async function mailFiles(dir: string): Promise<Set<string>> {
  return new Set((await readAll(dir)).map((mail) => mail.file));
}

/**
 * Waits for a new email to `to` (not one of `seen`) whose text holds a link to `path`, and
 * answers that link (the newest such mail's). Polls the directory; the delivery loop is async.
 */
export async function waitForLink(dir: string, to: string, path: string, seen: Set<string>): Promise<string> {
  const pattern = new RegExp(`https?://[^\\s"'<>]+${path.replace(/[/.?]/g, '\\$&')}(\\?[^\\s"'<>]*)?`);
  let link = '';
  await expect
    .poll(
      async () => {
        const fresh = (await readAll(dir))
          .filter((mail) => !seen.has(mail.file) && mail.to.includes(to))
          .sort((a, b) => b.mtime - a.mtime);
        for (const mail of fresh) {
          const found = pattern.exec(mail.text)?.[0];
          if (found) {
            link = found;
            return true;
          }
        }
        return false;
      },
      { message: `an email to ${to} with a link to ${path} in ${dir}`, timeout: 30_000, intervals: [100, 250, 500] },
    )
    .toBe(true);
  return link;
}
