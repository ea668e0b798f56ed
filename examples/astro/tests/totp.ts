// RFC 6238 codes computed in the test (HMAC-SHA-1, 6 digits, 30 s steps), independently of the
// server, and the one wait the protocol imposes: a time step's code works only once, so a
// second code for the same factor has to come from a later step.
import { createHmac } from 'node:crypto';

export const STEP_SECONDS = 30;

function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let buffer = 0;
  let bits = 0;
  const out: number[] = [];
  for (const char of text.replace(/[\s=]/g, '').toUpperCase()) {
    const value = alphabet.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    buffer = ((buffer << 5) | value) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((buffer >> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The code of time step `step` for a base32 secret. */
export function totp(secret: string, step: number): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const digest = createHmac('sha1', base32Decode(secret)).update(counter).digest();
  const offset = digest[19] & 0x0f;
  return String((digest.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

export const stepNow = () => Math.floor(Date.now() / 1000 / STEP_SECONDS);

/** An authenticator app in the test: hands out codes, never one of a step already used. */
export class Authenticator {
  private lastStep = -1;

  constructor(readonly secret: string) {}

  /**
   * A code of a step after the last one used: the current step's, or (when that one was used)
   * the next step's once it begins, so a wait of at most 30 s.
   */
  async nextCode(): Promise<string> {
    const step = Math.max(stepNow(), this.lastStep + 1);
    const wait = step * STEP_SECONDS * 1000 - Date.now();
    // A little past the boundary, so the server's clock is surely in the new step too.
    if (wait > -250) await new Promise((wake) => setTimeout(wake, wait + 250));
    this.lastStep = step;
    return totp(this.secret, step);
  }

  /** A wrong code: one of a step far outside the accepted window. */
  wrongCode(): string {
    return totp(this.secret, stepNow() - 100);
  }
}

/** RFC 6238 appendix B (SHA-1), the last six of its eight digits: the helper is right. */
export function selfCheck(): void {
  const secret = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ'; // "12345678901234567890"
  const vectors: [number, string][] = [[59, '287082'], [1_111_111_109, '081804'], [1_234_567_890, '005924'],
    [2_000_000_000, '279037']];
  for (const [time, code] of vectors) {
    const got = totp(secret, Math.floor(time / STEP_SECONDS));
    if (got !== code) throw new Error(`TOTP self-check: ${time} gave ${got}, not ${code}`);
  }
}
