//! RFC 6238 TOTP (HMAC-SHA-1, 6 digits, 30-second steps) and the RFC 4648 base32 its secrets
//! are shown in. Pure functions: which step is acceptable, and consuming it, is the flows' job.
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per time step.
pub const STEP_SECS: i64 = 30;
/// Steps of clock skew accepted either side of now.
pub const SKEW_STEPS: i64 = 1;
const DIGITS: u32 = 6;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation).
pub const SECRET_BYTES: usize = 20;

/// The time step of `unix_secs`.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code of `step` for `secret`, as the six digits a user types.
pub fn code(secret: &[u8], step: i64) -> String {
    let mut mac = <Hmac<Sha1> as KeyInit>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(&(step as u64).to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let binary = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", binary % 10u32.pow(DIGITS))
}

/// The steps within the skew window around `now_step` that are newer than `last_step` and
/// whose code is `typed`, oldest first (normally one). Compared in full, never short-circuited
/// on a prefix.
pub fn matching_steps(secret: &[u8], typed: &str, now_step: i64, last_step: i64) -> Vec<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return Vec::new();
    }
    (now_step - SKEW_STEPS..=now_step + SKEW_STEPS)
        .filter(|&step| step > last_step)
        .filter(|&step| constant_time_eq(code(secret, step).as_bytes(), typed.as_bytes()))
        .collect()
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, as authenticator apps take secrets.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &byte in bytes {
        buffer = (buffer << 8) | u32::from(byte);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32[((buffer >> bits) & 31) as usize] as char);
        }
    }
    if bits > 0 {
        out.push(BASE32[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there; the last six are ours).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code(secret, step_at(time)), eight[2..], "at {time}");
        }
    }

    #[test]
    fn the_window_is_one_step_either_side_and_newer_than_the_last() {
        let secret = b"12345678901234567890";
        let now = step_at(1_111_111_111);
        for offset in [-1, 0, 1] {
            let typed = code(secret, now + offset);
            assert_eq!(matching_steps(secret, &typed, now, 0), [now + offset]);
            assert!(
                matching_steps(secret, &typed, now, now + offset).is_empty(),
                "replay"
            );
        }
        for offset in [-2, 2] {
            assert!(matching_steps(secret, &code(secret, now + offset), now, 0).is_empty());
        }
        for junk in ["", "12345", "1234567", "abcdef"] {
            assert!(matching_steps(secret, junk, now, 0).is_empty());
        }
    }

    #[test]
    fn base32_is_rfc_4648() {
        assert_eq!(base32(b""), "");
        assert_eq!(base32(b"f"), "MY");
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(&[0u8; 20]).len(), 32);
    }
}
