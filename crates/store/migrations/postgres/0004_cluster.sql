-- Several nodes on one database. An operation whose node died is completed
-- by another after its deadline and a lease: the node that claims it holds
-- it until `lease_until` (milliseconds since the epoch), so two sweeping
-- nodes never run it both.
ALTER TABLE operations ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
CREATE INDEX operations_overdue ON operations (deadline) WHERE state = 'Operating';
-- Requests admitted per account, product and action in the current second
-- of the database's clock, shared by every node.
CREATE TABLE rate_windows (
    account TEXT NOT NULL,
    product TEXT NOT NULL,
    action TEXT NOT NULL,
    second BIGINT NOT NULL,
    admitted INTEGER NOT NULL,
    PRIMARY KEY (account, product, action)
);
