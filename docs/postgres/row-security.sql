-- ProntoDB on PostgreSQL: row-level security that limits roles to some projects of one ProntoDB
-- database (README, "Roles and row-level security"; docs/FORMAT.md#postgres-roles).
--
-- It adds the table project_access (role_name, project) to the database's schema. A login role
-- listed there sees and writes only the projects listed for it: values (kv), TTL namespaces
-- (sys_namespaces) and the audit records of those projects plus the database-wide ones (import,
-- purge, audit on/off). Roles not listed are not limited. The login role counts (session_user),
-- so a limited role cannot escape by SET ROLE to a group it belongs to. The admin (the owner of
-- the tables) is never limited, and only it edits project_access.
--
-- Run it after roles.sql, once the database exists (`prontodb db create NAME` as the admin), as the
-- admin or a superuser, with psql:
--
--   psql "postgres://postgres@db.example/team" -v admin=prontodb_admin -v database=main \
--        -f docs/postgres/row-security.sql
--
-- Then limit roles (as the admin):
--   INSERT INTO prontodb_main.project_access (role_name, project) VALUES ('carl', 'alpha'), ('carl', 'gamma');
-- Running it again is harmless and keeps the rows of project_access.

\set ON_ERROR_STOP on
\set schema prontodb_ :database

SET ROLE :"admin";

CREATE TABLE IF NOT EXISTS :"schema".project_access (
    role_name text NOT NULL,
    project   text COLLATE "C" NOT NULL,
    PRIMARY KEY (role_name, project)
);
GRANT SELECT ON :"schema".project_access TO PUBLIC;
-- Readable by all; no policy for INSERT, UPDATE or DELETE, so only the owner (the admin) changes it.
ALTER TABLE :"schema".project_access ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS readable ON :"schema".project_access;
CREATE POLICY readable ON :"schema".project_access FOR SELECT USING (true);

-- Both subqueries are uncorrelated: the server runs them once per statement, not once per row.
ALTER TABLE :"schema".kv ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS by_project ON :"schema".kv;
CREATE POLICY by_project ON :"schema".kv
  USING (NOT EXISTS (SELECT 1 FROM :"schema".project_access a WHERE a.role_name = session_user)
         OR project IN (SELECT a.project FROM :"schema".project_access a WHERE a.role_name = session_user));

ALTER TABLE :"schema".sys_namespaces ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS by_project ON :"schema".sys_namespaces;
CREATE POLICY by_project ON :"schema".sys_namespaces
  USING (NOT EXISTS (SELECT 1 FROM :"schema".project_access a WHERE a.role_name = session_user)
         OR project IN (SELECT a.project FROM :"schema".project_access a WHERE a.role_name = session_user));

ALTER TABLE :"schema".prontodb_audit ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS by_project ON :"schema".prontodb_audit;
CREATE POLICY by_project ON :"schema".prontodb_audit
  USING (project IS NULL
         OR NOT EXISTS (SELECT 1 FROM :"schema".project_access a WHERE a.role_name = session_user)
         OR project IN (SELECT a.project FROM :"schema".project_access a WHERE a.role_name = session_user));

RESET ROLE;
