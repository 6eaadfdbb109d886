-- cdp.normalize_phone: conformance over libphonenumber's own example numbers
-- (test/data/testvectors/libphonenumber/metadata_*_examples.csv: valid
-- national significant numbers per region and type).  Every example is
-- written four more ways (national with trunk prefix and punctuation, national
-- in pairs, +cc international read in a foreign region, 00cc international)
-- and must give '+' || cc || number.  Trunk prefixes below are written
-- independently of libphonenumber (ITU national numbering plans).
\getenv cdp_data CDP_TEST_DATA
\pset null '<null>'
CREATE TEMP TABLE ph_lines (line text);
CREATE TEMP TABLE ph_examples (cc text, region text, type text, nsn text);

-- One loader for the seven example files (server-side COPY by file name).
SELECT set_config('cdptest.data', :'cdp_data', false) IS NOT NULL AS data_dir_set;
DO $load$
DECLARE
    f record;
BEGIN
    FOR f IN SELECT * FROM (VALUES ('1', '1'), ('33', '33'), ('34', '34'), ('39', '39_IT'),
                                   ('41', '41'), ('44', '44'), ('49', '49')) AS v(cc, file)
    LOOP
        TRUNCATE ph_lines;
        EXECUTE format('COPY ph_lines FROM %L WITH (FORMAT text, DELIMITER E''\x01'')',
                       current_setting('cdptest.data') || '/testvectors/libphonenumber/metadata_'
                           || f.file || '_examples.csv');
        INSERT INTO ph_examples
            SELECT f.cc, trim(split_part(line, ';', 1)), trim(split_part(line, ';', 2)),
                   btrim(trim(split_part(line, ';', 3)), '"')
              FROM ph_lines WHERE line NOT LIKE 'Region%';
    END LOOP;
END
$load$;

-- Rows per file as documented in test/data/SOURCES.md (1: 132, 33: 7, 34: 7,
-- 39: 16, 41: 9, 44: 31, 49: 9) and no number with anything but digits.
SELECT cc, count(*) AS examples, count(DISTINCT region) AS regions,
       count(*) FILTER (WHERE nsn !~ '^[0-9]{6,15}$') AS malformed
  FROM ph_examples GROUP BY cc ORDER BY cc::int;

-- Trunk (national) prefixes: NANP 1; FR, DE, CH, GB and its dependencies 0;
-- ES none; IT and VA none (the leading 0 of fixed lines is part of the number).
CREATE TEMP TABLE ph_case AS
SELECT e.*, '+' || e.cc || e.nsn AS expected,
       e.region IN ('IT', 'GB', 'US', 'DE', 'FR', 'ES', 'CH') AS required,
       CASE WHEN e.cc = '1' THEN '1' WHEN e.cc IN ('33', '49', '41', '44') THEN '0' ELSE '' END AS trunk
  FROM ph_examples e;

-- The required regions must all be valid; for the others the installed
-- libphonenumber (8.12.57) decides: examples added to the metadata after it
-- (these files are from v9.0.x) are listed and left out.
SELECT region, type, nsn
  FROM ph_case
 WHERE cdp.normalize_phone('+' || cc || nsn, region) IS NULL
 ORDER BY cc::int, region, type;
DELETE FROM ph_case WHERE NOT required AND cdp.normalize_phone('+' || cc || nsn, region) IS NULL;

CREATE TEMP TABLE ph_variant AS
SELECT c.region, c.type, c.expected, c.required, v.variant, v.input, v.read_in
  FROM ph_case c
 CROSS JOIN LATERAL (VALUES
    ('1 plain', c.nsn, c.region),
    ('2 national (paren) dash', CASE WHEN c.cc = '1'
         THEN '1 (' || left(c.nsn, 3) || ') ' || substr(c.nsn, 4, 3) || '-' || substr(c.nsn, 7)
         ELSE '(' || left(c.trunk || c.nsn, 3) || ') ' || substr(c.trunk || c.nsn, 4, 3) || '-'
              || substr(c.trunk || c.nsn, 7) END, c.region),
    ('3 national pairs', regexp_replace(c.trunk || c.nsn, '([0-9]{2})(?=[0-9])', '\1 ', 'g'), c.region),
    ('4 +cc, foreign region', '+' || c.cc || ' ' || regexp_replace(c.nsn, '([0-9]{3})(?=[0-9])', '\1 ', 'g'),
         CASE WHEN c.cc = '39' THEN 'GB' ELSE 'IT' END),
    ('5 00cc', '00' || c.cc || ' ' || left(c.nsn, 3) || '-' || substr(c.nsn, 4), c.region)
 ) AS v(variant, input, read_in);

-- Mismatch counts per written form: expected 0 everywhere.
SELECT variant,
       count(*) FILTER (WHERE required) AS required_checked,
       count(*) FILTER (WHERE NOT required) AS other_checked,
       count(*) FILTER (WHERE cdp.normalize_phone(input, read_in) IS DISTINCT FROM expected) AS mismatches
  FROM ph_variant GROUP BY variant ORDER BY variant;

-- The mismatches themselves (expected: none).
SELECT region, type, variant, input, read_in, expected, cdp.normalize_phone(input, read_in) AS got
  FROM ph_variant
 WHERE cdp.normalize_phone(input, read_in) IS DISTINCT FROM expected
 ORDER BY 1, 2, 3 LIMIT 20;

-- A few of the written forms, for the reader.
SELECT region, variant, input, read_in, cdp.normalize_phone(input, read_in) AS e164
  FROM ph_variant
 WHERE (region, type) IN (('IT', 'FIXED_LINE'), ('GB', 'MOBILE'), ('US', 'FIXED_LINE'))
 ORDER BY region, variant;

-- The same through the default region (cdp.default_region).
SET cdp.default_region = 'GB';
SELECT count(*) AS gb_examples,
       count(*) FILTER (WHERE cdp.normalize_phone('0' || nsn) IS DISTINCT FROM expected) AS mismatches
  FROM ph_case WHERE region = 'GB';
RESET cdp.default_region;

DROP TABLE ph_lines, ph_examples, ph_case, ph_variant;
