//! The stored hashes a password can be checked against: ours (argon2id at the configured
//! cost), and what users imported from the original backend or elsewhere bring: bcrypt
//! (`$2a$`, `$2b$`, `$2y$`) and argon2id or argon2i of another cost. The bounds keep a hash
//! from costing a login more than the hashing pool's throttle allows for.
use argon2::{Algorithm, Params, PasswordHash, Version};
use std::ops::RangeInclusive;

/// Largest argon2 memory cost checked, in KiB (256 MiB).
pub const MAX_MEMORY_KIB: u32 = 256 * 1024;
pub const MAX_ITERATIONS: u32 = 10;
pub const MAX_PARALLELISM: u32 = 8;
/// bcrypt costs checked (the original's passlib wrote 12).
pub const BCRYPT_COSTS: RangeInclusive<u32> = 4..=15;
/// bcrypt reads at most this many bytes of a password; the original cut them there too.
pub const BCRYPT_MAX_PASSWORD_BYTES: usize = 72;

/// A stored hash this service can check a password against.
pub enum Scheme {
    Argon2 {
        phc: Box<PasswordHash>,
        algorithm: Algorithm,
        version: Version,
        params: Params,
    },
    Bcrypt,
}

/// Why a stored hash cannot be checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Unsupported {
    #[error("not a bcrypt ($2a$, $2b$, $2y$) or argon2id/argon2i hash")]
    Unknown,
    #[error("bcrypt cost {0} is outside 4-15")]
    BcryptCost(u32),
    #[error("argon2d hashes are not accepted")]
    Argon2d,
    #[error("argon2 cost beyond m ≤ 262144 KiB, t ≤ 10, p ≤ 8")]
    Argon2Cost,
}

impl Scheme {
    /// Recognises `stored`, refusing costs beyond the bounds.
    pub fn of(stored: &str) -> Result<Scheme, Unsupported> {
        if stored.starts_with("$2") {
            return bcrypt_cost(stored).map(|_| Scheme::Bcrypt);
        }
        let phc = PasswordHash::new(stored).map_err(|_| Unsupported::Unknown)?;
        let algorithm = Algorithm::try_from(phc.algorithm.as_str()).map_err(|_| Unsupported::Unknown)?;
        if algorithm == Algorithm::Argon2d {
            return Err(Unsupported::Argon2d);
        }
        let version = match phc.version {
            Some(version) => Version::try_from(version).map_err(|_| Unsupported::Unknown)?,
            None => Version::default(),
        };
        let params = Params::try_from(&phc).map_err(|_| Unsupported::Unknown)?;
        if params.m_cost() > MAX_MEMORY_KIB
            || params.t_cost() > MAX_ITERATIONS
            || params.p_cost() > MAX_PARALLELISM
        {
            return Err(Unsupported::Argon2Cost);
        }
        if phc.salt.is_none() || phc.hash.is_none() {
            return Err(Unsupported::Unknown);
        }
        Ok(Scheme::Argon2 {
            phc: Box::new(phc),
            algorithm,
            version,
            params,
        })
    }

    /// Whether a password that matched should be hashed again: anything but argon2id at
    /// `current`'s cost (legacy hashes, and ours from before a change of cost).
    pub fn is_outdated(&self, current: &Params) -> bool {
        match self {
            Scheme::Bcrypt => true,
            Scheme::Argon2 {
                algorithm, params, ..
            } => {
                *algorithm != Algorithm::Argon2id
                    || params.m_cost() != current.m_cost()
                    || params.t_cost() != current.t_cost()
                    || params.p_cost() != current.p_cost()
            }
        }
    }
}

/// `$2x$NN$` followed by 53 characters of bcrypt's base64: 22 of salt, 31 of hash.
fn bcrypt_cost(stored: &str) -> Result<u32, Unsupported> {
    let mut parts = stored.splitn(4, '$');
    let (Some(""), Some(variant), Some(cost), Some(rest)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(Unsupported::Unknown);
    };
    let base64 = |c: char| c.is_ascii_alphanumeric() || c == '.' || c == '/';
    if !matches!(variant, "2a" | "2b" | "2y")
        || cost.len() != 2
        || rest.len() != 53
        || !rest.chars().all(base64)
    {
        return Err(Unsupported::Unknown);
    }
    let cost: u32 = cost.parse().map_err(|_| Unsupported::Unknown)?;
    if BCRYPT_COSTS.contains(&cost) {
        Ok(cost)
    } else {
        Err(Unsupported::BcryptCost(cost))
    }
}

/// Whether `password` matches a bcrypt hash, reading its first 72 bytes as bcrypt always did.
pub fn bcrypt_matches(password: &[u8], stored: &str) -> bool {
    let password = &password[..password.len().min(BCRYPT_MAX_PASSWORD_BYTES)];
    bcrypt::verify(password, stored).unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bcrypt_hashes_are_recognised_by_shape_and_cost() {
        let hash = bcrypt::hash_with_result("pw", 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoB);
        assert!(matches!(Scheme::of(&hash), Ok(Scheme::Bcrypt)));
        for variant in ["2a", "2y"] {
            let other = hash.replacen("2b", variant, 1);
            assert!(matches!(Scheme::of(&other), Ok(Scheme::Bcrypt)));
        }
        let too_costly = hash.replacen("$04$", "$16$", 1);
        assert_eq!(Scheme::of(&too_costly).err(), Some(Unsupported::BcryptCost(16)));
        assert_eq!(Scheme::of("$2b$04$short").err(), Some(Unsupported::Unknown));
        assert_eq!(
            Scheme::of("$2x$04$".to_owned().as_str()).err(),
            Some(Unsupported::Unknown)
        );
        assert!(bcrypt_matches(b"pw", &hash));
        assert!(!bcrypt_matches(b"pW", &hash));
    }

    #[test]
    fn bcrypt_reads_only_the_first_72_bytes() {
        let long = "a".repeat(72);
        let hash = bcrypt::hash(&long, 4).unwrap();
        assert!(bcrypt_matches(format!("{long}anything after").as_bytes(), &hash));
    }

    #[test]
    fn argon2_costs_are_bounded_and_argon2d_refused() {
        let base = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$KOoWsAnBVX8Z4Bb/JjWPrg0mo0oTTnDsSeZl1ZEv5Vw";
        assert!(Scheme::of(base).is_ok());
        let costly = base.replace("t=2", "t=11");
        assert_eq!(Scheme::of(&costly).err(), Some(Unsupported::Argon2Cost));
        let huge = base.replace("m=19456", "m=262145");
        assert_eq!(Scheme::of(&huge).err(), Some(Unsupported::Argon2Cost));
        let d = base.replace("argon2id", "argon2d");
        assert_eq!(Scheme::of(&d).err(), Some(Unsupported::Argon2d));
        assert_eq!(Scheme::of("plaintext").err(), Some(Unsupported::Unknown));
        assert_eq!(Scheme::of("$1$md5crypt$x").err(), Some(Unsupported::Unknown));
        let current = Params::new(19456, 2, 1, None).unwrap();
        assert!(!Scheme::of(base).unwrap().is_outdated(&current));
        assert!(
            Scheme::of(&base.replace("argon2id", "argon2i"))
                .unwrap()
                .is_outdated(&current)
        );
        assert!(
            Scheme::of(&base.replace("t=2", "t=3"))
                .unwrap()
                .is_outdated(&current)
        );
    }
}
