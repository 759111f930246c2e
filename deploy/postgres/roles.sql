-- Roles for liqsync. Run once as a superuser (or a role with CREATEROLE), e.g.:
--   sudo -u postgres psql -v ON_ERROR_STOP=1 -d liq -f deploy/postgres/roles.sql
--
-- liqsync          the ingester: owns schema liquidations, runs `liqsync migrate` and the service
-- liquidations_reader   NOLOGIN: read access to the BI views only; grant it to analysts
--
-- Then, for each analyst or BI tool:
--   CREATE ROLE metabase LOGIN PASSWORD '...';
--   GRANT liquidations_reader TO metabase;

-- Roles are cluster-wide: each is created only if it does not exist yet, and one created at the
-- same moment by another session (this script or `liqsync migrate` run against another
-- database of the cluster) counts as existing.
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'liqsync') THEN
        CREATE ROLE liqsync LOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'liquidations_reader') THEN
        CREATE ROLE liquidations_reader NOLOGIN;
    END IF;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN
        NULL;
END
$$;

-- The ingester creates its schema in this database; it needs nothing else.
DO $$
BEGIN
    EXECUTE format('GRANT CONNECT, CREATE ON DATABASE %I TO liqsync', current_database());
END
$$;
