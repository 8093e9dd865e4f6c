-- Capsule packages (catalog.md; issue #17): packages and their versions (publish requests that an
-- owner approves through the approvals model, subject type PACKAGE_VERSION), the registry's ed25519
-- signing keys and the signatures over approved versions, and install approvals (a package version
-- allowed for one agent or, agent_id NULL, for all agents). Number 014 (team plan; 011-013 belong to
-- other branches). Same conventions as schema.sql.

-- One row per package name; its summary columns follow the newest approved version (or the newest
-- version while none is approved) so the catalog list needs no descriptor parsing.
CREATE TABLE packages (
  name                TEXT PRIMARY KEY,               -- scope/name, lowercase
  description         TEXT,
  runtime             TEXT,
  tags_json           TEXT NOT NULL DEFAULT '[]',
  capabilities_json   TEXT NOT NULL DEFAULT '[]',     -- capability names, for the catalog search
  latest_version      TEXT,                           -- highest approved, non-yanked SemVer; NULL while none
  created_by_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT NOT NULL,
  updated_at          TEXT NOT NULL
) STRICT;
CREATE INDEX packages_updated ON packages(updated_at);

-- One row per published version. The descriptor is stored as published (validated, canonical JSON).
-- digest: artifact.digest when the descriptor has one, else sha256 of the canonical descriptor
-- (digest_source says which). deprecated: NULL or the deprecation message.
CREATE TABLE package_versions (
  id                    TEXT PRIMARY KEY,             -- pkv_
  package_name          TEXT NOT NULL REFERENCES packages(name) ON DELETE CASCADE,
  version               TEXT NOT NULL,                -- SemVer 2 as published
  descriptor_json       TEXT NOT NULL,
  digest                TEXT NOT NULL,                -- sha256:<hex>
  digest_source         TEXT NOT NULL CHECK (digest_source IN ('artifact', 'descriptor')),
  status                TEXT NOT NULL DEFAULT 'PENDING_APPROVAL' CHECK (status IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED')),
  publisher_user_id     TEXT REFERENCES users(id) ON DELETE SET NULL,
  publisher             TEXT NOT NULL,                -- the submitter's username at publish time (kept if the user goes)
  approval_id           TEXT,                         -- apr_ of the publish request
  decision_reason       TEXT,                         -- rejection (or expiry) reason
  decided_at            TEXT,
  deprecated            TEXT,                         -- NULL or the deprecation message
  yanked                INTEGER NOT NULL DEFAULT 0,
  yanked_reason         TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL,
  UNIQUE (package_name, version)
) STRICT;
CREATE INDEX package_versions_status ON package_versions(status, created_at);
CREATE INDEX package_versions_created ON package_versions(created_at);

-- The registry's ed25519 keys. The private key is sealed with the secret box (src/secrets), never
-- stored or shown raw. retired_at: no longer signs (rotated); still listed until expires_at.
CREATE TABLE registry_keys (
  keyid               TEXT PRIMARY KEY,               -- rk_<first 16 hex of sha256(SPKI DER)>
  algorithm           TEXT NOT NULL DEFAULT 'ed25519',                  -- the only one (REGISTRY_KEY_ALGORITHMS)
  public_key_pem      TEXT NOT NULL,                  -- SPKI PEM, published at /registry/v1/keys
  private_key_sealed  TEXT NOT NULL,                  -- PKCS8 DER, sealed (v1.<keyId>.…)
  created_at          TEXT NOT NULL,
  expires_at          TEXT NOT NULL,
  retired_at          TEXT
) STRICT;
CREATE INDEX registry_keys_expiry ON registry_keys(expires_at);

-- One signature per approved version and signing key, over "{name}@{version}:{digest}" (base64).
CREATE TABLE package_signatures (
  version_id   TEXT NOT NULL REFERENCES package_versions(id) ON DELETE CASCADE,
  keyid        TEXT NOT NULL REFERENCES registry_keys(keyid) ON DELETE CASCADE,
  sig          TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  PRIMARY KEY (version_id, keyid)
) STRICT;

-- Install approvals: a package version (and optionally its digest) allowed to run on one agent, or on
-- every agent when agent_id is NULL. The behaviour (requests, policy, quarantine) lives elsewhere.
CREATE TABLE package_install_approvals (
  id                    TEXT PRIMARY KEY,             -- pki_
  package_name          TEXT NOT NULL,
  version               TEXT NOT NULL,
  digest                TEXT,                         -- NULL: any digest of that version
  agent_id              TEXT REFERENCES agents(id) ON DELETE CASCADE, -- NULL: all agents
  status                TEXT NOT NULL DEFAULT 'PENDING_APPROVAL' CHECK (status IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED')),
  requested_by_user_id  TEXT REFERENCES users(id) ON DELETE SET NULL,
  approval_id           TEXT,                         -- apr_ of the install request
  decision_reason       TEXT,
  decided_at            TEXT,
  created_at            TEXT NOT NULL,
  updated_at            TEXT NOT NULL
) STRICT;
CREATE INDEX package_install_approvals_lookup ON package_install_approvals(package_name, version, status);
CREATE INDEX package_install_approvals_agent ON package_install_approvals(agent_id);
CREATE INDEX package_install_approvals_created ON package_install_approvals(created_at);
