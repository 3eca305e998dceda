#!/bin/bash
# Runs once, when the database container initialises its data volume (the public postgres and
# TimescaleDB images and edgegw/postgres all run /docker-entrypoint-initdb.d/*.sh): the service
# roles with their provisioned passwords. psql reads each password from its file itself (never in
# argv or the environment).
set -euo pipefail
psql -v ON_ERROR_STOP=1 -q -U "${POSTGRES_USER:-gateway}" -d "${POSTGRES_DB:-gateway}" <<'SQL'
\set bpw `cat /run/secrets/db-buffer-password`
\set upw `cat /run/secrets/db-uplink-password`
CREATE ROLE buffer LOGIN PASSWORD :'bpw';
CREATE ROLE uplink LOGIN PASSWORD :'upw';
-- The buffer owns the store: its Flyway migrations create the schema.
ALTER DATABASE gateway OWNER TO buffer;
ALTER SCHEMA public OWNER TO buffer;
-- The uplink reads what the buffer stores and keeps its outbox positions. The tables do not exist
-- yet: reads through default privileges, and writes to the two outbox tables granted by an event
-- trigger when the buffer's migration creates them (it runs as their owner, the buffer).
ALTER DEFAULT PRIVILEGES FOR ROLE buffer IN SCHEMA public GRANT SELECT ON TABLES TO uplink;
-- In a schema of its own: Flyway wants the buffer's schema empty before its first migration.
CREATE SCHEMA gateway_admin;
REVOKE ALL ON SCHEMA gateway_admin FROM PUBLIC;
CREATE FUNCTION gateway_admin.grant_outbox_to_uplink() RETURNS event_trigger LANGUAGE plpgsql AS $$
BEGIN
  IF to_regclass('public.outbox_position') IS NOT NULL THEN
    GRANT INSERT, UPDATE, DELETE ON public.outbox_position TO uplink;
  END IF;
  IF to_regclass('public.outbox_delivered') IS NOT NULL THEN
    GRANT INSERT, UPDATE, DELETE ON public.outbox_delivered TO uplink;
  END IF;
END $$;
CREATE EVENT TRIGGER uplink_outbox_grants ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION gateway_admin.grant_outbox_to_uplink();
SQL
