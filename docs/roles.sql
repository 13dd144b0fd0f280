-- Least-privilege roles for otc-etl on a PostgreSQL server (not needed for the embedded database).
--
--   owner    owns the schema and its tables; runs `otc-etl migrate`. Nothing else uses it.
--   loader   runs `otc-etl sync` (and import, reprocess, users, serve): reads and writes the rows of
--            otc-etl's own tables (those the owner owns), uses their sequences, creates temporary staging tables; cannot create,
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
-- same grants automatically (ALTER DEFAULT PRIVILEGES below); tables other roles create in the schema
-- (other tools') are never granted to the loader, and re-running the script takes back any write on them.

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

-- otc-etl's own tables are the ones its owner role owns: `migrate` runs as the owner, and every table it
-- creates (now or in a later version) is the owner's. Other tools' tables in the schema belong to their
-- own roles and get nothing here; give each tool its own role, never this owner.
--
-- Tables, views and sequences that exist now, one by one…
SELECT format('GRANT SELECT, INSERT, UPDATE, DELETE ON %I.%I TO %I', n.nspname, c.relname, :'loader')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p') AND pg_get_userbyid(c.relowner) = :'owner'
  AND c.relname <> 'schema_migrations'
ORDER BY c.relname \gexec
SELECT format('GRANT SELECT ON %I.%I TO %I, %I', n.nspname, c.relname, :'loader', :'analyst')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm') AND pg_get_userbyid(c.relowner) = :'owner'
ORDER BY c.relname \gexec
SELECT format('GRANT USAGE, SELECT ON SEQUENCE %I.%I TO %I', n.nspname, c.relname, :'loader')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :'schema' AND c.relkind = 'S' AND pg_get_userbyid(c.relowner) = :'owner'
ORDER BY c.relname \gexec
-- …and those the owner creates later (the tables a future `migrate` adds).
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"loader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT USAGE, SELECT ON SEQUENCES TO :"loader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA :"schema" GRANT SELECT ON TABLES TO :"analyst";

-- Earlier versions of this script granted the loader writes on every table of the schema: take them
-- back from every table otc-etl does not own, so re-running it closes what they opened.
SELECT format('REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON %I.%I FROM %I', n.nspname, c.relname, :'loader')
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = :'schema' AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND pg_get_userbyid(c.relowner) <> :'owner'
ORDER BY c.relname \gexec

-- The migration record is the owner's alone (present once `migrate` has run).
SELECT format('REVOKE INSERT, UPDATE, DELETE ON %I.schema_migrations FROM %I', :'schema', :'loader')
WHERE to_regclass(format('%I.schema_migrations', :'schema')) IS NOT NULL \gexec
