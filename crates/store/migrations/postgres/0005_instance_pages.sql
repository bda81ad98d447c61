-- A plain listing (no filters, newest first) is paged by the database
-- instead of decoding every instance of the account on each request.
ALTER TABLE instances ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE instances ADD COLUMN region TEXT NOT NULL DEFAULT '';
UPDATE instances SET created_at = (body::jsonb ->> 'created_at')::bigint,
                     region = body::jsonb ->> 'region';
CREATE INDEX instances_newest_first ON instances (account, product, created_at DESC, id COLLATE "C" DESC)
    WHERE state <> 'Terminated';
