//! Tests whose stack delivers mail over SMTP, to the real server of [`testkit::smtp`] on a
//! loopback port reserved for the test.
/// The sender the stack is configured with in SMTP tests.
pub const FROM_EMAIL: &str = "noreply@astro.test";

/// `smtp_test!(name, |app, smtp| async move { .. })`: `both_backends!` with the stack's mail
/// going to `smtp`, a [`SmtpPort`](testkit::smtp::SmtpPort) reserved for the test; `env = [..]` adds settings.
macro_rules! smtp_test {
    ($name:ident, $(env = [$($setting:expr),* $(,)?],)? |$app:ident, $smtp:ident| $body:expr) => {
        testkit::per_backend!($name, |backend| {
            let $smtp = testkit::smtp::SmtpPort::reserve();
            let port = $smtp.port().to_string();
            let mut env = $crate::smtp::settings(&port).to_vec();
            env.extend_from_slice(&[$($($setting),*)?]);
            $crate::helpers::run(backend, &env, |$app| $body).await;
        });
    };
}
pub(crate) use smtp_test;

/// Mail to SMTP on `127.0.0.1:port`, retried quickly and (almost) for ever.
pub fn settings(port: &str) -> [(&'static str, &str); 6] {
    [
        ("SMTP_HOST", "127.0.0.1"),
        ("SMTP_PORT", port),
        ("SMTP_TLS", "none"),
        ("FROM_EMAIL", FROM_EMAIL),
        ("MAIL_RETRY_BASE_MS", "100"),
        ("MAIL_MAX_ATTEMPTS", "1000"),
    ]
}
