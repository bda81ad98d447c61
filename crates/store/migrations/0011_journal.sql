-- The last journal frame the database holds: a restart replays the frames
-- after it (SQLite only; see sqlite/journal.rs).
CREATE TABLE journal (applied INTEGER NOT NULL);
INSERT INTO journal (applied) VALUES (0);
