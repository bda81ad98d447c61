-- Networks an account creates (VPCs and subnets), beside the built-in defaults.
CREATE TABLE networks (
    account TEXT NOT NULL,
    id TEXT NOT NULL,
    product TEXT NOT NULL,
    version BIGINT NOT NULL,
    body TEXT NOT NULL,
    PRIMARY KEY (account, id)
);
