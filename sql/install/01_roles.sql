-- Roles (cluster-wide; created once, kept if the extension is dropped).
--   cdp_reader: read profiles, segments, call pure functions
--   cdp_writer: cdp_reader + ingest/upsert/consent
--   cdp_admin : cdp_writer + configuration, segments, forget, resolution
DO $roles$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_reader') THEN
        CREATE ROLE cdp_reader NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_writer') THEN
        CREATE ROLE cdp_writer NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'cdp_admin') THEN
        CREATE ROLE cdp_admin NOLOGIN;
    END IF;
END
$roles$;

GRANT cdp_reader TO cdp_writer;
GRANT cdp_writer TO cdp_admin;
REVOKE ALL ON SCHEMA cdp FROM PUBLIC;
GRANT USAGE ON SCHEMA cdp TO cdp_reader;
