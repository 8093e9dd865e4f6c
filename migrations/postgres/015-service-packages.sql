-- The Capsule Package a service runs (catalog.md: manifest.package = {name, version, digest?}), copied
-- out of the manifest at report time so the package policy, the catalog's "where it runs" and the
-- QUARANTINED status can join on it without parsing manifests. NULL: the service reports no package.
-- Number 015 (team plan: 011-013 other branches, 014 the package tables). PostgreSQL mirror of
-- migrations/015-service-packages.sql.
ALTER TABLE capsule_services ADD COLUMN package_name TEXT COLLATE "C";
ALTER TABLE capsule_services ADD COLUMN package_version TEXT COLLATE "C";
ALTER TABLE capsule_services ADD COLUMN package_digest TEXT COLLATE "C";
CREATE INDEX capsule_services_package ON capsule_services(package_name, package_version);
