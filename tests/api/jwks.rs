//! Signing keys for local verification (`JWT_ALGORITHM=EdDSA`): the JWKS, tokens a third-party
//! JOSE library verifies, the algorithm pinned per `kid`, and rotation seen by running servers.
use crate::checks::*;
use crate::helpers::*;
use crate::jwks_support::*;
use astro_auth::Service;
use astro_proto::auth::v1::{ListSigningKeysRequest, token_service_client::TokenServiceClient};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use serde_json::json;

/// The access-token lifetime and clock skew a key stays listed after it stopped signing.
const OVERLAP_SECS: i64 = 15 * 60 + 5;

both_backends!(with_hmac_the_key_set_is_empty, |app| async move {
    assert_eq!(jwks(&app).await, json!({"keys": []}));
    let listed = TokenServiceClient::new(app.stack().channel(Service::Auth))
        .list_signing_keys(ListSigningKeysRequest {})
        .await
        .expect("ListSigningKeys answers")
        .into_inner();
    assert!(listed.keys.is_empty());
});

both_backends!(
    eddsa_tokens_verify_against_the_published_key_set,
    env = [EDDSA, DATA_KEY, REFRESH_EACH_SECOND],
    |app| async move {
        // The first key exists before the first login.
        let set = jwks(&app).await;
        let keys = set["keys"].as_array().expect("keys");
        assert_eq!(keys.len(), 1, "{set}");
        let key = keys[0].as_object().expect("a JWK");
        let mut members: Vec<&str> = key.keys().map(String::as_str).collect();
        members.sort_unstable();
        assert_eq!(members, ["alg", "crv", "kid", "kty", "use", "x"], "never d");
        assert_eq!(
            (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
            (&json!("OKP"), &json!("Ed25519"), &json!("EdDSA"), &json!("sig"))
        );
        let x = URL_SAFE_NO_PAD
            .decode(key["x"].as_str().unwrap())
            .expect("x is base64url");
        assert_eq!(x.len(), 32);

        let (_, tokens) = app.verified_user().await;
        let header = header(&tokens.access);
        assert_eq!((&header["alg"], &header["kid"]), (&json!("EdDSA"), &key["kid"]));
        json_body(app.profile(&tokens.access).await, 200).await;
        // Refresh tokens stay HMAC, and still refresh.
        assert_eq!(crate::jwks_support::header(&tokens.refresh)["alg"], "HS256");
        let refreshed = app.refresh_ok(&tokens.refresh).await;
        json_body(app.profile(&refreshed.access).await, 200).await;

        // A third-party JOSE library, given only the JWKS, accepts the token...
        let claims = verify_with_pyjwt(&set, &tokens.access)
            .await
            .unwrap_or_else(|why| panic!("PyJWT refused our token: {why}"));
        assert_eq!(claims, crate::jwt::claims(&tokens.access));
        // ...and refuses one we did not sign.
        let forged = signed_by_a_stranger(&claims, &kid(&tokens.access));
        assert!(verify_with_pyjwt(&set, &forged).await.is_err());
    }
);

both_backends!(
    the_algorithm_is_the_kids_and_unknown_kids_are_refused,
    env = [EDDSA, DATA_KEY, REFRESH_EACH_SECOND],
    |app| async move {
        let (_, tokens) = app.verified_user().await;
        let claims = crate::jwt::claims(&tokens.access);
        let kid = kid(&tokens.access);
        let set = jwks(&app).await;
        let x = set["keys"][0]["x"].as_str().unwrap().to_owned();
        let public = URL_SAFE_NO_PAD.decode(&x).unwrap();
        let forgeries = [
            // HS256 keyed with the public key, raw or as published, under our kid.
            hs256_with_kid(&claims, &kid, &public),
            hs256_with_kid(&claims, &kid, x.as_bytes()),
            // HS256 with the HMAC secret the stack has, which EdDSA does not use for access.
            hs256_with_kid(&claims, &kid, JWT_SECRET.as_bytes()),
            crate::jwt::sign(&claims, JWT_SECRET),
            // Ed25519, but not our key: under our kid, and under one nobody published.
            signed_by_a_stranger(&claims, &kid),
            signed_by_a_stranger(&claims, "unknown-kid"),
            crate::jwt::unsigned(&claims),
        ];
        for forged in &forgeries {
            assert_invalid_credentials(app.profile(forged).await).await;
            let validation = TokenServiceClient::new(app.stack().channel(Service::Auth))
                .validate_token(astro_proto::auth::v1::ValidateTokenRequest {
                    token: forged.clone(),
                })
                .await
                .expect("ValidateToken answers")
                .into_inner();
            assert!(!validation.active, "{forged}");
        }
        // The real one still works.
        json_body(app.profile(&tokens.access).await, 200).await;
    }
);

both_backends!(
    a_rotated_key_is_published_before_it_signs,
    env = [EDDSA, DATA_KEY, REFRESH_EACH_SECOND],
    |app| async move {
        let first = kids(&jwks(&app).await);
        // The default: a next key signs only after the JWKS cache time.
        let rotation = astro_auth::keys::rotate(app.settings(), crate::jwt::now())
            .await
            .expect("rotating");
        assert!(rotation.not_before >= crate::jwt::now() + 299, "{rotation:?}");
        assert!(rotation.retired.is_empty());
        let both = jwks_until(&app, "the next key listed", |set| kids(set).len() == 2).await;
        assert_eq!(kids(&both), [first[0].clone(), rotation.kid.clone()]);
        // Every token is still signed with the first key meanwhile.
        let (_, tokens) = app.verified_user().await;
        assert_eq!(kid(&tokens.access), first[0]);
        let listed = TokenServiceClient::new(app.stack().channel(Service::Auth))
            .list_signing_keys(ListSigningKeysRequest {})
            .await
            .expect("ListSigningKeys answers")
            .into_inner()
            .keys;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].not_after, rotation.not_before + OVERLAP_SECS);
        assert_eq!(
            (listed[1].not_before, listed[1].not_after),
            (rotation.not_before, 0)
        );
    }
);

both_backends!(
    running_servers_switch_keys_and_old_tokens_live_until_their_key_retires,
    env = [
        EDDSA,
        DATA_KEY,
        REFRESH_EACH_SECOND,
        // No wait before signing, so the switch is seen at once.
        ("JWT_KEY_PUBLISH_AHEAD_SECONDS", "0"),
    ],
    |app| async move {
        let (user, old) = app.verified_user().await;
        let old_kid = kid(&old.access);
        let rotation = astro_auth::keys::rotate(app.settings(), crate::jwt::now())
            .await
            .expect("rotating");
        jwks_until(&app, "the rotated key", |set| kids(set).contains(&rotation.kid)).await;
        // Within the refresh interval, the auth service signs with the new key.
        let deadline = tokio::time::Instant::now() + SEEN_WITHIN;
        let new = loop {
            let tokens = app.login_ok(&user).await;
            if kid(&tokens.access) == rotation.kid {
                break tokens;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "still signing with {old_kid}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        };
        // Both keys are listed and both tokens work, through the gateway and ValidateToken.
        assert_eq!(kids(&jwks(&app).await), [old_kid.clone(), rotation.kid.clone()]);
        for tokens in [&old, &new] {
            json_body(app.profile(&tokens.access).await, 200).await;
        }
        let set = jwks(&app).await;
        for tokens in [&old, &new] {
            assert!(verify_with_pyjwt(&set, &tokens.access).await.is_ok());
        }

        // A rotation once the old key's tokens have all expired (a clock moved past its
        // retirement) removes it; running servers drop it, and a token it signed is refused.
        let later = crate::jwt::now() + OVERLAP_SECS + 60;
        let retiring = astro_auth::keys::rotate(app.settings(), later)
            .await
            .expect("rotating again");
        assert_eq!(retiring.retired, std::slice::from_ref(&old_kid));
        jwks_until(&app, "the old key gone", |set| !kids(set).contains(&old_kid)).await;
        assert_invalid_credentials(app.profile(&old.access).await).await;
        json_body(app.profile(&new.access).await, 200).await;
    }
);

// Replicas starting at once on one database all try to create the first key: exactly one
// does, and all of them then publish that one.
testkit::per_backend!(replicas_starting_at_once_create_one_first_key, |backend| {
    let Some(database) = testkit::ScratchDb::create(backend, "astro").await else {
        return;
    };
    let env: std::collections::HashMap<&str, &str> = [("DATABASE_URL", database.url()), EDDSA, DATA_KEY]
        .into_iter()
        .collect();
    let settings = <astro_platform::Settings as astro_platform::config::Config>::from_lookup(|name| {
        env.get(name).map(|value| value.to_string())
    })
    .expect("settings");
    let db = database.connect().await;
    db.migrate(&auth_service::MIGRATIONS).await.expect("migrating");
    let config: auth_service::AuthConfig = (&settings).into();
    let replicas = (0..8).map(|_| {
        let (db, config) = (db.clone(), config.clone());
        tokio::spawn(async move {
            let keys = auth_service::signing::SigningKeys::for_db(&db, &config).expect("the data key");
            keys.ensure_first(crate::jwt::now()).await.expect("the first key");
            keys.published(crate::jwt::now()).await.expect("the keys")
        })
    });
    let seen: Vec<_> = futures::future::join_all(replicas)
        .await
        .into_iter()
        .map(|joined| joined.expect("a replica"))
        .collect();
    assert_eq!(seen[0].len(), 1);
    assert!(seen.iter().all(|published| published == &seen[0]));
    db.close().await;
    database.remove().await;
});
