-- cdp.stats() works for every cdp role (issue: permission denied for
-- rejected_messages as cdp_reader).  It runs with the caller's rights: a
-- table the caller may not read is counted as null.  Truth: count(*) of
-- every cdp table as superuser, and has_table_privilege() per role.
\set SHOW_CONTEXT never
CREATE ROLE regress_st_reader IN ROLE cdp_reader;
CREATE ROLE regress_st_writer IN ROLE cdp_writer;
CREATE ROLE regress_st_admin IN ROLE cdp_admin;
-- some rows everywhere, including a rejected message
SELECT cdp.upsert_record('st_src', 'a', '{"email": "stats@example.org"}') IS NOT NULL AS stored;
SELECT (cdp.ingest('{"type": "no-such-type", "messageId": "st-1"}', 'st_src') -> 'rejected') <> '[]' AS rejected;

CREATE TEMP TABLE st_truth AS
SELECT c.relname::text AS tab,
       (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM cdp.%I', c.relname), false, true, '')))[1]::text::bigint AS n
  FROM pg_class c WHERE c.relnamespace = 'cdp'::regnamespace AND c.relkind IN ('r', 'p');
CREATE TEMP TABLE st_seen (role text, stats jsonb);
GRANT ALL ON st_seen TO PUBLIC;
SET ROLE regress_st_reader;
INSERT INTO st_seen SELECT current_user, cdp.stats();
RESET ROLE;
SET ROLE regress_st_writer;
INSERT INTO st_seen SELECT current_user, cdp.stats();
RESET ROLE;
SET ROLE regress_st_admin;
INSERT INTO st_seen SELECT current_user, cdp.stats();
RESET ROLE;
INSERT INTO st_seen SELECT 'superuser', cdp.stats();

-- every table has a key; a count equals the truth when the role may read
-- the table, null otherwise (expect no rows)
SELECT s.role, t.tab, s.stats -> t.tab AS shown, t.n AS truth
  FROM st_seen s CROSS JOIN st_truth t
 WHERE NOT (s.stats ? t.tab)
    OR (s.stats ->> t.tab)::bigint IS DISTINCT FROM
       CASE WHEN s.role = 'superuser' OR has_table_privilege(s.role, format('cdp.%I', t.tab), 'SELECT') THEN t.n END;
-- which counts each role does not see
SELECT s.role, coalesce(string_agg(t.tab, ', ' ORDER BY t.tab) FILTER (WHERE s.stats -> t.tab = 'null'), '') AS not_readable
  FROM st_seen s CROSS JOIN st_truth t GROUP BY s.role ORDER BY s.role;
-- version and settings are there for everyone
SELECT role, stats ->> 'version' = cdp.version() AS version,
       stats -> 'settings' ? 'cdp.max_cluster_records' AS settings
  FROM st_seen ORDER BY role;

SELECT cdp.delete_record('st_src', 'a') ->> 'deleted' AS deleted;
DELETE FROM cdp.rejected_messages WHERE source = 'st_src';
DELETE FROM cdp.sources WHERE source = 'st_src';
DROP ROLE regress_st_reader, regress_st_writer, regress_st_admin;
