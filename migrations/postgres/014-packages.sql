-- Capsule packages (catalog.md; issue #17): packages and their versions (publish requests that an
-- owner approves through the approvals model, subject type PACKAGE_VERSION), the registry's ed25519
-- signing keys and the signatures over approved versions, and install approvals (a package version
-- allowed for one agent or, agent_id NULL, for all agents). Number 014 (team plan; 011-013 belong to
-- other branches). PostgreSQL mirror of migrations/014-packages.sql.

-- One row per package name; its summary columns follow the newest approved version (or the newest
-- version while none is approved) so the catalog list needs no descriptor parsing.
CREATE TABLE packages (
  name                TEXT COLLATE "C" PRIMARY KEY,               -- scope/name, lowercase
  description         TEXT COLLATE "C",
  runtime             TEXT COLLATE "C",
  tags_json           TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  capabilities_json   TEXT COLLATE "C" NOT NULL DEFAULT '[]',     -- capability names, for the catalog search
  latest_version      TEXT COLLATE "C",                           -- highest approved, non-yanked SemVer; NULL while none
  created_by_user_id  TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT COLLATE "C" NOT NULL,
  updated_at          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX packages_updated ON packages(updated_at);

-- One row per published version. The descriptor is stored as published (validated, canonical JSON).
-- digest: artifact.digest when the descriptor has one, else sha256 of the canonical descriptor
-- (digest_source says which). deprecated: NULL or the deprecation message.
CREATE TABLE package_versions (
  id                    TEXT COLLATE "C" PRIMARY KEY,             -- pkv_
  package_name          TEXT COLLATE "C" NOT NULL REFERENCES packages(name) ON DELETE CASCADE,
  version               TEXT COLLATE "C" NOT NULL,                -- SemVer 2 as published
  descriptor_json       TEXT COLLATE "C" NOT NULL,
  digest                TEXT COLLATE "C" NOT NULL,                -- sha256:<hex>
  digest_source         TEXT COLLATE "C" NOT NULL CHECK (digest_source IN ('artifact', 'descriptor')),
  status                TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING_APPROVAL' CHECK (status IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED')),
  publisher_user_id     TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  publisher             TEXT COLLATE "C" NOT NULL,                -- the submitter's username at publish time (kept if the user goes)
  approval_id           TEXT COLLATE "C",                         -- apr_ of the publish request
  decision_reason       TEXT COLLATE "C",                         -- rejection (or expiry) reason
  decided_at            TEXT COLLATE "C",
  deprecated            TEXT COLLATE "C",                         -- NULL or the deprecation message
  yanked                INTEGER NOT NULL DEFAULT 0,
  yanked_reason         TEXT COLLATE "C",
  created_at            TEXT COLLATE "C" NOT NULL,
  updated_at            TEXT COLLATE "C" NOT NULL,
  UNIQUE (package_name, version)
);
CREATE INDEX package_versions_status ON package_versions(status, created_at);
CREATE INDEX package_versions_created ON package_versions(created_at);

-- The registry's ed25519 keys. The private key is sealed with the secret box (src/secrets), never
-- stored or shown raw. retired_at: no longer signs (rotated); still listed until expires_at.
CREATE TABLE registry_keys (
  keyid               TEXT COLLATE "C" PRIMARY KEY,               -- rk_<first 16 hex of sha256(SPKI DER)>
  algorithm           TEXT COLLATE "C" NOT NULL DEFAULT 'ed25519',                  -- the only one (REGISTRY_KEY_ALGORITHMS)
  public_key_pem      TEXT COLLATE "C" NOT NULL,                  -- SPKI PEM, published at /registry/v1/keys
  private_key_sealed  TEXT COLLATE "C" NOT NULL,                  -- PKCS8 DER, sealed (v1.<keyId>.…)
  created_at          TEXT COLLATE "C" NOT NULL,
  expires_at          TEXT COLLATE "C" NOT NULL,
  retired_at          TEXT COLLATE "C"
);
CREATE INDEX registry_keys_expiry ON registry_keys(expires_at);

-- One signature per approved version and signing key, over "{name}@{version}:{digest}" (base64).
CREATE TABLE package_signatures (
  version_id   TEXT COLLATE "C" NOT NULL REFERENCES package_versions(id) ON DELETE CASCADE,
  keyid        TEXT COLLATE "C" NOT NULL REFERENCES registry_keys(keyid) ON DELETE CASCADE,
  sig          TEXT COLLATE "C" NOT NULL,
  created_at   TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (version_id, keyid)
);

-- Install approvals: a package version (and optionally its digest) allowed to run on one agent, or on
-- every agent when agent_id is NULL. The behaviour (requests, policy, quarantine) lives elsewhere.
CREATE TABLE package_install_approvals (
  id                    TEXT COLLATE "C" PRIMARY KEY,             -- pki_
  package_name          TEXT COLLATE "C" NOT NULL,
  version               TEXT COLLATE "C" NOT NULL,
  digest                TEXT COLLATE "C",                         -- NULL: any digest of that version
  agent_id              TEXT COLLATE "C" REFERENCES agents(id) ON DELETE CASCADE, -- NULL: all agents
  status                TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING_APPROVAL' CHECK (status IN ('PENDING_APPROVAL', 'APPROVED', 'REJECTED')),
  requested_by_user_id  TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  approval_id           TEXT COLLATE "C",                         -- apr_ of the install request
  decision_reason       TEXT COLLATE "C",
  decided_at            TEXT COLLATE "C",
  created_at            TEXT COLLATE "C" NOT NULL,
  updated_at            TEXT COLLATE "C" NOT NULL
);
CREATE INDEX package_install_approvals_lookup ON package_install_approvals(package_name, version, status);
CREATE INDEX package_install_approvals_agent ON package_install_approvals(agent_id);
CREATE INDEX package_install_approvals_created ON package_install_approvals(created_at);
