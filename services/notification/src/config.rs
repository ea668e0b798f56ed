//! The configuration of the notification service: only the settings groups it reads, so its
//! `--help` lists exactly the variables it honours. Each field is the same-named group of
//! `Settings`.
use astro_platform::config::{DatabaseSettings, JanitorSettings, MailSettings, ProcessSettings, RetryPacing};

astro_platform::config_of! {
    part of Settings:
    /// The configuration of the notification service.
    pub struct NotificationConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub mail: MailSettings,
        pub pacing: RetryPacing,
        pub janitor: JanitorSettings,
    }
}
