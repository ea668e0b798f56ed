// Small DOM helpers shared by the pages: status messages and form submission.
import { ApiError, problems } from './api';

/** Shows `lines` in the page's status box (`#status`), as an error or as a success. */
export function show(kind: 'error' | 'success' | 'info', lines: string | string[]): void {
  const box = document.querySelector<HTMLElement>('#status');
  if (!box) return;
  const list = Array.isArray(lines) ? lines : [lines];
  box.className = `status ${kind}`;
  box.replaceChildren();
  if (list.length === 1) {
    box.textContent = list[0];
  } else {
    const ul = document.createElement('ul');
    for (const line of list) {
      const li = document.createElement('li');
      li.textContent = line;
      ul.append(li);
    }
    box.append(ul);
  }
  box.hidden = false;
  box.setAttribute('role', kind === 'error' ? 'alert' : 'status');
}

export function clearStatus(): void {
  const box = document.querySelector<HTMLElement>('#status');
  if (box) box.hidden = true;
}

/** An error as the user should read it: the API's `detail`, or a network problem. */
export function showError(error: unknown): void {
  if (error instanceof ApiError) {
    const lines = problems(error.detail);
    show('error', lines.length ? lines : [`Request failed (HTTP ${error.status})`]);
  } else {
    show('error', 'The server could not be reached. Please try again.');
  }
}

/** Runs `handler` with the form's fields on submit, with the button disabled meanwhile. */
export function onSubmit(
  form: HTMLFormElement,
  handler: (fields: Record<string, string>, form: HTMLFormElement) => Promise<void>,
  /** Removes the listener when aborted (a form reused for several requests). */
  signal?: AbortSignal,
): void {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type=submit]');
    const fields: Record<string, string> = {};
    for (const [name, value] of new FormData(form)) {
      if (typeof value === 'string') fields[name] = value;
    }
    clearStatus();
    if (button) button.disabled = true;
    form.setAttribute('aria-busy', 'true');
    try {
      await handler(fields, form);
    } catch (error) {
      showError(error);
    } finally {
      if (button) button.disabled = false;
      form.removeAttribute('aria-busy');
    }
  }, { signal });
}

/** The query parameter `name` of the current URL. */
export function param(name: string): string | null {
  return new URLSearchParams(location.search).get(name);
}

/** Where to go after login: `?next=` if it is a path of this site, else the profile. */
export function nextPath(): string {
  const next = param('next');
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/profile';
}

/** Sends a signed-out visitor to the login page, to come back here afterwards. */
export function toLogin(reason?: string): void {
  const query = new URLSearchParams({ next: location.pathname + location.search });
  if (reason) query.set('reason', reason);
  location.assign(`/login?${query}`);
}
