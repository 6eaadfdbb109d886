-- Normalisers (docs/normalize.md).  Pure C functions: no search_path
-- clause (they run no queries).  The forms that read a GUC
-- (cdp.email_provider_rules, cdp.default_region) are STABLE; the forms that
-- take the setting as an argument are IMMUTABLE and are the ones to use in
-- index expressions (the to_tsvector(text) / to_tsvector(regconfig, text)
-- pattern of PostgreSQL itself).

-- Settings (src/pg/normalize/gucs.cpp).  cdp.email_provider_rules changes
-- which e-mail addresses are one identifier (policy): PGC_SUSET, settable by
-- superusers and cdp_admin.  cdp.default_region stays user-settable (a
-- per-session convenience).  pg_parameter_acl is cluster-wide and takes a
-- name whose library is not loaded yet; see docs/operations.md.
GRANT SET ON PARAMETER cdp.email_provider_rules TO cdp_admin;

CREATE FUNCTION cdp.normalize_email(email text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_email'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_email(text) IS
    'Canonical e-mail address: trimmed, local part case-folded (NFKC_Casefold), domain to ASCII (UTS #46 punycode); gmail/googlemail dots and +tags dropped when cdp.email_provider_rules is on. NULL when not a plausible address. STABLE (reads the GUC); use normalize_email(email, provider_rules) in indexes.';
REVOKE ALL ON FUNCTION cdp.normalize_email(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_email(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_email(email text, provider_rules boolean) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_email_rules'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_email(text, boolean) IS
    'cdp.normalize_email() with the gmail/googlemail provider rules given explicitly (IMMUTABLE: usable in index expressions).';
REVOKE ALL ON FUNCTION cdp.normalize_email(text, boolean) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_email(text, boolean) TO cdp_reader;

CREATE FUNCTION cdp.normalize_phone(phone text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_phone'
    LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_phone(text) IS
    'Phone number in E.164 (libphonenumber), numbers without a country code read in the region cdp.default_region. NULL when not a valid number. STABLE (reads the GUC); use normalize_phone(phone, region) in indexes.';
REVOKE ALL ON FUNCTION cdp.normalize_phone(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_phone(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_phone(phone text, region text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_phone_region'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_phone(text, text) IS
    'Phone number in E.164 (libphonenumber), numbers without a country code read in region (ISO 3166-1 alpha-2; unknown region: error 22023). NULL when not a valid number. IMMUTABLE.';
REVOKE ALL ON FUNCTION cdp.normalize_phone(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_phone(text, text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_name(name text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_name'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_name(text) IS
    'Person name as lower-case ASCII words: NFKC, any script to Latin to ASCII (ICU), apostrophes dropped, other punctuation and space runs to one space, trimmed.';
REVOKE ALL ON FUNCTION cdp.normalize_name(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_name(text) TO cdp_reader;

CREATE FUNCTION cdp.normalize_address(address text) RETURNS text
    AS 'MODULE_PATHNAME', 'cdp_normalize_address'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION cdp.normalize_address(text) IS
    'Postal address as lower-case ASCII words with common Italian and English abbreviations expanded on word boundaries (v. -> via, p.za -> piazza, st -> street, rd -> road, ...).';
REVOKE ALL ON FUNCTION cdp.normalize_address(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.normalize_address(text) TO cdp_reader;
