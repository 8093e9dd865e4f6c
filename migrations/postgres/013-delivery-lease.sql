-- Delivery leases (issue #16 point 4). PostgreSQL mirror of migrations/013-delivery-lease.sql.
ALTER TABLE commands ADD COLUMN delivery_lease_until TEXT COLLATE "C";
ALTER TABLE commands ADD COLUMN delivery_attempts INTEGER NOT NULL DEFAULT 0;
