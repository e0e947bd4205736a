-- Which documents changed since a moment: an instance that missed notices (its listener was cut,
-- or it was stopped) finds what to read again and reindex.
create index document_by_updated on document (updated_at);
