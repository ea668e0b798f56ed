// The one way pages talk to the API: same-origin fetch in browser mode. The tokens live in
// HttpOnly cookies the page never sees; the page only repeats the readable CSRF cookie in the
// X-CSRF-Token header on writes, and refreshes once when the access token has run out.

const CSRF_COOKIE = 'astro_csrf';
const REFRESH = '/api/auth/refresh';
/** Routes whose 401 means "wrong credentials", not "access token expired". (Logout's does
 * mean the latter: without its access cookie it cannot find the session to end.) */
const NO_REFRESH = new Set(['/api/auth/login', '/api/auth/mfa/verify', REFRESH]);
/** Routes that need a session but whose 401 still means "wrong password or code". */
const CREDENTIAL_CHECKS = new Set(['/api/auth/reauthenticate']);
/** RFC 9470: the session is fine, but its last real authentication is too old (or too weak). */
const STEP_UP = 'insufficient_user_authentication';
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A refusal from the API: its status and its `detail` (a string, or FastAPI's list for 422). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly detail: unknown,
    /** The `WWW-Authenticate` challenge of a 401, if any. */
    readonly challenge: string | null = null,
  ) {
    super(describe(detail) || `Request failed (HTTP ${status})`);
  }

  /** Whether the API asks to authenticate again (password, and code) before this change. */
  get needsRecentAuthentication(): boolean {
    return this.status === 401 && (this.challenge ?? '').includes(STEP_UP);
  }
}

/** One 422 entry, as FastAPI sends it. */
interface FieldProblem {
  loc?: (string | number)[];
  msg?: string;
}

/** `detail` as a sentence per problem: "Password: String should have at least 8 characters". */
export function problems(detail: unknown): string[] {
  if (typeof detail === 'string') return [detail];
  if (!Array.isArray(detail)) return [];
  return detail.map((item: FieldProblem) => {
    const field = (item.loc ?? []).filter((part) => part !== 'body').join('.');
    const label = field.replaceAll('_', ' ').replace(/^./, (first) => first.toUpperCase());
    return label ? `${label}: ${item.msg ?? 'invalid'}` : (item.msg ?? 'Invalid request');
  });
}

function describe(detail: unknown): string {
  return problems(detail).join('\n');
}

export function cookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return decodeURIComponent(value.join('='));
  }
  return null;
}

/** Whether this browser holds a session (the CSRF cookie comes and goes with the tokens). */
export function signedIn(): boolean {
  return Boolean(cookie(CSRF_COOKIE));
}

/** Forgets the session locally (the HttpOnly token cookies are the server's to clear). */
export function forgetSession(): void {
  document.cookie = `${CSRF_COOKIE}=; Path=/; Max-Age=0; SameSite=Lax`;
}

export interface Options {
  method?: string;
  /** A JSON body. */
  json?: unknown;
  /** A multipart body (the avatar upload). */
  form?: FormData;
  /** Extra headers, e.g. X-Token-Transport on login. */
  headers?: Record<string, string>;
}

function sendOnce(path: string, options: Options): Promise<Response> {
  const method = options.method ?? (options.json !== undefined || options.form ? 'POST' : 'GET');
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers };
  const csrf = cookie(CSRF_COOKIE);
  if (WRITES.has(method) && csrf) headers['X-CSRF-Token'] = csrf;
  let body: BodyInit | undefined;
  if (options.json !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.json);
  } else if (options.form) {
    body = options.form;
  }
  return fetch(path, { method, headers, body, credentials: 'same-origin' });
}

/**
 * Sends, and sends again once if the CSRF cookie changed while the request was in flight (a
 * refresh in another tab mints a new one), so a write never fails for a race it did not lose.
 */
async function send(path: string, options: Options): Promise<Response> {
  const sent = cookie(CSRF_COOKIE);
  const answer = await sendOnce(path, options);
  if (answer.status !== 403 || cookie(CSRF_COOKIE) === sent) return answer;
  const body = await answer.clone().json().catch(() => null);
  return body?.detail === 'CSRF validation failed' ? sendOnce(path, options) : answer;
}

let refreshing: Promise<boolean> | null = null;

/**
 * Rotates the tokens with the refresh cookie (empty body, CSRF header), at most one at a time
 * per page. Another tab refreshing the same token at the same moment is fine: the API answers
 * both with the same successor within its grace period.
 */
export function refreshSession(): Promise<boolean> {
  refreshing ??= send(REFRESH, { method: 'POST', headers: { 'X-Token-Transport': 'cookie' } })
    .then((answer) => answer.ok)
    .catch(() => false)
    .finally(() => {
      refreshing = null;
    });
  return refreshing;
}

/** Whether an answer means "no valid access token", which one refresh may cure. */
async function expired(path: string, answer: Response): Promise<boolean> {
  if (NO_REFRESH.has(path) || !signedIn()) return false;
  if (answer.status === 401) {
    if (CREDENTIAL_CHECKS.has(path)) return false;
    return !(answer.headers.get('WWW-Authenticate') ?? '').includes(STEP_UP);
  }
  // The access cookie lives only as long as its token: once the browser dropped it, the
  // request arrives without credentials and the API says 403 "Not authenticated".
  if (answer.status === 403) {
    const body = await answer.clone().json().catch(() => null);
    return body?.detail === 'Not authenticated';
  }
  return false;
}

/**
 * Calls the API and answers the parsed JSON body, or throws {@link ApiError}. On an expired or
 * missing access token it refreshes once and retries once; if that fails the session is over.
 */
export async function api<T = unknown>(path: string, options: Options = {}): Promise<T> {
  let answer = await send(path, options);
  if (await expired(path, answer)) {
    if (await refreshSession()) {
      answer = await send(path, options);
    } else {
      forgetSession();
    }
  }
  const body = await answer.json().catch(() => null);
  if (!answer.ok) {
    throw new ApiError(answer.status, body?.detail ?? null, answer.headers.get('WWW-Authenticate'));
  }
  return body as T;
}
