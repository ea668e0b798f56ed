// The account calls the pages share: login (with its second-factor branch), logout, the user.
import { ApiError, api, forgetSession } from './api';

export interface User {
  id: number;
  email: string;
  username: string;
  first_name: string | null;
  last_name: string | null;
  role: 'user' | 'admin';
  is_verified: boolean;
  avatar_url: string | null;
  created_at: string;
  updated_at: string;
  last_login_at?: string | null;
  /** Whether two-factor authentication is on. */
  mfa_enabled?: boolean;
}

export interface Session {
  id: string;
  current: boolean;
  created_at: string;
  last_used_at: string;
  expires_at: string;
  ip: string | null;
  user_agent: string | null;
  device: { browser: string | null; os: string | null; type: string };
  aal?: number;
}

/** What a correct password leads to: a session, or (users with MFA) a second step. */
export type LoginOutcome =
  | { kind: 'signed-in' }
  | { kind: 'second-factor'; mfaToken: string; methods: string[]; expiresIn: number };

interface LoginAnswer {
  token_type?: string;
  mfa_required?: boolean;
  mfa_token?: string;
  methods?: string[];
  expires_in?: number;
}

/** The header that asks the API for cookies instead of tokens in the body. */
export const COOKIE_MODE = { 'X-Token-Transport': 'cookie' };

export async function login(email: string, password: string): Promise<LoginOutcome> {
  const answer = await api<LoginAnswer>('/api/auth/login', {
    json: { email, password },
    headers: COOKIE_MODE,
  });
  if (answer.mfa_required && answer.mfa_token) {
    return {
      kind: 'second-factor',
      mfaToken: answer.mfa_token,
      methods: answer.methods ?? [],
      expiresIn: answer.expires_in ?? 300,
    };
  }
  return { kind: 'signed-in' };
}

/** The second factor of a login: a TOTP code or a recovery code. */
export type SecondFactor = { code: string } | { recovery_code: string };

/**
 * Finishes a login that answered `mfa_required` (the cookies arrive with the answer). Refusals:
 * 401 "Invalid code" (try again), 401 "Invalid or expired MFA token" (log in again).
 */
export async function verifySecondFactor(mfaToken: string, factor: SecondFactor): Promise<void> {
  await api('/api/auth/mfa/verify', { json: { mfa_token: mfaToken, ...factor }, headers: COOKIE_MODE });
}

/** Ends the session on the server (which clears the cookies). A session that had already
 * ended (revoked, expired) counts as logged out. */
export async function logout(): Promise<void> {
  try {
    await api('/api/auth/logout', { method: 'POST' });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 401)) throw error;
  } finally {
    forgetSession();
  }
}

/** The signed-in user, or null when nobody is (or the session ended). */
export async function currentUser(): Promise<User | null> {
  try {
    return await api<User>('/api/user/profile');
  } catch (error) {
    if (error instanceof ApiError && (error.status === 401 || error.detail === 'Not authenticated')) {
      forgetSession();
      return null;
    }
    throw error;
  }
}

export function displayName(user: User): string {
  const name = [user.first_name, user.last_name].filter(Boolean).join(' ');
  return name || user.username;
}
