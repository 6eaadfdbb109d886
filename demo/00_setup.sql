-- cdp demo, part 0: install the extension and show its configuration.
\set QUIET on
\pset footer off
CREATE EXTENSION cdp;
\echo
\echo '== cdp installed =='
SELECT cdp.version() AS version;
\echo
\echo '== Settings (GUCs under the reserved prefix cdp.) =='
SELECT name, setting, short_desc FROM pg_settings WHERE name LIKE 'cdp.%' ORDER BY name;
\echo
\echo '== Roles: grant these to your application users =='
SELECT r.rolname AS role, coalesce(string_agg(m.rolname, ', '), '') AS member_of
  FROM pg_roles r
  LEFT JOIN pg_auth_members am ON am.member = r.oid
  LEFT JOIN pg_roles m ON m.oid = am.roleid
 WHERE r.rolname LIKE 'cdp\_%'
 GROUP BY r.rolname ORDER BY r.rolname;
