//! The few gateway calls the scenario makes, answered as (status, JSON body).
use serde_json::Value;
use testkit::TestUser;

pub struct Api {
    pub client: reqwest::Client,
    base_url: String,
}

impl Api {
    pub fn new(base_url: &str) -> Api {
        Api {
            client: testkit::http_client(),
            base_url: base_url.to_owned(),
        }
    }

    /// A POST with a JSON body, a bearer token and extra headers as given.
    pub async fn post(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        headers: &[(&str, &str)],
    ) -> (u16, Value) {
        let request = self.client.post(format!("{}{path}", self.base_url)).json(body);
        send(with(request, token, headers)).await
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        self.get_with(path, token, &[]).await
    }

    /// A GET with a bearer token and extra headers as given.
    pub async fn get_with(&self, path: &str, token: Option<&str>, headers: &[(&str, &str)]) -> (u16, Value) {
        send(with(
            self.client.get(format!("{}{path}", self.base_url)),
            token,
            headers,
        ))
        .await
    }

    /// `GET path` as plain text (the Prometheus endpoints), from any base URL.
    pub async fn text(&self, url: &str) -> String {
        let response = self.client.get(url).send().await.expect("sending the request");
        assert_eq!(response.status(), 200, "GET {url}");
        response.text().await.expect("reading the body")
    }

    pub async fn login(&self, user: &TestUser) -> (u16, Value) {
        self.post("/api/auth/login", &user.credentials(), None, &[]).await
    }
}

fn with(
    mut request: reqwest::RequestBuilder,
    token: Option<&str>,
    headers: &[(&str, &str)],
) -> reqwest::RequestBuilder {
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    headers
        .iter()
        .fold(request, |r, (name, value)| r.header(*name, *value))
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("sending the request");
    let status = response.status().as_u16();
    let text = response.text().await.expect("reading the body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}
