//! `RECENT_AUTH_MAX_AGE_SECONDS`, and the clock the auth rules read (no variables: the system
//! clock; tests replace it in the settings they build).
use super::var;
use crate::{
    config::{
        ConfigError, Group, RecentAuthSettings, Variable,
        read::{Lookup, invalid, parse},
    },
    time::Clock,
};
use std::time::Duration;

impl Group for RecentAuthSettings {
    const VARIABLES: &'static [Variable] = &[var(
        "RECENT_AUTH_MAX_AGE_SECONDS",
        "how recent an authentication sensitive changes need, 1-86400 [default: 600]",
    )];

    fn read(get: &Lookup) -> Result<Self, ConfigError> {
        let max_age: u64 = parse(get, "RECENT_AUTH_MAX_AGE_SECONDS", 600)?;
        if !(1..=86_400).contains(&max_age) {
            return Err(invalid(
                "RECENT_AUTH_MAX_AGE_SECONDS",
                format!("{max_age} is outside 1-86400"),
            ));
        }
        Ok(RecentAuthSettings {
            max_age: Duration::from_secs(max_age),
        })
    }
}

impl Group for Clock {
    const VARIABLES: &'static [Variable] = &[];

    fn read(_: &Lookup) -> Result<Self, ConfigError> {
        Ok(Clock::default())
    }
}
