-- A consumer's backfill packs several commits into one message only up to packed_through: above
-- it, an earlier run (or an earlier cloud session) of this consumer planned commits one per
-- message, and may have sent some without their acknowledgement coming back. Planning those again
-- one per message gives them the keys they had, so the cloud can drop the resend. Kept on the
-- backfill lane's row; null: no run has planned anything yet.
ALTER TABLE outbox_position ADD COLUMN packed_through bigint;
