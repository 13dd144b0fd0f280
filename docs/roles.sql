-- Least-privilege roles for otc-etl on a PostgreSQL server (not needed for the embedded database).
--
--   owner    owns the schema and its tables; runs `otc-etl migrate`. Nothing else uses it.
--   loader   runs `otc-etl sync` (and import, reprocess, users, serve): reads and writes the rows of the
--            schema's tables, uses their sequences, creates temporary staging tables; cannot create,
--            alter or drop tables, nor write schema_migrations.
--   analyst  reads the schema's tables and views; writes nothing.
--
-- Run it as a superuser (or a role with CREATEROLE that may grant on this database), connected to the
-- target database, once before the first `otc-etl migrate` and once more after every `migrate`
-- (it is idempotent; the second run takes back the loader's write access to schema_migrations):
--
--   psql "postgres://admin@db.example/servicedesk" -v ON_ERROR_STOP=1 \
--        -v owner=otc_owner -v loader=otc_loader -v analyst=otc_analyst \
--        [-v schema=servicedesk] [-v timezone=Australia/Perth] -f docs/roles.sql
--
-- Passwords are not set here (they would end up in shell history): set them in psql with
--   \password otc_owner      \password otc_loader      \password otc_analyst
-- or use certificate authentication. Tables created later by `migrate` (run as the owner) get the
-- same grants automatically (ALTER DEFAULT PRIVILEGES below).

\set ON_ERROR_STOP on
\if :{?schema}
\else
  \set schema servicedesk
\endif
\if :{?timezone}
\else
  \set timezone Australia/Perth
\endif

-- The roles (created once; re-running leaves existing ones as they are).
SELECT format('CREATE ROLE %I LOGIN', r) FROM unnest(ARRAY[:'owner', :'loader', :'analyst']) AS r
WHERE NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r) \gexec

-- The database: everyone connects; the loader stages in temporary tables; the owner may create the schema.
GRANT CONNECT, CREATE ON DATABASE :"DBNAME" TO :"owner";
GRANT CONNECT, TEMPORARY ON DATABASE :"DBNAME" TO :"loader";
GRANT CONNECT ON DATABASE :"DBNAME" TO :"analyst";
-- `migrate` sets the database's TimeZone (the analysts' ::date follows the source's local days); that
-- needs the database's owner, so it is set here and `migrate` finds it already done.
ALTER DATABASE :"DBNAME" SET TimeZone TO :'timezone';

-- The schema, owned by the owner role.
CREATE SCHEMA IF NOT EXISTS :"schema" AUTHORIZATION :"owner";
GRANT USAGE ON SCHEMA :"schema" TO :"loader", :"analyst";

-- Tables and sequences that exist now…
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA :"schema" TO :"loader";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA :"schema" TO :"loader";
GRANT SELECT ON ALL TABLES IN SCHEMA :"schema" TO :"analyst";
-- …and those the owner creates later.
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"loader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT USAGE, SELECT ON SEQUENCES TO :"loader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"analyst";

-- The migration record is the owner's alone (present once `migrate` has run).
SELECT format('REVOKE INSERT, UPDATE, DELETE ON %I.schema_migrations FROM %I', :'schema', :'loader')
WHERE to_regclass(format('%I.schema_migrations', :'schema')) IS NOT NULL \gexec
