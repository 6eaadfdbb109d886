-- SQL behaviour of the normalisers: results, NULLs, errors, GUCs,
-- volatility and index use.
\pset null '<null>'

-- Declared properties (pg_proc): the GUC-reading forms are STABLE, the rest
-- IMMUTABLE; all STRICT and PARALLEL SAFE; no PUBLIC execute.
SELECT p.oid::regprocedure AS function, p.provolatile AS volatile, p.proisstrict AS strict,
       p.proparallel AS parallel, has_function_privilege('public', p.oid, 'EXECUTE') AS public_exec,
       has_function_privilege('cdp_reader', p.oid, 'EXECUTE') AS reader_exec
  FROM pg_proc p
 WHERE p.pronamespace = 'cdp'::regnamespace AND p.proname LIKE 'normalize\_%'
 ORDER BY 1::text;

-- STRICT: NULL in, NULL out.
SELECT cdp.normalize_email(NULL) AS email, cdp.normalize_email(NULL, true) AS email2,
       cdp.normalize_phone(NULL) AS phone, cdp.normalize_phone(NULL, 'IT') AS phone2,
       cdp.normalize_phone('0212345678', NULL) AS phone_null_region,
       cdp.normalize_name(NULL) AS name, cdp.normalize_address(NULL) AS address;

-- e-mail
SELECT input, cdp.normalize_email(input) AS normalized
  FROM (VALUES (' John.Doe@Example.COM '), ('Ünïcödé@Bücher.de'), ('J.O.H.N+promo@GoogleMail.com'),
               ('john.doe+promo@outlook.com'), ('ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ'), ('x@例え.テスト'),
               ('Straße@faß.de'), ('john'), ('john@localhost'), ('john@@example.com'),
               ('john doe@example.com'), ('jo..hn@example.com'), ('john@example..com'),
               ('"john"@example.com'), ('john@[10.0.0.1]'), (''), ('+tag@gmail.com')) AS t(input);

-- Provider rules follow the GUC in the one-argument form; the two-argument
-- form ignores it.
SET cdp.email_provider_rules = off;
SELECT cdp.normalize_email('J.O.H.N+promo@GoogleMail.com') AS guc_off,
       cdp.normalize_email('J.O.H.N+promo@GoogleMail.com', true) AS explicit_on;
RESET cdp.email_provider_rules;
SELECT cdp.normalize_email('J.O.H.N+promo@GoogleMail.com') AS guc_on,
       cdp.normalize_email('J.O.H.N+promo@GoogleMail.com', false) AS explicit_off;

-- phone
SELECT input, region, CASE WHEN region IS NULL THEN cdp.normalize_phone(input)
                           ELSE cdp.normalize_phone(input, region) END AS e164
  FROM (VALUES ('02 1234 5678', NULL), ('+39 02 1234 5678', NULL), ('0039 312 345 6789', NULL),
               ('07400 123456', 'GB'), ('07400 123456', 'gb'), ('(201) 555-0123', 'US'),
               ('0044 7400 123456', 'US'), ('030 123456', 'DE'), ('12345', NULL), ('hello', NULL),
               ('', NULL)) AS t(input, region);

-- cdp.default_region drives the one-argument form.
SET cdp.default_region = 'gb';
SHOW cdp.default_region;
SELECT cdp.normalize_phone('07400 123456') AS gb_default, cdp.normalize_phone('02 1234 5678') AS it_number_in_gb;
RESET cdp.default_region;
SELECT cdp.normalize_phone('07400 123456') AS it_default;

-- Unknown regions: error 22023 naming the region (argument and GUC).
\set VERBOSITY default
SELECT cdp.normalize_phone('0212345678', 'XX');
SELECT cdp.normalize_phone('0212345678', 'Italy');
SELECT cdp.normalize_phone('0212345678', '');
SET cdp.default_region = 'XX';
\set VERBOSITY terse
DO $$
BEGIN
    PERFORM cdp.normalize_phone('0212345678', 'ZZ');
EXCEPTION WHEN invalid_parameter_value THEN
    RAISE NOTICE 'sqlstate 22023: %', SQLERRM;
END $$;

-- name
SELECT input, cdp.normalize_name(input) AS normalized
  FROM (VALUES ('  José  O''Brien-Smith '), ('Müller'), ('MARY-JANE  watson'), ('O’Neil'),
               ('Игорь Стравинский'), ('Σωκράτης'), ('张伟'), ('やまだ たろう'), ('ＪＯＨＮ'),
               ('Anna 😀 Rossi'), ('   '), ('')) AS t(input);

-- address
SELECT input, cdp.normalize_address(input) AS normalized
  FROM (VALUES ('V. Roma, 12'), ('P.zza Garibaldi n. 3'), ('C.so Vittorio Emanuele II 45'),
               ('Corso V. Emanuele 5'), ('V.le Monza 2, Sc. B, Int. 4'), ('L.go Augusto 1'),
               ('Via dell''Orso 3'), ('123 Main St Apt 4'), ('St James Rd'), ('5 Dr King Blvd'),
               ('Sunset Blvd.'), ('S.S. 16 km 3'), ('  ')) AS t(input);

-- Index use: the IMMUTABLE forms can index; the GUC-reading ones cannot.
CREATE TABLE norm_contacts (id int PRIMARY KEY, email text, phone text);
INSERT INTO norm_contacts VALUES (1, 'Mario.Rossi+shop@gmail.com', '02 1234 5678'),
                                 (2, 'anna@example.it', '+39 312 345 6789');
CREATE INDEX norm_contacts_email ON norm_contacts (cdp.normalize_email(email, true));
CREATE INDEX norm_contacts_phone ON norm_contacts (cdp.normalize_phone(phone, 'IT'));
\set VERBOSITY terse
CREATE INDEX norm_contacts_bad ON norm_contacts (cdp.normalize_email(email));
CREATE INDEX norm_contacts_bad ON norm_contacts (cdp.normalize_phone(phone));
\set VERBOSITY default
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM norm_contacts WHERE cdp.normalize_email(email, true) = 'mariorossi@gmail.com';
SELECT id FROM norm_contacts WHERE cdp.normalize_email(email, true) = cdp.normalize_email('MarioRossi@googlemail.com', true);
SELECT id FROM norm_contacts WHERE cdp.normalize_phone(phone, 'IT') = cdp.normalize_phone('0039 3123456789', 'IT');
RESET enable_seqscan;
DROP TABLE norm_contacts;

-- Megabyte inputs: bounded (no error, no crash).
SELECT cdp.normalize_email(repeat('a', 1000000) || '@example.com') AS long_email,
       cdp.normalize_phone(repeat('1', 1000000), 'IT') AS long_phone,
       length(cdp.normalize_name(repeat('Игорь ', 200000))) AS long_name_len,
       length(cdp.normalize_address(repeat('P.zza Duomo 1, ', 70000))) AS long_address_len;
