// Recent authentication (RFC 9470): some changes answer 401 with `WWW-Authenticate: Bearer
// error="insufficient_user_authentication"` when the last real sign-in is too old (or, for a
// user with two-factor authentication, was only a password). The page then asks for the
// password (and a code) in its <Reauthenticate /> form, and tries the change again.
import { ApiError, api } from './api';
import { COOKIE_MODE, currentUser } from './auth';
import { cleanCode } from './mfa';
import { onSubmit, show } from './ui';

/**
 * Shows the page's #reauth form and posts POST /api/auth/reauthenticate (password, and a code
 * when two-factor authentication is on): true once confirmed, false when cancelled.
 */
export async function confirmIdentity(): Promise<boolean> {
  const section = document.querySelector<HTMLElement>('#reauth')!;
  const form = section.querySelector<HTMLFormElement>('#reauth-form')!;
  const withCode = Boolean((await currentUser())?.mfa_enabled);
  for (const part of section.querySelectorAll<HTMLElement>('.with-code')) part.hidden = !withCode;
  section.hidden = false;
  form.querySelector<HTMLInputElement>('input[name=password]')!.focus();
  const done = new AbortController();
  return new Promise<boolean>((settle) => {
    const finish = (confirmed: boolean) => {
      done.abort();
      form.reset();
      section.hidden = true;
      settle(confirmed);
    };
    onSubmit(
      form,
      async (fields) => {
        const json: Record<string, string> = { password: fields.password };
        if (withCode) json.code = cleanCode(fields.code ?? '');
        await api('/api/auth/reauthenticate', { json, headers: COOKIE_MODE });
        finish(true);
      },
      done.signal,
    );
    section.querySelector('#reauth-cancel')!.addEventListener('click', () => finish(false), {
      signal: done.signal,
    });
  });
}

/**
 * Runs `change`; when the API wants a recent authentication first, asks for it and (if `retry`)
 * runs `change` once more. Answers null when the user cancelled or the caller must ask again:
 * a change that carried a TOTP code cannot simply be repeated, since confirming used a code and
 * each time step's code works only once.
 */
export async function withRecentAuth<T>(change: () => Promise<T>, retry = true): Promise<T | null> {
  try {
    return await change();
  } catch (error) {
    if (!(error instanceof ApiError && error.needsRecentAuthentication)) throw error;
  }
  show('info', 'For your security, please confirm it is you first.');
  if (!(await confirmIdentity())) {
    show('info', 'Nothing was changed.');
    return null;
  }
  if (!retry) {
    show('info', 'Confirmed. A code works only once: enter the next code from your app to finish.');
    return null;
  }
  return change();
}
