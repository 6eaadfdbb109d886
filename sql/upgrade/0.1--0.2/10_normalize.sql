-- 0.2: cdp.email_provider_rules is PGC_SUSET, settable by cdp_admin.
GRANT SET ON PARAMETER cdp.email_provider_rules TO cdp_admin;
