//! The users a test makes up, and the token pairs they get.
use serde_json::{Value, json};
use uuid::Uuid;

/// The password of a [`TestUser`]: strong enough for the zxcvbn policy.
pub const PASSWORD: &str = "TestPassword123!";

/// Credentials of a user the test creates; unique per call, so tests sharing a server (Redis,
/// the processes of `tests/multiprocess`) never meet each other's users.
#[derive(Clone, Debug)]
pub struct TestUser {
    pub email: String,
    pub username: String,
    pub password: String,
}

impl TestUser {
    pub fn random() -> TestUser {
        let id = &Uuid::new_v4().simple().to_string()[..12];
        TestUser {
            email: format!("user_{id}@example.com"),
            username: format!("user_{id}"),
            password: PASSWORD.to_owned(),
        }
    }

    pub fn with_email(self, email: impl Into<String>) -> TestUser {
        TestUser {
            email: email.into(),
            ..self
        }
    }

    pub fn with_username(self, username: impl Into<String>) -> TestUser {
        TestUser {
            username: username.into(),
            ..self
        }
    }

    pub fn with_password(self, password: impl Into<String>) -> TestUser {
        TestUser {
            password: password.into(),
            ..self
        }
    }

    /// The body of `POST /api/auth/register`.
    pub fn registration(&self) -> Value {
        json!({"email": self.email, "username": self.username, "password": self.password})
    }

    /// The body of `POST /api/auth/login`.
    pub fn credentials(&self) -> Value {
        json!({"email": self.email, "password": self.password})
    }
}

/// A token pair from login or refresh.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tokens {
    pub access: String,
    pub refresh: String,
}

impl Tokens {
    /// The pair of a login or refresh response body; panics naming the missing field.
    pub fn from_body(body: &Value) -> Tokens {
        let field = |name: &str| {
            body[name]
                .as_str()
                .unwrap_or_else(|| panic!("no {name} in {body}"))
                .to_owned()
        };
        Tokens {
            access: field("access_token"),
            refresh: field("refresh_token"),
        }
    }
}
