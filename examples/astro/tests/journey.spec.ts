// The example site's whole account journey in Chromium, against the real backend in browser
// mode (cookies + CSRF) behind the site's same-origin proxy.
import { devices, expect, test } from '@playwright/test';
import { mailFiles, waitForLink } from './mail';
import { gradientPng, logIn, mailDir, newAccount, overflowsSideways, registerVerified, site, status } from './helpers';

/** A phone-sized Chromium with a phone's user agent (the sessions list shows it as one). */
const PHONE = devices['Pixel 7'];

test('register, verify, profile, avatar, sessions, password change, logout, reset', async ({ browser }) => {
  const account = newAccount();
  const context = await browser.newContext();
  const page = await context.newPage();

  await test.step('a refused registration shows the API detail, field by field', async () => {
    await page.goto(`${site()}/register`);
    await page.locator('input[name=email]').fill('not-an-address');
    await page.locator('input[name=username]').fill('ab');
    await page.locator('input[name=password]').fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect(status(page)).toHaveClass(/error/);
    await expect(status(page).locator('li')).toHaveCount(3);
    await expect(status(page)).toContainText('Password: String should have at least 8 characters');
    await expect(status(page)).toContainText('Username: String should have at least 3 characters');
  });

  await test.step('register and open the emailed verification link', async () => {
    await registerVerified(page, account);
  });

  await test.step('a wrong password is refused, the right one shows the profile', async () => {
    await page.getByRole('link', { name: 'Log in' }).first().click();
    await expect(page).toHaveURL(`${site()}/login`);
    await page.locator('input[name=email]').fill(account.email);
    await page.locator('input[name=password]').fill('Not-The-Password-42');
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(status(page)).toHaveText('Incorrect email or password');
    await logIn(page, account.email, account.password);
    await expect(page.locator('#username')).toHaveText(account.username);
    await expect(page.locator('#verified')).toHaveText('Verified');
    // The tokens are HttpOnly cookies; only the CSRF token is readable.
    // (The refresh cookie's path is /api/auth: asking for that URL's cookies lists all three.)
    const cookies = await context.cookies(`${site()}/api/auth/refresh`);
    expect(cookies.find((c) => c.name === 'astro_at')?.httpOnly).toBe(true);
    expect(cookies.find((c) => c.name === 'astro_rt')).toMatchObject({ httpOnly: true, path: '/api/auth' });
    expect(cookies.find((c) => c.name === 'astro_csrf')?.httpOnly).toBe(false);
    expect(await page.evaluate(() => document.cookie)).not.toContain('astro_at');
  });

  await test.step('edit the profile', async () => {
    await page.locator('input[name=first_name]').fill('Ada');
    await page.locator('input[name=last_name]').fill('Lovelace');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect(status(page)).toHaveText('Profile saved.');
    await expect(page.locator('#name')).toHaveText('Ada Lovelace');
    await page.reload();
    await expect(page.locator('#name')).toHaveText('Ada Lovelace');
  });

  await test.step('upload an avatar (a non-image is refused first)', async () => {
    const file = page.locator('input[name=file]');
    await file.setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('hello') });
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(status(page)).toHaveText('File must be an image');
    await file.setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: gradientPng() });
    await page.getByRole('button', { name: 'Upload picture' }).click();
    await expect(status(page)).toHaveText('Profile picture updated.');
    const avatar = page.locator('#avatar-img');
    await expect(avatar).toBeVisible();
    expect(await avatar.getAttribute('src')).toMatch(new RegExp(`^${site()}/media/avatars/`));
    await expect.poll(() => avatar.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(400);
    if (process.env.PROFILE_SCREENSHOT) {
      await page.setViewportSize({ width: 900, height: 720 });
      await page.locator('#status').evaluate((box: HTMLElement) => { box.hidden = true; });
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.screenshot({ path: process.env.PROFILE_SCREENSHOT, fullPage: true });
      await page.setViewportSize({ width: 1280, height: 720 });
    }
  });

  const phone = await browser.newContext(PHONE);
  const phonePage = await phone.newPage();
  await test.step('a second login on a phone-sized screen', async () => {
    await logIn(phonePage, account.email, account.password);
    for (const path of ['/', '/register', '/login', '/auth/verify-email', '/auth/forgot-password',
      '/auth/reset-password?token=x', '/change-password', '/sessions', '/two-factor', '/profile']) {
      await phonePage.goto(`${site()}${path}`);
      await expect(phonePage.locator('h1')).toBeVisible();
      expect(await overflowsSideways(phonePage), `${path} fits a phone's width`).toBe(false);
    }
    await expect(phonePage.locator('#email')).toHaveText(account.email);
    await phonePage.goto(`${site()}/sessions`);
    await expect(phonePage.locator('li.session')).toHaveCount(2);
    expect(await overflowsSideways(phonePage)).toBe(false);
    if (process.env.PHONE_SCREENSHOT) await phonePage.screenshot({ path: process.env.PHONE_SCREENSHOT, fullPage: true });
  });

  await test.step('list the sessions and revoke the other one: it is signed out', async () => {
    await page.getByRole('link', { name: 'Sessions' }).click();
    await expect(page.locator('li.session')).toHaveCount(2);
    await expect(page.locator('li.session[data-current=true] .badge')).toBeVisible();
    const other = page.locator('li.session[data-current=false]');
    await expect(other.locator('.what')).toHaveText(/Android \(mobile\)/);
    await other.getByRole('button', { name: 'Revoke' }).click();
    await expect(status(page)).toContainText('Session revoked');
    await expect(page.locator('li.session')).toHaveCount(1);
    await expect(page.locator('li.session[data-current=true]')).toHaveCount(1);

    await phonePage.goto(`${site()}/profile`);
    await expect(phonePage).toHaveURL(/\/login\?/);
    await expect(status(phonePage)).toHaveText('Your session has ended. Please log in again.');
    await expect(phonePage.getByRole('link', { name: 'Register' })).toBeVisible();
  });

  const changedMail = await mailFiles(mailDir());
  const newPassword = 'Difference-Engine-1822?';
  await test.step('change the password (a wrong current one is refused)', async () => {
    await page.getByRole('link', { name: 'Password' }).click();
    await page.locator('input[name=current_password]').fill('Not-The-Password-42');
    await page.locator('input[name=new_password]').fill(newPassword);
    await page.locator('input[name=repeat]').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(status(page)).toHaveText('Current password is incorrect');
    await page.locator('input[name=current_password]').fill(account.password);
    await page.locator('input[name=new_password]').fill(newPassword);
    await page.locator('input[name=repeat]').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    await expect(status(page)).toHaveText('Password changed successfully');
    await page.goto(`${site()}/profile`);
    await expect(page.locator('#name')).toHaveText('Ada Lovelace');
  });

  await test.step('the "password changed" email links to a page of the site', async () => {
    const link = await waitForLink(mailDir(), account.email, '/auth/forgot-password', changedMail);
    expect(link).toBe(`${site()}/auth/forgot-password`);
  });

  await test.step('log out, after the access cookie expired (refresh, then logout)', async () => {
    await context.clearCookies({ name: 'astro_at' });
    await page.getByRole('button', { name: 'Log out' }).click();
    await expect(page).toHaveURL(`${site()}/login?reason=logged-out`);
    await expect(status(page)).toHaveText('You have been logged out.');
    expect(await context.cookies(`${site()}/api/auth/refresh`)).toEqual([]);
    await page.goto(`${site()}/profile`);
    await expect(page).toHaveURL(/\/login\?/);
  });

  const resetMail = await mailFiles(mailDir());
  const resetPassword = 'Jacquard-Loom-Cards-1804';
  await test.step('forgot password, then the emailed reset link', async () => {
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await expect(page).toHaveURL(`${site()}/auth/forgot-password`);
    await page.locator('input[name=email]').fill(account.email);
    await page.getByRole('button', { name: 'Send reset link' }).click();
    await expect(status(page)).toContainText('If an account with that email exists');
    const link = await waitForLink(mailDir(), account.email, '/auth/reset-password', resetMail);
    expect(link.startsWith(`${site()}/auth/reset-password?token=`)).toBe(true);
    await page.goto(link);
    await page.locator('input[name=new_password]').fill('password1');
    await page.locator('input[name=repeat]').fill('password1');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(status(page)).toContainText('New password:');
    await page.locator('input[name=new_password]').fill(resetPassword);
    await page.locator('input[name=repeat]').fill(resetPassword);
    await page.getByRole('button', { name: 'Set new password' }).click();
    await expect(page).toHaveURL(`${site()}/login?reason=password-reset`);
  });

  await test.step('the old password is dead, the new one logs in', async () => {
    await page.locator('input[name=email]').fill(account.email);
    await page.locator('input[name=password]').fill(newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await expect(status(page)).toHaveText('Incorrect email or password');
    await logIn(page, account.email, resetPassword);
    await expect(page.locator('#name')).toHaveText('Ada Lovelace');
  });
  await phone.close();
  await context.close();
});

test('two tabs refreshing the same token at once both stay signed in', async ({ browser }) => {
  const account = newAccount('tabs');
  const context = await browser.newContext();
  const first = await context.newPage();
  await registerVerified(first, account, ['Grace', 'Hopper']);
  await logIn(first, account.email, account.password);
  const second = await context.newPage();
  await second.goto(`${site()}/profile`);
  await expect(second.locator('#name')).toHaveText('Grace Hopper');

  // The access cookie gone (as when it expires): each tab's next call must refresh. Both
  // refresh requests are held until both were sent, so both present the same refresh token.
  await context.clearCookies({ name: 'astro_at' });
  let arrived = 0;
  let release!: () => void;
  const bothSent = new Promise<void>((done) => { release = done; });
  const timeout = setTimeout(() => release(), 20_000);
  const refreshes: Promise<{ status: number; presented: string | undefined }>[] = [];
  for (const tab of [first, second]) {
    await tab.route('**/api/auth/refresh', async (route) => {
      arrived += 1;
      if (arrived === 2) release();
      await bothSent;
      await route.continue();
    });
    tab.on('response', (answer) => {
      if (!answer.url().endsWith('/api/auth/refresh')) return;
      refreshes.push(answer.request().headerValue('cookie').then((cookies) => ({
        status: answer.status(),
        presented: /astro_rt=([^;]+)/.exec(cookies ?? '')?.[1],
      })));
    });
  }
  await Promise.all([first.reload(), second.reload()]);
  await expect(first.locator('#name')).toHaveText('Grace Hopper');
  await expect(second.locator('#name')).toHaveText('Grace Hopper');
  clearTimeout(timeout);
  expect(arrived).toBe(2);
  // Both presented the same refresh token, and both were answered 200 (the grace rule).
  const [one, two] = await Promise.all(refreshes);
  expect(refreshes).toHaveLength(2);
  expect([one.status, two.status]).toEqual([200, 200]);
  expect(one.presented).toBeTruthy();
  expect(two.presented).toBe(one.presented);
  for (const tab of [first, second]) await tab.unrouteAll();

  // Still one live session, and writes (CSRF) work in both tabs.
  await first.goto(`${site()}/sessions`);
  await expect(first.locator('li.session')).toHaveCount(1);
  await second.locator('input[name=last_name]').fill('Murray Hopper');
  await second.getByRole('button', { name: 'Save changes' }).click();
  await expect(status(second)).toHaveText('Profile saved.');
  await first.goto(`${site()}/profile`);
  await expect(first.locator('#name')).toHaveText('Grace Murray Hopper');
  await context.close();
});

test('a form posted from another origin is refused and changes nothing', async ({ browser, request }) => {
  const account = newAccount('eve');
  const victim = await browser.newContext();
  const page = await victim.newPage();
  await registerVerified(page, account, ['Alan', 'Turing']);
  await logIn(page, account.email, account.password);
  const elsewhere = await browser.newContext();
  await logIn(await elsewhere.newPage(), account.email, account.password);

  const attack = async (origin: string, route: string, extra: Record<string, string> = {}) => {
    const query = new URLSearchParams({ action: `${site()}${route}`, ...extra });
    const answer = page.waitForResponse((r) => r.url() === `${site()}${route}` && r.request().method() === 'POST');
    await page.goto(`${origin}/?${query}`);
    return answer;
  };

  await test.step('same site, other origin (the cookies are sent): CSRF validation refuses it', async () => {
    const answer = await attack(process.env.ATTACKER_SAME_SITE!, '/api/user/sessions/revoke-others');
    expect(answer.status()).toBe(403);
    expect(await answer.request().headerValue('cookie')).toContain('astro_at=');
    expect(await answer.json()).toEqual({ detail: 'CSRF validation failed' });
  });

  await test.step('a JSON-looking text/plain post to change the password: refused', async () => {
    const field = `{"current_password":"${account.password}","new_password":"Evil-Password-4242!","x":"`;
    const answer = await attack(process.env.ATTACKER_SAME_SITE!, '/api/user/change-password', {
      enctype: 'text/plain', field, value: '"}',
    });
    expect(answer.status()).toBe(403);
    expect(await answer.json()).toEqual({ detail: 'CSRF validation failed' });
  });

  await test.step('cross site: refused too', async () => {
    const answer = await attack(process.env.ATTACKER_CROSS_SITE!, '/api/user/sessions/revoke-others');
    expect(answer.status()).toBe(403);
  });

  await test.step('nothing changed: both sessions live, the password the same', async () => {
    await page.goto(`${site()}/sessions`);
    await expect(page.locator('li.session')).toHaveCount(2);
    const login = await request.post(`${site()}/api/auth/login`, {
      data: { email: account.email, password: account.password },
    });
    expect(login.status()).toBe(200);
  });
  await elsewhere.close();
  await victim.close();
});
