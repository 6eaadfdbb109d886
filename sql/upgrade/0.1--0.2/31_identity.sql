-- 0.2: the identity settings are PGC_SUSET, settable by cdp_admin.
GRANT SET ON PARAMETER cdp.max_cluster_records, cdp.bulk_rewrite_min_records, cdp.defer_resolution
    TO cdp_admin;
