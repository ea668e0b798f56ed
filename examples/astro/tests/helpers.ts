// What the browser tests share: where the stack runs, fresh accounts, UI steps, a test image.
import { deflateSync } from 'node:zlib';
import { type Page, expect } from '@playwright/test';
import { mailFiles, waitForLink } from './mail';

export const site = () => process.env.SITE_URL!;
export const mailDir = () => process.env.MAIL_DIR!;

export interface Account {
  email: string;
  username: string;
  password: string;
}

let counter = 0;
/** A new account's credentials, unique per run; the password passes the zxcvbn policy. */
export function newAccount(name = 'ada'): Account {
  const tag = `${Date.now().toString(36)}${(counter++).toString(36)}`;
  return { email: `${name}.${tag}@example.com`, username: `${name}_${tag}`, password: 'Analytical-Engine-1843!' };
}

/** The status box every page shows its outcome in. */
export const status = (page: Page) => page.locator('#status');

/** Registers through the register page and opens the emailed verification link. */
export async function registerVerified(page: Page, account: Account, names?: [string, string]): Promise<void> {
  const seen = await mailFiles(mailDir());
  await page.goto(`${site()}/register`);
  await page.locator('input[name=email]').fill(account.email);
  await page.locator('input[name=username]').fill(account.username);
  if (names) {
    await page.locator('input[name=first_name]').fill(names[0]);
    await page.locator('input[name=last_name]').fill(names[1]);
  }
  await page.locator('input[name=password]').fill(account.password);
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(status(page)).toHaveText(/User registered successfully/);
  const link = await waitForLink(mailDir(), account.email, '/auth/verify-email', seen);
  expect(link.startsWith(`${site()}/auth/verify-email?token=`)).toBe(true);
  await page.goto(link);
  await expect(status(page)).toHaveText('Email verified successfully');
}

/** Logs in through the login page and waits for the profile. */
export async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${site()}/login`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(page).toHaveURL(`${site()}/profile`);
  await expect(page.locator('#email')).toHaveText(email);
}

/** Whether the page is wider than its viewport (a phone would have to scroll sideways). */
export async function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > window.innerWidth);
}

function crc32(bytes: Buffer): number {
  let crc = ~0;
  for (const byte of bytes) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return ~crc >>> 0;
}

/** A `size`×`size` PNG: a soft diagonal gradient (an avatar to upload). */
export function gradientPng(size = 256): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const head = Buffer.alloc(4);
    head.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const tail = Buffer.alloc(4);
    tail.writeUInt32BE(crc32(body));
    return Buffer.concat([head, body, tail]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const rows = Buffer.alloc(size * (1 + size * 3));
  for (let y = 0; y < size; y++) {
    const row = y * (1 + size * 3);
    for (let x = 0; x < size; x++) {
      const t = (x + y) / (2 * size);
      rows.set([Math.round(99 + 120 * t), Math.round(102 + 60 * (1 - t)), Math.round(241 - 40 * t)], row + 1 + x * 3);
    }
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
