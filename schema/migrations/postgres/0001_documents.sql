-- PostgreSQL's copy of the SQLite schema: the same tables and columns, so the same queries and
-- backups serve both.
--
-- Documents are stored as a chunk log: every batch of changes the server accepts is appended as
-- one chunk (in the transaction that commits it, before any peer hears of it), and a compaction
-- now and then folds the chunks into one snapshot. Loading = snapshot + the chunks after it.

create table document (
    -- The automerge-repo id as written on the wire (bs58check of 16 bytes).
    document_id text primary key,
    created_at bigint not null, -- unix milliseconds
    updated_at bigint not null,
    -- The last sequence number handed to a chunk. Bumping it is the first write of every append,
    -- which takes the write lock at once and orders appends to one document.
    last_seq bigint not null default 0,
    -- An automerge save() that covers every chunk with seq <= snapshot_seq; null until the first
    -- compaction.
    snapshot bytea,
    snapshot_seq bigint not null default 0
);

create table document_chunk (
    document_id text not null references document (document_id) on delete cascade,
    seq bigint not null,
    -- automerge save_after(previously stored heads): the changes of one accepted batch.
    data bytea not null,
    primary key (document_id, seq)
);

-- Facts about this installation, such as the storage id announced to peers.
create table server_meta (
    key text primary key,
    value text not null
);
