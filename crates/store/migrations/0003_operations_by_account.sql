-- Operations are looked up by id, in flight, or all of one account (the
-- audit); never by instance. An index by account grows at its end for each
-- account, where the one by instance took a random page per operation.
DROP INDEX operations_by_instance;
CREATE INDEX operations_by_account ON operations (account);
