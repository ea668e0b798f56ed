//! `astro-auth import-users`: the original backend's users, from an original-shaped database
//! (SQLite or PostgreSQL, made here with SQLAlchemy's DDL and passlib-style bcrypt hashes) or a
//! JSON Lines file, log in with their old passwords, rehashed to argon2id at the first login.
use crate::checks::*;
use crate::helpers::*;
use astro_auth::import::{self, Options, Summary};
use astro_store::{Db, on_pool};
use serde_json::json;
use testkit::ScratchDb;

/// The original's `users` table as SQLAlchemy's `create_all` made it, on either database.
fn original_schema(db: &Db) -> [String; 3] {
    let (id, timestamp) = match db {
        Db::Sqlite(_) => ("INTEGER NOT NULL PRIMARY KEY", "DATETIME"),
        Db::Postgres(_) => ("SERIAL PRIMARY KEY", "TIMESTAMP WITHOUT TIME ZONE"),
    };
    let users = format!(
        "CREATE TABLE users (id {id}, email VARCHAR(255) NOT NULL UNIQUE, \
         username VARCHAR(100) NOT NULL UNIQUE, password_hash VARCHAR(255) NOT NULL, \
         role VARCHAR(50), is_verified BOOLEAN, avatar_url VARCHAR(500), \
         first_name VARCHAR(100), last_name VARCHAR(100), created_at {timestamp}, \
         updated_at {timestamp})"
    );
    [
        users,
        "CREATE TABLE token_blacklist (id INTEGER PRIMARY KEY, token VARCHAR(500))".into(),
        "INSERT INTO token_blacklist (id, token) VALUES (1, 'not imported')".into(),
    ]
}

const AVATAR: &str = "https://res.cloudinary.com/demo/image/upload/v1/avatars/a.png";

/// A failed login: the contract's 401.
async fn assert_invalid_login(response: reqwest::Response) {
    assert_detail(response, 401, "Incorrect email or password").await;
}

/// One user of the original.
struct Original<'a> {
    email: &'a str,
    username: &'a str,
    password_hash: String,
    role: &'a str,
    is_verified: bool,
}

impl<'a> Original<'a> {
    fn user(email: &'a str, username: &'a str, password: &str) -> Self {
        Original {
            email,
            username,
            password_hash: bcrypt::hash(password, 4).expect("bcrypt"),
            role: "user",
            is_verified: true,
        }
    }
}

/// An original-shaped database on the app's backend, holding `users`.
async fn original_database(app: &TestApp, users: &[Original<'_>]) -> ScratchDb {
    let backend = if app.settings().database.url.starts_with("sqlite") {
        Backend::Sqlite
    } else {
        Backend::Postgres
    };
    let original = ScratchDb::create(backend, "original")
        .await
        .expect("a scratch database");
    let db = original.connect().await;
    for statement in original_schema(&db) {
        on_pool!(db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(statement.clone()))
                .execute(pool)
                .await
                .map(drop)
        })
        .expect("creating the schema");
    }
    // Timestamps as the original stored them: naive UTC text, a real TIMESTAMP on PostgreSQL.
    let created = match &db {
        Db::Sqlite(_) => "$7",
        Db::Postgres(_) => "CAST($7 AS TIMESTAMP)",
    };
    let insert = format!(
        "INSERT INTO users (email, username, password_hash, role, is_verified, avatar_url, \
         first_name, last_name, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'Ada', NULL, {created}, {created})"
    );
    for user in users {
        on_pool!(db, |pool| {
            sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
                .bind(user.email)
                .bind(user.username)
                .bind(&user.password_hash)
                .bind(user.role)
                .bind(user.is_verified)
                .bind(AVATAR)
                .bind("2023-02-03 04:05:06.789000")
                .execute(pool)
                .await
                .map(drop)
        })
        .expect("inserting an original user");
    }
    db.close().await;
    original
}

async fn import_from(app: &TestApp, original: &ScratchDb, options: Options) -> Summary {
    let rows = import::from_database(original.url())
        .await
        .expect("reading the original");
    let summary = import::into_database(&app.settings().database.url, rows, options)
        .await
        .expect("importing");
    // A hash would show its cost right after the prefix; the reasons name only the prefix.
    let report = summary.to_string();
    assert!(
        !report.contains("$2b$0") && !report.contains("$2b$1"),
        "a hash in the report: {report}"
    );
    summary
}

async fn stored_hash(app: &TestApp, email: &str) -> String {
    let db = app.db().await;
    let hash: String = on_pool!(db, |pool| {
        sqlx::query_scalar("SELECT password_hash FROM users WHERE email = $1")
            .bind(email)
            .fetch_one(pool)
            .await
    })
    .expect("the user's hash");
    db.close().await;
    hash
}

both_backends!(imported_users_log_in_with_their_old_passwords, |app| async move {
    let mut bob = Original::user("bob@original.test", "bob", "bob-0riginal-pass");
    // One at passlib's own cost, as the original wrote them.
    bob.password_hash = bcrypt::hash("bob-0riginal-pass", 12).unwrap();
    let carol = Original {
        is_verified: false,
        ..Original::user("carol@original.test", "carol", "carol-0riginal-pass")
    };
    let users = [
        Original::user("alice@original.test", "alice", "alice-0riginal-pass"),
        bob,
        carol,
    ];
    let original = original_database(&app, &users).await;

    let dry = import_from(
        &app,
        &original,
        Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .await;
    assert_eq!((dry.imported, dry.skipped, dry.refused.len()), (3, 0, 0), "{dry}");
    assert_invalid_login(app.login("alice@original.test", "alice-0riginal-pass").await).await;

    let summary = import_from(&app, &original, Options::default()).await;
    assert_eq!(
        (summary.imported, summary.skipped, summary.refused.len()),
        (3, 0, 0),
        "{summary}"
    );
    // Run twice: nothing new, nothing refused.
    let again = import_from(&app, &original, Options::default()).await;
    assert_eq!(
        (again.imported, again.skipped, again.refused.len()),
        (0, 3, 0),
        "{again}"
    );

    // A wrong password is refused and leaves the bcrypt hash.
    assert_invalid_login(app.login("alice@original.test", "wrong-password-1!").await).await;
    assert!(
        stored_hash(&app, "alice@original.test")
            .await
            .starts_with("$2b$04$")
    );
    // The old password works, and the hash is argon2id from then on.
    let tokens = Tokens::from_body(
        &json_body(app.login("alice@original.test", "alice-0riginal-pass").await, 200).await,
    );
    assert!(
        stored_hash(&app, "alice@original.test")
            .await
            .starts_with("$argon2id$")
    );
    json_body(app.login("alice@original.test", "alice-0riginal-pass").await, 200).await;
    let profile = json_body(app.profile(&tokens.access).await, 200).await;
    assert_eq!(profile["username"], json!("alice"));
    assert_eq!(profile["first_name"], json!("Ada"));
    assert_eq!(profile["role"], json!("user"));
    assert_eq!(profile["avatar_url"], json!(AVATAR));
    assert!(
        profile["created_at"]
            .as_str()
            .unwrap()
            .starts_with("2023-02-03T04:05:06"),
        "{profile}"
    );

    json_body(app.login("bob@original.test", "bob-0riginal-pass").await, 200).await;
    assert!(
        stored_hash(&app, "bob@original.test")
            .await
            .starts_with("$argon2id$")
    );

    // Unverified stays unverified, and can ask for a new verification email.
    let tokens = Tokens::from_body(
        &json_body(app.login("carol@original.test", "carol-0riginal-pass").await, 200).await,
    );
    assert_detail(app.profile(&tokens.access).await, 400, "Email not verified").await;
    let resend = app
        .post_json(
            "/api/auth/resend-verification",
            &json!({"email": "carol@original.test"}),
        )
        .await;
    json_body(resend, 200).await;
    app.mail
        .wait_for_token("carol@original.test", testkit::mail::VERIFY_LINK, 1)
        .await;
    original.remove().await;
});

both_backends!(
    rows_that_break_a_rule_are_refused_with_their_reason,
    |app| async move {
        let (taken, _) = app.verified_user().await;
        let mut costly = Original::user("costly@original.test", "costly", "x");
        costly.password_hash = costly.password_hash.replacen("$04$", "$16$", 1);
        let mut plain = Original::user("plain@original.test", "plain", "x");
        plain.password_hash = "secret-in-clear".into();
        let admin = Original {
            role: "admin",
            ..Original::user("root@original.test", "root", "root-0riginal-pass")
        };
        let users = [
            Original::user("fine@original.test", "fine", "x"),
            Original::user("not-an-email", "noemail", "x"),
            Original::user("spaces@original.test", "has spaces", "x"),
            costly,
            plain,
            Original::user("FINE@Original.test", "fine2", "x"),
            Original::user("other@original.test", "FINE", "x"),
            Original::user(&taken.email, "takenmail", "x"),
            Original::user("takenname@original.test", &taken.username, "x"),
            admin,
        ];
        let original = original_database(&app, &users).await;
        let summary = import_from(&app, &original, Options::default()).await;
        let reasons: Vec<(&str, &str)> = summary
            .refused
            .iter()
            .map(|(label, reason)| (label.as_str(), reason.as_str()))
            .collect();
        let expect = [
            ("not-an-email", "email: not a valid email address"),
            ("spaces@original.test", "username: may only contain"),
            (
                "costly@original.test",
                "password_hash: bcrypt cost 16 is outside 4-15",
            ),
            ("plain@original.test", "password_hash: not a bcrypt"),
            ("FINE@Original.test", "email repeats fine@original.test"),
            ("other@original.test", "username repeats fine@original.test"),
            (taken.email.as_str(), "email already registered"),
            ("takenname@original.test", "username already taken"),
            (
                "root@original.test",
                "an admin: admins are imported only with --allow-admin",
            ),
        ];
        assert_eq!(reasons.len(), expect.len(), "{summary}");
        for ((label, reason), (want_label, want_reason)) in reasons.iter().zip(expect) {
            assert_eq!(*label, want_label, "{summary}");
            assert!(reason.starts_with(want_reason), "{label}: {reason}");
        }
        assert_eq!(summary.imported, 1, "{summary}");

        // With --allow-admin the admin comes over, and administers.
        let summary = import_from(
            &app,
            &original,
            Options {
                allow_admin: true,
                ..Options::default()
            },
        )
        .await;
        assert_eq!((summary.imported, summary.skipped), (1, 1), "{summary}");
        let tokens = Tokens::from_body(
            &json_body(app.login("root@original.test", "root-0riginal-pass").await, 200).await,
        );
        json_body(app.get("/api/admin/stats", Some(&tokens.access)).await, 200).await;
        original.remove().await;
    }
);

both_backends!(
    a_json_lines_file_imports_as_the_contract_lists,
    |app| async move {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.jsonl");
        let hash = bcrypt::hash("file-0riginal-pass", 4).unwrap();
        let lines = [
            json!({"email": "one@file.test", "username": "one", "password_hash": hash,
               "first_name": null, "is_verified": true, "created_at": "2022-01-02T03:04:05Z"}),
            json!({"email": "two@file.test", "username": "two", "password_hash": hash, "is_active": false}),
            json!({"email": "three@file.test", "password_hash": hash}),
        ];
        let mut text: String = lines.iter().map(|l| format!("{l}\n")).collect();
        text.push_str("\n{not json\n");
        std::fs::write(&path, text).unwrap();
        let rows = import::from_file(&path).unwrap();
        let summary = import::into_database(&app.settings().database.url, rows, Options::default())
            .await
            .unwrap();
        assert_eq!(summary.imported, 2, "{summary}");
        let labels: Vec<&str> = summary.refused.iter().map(|(label, _)| label.as_str()).collect();
        assert_eq!(labels, ["line 3", "line 5"], "{summary}");
        assert!(
            summary.refused[0].1.starts_with("username is missing"),
            "{summary}"
        );
        assert!(summary.refused[1].1.starts_with("not a user object"), "{summary}");
        let tokens =
            Tokens::from_body(&json_body(app.login("one@file.test", "file-0riginal-pass").await, 200).await);
        let profile = json_body(app.profile(&tokens.access).await, 200).await;
        assert!(
            profile["created_at"]
                .as_str()
                .unwrap()
                .starts_with("2022-01-02T03:04:05"),
            "{profile}"
        );
        assert_detail(
            app.login("two@file.test", "file-0riginal-pass").await,
            403,
            "Account is disabled",
        )
        .await;
    }
);
