-- The edge store: one schema for plain PostgreSQL (15 or newer) and for TimescaleDB 2.x.
-- Flyway applies this file once; nothing else creates tables. Timestamps are timestamptz (UTC).

-- TimescaleDB is used when the server offers it (it must be in shared_preload_libraries, as in
-- the timescale/timescaledb images). A server that lists it but cannot load it runs plain.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS timescaledb;
    EXCEPTION WHEN OTHERS THEN
      RAISE WARNING 'timescaledb is installed but cannot be loaded (%); using plain PostgreSQL',
        SQLERRM;
    END;
  END IF;
END $$;

-- One row per (device, tag) ever seen. kind is number, boolean or string; unit comes from
-- devices.yaml when the buffer can read it.
CREATE TABLE series (
  id         integer GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  device     text NOT NULL,
  tag        text NOT NULL,
  unit       text,
  kind       text,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT series_device_tag UNIQUE (device, tag),
  CONSTRAINT series_kind CHECK (kind IN ('number', 'boolean', 'string'))
);

-- One value per commit of the ingest writer. Every row written by that commit carries it, so
-- the outbox can read "everything committed after position N" without relying on sample time.
CREATE SEQUENCE ingest_seq AS bigint;

-- One row per sample. value is a double (booleans 0/1); text_value holds strings, and the exact
-- decimal of integers beyond 2^53 that a double cannot hold. quality: 0 GOOD, 1 BAD, 2 STALE,
-- 3 COMM_FAILURE. (series_id, ts) is the idempotence key: a redelivered batch adds nothing.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
    CREATE TABLE sample (
      ts         timestamptz NOT NULL,
      series_id  integer NOT NULL,
      value      double precision,
      text_value text,
      quality    smallint NOT NULL,
      ingest_seq bigint NOT NULL,
      PRIMARY KEY (series_id, ts)
    );
    PERFORM create_hypertable('sample', 'ts', chunk_time_interval => INTERVAL '1 day');
    CREATE INDEX sample_ingest_seq ON sample (ingest_seq);
    -- Compressed chunks keep one segment per series, ordered by time. The policy (age) is
    -- applied by the service from buffer.store.compress-after.
    ALTER TABLE sample SET (
      timescaledb.compress,
      timescaledb.compress_segmentby = 'series_id',
      timescaledb.compress_orderby = 'ts'
    );
  ELSE
    -- Plain PostgreSQL: one partition per UTC day, created by the service ahead of the data and
    -- dropped whole by retention, which frees the space at once.
    CREATE TABLE sample (
      ts         timestamptz NOT NULL,
      series_id  integer NOT NULL,
      value      double precision,
      text_value text,
      quality    smallint NOT NULL,
      ingest_seq bigint NOT NULL,
      PRIMARY KEY (series_id, ts)
    ) PARTITION BY RANGE (ts);
    CREATE INDEX sample_ingest_seq ON sample USING brin (ingest_seq);
  END IF;
END $$;

-- Alarm transitions from rules-service. (alarm_id, ts, transition) makes redelivery idempotent.
CREATE TABLE alarm_event (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ts         timestamptz NOT NULL,
  alarm_id   text NOT NULL,
  transition text NOT NULL,
  severity   text NOT NULL,
  value      double precision,
  text_value text,
  message    text NOT NULL,
  detail     jsonb NOT NULL,
  ingest_seq bigint NOT NULL,
  CONSTRAINT alarm_event_key UNIQUE (alarm_id, ts, transition)
);
CREATE INDEX alarm_event_ts ON alarm_event (ts);
CREATE INDEX alarm_event_ingest_seq ON alarm_event (ingest_seq);

-- The outbox. A consumer (uplink-service is 'cloud') keeps its read positions here and records
-- which ingest_seq ranges the far side has acknowledged. Retention and the disk quota read the
-- ranges: a row is "delivered" when its ingest_seq lies in one of its consumer's ranges.
CREATE TABLE outbox_position (
  consumer   text NOT NULL,
  lane       text NOT NULL,
  ingest_seq bigint NOT NULL,
  series_id  integer,
  ts         timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (consumer, lane)
);

CREATE TABLE outbox_delivered (
  consumer text NOT NULL,
  from_seq bigint NOT NULL,
  to_seq   bigint NOT NULL,
  PRIMARY KEY (consumer, from_seq),
  CONSTRAINT outbox_delivered_range CHECK (from_seq <= to_seq)
);

-- Unsent data removed because the disk quota demanded it: the range and the row count.
CREATE TABLE data_dropped (
  id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recorded_at timestamptz NOT NULL,
  from_ts     timestamptz NOT NULL,
  to_ts       timestamptz NOT NULL,
  row_count   bigint NOT NULL,
  reason      text NOT NULL
);
