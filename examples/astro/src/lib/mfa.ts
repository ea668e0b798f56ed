// Two-factor authentication (TOTP) from the account side: enrolment, recovery codes, turning it
// off, and the QR code an authenticator app scans, drawn here (the secret never leaves the page).
import qrcode from 'qrcode-generator';
import { api } from './api';

/** A pending factor: scan `otpauth_uri` (or type `secret`), then activate with a first code. */
export interface TotpEnrolment {
  factor_id: string;
  /** Base32, no padding. */
  secret: string;
  otpauth_uri: string;
}

interface RecoveryCodes {
  recovery_codes: string[];
}

/** A proof of the second factor: a TOTP code or a recovery code. */
export type Proof = { code: string } | { recovery_code: string };

/** Starts (or restarts) enrolment: a new pending factor replaces an earlier one. */
export function startTotp(): Promise<TotpEnrolment> {
  return api<TotpEnrolment>('/api/user/mfa/totp', { method: 'POST' });
}

/** Activates the pending factor with its first code; answers the recovery codes (shown once). */
export async function activateTotp(code: string): Promise<string[]> {
  return (await api<RecoveryCodes>('/api/user/mfa/totp/verify', { json: { code } })).recovery_codes;
}

/** Turns two-factor authentication off (needs a recent authentication). */
export async function disableTotp(proof: Proof): Promise<string> {
  return (await api<{ message: string }>('/api/user/mfa/totp', { method: 'DELETE', json: proof })).message;
}

/** New recovery codes; the old ones die (needs a recent authentication). */
export async function newRecoveryCodes(code: string): Promise<string[]> {
  return (await api<RecoveryCodes>('/api/user/mfa/recovery-codes', { json: { code } })).recovery_codes;
}

/** Digits only (authenticator apps show "123 456"). */
export function cleanCode(text: string): string {
  return text.replace(/[\s-]/g, '');
}

/** What the user typed in a "code or recovery code" field: six digits are a TOTP code. */
export function proofOf(text: string): Proof {
  const cleaned = cleanCode(text);
  return /^\d{6}$/.test(cleaned) ? { code: cleaned } : { recovery_code: text.trim() };
}

/** The secret in groups of four, easier to type by hand. */
export function groupSecret(secret: string): string {
  return secret.replace(/(.{4})(?=.)/g, '$1 ');
}

const SVG = 'http://www.w3.org/2000/svg';

/**
 * `text` as a QR code: an SVG of dark modules (one path, a quiet zone of four modules), scaled
 * by CSS. Built with DOM calls, so nothing in `text` is ever parsed as markup.
 */
export function qrSvg(text: string, label: string): SVGSVGElement {
  const code = qrcode(0, 'M');
  code.addData(text);
  code.make();
  const count = code.getModuleCount();
  const quiet = 4;
  const size = count + 2 * quiet;
  let path = '';
  for (let row = 0; row < count; row++) {
    for (let col = 0; col < count; col++) {
      if (code.isDark(row, col)) path += `M${col + quiet} ${row + quiet}h1v1h-1z`;
    }
  }
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('role', 'img');
  svg.setAttribute('aria-label', label);
  svg.setAttribute('shape-rendering', 'crispEdges');
  const background = document.createElementNS(SVG, 'rect');
  background.setAttribute('width', String(size));
  background.setAttribute('height', String(size));
  background.setAttribute('fill', '#fff');
  const modules = document.createElementNS(SVG, 'path');
  modules.setAttribute('d', path);
  modules.setAttribute('fill', '#000');
  svg.append(background, modules);
  return svg;
}
