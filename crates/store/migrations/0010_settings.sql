-- Server-wide settings kept with the records (the fault rules), each one
-- JSON document under its key.
CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    body TEXT NOT NULL
);
