-- People, organisations and access. Every document belongs to one organisation; who may read
-- or write it is decided here, never in the documents themselves. Times are unix milliseconds.

create table account (
    account_id integer primary key,
    email text not null unique collate nocase,
    display_name text not null,
    -- A PHC string (Argon2id).
    password_hash text not null,
    -- 'de', 'da' or 'en'; null follows the browser's Accept-Language.
    locale text,
    -- May create organisations; grants no access to any organisation's documents.
    is_instance_admin integer not null default 0,
    created_at integer not null
) strict;

-- Login sessions. The cookie holds a random value; only its SHA-256 is stored, so a copy of the
-- database signs nobody in.
create table login_session (
    session_hash blob primary key,
    account_id integer not null references account (account_id) on delete cascade,
    created_at integer not null,
    expires_at integer not null
) strict, without rowid;

create index login_session_by_account on login_session (account_id);

-- API tokens for the CLI client and scripts; stored as SHA-256 like sessions.
create table api_token (
    token_id integer primary key,
    account_id integer not null references account (account_id) on delete cascade,
    name text not null,
    token_hash blob not null unique,
    created_at integer not null,
    last_used_at integer,
    revoked_at integer
) strict;

create table organisation (
    organisation_id integer primary key,
    name text not null,
    created_at integer not null
) strict;

create table membership (
    organisation_id integer not null references organisation (organisation_id) on delete cascade,
    account_id integer not null references account (account_id) on delete cascade,
    role text not null check (role in ('admin', 'member')),
    created_at integer not null,
    primary key (organisation_id, account_id)
) strict, without rowid;

create index membership_by_account on membership (account_id);

create table team (
    team_id integer primary key,
    organisation_id integer not null references organisation (organisation_id) on delete cascade,
    name text not null,
    created_at integer not null,
    unique (organisation_id, name)
) strict;

create table team_member (
    team_id integer not null references team (team_id) on delete cascade,
    account_id integer not null references account (account_id) on delete cascade,
    primary key (team_id, account_id)
) strict, without rowid;

create index team_member_by_account on team_member (account_id);

-- The owning organisation and listing facts of a document. A row exists from the moment a
-- document is created, before its first change is stored, so it cannot reference `document`.
create table document_info (
    document_id text primary key,
    organisation_id integer not null references organisation (organisation_id),
    title text not null,
    kind text not null default 'statement',
    -- 'de', 'da' or 'en'.
    language text,
    created_by integer references account (account_id) on delete set null,
    created_at integer not null
) strict;

create index document_info_by_organisation on document_info (organisation_id);

-- A role on one document, for one account or one team (never both). A team grant reaches the
-- team's members only while they belong to the team.
create table document_grant (
    grant_id integer primary key,
    document_id text not null references document_info (document_id) on delete cascade,
    account_id integer references account (account_id) on delete cascade,
    team_id integer references team (team_id) on delete cascade,
    role text not null check (role in ('owner', 'editor', 'commenter', 'reader')),
    granted_by integer references account (account_id) on delete set null,
    granted_at integer not null,
    check ((account_id is null) <> (team_id is null))
) strict;

create unique index document_grant_account on document_grant (document_id, account_id)
    where account_id is not null;
create unique index document_grant_team on document_grant (document_id, team_id)
    where team_id is not null;
create index document_grant_by_account on document_grant (account_id);
create index document_grant_by_team on document_grant (team_id);

-- Single-use, expiring invitation links: into an organisation (with a role, optionally into a
-- team) or onto one document (an external reviewer, who joins no organisation).
create table invitation (
    invitation_id integer primary key,
    token_hash blob not null unique,
    kind text not null check (kind in ('member', 'document')),
    organisation_id integer not null references organisation (organisation_id) on delete cascade,
    -- An organisation role for 'member', a document role for 'document'.
    role text not null,
    team_id integer references team (team_id) on delete cascade,
    document_id text references document_info (document_id) on delete cascade,
    -- Whom the link was meant for, as its creator wrote it; shown, not enforced.
    note text not null default '',
    created_by integer references account (account_id) on delete set null,
    created_at integer not null,
    expires_at integer not null,
    accepted_at integer,
    accepted_by integer references account (account_id) on delete set null,
    revoked_at integer,
    check ((kind = 'document') = (document_id is not null))
) strict;

create index invitation_by_organisation on invitation (organisation_id);

-- Who granted, changed or used which permission. Rows are never updated; the actor's email is
-- copied so the record stays readable whatever happens to the account.
create table audit_event (
    event_id integer primary key,
    at integer not null,
    actor_id integer,
    actor_email text,
    organisation_id integer,
    document_id text,
    action text not null,
    -- Whom or what the action was about, e.g. 'account:12' or 'team:3'.
    subject text,
    detail text
) strict;

create index audit_event_by_organisation on audit_event (organisation_id, at);
create index audit_event_by_document on audit_event (document_id, at);
