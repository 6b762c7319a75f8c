-- A usage write counts the idempotency keys it inserted; fewer than it sent means another request stored one
-- of them since the read (apps/server services/usage/record.ts). Raising here, inside the write, makes the
-- whole statement fail, so nothing of it is kept whether COMMIT follows at once (pipelined) or later.
CREATE FUNCTION seatdesk_keys_inserted(p_inserted bigint, p_sent integer) RETURNS bigint LANGUAGE plpgsql AS $$
BEGIN
  IF p_inserted <> p_sent THEN
    RAISE EXCEPTION 'another request stored one of these idempotency keys since they were read' USING ERRCODE = 'SDK01';
  END IF;
  RETURN p_inserted;
END
$$;
