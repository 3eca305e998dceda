-- Summarizes the BRIN on sample.ingest_seq where page ranges are new since the last summary.
--
-- A BRIN range that has never been summarized matches every query, so until autovacuum visits a
-- partition, each outbox read ("ingest_seq BETWEEN a AND b") scans every unsummarized page of it:
-- after an outage that is the whole backlog, for every message of the backfill. The uplink calls
-- this before it counts and reads a backlog; it costs one pass over the new pages, and nothing when
-- every range is summarized (ranges summarized once are kept current by later inserts).
--
-- SECURITY DEFINER: summarizing needs the table's owner (the migrating role), the caller needs only
-- EXECUTE. The function takes no input and touches only sample's own BRIN indexes.
CREATE FUNCTION outbox_summarize() RETURNS bigint
  LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
DECLARE
  idx regclass;
  summarized bigint := 0;
BEGIN
  FOR idx IN
    SELECT i.indexrelid::regclass
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      JOIN pg_am am ON am.oid = ic.relam
     WHERE am.amname = 'brin'
       AND ic.relkind = 'i'
       AND i.indrelid IN (
         SELECT inhrelid FROM pg_inherits WHERE inhparent = 'sample'::regclass
         UNION ALL SELECT 'sample'::regclass)
  LOOP
    summarized := summarized + brin_summarize_new_values(idx);
  END LOOP;
  RETURN summarized;
END $$;
