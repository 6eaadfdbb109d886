-- cdp demo, part 10: normalisers.  Messy contacts from five channels (a small
-- bundled CSV) before and after cdp.normalize_email / _phone / _name /
-- _address, and the duplicates the normalised keys reveal.
\set QUIET on
\pset footer off
\pset null '∅'
DROP TABLE IF EXISTS demo_contacts_messy;
CREATE TABLE demo_contacts_messy (
    id int PRIMARY KEY, source text, full_name text, email text, phone text, country text, address text);
\copy demo_contacts_messy FROM 'data/contacts_messy.csv' WITH (FORMAT csv, HEADER)

\echo
\echo '== Settings used by the one-argument forms =='
-- (the cdp.* settings exist once the library is loaded in the session: any cdp call loads it)
SELECT cdp.version() AS cdp_version, current_setting('cdp.default_region') AS default_region,
       current_setting('cdp.email_provider_rules') AS email_provider_rules;

\echo
\echo '== E-mail: trimmed, case-folded, IDN to punycode, gmail dots/+tags dropped; NULL when implausible =='
SELECT id, email AS raw, cdp.normalize_email(email) AS normalized FROM demo_contacts_messy ORDER BY id;

\echo
\echo '== Phone: E.164 (libphonenumber), read in the row''s country when it has one, else cdp.default_region =='
CREATE TEMP VIEW demo_contacts_region AS
SELECT c.*, coalesce(c.country, current_setting('cdp.default_region')) AS region FROM demo_contacts_messy c;
SELECT id, phone AS raw, region,
       CASE WHEN region = 'XX' THEN 'error: unknown region' ELSE cdp.normalize_phone(phone, region) END AS e164
  FROM demo_contacts_region ORDER BY id;
\echo '   an unknown region is an error (22023), not a silent NULL:'
DO $$
BEGIN
    PERFORM cdp.normalize_phone('02 1234 5678', 'XX');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE '%', SQLERRM;
END $$;

\echo
\echo '== Name: any script to lower-case ASCII words =='
SELECT id, full_name AS raw, cdp.normalize_name(full_name) AS normalized FROM demo_contacts_messy ORDER BY id;

\echo
\echo '== Address: clean-up plus Italian/English abbreviations (v. -> via, p.zza -> piazza, st -> street ...) =='
SELECT id, address AS raw, cdp.normalize_address(address) AS normalized FROM demo_contacts_messy ORDER BY id;

\echo
\echo '== Duplicates revealed: raw values that differ but normalise to the same key =='
SELECT 'email' AS key_type, cdp.normalize_email(email) AS key, string_agg(id::text, ', ' ORDER BY id) AS contact_ids,
       count(DISTINCT email) AS raw_spellings
  FROM demo_contacts_messy WHERE cdp.normalize_email(email) IS NOT NULL
 GROUP BY 2 HAVING count(*) > 1
UNION ALL
SELECT 'phone', cdp.normalize_phone(phone, region), string_agg(id::text, ', ' ORDER BY id), count(DISTINCT phone)
  FROM demo_contacts_region
 WHERE region <> 'XX' AND cdp.normalize_phone(phone, region) IS NOT NULL
 GROUP BY 2 HAVING count(*) > 1
UNION ALL
SELECT 'name', cdp.normalize_name(full_name), string_agg(id::text, ', ' ORDER BY id), count(DISTINCT full_name)
  FROM demo_contacts_messy GROUP BY 2 HAVING count(*) > 1
ORDER BY 1, 2;

\echo
\echo '== Turning the gmail rules off (cdp.email_provider_rules) =='
SET cdp.email_provider_rules = off;
SELECT id, email AS raw, cdp.normalize_email(email) AS rules_off, cdp.normalize_email(email, true) AS rules_on
  FROM demo_contacts_messy WHERE email ILIKE '%mail.com%' ORDER BY id;
RESET cdp.email_provider_rules;

\echo
\echo '== Index-friendly forms: IMMUTABLE with the setting as an argument =='
CREATE INDEX demo_contacts_messy_email ON demo_contacts_messy (cdp.normalize_email(email, true));
CREATE INDEX demo_contacts_messy_phone ON demo_contacts_messy (cdp.normalize_phone(phone, 'IT'));
SELECT id, full_name FROM demo_contacts_messy
 WHERE cdp.normalize_email(email, true) = cdp.normalize_email('giuliabianchi@googlemail.com', true) ORDER BY id;
