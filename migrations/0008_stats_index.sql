-- /stats and the digest pick a cohort by `lead.created` time; without this they scan
-- the whole event log on every request.
CREATE INDEX events_type_at ON events (type, at);
