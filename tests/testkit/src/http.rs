//! The HTTP client the suites speak to a gateway with.
use std::time::Duration;

/// A client that does not follow redirects (they are answers to check) and gives up after
/// 30 s. Installs ring as rustls' crypto provider first: the workspace builds reqwest without
/// one, as the stack does.
pub fn http_client() -> reqwest::Client {
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()
        .expect("building the HTTP client")
}
