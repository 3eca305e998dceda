-- Alarm events go to the cloud ahead of the samples of their commits, so a consumer often has its
-- alarm events acknowledged beyond its position. alarms_through records that: every alarm event of
-- the lane up to and including this ingest_seq is acknowledged (null: no more than the position).
-- A restart skips those instead of sending them again.
ALTER TABLE outbox_position ADD COLUMN alarms_through bigint;
