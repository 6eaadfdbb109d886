-- Profiles and consent (DESIGN.md section 5).
-- Settings (src/pg/profile/gucs.cpp): cdp.consent_default decides the answer
-- for a purpose the customer never decided on (privacy policy): PGC_SUSET,
-- settable by superusers and cdp_admin only.
GRANT SET ON PARAMETER cdp.consent_default TO cdp_admin;
