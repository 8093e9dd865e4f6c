-- Capsule Bus (off unless CAPSTAN_BUS_ENABLED): route rules that turn an agent's event into one
-- ACTION_EXECUTE command, and the events received with what they caused. Same conventions as 001-schema.sql
-- (PostgreSQL mirror of migrations/002-bus.sql).

CREATE TABLE bus_routes (
  id                     TEXT COLLATE "C" PRIMARY KEY,                 -- brr_
  name                   TEXT COLLATE "C" NOT NULL,
  description            TEXT COLLATE "C",
  status                 TEXT COLLATE "C" NOT NULL DEFAULT 'DISABLED' CHECK (status IN ('DISABLED', 'DRY_RUN', 'ENABLED')),
  event_type             TEXT COLLATE "C" NOT NULL,
  source_service_code    TEXT COLLATE "C",                             -- NULL: events from any service match
  target_service_code    TEXT COLLATE "C" NOT NULL,                    -- by code, so a route survives the service re-registering
  action_name            TEXT COLLATE "C" NOT NULL,
  payload_template_json  TEXT COLLATE "C",                             -- NULL: the command gets an empty payload
  -- An operator explicitly confirmed that this route may run a confirm-required or HIGH/CRITICAL
  -- action; cleared whenever what the route runs (service, action, template) changes.
  confirmed              INTEGER NOT NULL DEFAULT 0,
  confirmed_by_user_id   TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  confirmed_at           TEXT COLLATE "C",
  created_by_user_id     TEXT COLLATE "C" REFERENCES users(id) ON DELETE SET NULL,
  last_matched_at        TEXT COLLATE "C",
  created_at             TEXT COLLATE "C" NOT NULL,
  updated_at             TEXT COLLATE "C" NOT NULL
);
-- ingest looks routes up by event type among the live ones
CREATE INDEX bus_routes_match ON bus_routes(event_type, status);
CREATE INDEX bus_routes_status ON bus_routes(status, created_at);
CREATE INDEX bus_routes_created ON bus_routes(created_at);

CREATE TABLE bus_events (
  id                   TEXT COLLATE "C" PRIMARY KEY,                   -- bev_ (assigned by the server)
  client_event_id      TEXT COLLATE "C",                               -- the agent's own eventId, for idempotent re-sends
  agent_id             TEXT COLLATE "C" REFERENCES agents(id) ON DELETE SET NULL,
  source_service_id    TEXT COLLATE "C" REFERENCES capsule_services(id) ON DELETE SET NULL,
  source_service_code  TEXT COLLATE "C" NOT NULL,                      -- set from the agent's own service, never from the body
  event_type           TEXT COLLATE "C" NOT NULL,
  occurred_at          TEXT COLLATE "C",                               -- the agent's timestamp, as sent
  data_json            TEXT COLLATE "C" NOT NULL DEFAULT 'null',
  metadata_json        TEXT COLLATE "C",
  outcome              TEXT COLLATE "C" NOT NULL CHECK (outcome IN ('UNMATCHED', 'DRY_RUN', 'DISPATCHED', 'PARTIAL', 'FAILED', 'REFUSED')),
  error_code           TEXT COLLATE "C",                               -- why a REFUSED event was refused
  matches_json         TEXT COLLATE "C" NOT NULL DEFAULT '[]',         -- [{routeId, routeName, status, outcome, commandId?, errorCode?, message?}]
  command_ids_json     TEXT COLLATE "C" NOT NULL DEFAULT '[]',
  created_at           TEXT COLLATE "C" NOT NULL
);
CREATE INDEX bus_events_created ON bus_events(created_at);
CREATE INDEX bus_events_type ON bus_events(event_type, created_at);
CREATE INDEX bus_events_source ON bus_events(source_service_code, created_at);
CREATE INDEX bus_events_outcome ON bus_events(outcome, created_at);
CREATE UNIQUE INDEX bus_events_client_id ON bus_events(agent_id, client_event_id) WHERE client_event_id IS NOT NULL;
