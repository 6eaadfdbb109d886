-- complain if script is sourced in psql, rather than via CREATE EXTENSION
\echo Use "CREATE EXTENSION cdp" to load this file. \quit

-- The schema cdp is created by CREATE EXTENSION (control file: schema = cdp).
COMMENT ON SCHEMA cdp IS 'cdp: Customer Data Platform (identity graph, fuzzy matching, profiles, consent, segments)';
