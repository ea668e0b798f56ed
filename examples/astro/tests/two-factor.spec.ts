// Two-factor authentication in Chromium: enrolment (a QR code drawn in the page, the key, the
// recovery codes shown once), the login's second step with a code and with a recovery code,
// the "confirm it's you" step a password-only session needs, new recovery codes, turning it off.
// TOTP codes come from tests/totp.ts; a code works once, so each new one waits for its step.
import { type Page, expect, test } from '@playwright/test';
import { logIn, newAccount, overflowsSideways, registerVerified, site, status } from './helpers';
import { Authenticator, selfCheck } from './totp';

const secondFactor = (page: Page) => page.locator('#second-factor');

/** The password step of the login page, for an account with two-factor authentication on. */
async function passwordStep(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${site()}/login`);
  await page.locator('input[name=email]').fill(email);
  await page.locator('input[name=password]').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await expect(secondFactor(page)).toBeVisible();
  await expect(page.locator('#login')).toBeHidden();
}

async function submitSecondFactor(page: Page, proof: string): Promise<void> {
  await secondFactor(page).locator('input[name=proof]').fill(proof);
  await page.getByRole('button', { name: 'Verify' }).click();
}

/** Waits for the outcome of the last submission (the box hides on submit, shows the answer). */
async function sees(page: Page, text: string | RegExp): Promise<void> {
  await expect(status(page)).toBeVisible();
  await expect(status(page)).toHaveText(text);
}

/** With TWO_FACTOR_SCREENSHOTS=<dir>, a full-page picture of what the page shows now. */
async function picture(page: Page, name: string): Promise<void> {
  const dir = process.env.TWO_FACTOR_SCREENSHOTS;
  if (dir) await page.screenshot({ path: `${dir}/${name}.png`, fullPage: true });
}

async function logOut(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page).toHaveURL(`${site()}/login?reason=logged-out`);
}

test('two-factor: enrol, log in with a code and with recovery codes, new codes, turn off', async ({ browser }) => {
  // Four codes of one factor need four time steps: up to three waits of at most 30 s.
  test.setTimeout(300_000);
  selfCheck();
  const account = newAccount('totp');
  const context = await browser.newContext();
  const page = await context.newPage();
  const elsewhere: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(site()) && !request.url().startsWith('data:')) elsewhere.push(request.url());
  });
  await registerVerified(page, account);
  await logIn(page, account.email, account.password);

  await test.step('the profile says two-factor is off and links to its page', async () => {
    await expect(page.locator('#mfa')).toHaveText('Off');
    await page.getByRole('link', { name: 'Set up' }).click();
    await expect(page).toHaveURL(`${site()}/two-factor`);
    await expect(page.locator('#off')).toContainText('Two-factor authentication is off.');
  });

  let app!: Authenticator;
  let recoveryCodes: string[] = [];
  await test.step('enrol: a QR code drawn in the page, the key, a wrong code refused, then on', async () => {
    await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    const qr = page.getByRole('img', { name: 'QR code for your authenticator app' });
    await expect(qr).toBeVisible();
    expect(await qr.evaluate((svg) => svg.tagName.toLowerCase())).toBe('svg');
    expect((await qr.locator('path').getAttribute('d'))?.length).toBeGreaterThan(1000);
    const secret = (await page.locator('#secret').textContent())!.replace(/\s/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    app = new Authenticator(secret);

    await page.setViewportSize({ width: 390, height: 844 });
    expect(await overflowsSideways(page), 'the enrolment fits a phone').toBe(false);
    await picture(page, 'enrol-phone');
    await page.setViewportSize({ width: 1280, height: 720 });

    await page.locator('#activate input[name=code]').fill(app.wrongCode());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await sees(page, 'Invalid code');
    await page.locator('#activate input[name=code]').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Turn on' }).click();
    await sees(page, 'Two-factor authentication is on.');
    await expect(page.locator('#codes')).toContainText('Save these now');
    await expect(page.locator('#recovery-codes li')).toHaveCount(10);
    recoveryCodes = await page.locator('#recovery-codes li').allTextContents();
    expect(new Set(recoveryCodes).size).toBe(10);
    await picture(page, 'recovery-codes');
    await page.getByRole('button', { name: 'I have saved them' }).click();
    await expect(page.locator('#on')).toContainText('Two-factor authentication is on.');
    await expect(page.locator('#recovery-codes li')).toHaveCount(0);
    expect(elsewhere, 'the QR code is drawn locally: no request leaves the site').toEqual([]);
  });

  const newPassword = 'Babbage-Analytical-1837!';
  await test.step('this session signed in with a password only: a password change asks to confirm with a code', async () => {
    await page.getByRole('link', { name: 'Password' }).click();
    await page.locator('input[name=current_password]').fill(account.password);
    await page.locator('input[name=new_password]').fill(newPassword);
    await page.locator('input[name=repeat]').fill(newPassword);
    await page.getByRole('button', { name: 'Change password' }).click();
    const reauth = page.locator('#reauth');
    await expect(reauth).toBeVisible();
    await picture(page, 'confirm');
    await reauth.locator('input[name=password]').fill('Not-The-Password-42');
    await reauth.locator('input[name=code]').fill(app.wrongCode());
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await sees(page, 'Incorrect password');
    await reauth.locator('input[name=password]').fill(account.password);
    await reauth.locator('input[name=code]').fill(await app.nextCode());
    await reauth.getByRole('button', { name: 'Confirm' }).click();
    await sees(page, 'Password changed successfully');
    await expect(reauth).toBeHidden();
  });

  await test.step('log out; the password alone is not enough; five wrong codes end the attempt', async () => {
    await logOut(page);
    await passwordStep(page, account.email, newPassword);
    await picture(page, 'second-step');
    const cookies = await context.cookies(`${site()}/api/auth/refresh`);
    expect(cookies.map((c) => c.name)).not.toContain('astro_at');
    for (let attempt = 0; attempt < 5; attempt++) {
      await submitSecondFactor(page, app.wrongCode());
      await sees(page, 'Invalid code');
    }
    await submitSecondFactor(page, app.wrongCode());
    await sees(page, /Please log in again/);
    await expect(page.locator('#login')).toBeVisible();
    await expect(secondFactor(page)).toBeHidden();
  });

  await test.step('log in with a code from the app: the profile says two-factor is on', async () => {
    await passwordStep(page, account.email, newPassword);
    await submitSecondFactor(page, await app.nextCode());
    await expect(page).toHaveURL(`${site()}/profile`);
    await expect(page.locator('#email')).toHaveText(account.email);
    await expect(page.locator('#mfa')).toHaveText('On');
  });

  await test.step('log out; log in with a recovery code, which works only once', async () => {
    await logOut(page);
    await passwordStep(page, account.email, newPassword);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await expect(secondFactor(page)).toContainText('Recovery code');
    await submitSecondFactor(page, recoveryCodes[0]);
    await expect(page).toHaveURL(`${site()}/profile`);
    await expect(page.locator('#mfa')).toHaveText('On');

    await logOut(page);
    await passwordStep(page, account.email, newPassword);
    await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
    await submitSecondFactor(page, recoveryCodes[0]);
    await sees(page, 'Invalid code');
    await submitSecondFactor(page, recoveryCodes[1]);
    await expect(page).toHaveURL(`${site()}/profile`);
  });

  let newCodes: string[] = [];
  await test.step('new recovery codes replace the old ones', async () => {
    await page.getByRole('link', { name: 'Manage' }).click();
    await expect(page.locator('#on')).toBeVisible();
    await page.locator('#regenerate input[name=code]').fill(await app.nextCode());
    await page.getByRole('button', { name: 'Get new recovery codes' }).click();
    await sees(page, 'New recovery codes: the old ones no longer work.');
    await expect(page.locator('#recovery-codes li')).toHaveCount(10);
    newCodes = await page.locator('#recovery-codes li').allTextContents();
    expect(newCodes.filter((code) => recoveryCodes.includes(code))).toEqual([]);
    await page.getByRole('button', { name: 'I have saved them' }).click();
  });

  await test.step('turn it off with a recovery code (an old one is refused)', async () => {
    await page.locator('#disable input[name=proof]').fill(recoveryCodes[2]);
    await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await sees(page, 'Invalid code');
    await page.locator('#disable input[name=proof]').fill(newCodes[0]);
    await page.getByRole('button', { name: 'Turn off two-factor authentication' }).click();
    await sees(page, 'Two-factor authentication disabled.');
    await expect(page.locator('#off')).toBeVisible();
    await page.goto(`${site()}/profile`);
    await expect(page.locator('#mfa')).toHaveText('Off');
  });

  await test.step('log out; the password alone signs in again', async () => {
    await logOut(page);
    await logIn(page, account.email, newPassword);
  });
  await context.close();
});
