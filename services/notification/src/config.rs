//! What the notification service is configured with: only the settings groups it reads, so its `--help` lists
//! exactly the variables it honours.
use astro_platform::config::{DatabaseSettings, JanitorSettings, MailSettings, ProcessSettings, Settings};

astro_platform::config_of! {
    /// The configuration of the notification service.
    pub struct NotificationConfig {
        pub process: ProcessSettings,
        pub database: DatabaseSettings,
        pub mail: MailSettings,
        pub janitor: JanitorSettings,
    }
}

impl From<&Settings> for NotificationConfig {
    /// The part of the one-process binary's settings the notification service reads.
    fn from(settings: &Settings) -> Self {
        Self {
            process: settings.process.clone(),
            database: settings.database.clone(),
            mail: settings.mail.clone(),
            janitor: settings.janitor.clone(),
        }
    }
}
