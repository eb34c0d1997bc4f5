-- Leases that expire: with several replicas on one database, a background job (a reminder
-- pass, an outbox worker, an event consumer) runs on whichever replica holds its lease.
-- A holder renews its lease while it works; one that dies stops renewing, and another
-- replica takes the lease once `until` (ISO UTC text, like every time here) has passed.
CREATE TABLE job_leases (
    name TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until TEXT NOT NULL
);
