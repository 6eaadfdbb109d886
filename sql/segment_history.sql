-- Segment membership history: cdp.segment_members_at / cdp.was_member replay
-- cdp.segment_membership_log and agree with a brute-force reference at every
-- moment; readers read, only the extension writes; drop cascades.
-- The log is written directly here (as the refresh does).  Names 'sh_'.
\set SHOW_CONTEXT never
INSERT INTO cdp.segments (name, definition) VALUES ('sh_a', '{"trait":"x","op":"exists"}'), ('sh_b', '{"segment":"sh_a"}');
INSERT INTO cdp.segment_runs (segment_id, mode, status)
SELECT segment_id, 'full', 'succeeded' FROM cdp.segments WHERE name LIKE 'sh\_%';
-- Random enter/exit streams per (segment, customer), alternating, at increasing times.
SELECT setseed(0.42);
CREATE TEMP TABLE sh_events AS
SELECT s.segment_id, c AS customer_id, k,
       timestamptz '2026-01-01' + (k * 10 + (random() * 9)::int) * interval '1 hour' AS at,
       random() < 0.5 AS skip
  FROM cdp.segments s, generate_series(1, 20) c, generate_series(0, 9) k
 WHERE s.name LIKE 'sh\_%';
-- Keep a prefix of each stream so changes alternate enter, exit, enter ...
DELETE FROM sh_events e WHERE e.k >= (SELECT 1 + (hashint8(e.customer_id * 7 + e.segment_id) & 7));
INSERT INTO cdp.segment_membership_log (segment_id, customer_id, change, run_id, at)
SELECT e.segment_id, e.customer_id, CASE WHEN e.k % 2 = 0 THEN 'enter' ELSE 'exit' END,
       (SELECT max(run_id) FROM cdp.segment_runs), e.at
  FROM sh_events e ORDER BY e.at, e.segment_id, e.customer_id;
INSERT INTO cdp.segment_members (segment_id, customer_id, since)
SELECT DISTINCT ON (segment_id, customer_id) segment_id, customer_id, at FROM cdp.segment_membership_log l
 WHERE segment_id IN (SELECT segment_id FROM cdp.segments WHERE name LIKE 'sh\_%')
 ORDER BY segment_id, customer_id, seq DESC;
DELETE FROM cdp.segment_members m USING cdp.segment_membership_log l
 WHERE l.segment_id = m.segment_id AND l.customer_id = m.customer_id AND l.change = 'exit'
   AND l.seq = (SELECT max(seq) FROM cdp.segment_membership_log x WHERE x.segment_id = m.segment_id AND x.customer_id = m.customer_id);

-- Reference: member at t iff the number of log rows at or before t is odd.
CREATE TEMP TABLE sh_moments AS
SELECT timestamptz '2026-01-01' + h * interval '1 hour' AS t FROM generate_series(-1, 110, 3) h;
SELECT count(*) AS mismatches FROM (
    SELECT s.name, mo.t, c.customer_id
      FROM cdp.segments s, sh_moments mo, generate_series(1, 20) c(customer_id)
     WHERE s.name LIKE 'sh\_%'
       AND ((SELECT count(*) FROM sh_events e WHERE e.segment_id = s.segment_id AND e.customer_id = c.customer_id AND e.at <= mo.t) % 2 = 1)
           IS DISTINCT FROM (c.customer_id IN (SELECT cdp.segment_members_at(s.name, mo.t)))
        OR cdp.was_member(s.name, c.customer_id, mo.t)
           IS DISTINCT FROM (c.customer_id IN (SELECT cdp.segment_members_at(s.name, mo.t)))) x;
-- Now equals the current membership table.
SELECT (SELECT array_agg(x ORDER BY x) FROM cdp.segment_members_at('sh_a', timestamptz '2030-01-01') x)
     = (SELECT array_agg(customer_id ORDER BY customer_id) FROM cdp.segment_members m JOIN cdp.segments s USING (segment_id) WHERE s.name = 'sh_a')
       AS at_end_equals_members;
-- Unknown segment: nobody, never.
SELECT count(*) AS unknown FROM cdp.segment_members_at('sh_nope', now());
SELECT cdp.was_member('sh_nope', 1, now()) AS unknown_member;
-- Readers may read, nobody else may write.
SELECT has_table_privilege('cdp_reader', 'cdp.segment_membership_log', 'SELECT') AS reader_reads,
       has_table_privilege('cdp_admin', 'cdp.segment_membership_log', 'INSERT') AS admin_writes;
-- Dropping a segment drops its members, runs and log.
DELETE FROM cdp.segments WHERE name LIKE 'sh\_%';
SELECT (SELECT count(*) FROM cdp.segment_members) AS members, (SELECT count(*) FROM cdp.segment_membership_log) AS log,
       (SELECT count(*) FROM cdp.segment_runs) AS runs;
