-- Segments (DESIGN.md section 6; reference: docs/segment.md).
--
-- Schema part: segment definitions, current membership, the per-segment
-- ordered enter/exit log (the stable interface activation builds on), the
-- refresh run log, and point-in-time membership from the log.

-- ---------------------------------------------------------------- tables
CREATE TABLE cdp.segments (
    segment_id        serial PRIMARY KEY,
    name              text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
    definition        jsonb NOT NULL,
    description       text,
    created_at        timestamptz NOT NULL DEFAULT now(),
    last_refreshed_at timestamptz,
    member_count      bigint NOT NULL DEFAULT 0,
    depends_on        text[] NOT NULL DEFAULT '{}',
    revision          int NOT NULL DEFAULT 1
);
REVOKE ALL ON cdp.segments FROM PUBLIC;
GRANT SELECT ON cdp.segments TO cdp_reader;
COMMENT ON TABLE cdp.segments IS
    'Segment definitions (JSON rule language of DESIGN section 6), with the time of the last refresh and the member count it left; depends_on: the nested segments the definition reads; revision: incremented by alter_segment (the next refresh is full).';
REVOKE ALL ON SEQUENCE cdp.segments_segment_id_seq FROM PUBLIC;
COMMENT ON SEQUENCE cdp.segments_segment_id_seq IS 'segment_id generator.';

CREATE TABLE cdp.segment_members (
    segment_id  int NOT NULL REFERENCES cdp.segments ON DELETE CASCADE,
    customer_id bigint NOT NULL,
    since       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, customer_id)
);
CREATE INDEX segment_members_customer_idx ON cdp.segment_members (customer_id);
REVOKE ALL ON cdp.segment_members FROM PUBLIC;
GRANT SELECT ON cdp.segment_members TO cdp_reader;
COMMENT ON TABLE cdp.segment_members IS
    'Current membership of each segment as left by its last successful refresh; since is the time the customer last entered.';

CREATE TABLE cdp.segment_runs (
    run_id      bigserial PRIMARY KEY,
    segment_id  int NOT NULL REFERENCES cdp.segments ON DELETE CASCADE,
    mode        text NOT NULL CHECK (mode IN ('full', 'incremental')),
    started_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at timestamptz,
    entered     bigint NOT NULL DEFAULT 0,
    exited      bigint NOT NULL DEFAULT 0,
    members     bigint,
    status      text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'succeeded', 'failed')),
    error       text,
    candidates  bigint,
    clock       timestamptz,
    revision    int,
    snapshot    pg_snapshot,
    xid         xid8
);
CREATE INDEX segment_runs_segment_idx ON cdp.segment_runs (segment_id, run_id);
REVOKE ALL ON cdp.segment_runs FROM PUBLIC;
GRANT SELECT ON cdp.segment_runs TO cdp_reader;
COMMENT ON TABLE cdp.segment_runs IS
    'One row per refresh of a segment: mode actually used (full or incremental), timings, customers entered and exited, members after the run, status (running, succeeded, failed) and the error of a failed run; candidates: customers re-evaluated by an incremental run; clock: the time windows were evaluated at; revision: the definition revision; snapshot, xid: the snapshot the run saw and its transaction (changes not visible in that snapshot, or made by that transaction, are the next incremental run''s work).';
REVOKE ALL ON SEQUENCE cdp.segment_runs_run_id_seq FROM PUBLIC;
COMMENT ON SEQUENCE cdp.segment_runs_run_id_seq IS 'run_id generator (runs are numbered in start order).';

CREATE TABLE cdp.segment_membership_log (
    seq         bigserial,
    segment_id  int NOT NULL REFERENCES cdp.segments ON DELETE CASCADE,
    customer_id bigint NOT NULL,
    change      text NOT NULL CHECK (change IN ('enter', 'exit')),
    run_id      bigint NOT NULL,
    at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (segment_id, seq)
);
CREATE INDEX segment_membership_log_customer_idx ON cdp.segment_membership_log (customer_id, segment_id, at);
CREATE INDEX segment_membership_log_at_idx ON cdp.segment_membership_log (segment_id, at);
REVOKE ALL ON cdp.segment_membership_log FROM PUBLIC;
GRANT SELECT ON cdp.segment_membership_log TO cdp_reader;
COMMENT ON TABLE cdp.segment_membership_log IS
    'Per-segment ordered log of membership changes: one enter or exit row per customer whose membership a refresh changed (run_id: the run, at: its time). Ordered by seq within a segment; rows are only appended (and removed by forget_customer / drop_segment). Consumers (activation) read it by (segment_id, seq).';
REVOKE ALL ON SEQUENCE cdp.segment_membership_log_seq_seq FROM PUBLIC;
COMMENT ON SEQUENCE cdp.segment_membership_log_seq_seq IS 'seq generator of cdp.segment_membership_log (increasing in commit order of one segment''s runs, which never interleave).';

-- ---------------------------------------------------------------- point in time
CREATE FUNCTION cdp.segment_members_at(name text, at timestamptz) RETURNS SETOF bigint
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    BEGIN ATOMIC
        SELECT m.customer_id FROM (
            SELECT DISTINCT ON (l.customer_id) l.customer_id, l.change
              FROM cdp.segment_membership_log l
              JOIN cdp.segments s ON s.segment_id = l.segment_id
             WHERE s.name = segment_members_at.name AND l.at <= segment_members_at.at
             ORDER BY l.customer_id, l.seq DESC) m
         WHERE m.change = 'enter'
         ORDER BY m.customer_id;
    END;
REVOKE ALL ON FUNCTION cdp.segment_members_at(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.segment_members_at(text, timestamptz) TO cdp_reader;
COMMENT ON FUNCTION cdp.segment_members_at(text, timestamptz) IS
    'Members of segment name as they stood at time at, replayed from cdp.segment_membership_log (last change at or before at is enter).';

CREATE FUNCTION cdp.was_member(name text, customer_id bigint, at timestamptz) RETURNS boolean
    LANGUAGE sql STABLE STRICT PARALLEL SAFE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    RETURN coalesce((SELECT l.change = 'enter'
                       FROM cdp.segment_membership_log l
                       JOIN cdp.segments s ON s.segment_id = l.segment_id
                      WHERE s.name = was_member.name AND l.customer_id = was_member.customer_id
                        AND l.at <= was_member.at
                      ORDER BY l.seq DESC LIMIT 1), false);
REVOKE ALL ON FUNCTION cdp.was_member(text, bigint, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.was_member(text, bigint, timestamptz) TO cdp_reader;
COMMENT ON FUNCTION cdp.was_member(text, bigint, timestamptz) IS
    'Whether customer_id was a member of segment name at time at (from cdp.segment_membership_log).';

-- ---------------------------------------------------------------- change tracking
-- Customers touched by the write paths (identity, ingest, profiles,
-- consents), each row in the writer's own transaction (xid).  An incremental
-- refresh re-evaluates the customers of the rows its previous run's snapshot
-- did not see; a NULL customer_id means "anything may have changed" (batch
-- resolution, profile maintenance off): the next refresh is full.  Rows every
-- segment's last run has seen are deleted by the refreshes.
CREATE TABLE cdp.segment_dirty (
    customer_id bigint,
    xid         xid8 NOT NULL DEFAULT pg_current_xact_id(),
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX segment_dirty_xid_idx ON cdp.segment_dirty (xid);
REVOKE ALL ON cdp.segment_dirty FROM PUBLIC;
GRANT SELECT ON cdp.segment_dirty TO cdp_reader;
COMMENT ON TABLE cdp.segment_dirty IS
    'Change tracking of incremental segment refresh: customers touched by a write (NULL: everything), with the writing transaction''s id; pruned once every segment''s last run has seen them.';
COMMENT ON INDEX cdp.segment_dirty_xid_idx IS 'Rows not yet seen by a segment''s last run, by transaction id.';

-- Statement triggers: profile writes (computed-trait expiry, consent
-- changes touching profiles.updated_at, merges removing profiles) and
-- consent writes mark their customers, one INSERT per statement.
CREATE FUNCTION cdp._segment_touch_new() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cdp.segments) THEN
        INSERT INTO cdp.segment_dirty (customer_id) SELECT DISTINCT n.customer_id FROM touched_new n;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION cdp._segment_touch_new() FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_touch_new() IS 'Statement trigger: marks the customers of inserted/updated rows in cdp.segment_dirty.';
CREATE FUNCTION cdp._segment_touch_old() RETURNS trigger
    LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM cdp.segments) THEN
        INSERT INTO cdp.segment_dirty (customer_id) SELECT DISTINCT o.customer_id FROM touched_old o;
    END IF;
    RETURN NULL;
END $$;
REVOKE ALL ON FUNCTION cdp._segment_touch_old() FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_touch_old() IS 'Statement trigger: marks the customers of deleted rows in cdp.segment_dirty.';
CREATE TRIGGER segment_touch_upd AFTER UPDATE ON cdp.profiles REFERENCING NEW TABLE AS touched_new
    FOR EACH STATEMENT EXECUTE FUNCTION cdp._segment_touch_new();
COMMENT ON TRIGGER segment_touch_upd ON cdp.profiles IS 'Segment change tracking (profile updates).';
CREATE TRIGGER segment_touch_del AFTER DELETE ON cdp.profiles REFERENCING OLD TABLE AS touched_old
    FOR EACH STATEMENT EXECUTE FUNCTION cdp._segment_touch_old();
COMMENT ON TRIGGER segment_touch_del ON cdp.profiles IS 'Segment change tracking (profiles removed by merges and forgets).';
CREATE TRIGGER segment_touch_ins AFTER INSERT ON cdp.consents REFERENCING NEW TABLE AS touched_new
    FOR EACH STATEMENT EXECUTE FUNCTION cdp._segment_touch_new();
COMMENT ON TRIGGER segment_touch_ins ON cdp.consents IS 'Segment change tracking (new consent decisions).';
CREATE TRIGGER segment_touch_upd AFTER UPDATE ON cdp.consents REFERENCING NEW TABLE AS touched_new
    FOR EACH STATEMENT EXECUTE FUNCTION cdp._segment_touch_new();
COMMENT ON TRIGGER segment_touch_upd ON cdp.consents IS 'Segment change tracking (changed consent decisions).';
CREATE TRIGGER segment_touch_del AFTER DELETE ON cdp.consents REFERENCING OLD TABLE AS touched_old
    FOR EACH STATEMENT EXECUTE FUNCTION cdp._segment_touch_old();
COMMENT ON TRIGGER segment_touch_del ON cdp.consents IS 'Segment change tracking (consents moved by merges).';

-- ---------------------------------------------------------------- compiler
CREATE FUNCTION cdp._segment_compile(definition jsonb) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'cdp_segment_compile'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._segment_compile(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_compile(jsonb) IS
    'Compiles a segment definition (C++ core): {sql, subset_sql, params, readable, segments, windows, incremental}; a bad definition raises 22023 naming the JSON path of the bad part.';

CREATE FUNCTION cdp._segment_time(v jsonb) RETURNS timestamptz
    AS 'MODULE_PATHNAME', 'cdp_segment_time'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._segment_time(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_time(jsonb) IS
    'The point in time of a JSON string holding an ISO-8601 date or date-time (no zone: UTC); NULL for anything else. Used by generated segment SQL.';

CREATE FUNCTION cdp._segment_num(v jsonb) RETURNS numeric
    AS 'MODULE_PATHNAME', 'cdp_segment_num'
    LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION cdp._segment_num(jsonb) FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_num(jsonb) IS
    'The number of a JSON number, or of a JSON string holding a plain decimal number ("42", "-3.5", "1e3"); NULL for anything else. Used by generated segment SQL.';

-- Validates a compiled definition's nested segments for segment `self`:
-- each exists, and none reaches back to self (cycle).
CREATE FUNCTION cdp._segment_check_deps(self text, deps text[]) RETURNS void
    LANGUAGE plpgsql STABLE SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    missing text;
    path text;
BEGIN
    SELECT d INTO missing FROM unnest(deps) d WHERE NOT EXISTS (SELECT 1 FROM cdp.segments s WHERE s.name = d)
       AND d IS DISTINCT FROM self LIMIT 1;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'segment definition: nested segment "%" does not exist', missing
            USING ERRCODE = 'undefined_object';
    END IF;
    IF self IS NULL THEN RETURN; END IF;
    WITH RECURSIVE r(name, trail) AS (
        SELECT d, ARRAY[self, d] FROM unnest(deps) d
        UNION ALL
        SELECT x, r.trail || x FROM r JOIN cdp.segments s ON s.name = r.name, unnest(s.depends_on) x
         WHERE r.name <> self AND NOT x = ANY (r.trail[2:]) AND cardinality(r.trail) < 1000)
    SELECT array_to_string(trail, ' -> ') INTO path FROM r WHERE name = self LIMIT 1;
    IF path IS NOT NULL THEN
        RAISE EXCEPTION 'segment definition: nested segments form a cycle: %', path
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END $$;
REVOKE ALL ON FUNCTION cdp._segment_check_deps(text, text[]) FROM PUBLIC;
COMMENT ON FUNCTION cdp._segment_check_deps(text, text[]) IS
    'Refuses nested segments that do not exist or that lead back to the segment itself (cycle, named in the error).';

-- ---------------------------------------------------------------- definitions
CREATE FUNCTION cdp.create_segment(name text, definition jsonb, description text DEFAULT NULL) RETURNS int
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb;
    id int;
BEGIN
    IF name IS NULL OR definition IS NULL THEN
        RAISE EXCEPTION 'cdp.create_segment: name and definition must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF length(name) NOT BETWEEN 1 AND 200 THEN
        RAISE EXCEPTION 'cdp.create_segment: a segment name has 1 to 200 characters' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF EXISTS (SELECT 1 FROM cdp.segments s WHERE s.name = create_segment.name) THEN
        RAISE EXCEPTION 'segment "%" already exists', name USING ERRCODE = 'duplicate_object',
            HINT = 'Change it with cdp.alter_segment.';
    END IF;
    c := cdp._segment_compile(definition);
    PERFORM cdp._segment_check_deps(create_segment.name,
                                    ARRAY(SELECT jsonb_array_elements_text(c -> 'segments')));
    INSERT INTO cdp.segments (name, definition, description, depends_on)
        VALUES (create_segment.name, definition, description, ARRAY(SELECT jsonb_array_elements_text(c -> 'segments')))
        RETURNING segment_id INTO id;
    RETURN id;
END $$;
REVOKE ALL ON FUNCTION cdp.create_segment(text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.create_segment(text, jsonb, text) TO cdp_admin;
COMMENT ON FUNCTION cdp.create_segment(text, jsonb, text) IS
    'Creates a segment from a JSON definition (docs/segment.md); a bad definition, a missing nested segment or a cycle is refused naming the bad part. Members appear at the first refresh.';

CREATE FUNCTION cdp.alter_segment(name text, definition jsonb) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb;
BEGIN
    PERFORM 1 FROM cdp.segments s WHERE s.name = alter_segment.name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    c := cdp._segment_compile(definition);
    PERFORM cdp._segment_check_deps(alter_segment.name, ARRAY(SELECT jsonb_array_elements_text(c -> 'segments')));
    UPDATE cdp.segments s SET definition = alter_segment.definition, revision = s.revision + 1,
           depends_on = ARRAY(SELECT jsonb_array_elements_text(c -> 'segments'))
     WHERE s.name = alter_segment.name;
END $$;
REVOKE ALL ON FUNCTION cdp.alter_segment(text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.alter_segment(text, jsonb) TO cdp_admin;
COMMENT ON FUNCTION cdp.alter_segment(text, jsonb) IS
    'Replaces a segment''s definition (validated as by create_segment); membership stays until the next refresh, which is a full one.';

CREATE FUNCTION cdp.drop_segment(name text) RETURNS void
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid int;
    deps text;
    dests text;
BEGIN
    SELECT s.segment_id INTO sid FROM cdp.segments s WHERE s.name = drop_segment.name FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    SELECT string_agg(format('segment "%s"', s.name), ', ' ORDER BY s.name) INTO deps
      FROM cdp.segments s WHERE drop_segment.name = ANY (s.depends_on) AND s.segment_id <> sid;
    -- Destinations (activation area) feeding from it, when that area is installed.
    IF to_regclass('cdp.destinations') IS NOT NULL
       AND (SELECT count(*) FROM pg_attribute a WHERE a.attrelid = to_regclass('cdp.destinations')
               AND a.attname IN ('name', 'spec') AND NOT a.attisdropped) = 2 THEN
        EXECUTE 'SELECT string_agg(format(''destination "%s"'', d.name), '', '' ORDER BY d.name) FROM cdp.destinations d '
                'WHERE d.spec ->> ''segment'' = $1'
           INTO STRICT dests USING name;
        deps := nullif(concat_ws(', ', deps, dests), '');
    END IF;
    IF deps IS NOT NULL THEN
        RAISE EXCEPTION 'segment "%" is used by %', name, deps USING ERRCODE = 'dependent_objects_still_exist',
            HINT = 'Drop or alter those first.';
    END IF;
    IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        PERFORM cdp.unschedule_segment_refresh(name);
    END IF;
    DELETE FROM cdp.segments s WHERE s.segment_id = sid;
    IF NOT EXISTS (SELECT 1 FROM cdp.segments) THEN
        DELETE FROM cdp.segment_dirty;  -- nothing left to track for
    END IF;
END $$;
REVOKE ALL ON FUNCTION cdp.drop_segment(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.drop_segment(text) TO cdp_admin;
COMMENT ON FUNCTION cdp.drop_segment(text) IS
    'Drops a segment with its membership, log and runs (and its pg_cron job); refused while another segment or a destination depends on it, naming them.';

-- ---------------------------------------------------------------- preview / SQL
CREATE FUNCTION cdp.preview_segment(definition jsonb, lim int DEFAULT 100) RETURNS SETOF bigint
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    c jsonb;
BEGIN
    IF definition IS NULL THEN
        RAISE EXCEPTION 'cdp.preview_segment: definition must not be NULL' USING ERRCODE = 'null_value_not_allowed';
    END IF;
    c := cdp._segment_compile(definition);
    PERFORM cdp._segment_check_deps(NULL, ARRAY(SELECT jsonb_array_elements_text(c -> 'segments')));
    RETURN QUERY EXECUTE (c ->> 'sql') || ' ORDER BY 1 LIMIT $3'
        USING cdp._clock(), ARRAY(SELECT jsonb_array_elements_text(c -> 'params')), greatest(coalesce(lim, 100), 0);
END $$;
REVOKE ALL ON FUNCTION cdp.preview_segment(jsonb, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.preview_segment(jsonb, int) TO cdp_reader;
COMMENT ON FUNCTION cdp.preview_segment(jsonb, int) IS
    'Customers a definition selects now (at most lim, by id), without creating anything; nested segments are read from their current membership.';

CREATE FUNCTION cdp.segment_sql(name text) RETURNS text
    LANGUAGE plpgsql STABLE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    d jsonb;
BEGIN
    SELECT s.definition INTO d FROM cdp.segments s WHERE s.name = segment_sql.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    RETURN cdp._segment_compile(d) ->> 'readable';
END $$;
REVOKE ALL ON FUNCTION cdp.segment_sql(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.segment_sql(text) TO cdp_reader;
COMMENT ON FUNCTION cdp.segment_sql(text) IS
    'The SQL a full refresh of the segment runs, with its values inlined as quoted literals and now() as the clock: a DBA can run or EXPLAIN it.';

-- ---------------------------------------------------------------- refresh
-- One refresh of segment p_sid; returns the run id.  The segment row is
-- locked FOR NO KEY UPDATE: a second refresh of the same segment waits for
-- the first to commit (then it sees the first's result).  Only segment
-- tables are written; events, records, profiles and consents are only read
-- (ingest is never blocked).  An error or cancel inside leaves the previous
-- membership intact (subtransaction), marks the run failed with the error
-- and raises a WARNING instead of the error, so the run row survives.
CREATE FUNCTION cdp._refresh_segment(p_sid int, p_mode text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    SET work_mem = '64MB'
AS $$
DECLARE
    s cdp.segments;
    c jsonb;
    prev record;
    run bigint;
    v_now timestamptz := cdp._clock();
    v_mode text;
    snap pg_snapshot;
    cand bigint[];
    params text[];
    n_ent bigint := 0;
    n_ext bigint := 0;
    n_members bigint;
    w bigint;
    b jsonb;
    has_dependents boolean;
    err text;
    st text;
BEGIN
    SELECT * INTO s FROM cdp.segments x WHERE x.segment_id = p_sid FOR NO KEY UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment % does not exist', p_sid USING ERRCODE = 'undefined_object';
    END IF;
    -- Taken before the membership is computed: every change it does not
    -- see, and every change of this transaction (its own writes count as
    -- seen by the snapshot even when made later), is re-evaluated by the
    -- next incremental run.
    snap := pg_current_snapshot();
    c := cdp._segment_compile(s.definition);
    params := ARRAY(SELECT jsonb_array_elements_text(c -> 'params'));
    SELECT r.run_id, r.snapshot, r.xid, r.clock, r.revision INTO prev FROM cdp.segment_runs r
     WHERE r.segment_id = p_sid AND r.status = 'succeeded' ORDER BY r.run_id DESC LIMIT 1;
    v_mode := CASE
        WHEN p_mode = 'full' THEN 'full'
        WHEN prev.run_id IS NULL OR prev.snapshot IS NULL OR prev.revision IS DISTINCT FROM s.revision
             OR NOT (c ->> 'incremental')::boolean OR v_now < prev.clock THEN 'full'
        WHEN EXISTS (SELECT 1 FROM cdp.segment_dirty d WHERE d.customer_id IS NULL
                        AND d.xid >= least(pg_snapshot_xmin(prev.snapshot), prev.xid)
                        AND (NOT pg_visible_in_snapshot(d.xid, prev.snapshot) OR d.xid = prev.xid))
             THEN 'full'
        ELSE 'incremental' END;
    IF p_mode = 'incremental' AND v_mode = 'full' THEN
        RAISE NOTICE 'cdp.refresh_segment: segment "%" needs a full refresh (%)', s.name,
            CASE WHEN prev.run_id IS NULL THEN 'no earlier run'
                 WHEN prev.revision IS DISTINCT FROM s.revision THEN 'definition changed'
                 WHEN NOT (c ->> 'incremental')::boolean THEN 'relative dates outside event windows'
                 ELSE 'untracked changes' END;
    END IF;
    has_dependents := EXISTS (SELECT 1 FROM cdp.segments x WHERE s.name = ANY (x.depends_on));
    INSERT INTO cdp.segment_runs (segment_id, mode, clock, revision, snapshot, xid)
        VALUES (p_sid, v_mode, v_now, s.revision, snap, pg_current_xact_id()) RETURNING run_id INTO run;
    BEGIN
        IF v_mode = 'incremental' THEN
            cand := ARRAY(SELECT d.customer_id FROM cdp.segment_dirty d
                           WHERE d.customer_id IS NOT NULL AND d.xid >= least(pg_snapshot_xmin(prev.snapshot), prev.xid)
                             AND (NOT pg_visible_in_snapshot(d.xid, prev.snapshot) OR d.xid = prev.xid));
            -- Events whose window edge passed between the last run and now.
            FOR b IN SELECT x FROM jsonb_array_elements(c -> 'boundaries') x LOOP
                w := (b ->> 'within')::bigint;
                cand := cand || ARRAY(SELECT r.customer_id FROM cdp.events e JOIN cdp.records r ON r.record_id = e.record_id
                                       WHERE e.occurred_at > prev.clock - make_interval(secs => w)
                                         AND e.occurred_at <= v_now - make_interval(secs => w)
                                         AND e.event = ANY (ARRAY(SELECT jsonb_array_elements_text(b -> 'events')))
                                         AND r.customer_id IS NOT NULL);
            END LOOP;
            cand := ARRAY(SELECT DISTINCT u FROM unnest(cand) u ORDER BY 1);
        END IF;
        EXECUTE format($q$
            WITH cur AS (%s),
            ent AS (INSERT INTO cdp.segment_members (segment_id, customer_id, since)
                    SELECT $4, cur.customer_id, now() FROM cur
                     WHERE NOT EXISTS (SELECT 1 FROM cdp.segment_members m WHERE m.segment_id = $4 AND m.customer_id = cur.customer_id)
                    RETURNING customer_id),
            ext AS (DELETE FROM cdp.segment_members m WHERE m.segment_id = $4 %s
                       AND NOT EXISTS (SELECT 1 FROM cur WHERE cur.customer_id = m.customer_id)
                    RETURNING m.customer_id),
            lg AS (INSERT INTO cdp.segment_membership_log (segment_id, customer_id, change, run_id)
                   SELECT $4, x.customer_id, x.change, $5 FROM (
                       SELECT customer_id, 'enter' AS change FROM ent UNION ALL SELECT customer_id, 'exit' FROM ext) x
                    ORDER BY x.customer_id),
            dd AS (INSERT INTO cdp.segment_dirty (customer_id)
                   SELECT customer_id FROM ent WHERE $6 UNION ALL SELECT customer_id FROM ext WHERE $6)
            SELECT (SELECT count(*) FROM ent), (SELECT count(*) FROM ext)$q$,
            CASE WHEN v_mode = 'incremental' THEN c ->> 'subset_sql' ELSE c ->> 'sql' END,
            CASE WHEN v_mode = 'incremental' THEN 'AND m.customer_id = ANY ($3::int8[])' ELSE '' END)
        INTO n_ent, n_ext USING v_now, params, cand, p_sid, run, has_dependents;
        IF v_mode = 'full' THEN
            SELECT count(*) INTO n_members FROM cdp.segment_members m WHERE m.segment_id = p_sid;
        ELSE
            n_members := s.member_count + n_ent - n_ext;
        END IF;
        UPDATE cdp.segments x SET member_count = n_members, last_refreshed_at = now() WHERE x.segment_id = p_sid;
        UPDATE cdp.segment_runs r SET status = 'succeeded', finished_at = clock_timestamp(), entered = n_ent,
               exited = n_ext, members = n_members, candidates = cardinality(cand)
         WHERE r.run_id = run;
        IF n_ent + n_ext > 0 THEN
            PERFORM pg_notify('cdp_segment_changes',
                              json_build_object('segment', s.name, 'run_id', run, 'entered', n_ent, 'exited', n_ext)::text);
        END IF;
    EXCEPTION WHEN query_canceled OR OTHERS THEN
        GET STACKED DIAGNOSTICS err = MESSAGE_TEXT, st = RETURNED_SQLSTATE;
        UPDATE cdp.segment_runs r SET status = 'failed', finished_at = clock_timestamp(), error = st || ': ' || err
         WHERE r.run_id = run;
        RAISE WARNING 'cdp.refresh_segment: refresh of segment "%" failed (run %): %', s.name, run, err
            USING ERRCODE = '01000';
        RETURN run;
    END;
    -- Change-tracking rows every segment's last successful run has seen.
    DELETE FROM cdp.segment_dirty d
     WHERE d.xid < (SELECT min(least(pg_snapshot_xmin(l.snapshot), l.xid)) FROM (
                        SELECT DISTINCT ON (r.segment_id) r.snapshot, r.xid FROM cdp.segment_runs r
                         WHERE r.status = 'succeeded' AND r.snapshot IS NOT NULL
                         ORDER BY r.segment_id, r.run_id DESC) l);
    RETURN run;
END $$;
REVOKE ALL ON FUNCTION cdp._refresh_segment(int, text) FROM PUBLIC;
COMMENT ON FUNCTION cdp._refresh_segment(int, text) IS
    'One refresh of a segment (mode full, incremental or auto); returns the run id (the run row says whether it succeeded).';

CREATE PROCEDURE cdp.refresh_segment(name text, mode text DEFAULT 'auto')
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid int;
BEGIN
    IF mode IS NULL OR mode NOT IN ('full', 'incremental', 'auto') THEN
        RAISE EXCEPTION 'cdp.refresh_segment: mode must be full, incremental or auto, not %', coalesce(quote_literal(mode), 'NULL')
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    SELECT s.segment_id INTO sid FROM cdp.segments s WHERE s.name = refresh_segment.name;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    PERFORM cdp._refresh_segment(sid, mode);
END $$;
REVOKE ALL ON PROCEDURE cdp.refresh_segment(text, text) FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE cdp.refresh_segment(text, text) TO cdp_admin;
COMMENT ON PROCEDURE cdp.refresh_segment(text, text) IS
    'Recomputes a segment''s membership (full, incremental or auto), logs enter/exit, records a run and sends NOTIFY cdp_segment_changes when membership changed. A second refresh of the same segment waits for the first. A failed run leaves membership intact, a failed run row and a WARNING.';

CREATE PROCEDURE cdp.refresh_segments()
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    sid int;
BEGIN
    -- Dependency order: a segment after every segment it reads.
    FOR sid IN
        WITH RECURSIVE lvl(segment_id, name, depth) AS (
            SELECT s.segment_id, s.name, 0 FROM cdp.segments s
            UNION ALL
            SELECT s.segment_id, s.name, l.depth + 1 FROM lvl l JOIN cdp.segments s ON l.name = ANY (s.depends_on)
             WHERE l.depth < 1000)
        SELECT l.segment_id FROM lvl l GROUP BY l.segment_id ORDER BY max(l.depth), l.segment_id
    LOOP
        PERFORM cdp._refresh_segment(sid, 'auto');
    END LOOP;
END $$;
REVOKE ALL ON PROCEDURE cdp.refresh_segments() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE cdp.refresh_segments() TO cdp_admin;
COMMENT ON PROCEDURE cdp.refresh_segments() IS
    'Refreshes every segment (mode auto), nested segments before the segments that read them.';

-- ---------------------------------------------------------------- scheduling (pg_cron)
CREATE FUNCTION cdp.schedule_segment_refresh(name text, schedule text) RETURNS bigint
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM cdp.segments s WHERE s.name = schedule_segment_refresh.name) THEN
        RAISE EXCEPTION 'segment "%" does not exist', name USING ERRCODE = 'undefined_object';
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'cdp.schedule_segment_refresh: pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'Add pg_cron to shared_preload_libraries, set cron.database_name to this database and run CREATE EXTENSION pg_cron here.';
    END IF;
    EXECUTE 'SELECT cron.schedule($1, $2, $3)' INTO job
        USING 'cdp_segment:' || name, schedule, format('CALL cdp.refresh_segment(%L)', name);
    RETURN job;
END $$;
REVOKE ALL ON FUNCTION cdp.schedule_segment_refresh(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.schedule_segment_refresh(text, text) TO cdp_admin;
COMMENT ON FUNCTION cdp.schedule_segment_refresh(text, text) IS
    'Schedules CALL cdp.refresh_segment(name) as the pg_cron job "cdp_segment:<name>" (cron syntax, minute granularity; replaces an earlier schedule); returns the job id. Needs pg_cron in this database (feature_not_supported otherwise).';

CREATE FUNCTION cdp.unschedule_segment_refresh(name text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE STRICT SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
    job bigint;
    found_any boolean := false;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_cron') THEN
        RAISE EXCEPTION 'cdp.unschedule_segment_refresh: pg_cron is not installed in this database'
            USING ERRCODE = 'feature_not_supported';
    END IF;
    FOR job IN EXECUTE 'SELECT jobid FROM cron.job WHERE jobname = $1' USING 'cdp_segment:' || name LOOP
        EXECUTE 'SELECT cron.unschedule($1)' USING job;
        found_any := true;
    END LOOP;
    RETURN found_any;
END $$;
REVOKE ALL ON FUNCTION cdp.unschedule_segment_refresh(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION cdp.unschedule_segment_refresh(text) TO cdp_admin;
COMMENT ON FUNCTION cdp.unschedule_segment_refresh(text) IS
    'Removes the pg_cron job of the segment; true when there was one.';
