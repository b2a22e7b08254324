-- ProntoDB on PostgreSQL: a reader, a writer and an admin role for one PostgreSQL database
-- (README, "Roles and row-level security"; docs/FORMAT.md#postgres-roles).
--
--   admin   creates and deletes ProntoDB databases there (`prontodb db create/delete`), migrates and
--           compacts them: it owns their schemas and tables.
--   writer  reads and writes values (set, del, import, TTL namespaces, purge, the audit log and its
--           settings); cannot create or delete a database or change its tables.
--   reader  reads only: every writing command, tool and UI action fails with "read-only: ...".
--
-- Run it as a superuser, with psql, on the PostgreSQL database the team's URLs name (tested so; a
-- managed service's administrator that is no superuser needs CREATEROLE, and membership in the roles
-- whose databases it hands to the admin: not tested):
--
--   psql "postgres://postgres@db.example/team" -v admin=prontodb_admin \
--        -v writer=prontodb_writer -v reader=prontodb_reader -f docs/postgres/roles.sql
--
-- Roles that do not exist are made as groups without login. People log in as members:
--   CREATE ROLE rita LOGIN PASSWORD '...' IN ROLE prontodb_reader;
-- The admin must be the role that creates the databases (their owner): log in as it (ALTER ROLE
-- prontodb_admin LOGIN PASSWORD '...'), or as a member whose sessions take it on:
--   CREATE ROLE ada LOGIN PASSWORD '...' IN ROLE prontodb_admin;  ALTER ROLE ada SET role = 'prontodb_admin';
-- Running it again is harmless; databases the admin creates later get the same privileges
-- without it (default privileges). Databases made earlier by others are handed to the admin.

\set ON_ERROR_STOP on

SELECT format('CREATE ROLE %I NOLOGIN', name) FROM unnest(ARRAY[:'admin', :'writer', :'reader']) AS name
 WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) \gexec

-- Everyone connects; only the admin creates schemas (a ProntoDB database is the schema prontodb_<name>).
SELECT format('GRANT CONNECT ON DATABASE %I TO %I, %I, %I', current_database(), :'admin', :'writer', :'reader') \gexec
SELECT format('GRANT CREATE ON DATABASE %I TO %I', current_database(), :'admin') \gexec

-- The ProntoDB databases that exist already: a schema holding prontodb_settings.
CREATE TEMPORARY VIEW prontodb_databases AS
  SELECT n.nspname AS schema FROM pg_namespace n JOIN pg_class c ON c.relnamespace = n.oid
   WHERE starts_with(n.nspname, 'prontodb_') AND c.relname = 'prontodb_settings' AND c.relkind = 'r';

SELECT format('ALTER SCHEMA %I OWNER TO %I', schema, :'admin') FROM prontodb_databases \gexec
SELECT format('ALTER TABLE %I.%I OWNER TO %I', n.nspname, c.relname, :'admin')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname IN (SELECT schema FROM prontodb_databases) AND c.relkind = 'r' \gexec
SELECT format('GRANT USAGE ON SCHEMA %I TO %I, %I', schema, :'writer', :'reader') FROM prontodb_databases \gexec
SELECT format('GRANT SELECT ON ALL TABLES IN SCHEMA %I TO %I', schema, :'reader') FROM prontodb_databases \gexec
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO %I', schema, :'writer') FROM prontodb_databases \gexec
SELECT format('GRANT USAGE ON ALL SEQUENCES IN SCHEMA %I TO %I', schema, :'writer') FROM prontodb_databases \gexec

-- The ProntoDB databases the admin creates from now on.
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" GRANT USAGE ON SCHEMAS TO :"writer", :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" GRANT SELECT ON TABLES TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"writer";
-- The audit log's id is an identity column: its sequence.
ALTER DEFAULT PRIVILEGES FOR ROLE :"admin" GRANT USAGE ON SEQUENCES TO :"writer";
