-- Delivery leases (issue #16 point 4): a command claimed by an agent that confirms deliveries (the
-- SDKs) carries `delivery_lease_until`; the agent's first progress or result clears it. A lease that
-- lapses means the poll's answer was lost: the maintenance sweep puts the command back to PENDING once
-- (`delivery_attempts` counts claims), and ends it on a second lapse. Plain ADD COLUMNs: no CHECK
-- changes, so no rebuild (compare 009). Number 013 (team plan).
ALTER TABLE commands ADD COLUMN delivery_lease_until TEXT;
ALTER TABLE commands ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
