-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cdp" to load this file. \quit

-- Every text function works on UTF-8 (code points, ICU, JSON): refuse any
-- other database encoding here rather than failing later on non-ASCII input.
DO $$
BEGIN
    IF pg_catalog.getdatabaseencoding() <> 'UTF8' THEN
        RAISE EXCEPTION 'cdp needs a UTF8 database: database "%" uses %',
                        pg_catalog.current_database(), pg_catalog.getdatabaseencoding()
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Create the database with ENCODING ''UTF8'' (CREATE DATABASE ... ENCODING ''UTF8'' TEMPLATE template0).';
    END IF;
END
$$;

-- The schema cdp is created by CREATE EXTENSION (control file: schema = cdp).
COMMENT ON SCHEMA cdp IS 'cdp: Customer Data Platform (identity graph, fuzzy matching, profiles, consent, segments)';
