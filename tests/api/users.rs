//! The users a test creates, and the tokens they get.
use crate::helpers::PASSWORD;
use serde_json::{Value, json};
use uuid::Uuid;

pub use crate::token_pair::Tokens;

/// Credentials of a user the test creates; unique per call.
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

    pub fn registration(&self) -> Value {
        json!({"email": self.email, "username": self.username, "password": self.password})
    }
}
