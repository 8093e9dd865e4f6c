-- Four-eyes approvals (governance.md). PostgreSQL mirror of migrations/006-approvals.sql; same
-- conventions as 001-schema.sql. Here the CHECK of commands.status is replaced in place.
ALTER TABLE action_definitions ADD COLUMN requires_approval INTEGER NOT NULL DEFAULT 0;

ALTER TABLE commands DROP CONSTRAINT commands_status_check;
ALTER TABLE commands ADD CONSTRAINT commands_status_check
  CHECK (status IN ('AWAITING_APPROVAL', 'PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'EXPIRED', 'CANCELLED'));

-- subject_type is checked by the code (APPROVAL_SUBJECT_TYPES), so a new kind of subject needs no migration.
CREATE TABLE approvals (
  id                    TEXT COLLATE "C" PRIMARY KEY,
  subject_type          TEXT COLLATE "C" NOT NULL,
  subject_id            TEXT COLLATE "C" NOT NULL,
  status                TEXT COLLATE "C" NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'CANCELLED')),
  required_approvals    INTEGER NOT NULL DEFAULT 1,
  requested_by_user_id  TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  summary_json          TEXT COLLATE "C" NOT NULL DEFAULT '{}',
  reason                TEXT COLLATE "C",
  decided_by_user_id    TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  decided_at            TEXT COLLATE "C",
  created_at            TEXT COLLATE "C" NOT NULL,
  expires_at            TEXT COLLATE "C" NOT NULL,
  updated_at            TEXT COLLATE "C" NOT NULL
);
CREATE INDEX approvals_status ON approvals(status, created_at);
CREATE INDEX approvals_expiry ON approvals(status, expires_at);
CREATE INDEX approvals_created ON approvals(created_at);
CREATE UNIQUE INDEX approvals_subject ON approvals(subject_type, subject_id);

CREATE TABLE approval_reviews (
  approval_id       TEXT COLLATE "C" NOT NULL REFERENCES approvals(id) ON DELETE CASCADE,
  reviewer_user_id  TEXT COLLATE "C" NOT NULL,
  decision          TEXT COLLATE "C" NOT NULL CHECK (decision IN ('APPROVE', 'REJECT')),
  comment           TEXT COLLATE "C",
  created_at        TEXT COLLATE "C" NOT NULL,
  PRIMARY KEY (approval_id, reviewer_user_id)
);

CREATE TABLE approval_policies (
  id                  TEXT COLLATE "C" PRIMARY KEY,
  service_code        TEXT COLLATE "C" NOT NULL,
  action_name         TEXT COLLATE "C" NOT NULL,
  required_approvals  INTEGER NOT NULL,
  created_by_user_id  TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  created_at          TEXT COLLATE "C" NOT NULL,
  updated_at          TEXT COLLATE "C" NOT NULL,
  UNIQUE (service_code, action_name)
);
