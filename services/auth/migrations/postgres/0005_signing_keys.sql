-- Ed25519 keys access tokens are signed with when JWT_ALGORITHM=EdDSA. `generation` orders
-- them and makes creation race-safe: replicas starting at once, or two rotations, insert the
-- same next generation and exactly one wins. The private key is sealed with
-- DATA_ENCRYPTION_KEY; the public one is public. Times are seconds since the epoch.
CREATE TABLE signing_keys (
    kid TEXT PRIMARY KEY,
    generation BIGINT NOT NULL UNIQUE,
    algorithm TEXT NOT NULL,
    public_key TEXT NOT NULL,
    sealed_private_key TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    -- When it starts signing; published (listed in the JWKS) from creation.
    not_before BIGINT NOT NULL
);
