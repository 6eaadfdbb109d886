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
    member_count      bigint NOT NULL DEFAULT 0
);
REVOKE ALL ON cdp.segments FROM PUBLIC;
GRANT SELECT ON cdp.segments TO cdp_reader;
COMMENT ON TABLE cdp.segments IS
    'Segment definitions (JSON rule language of DESIGN section 6), with the time of the last refresh and the member count it left.';
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
    error       text
);
CREATE INDEX segment_runs_segment_idx ON cdp.segment_runs (segment_id, run_id);
REVOKE ALL ON cdp.segment_runs FROM PUBLIC;
GRANT SELECT ON cdp.segment_runs TO cdp_reader;
COMMENT ON TABLE cdp.segment_runs IS
    'One row per refresh of a segment: mode actually used (full or incremental), timings, customers entered and exited, members after the run, status (running, succeeded, failed) and the error of a failed run.';
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
