# Agora's user interface, English. The German (de) and Danish (da) files have the same keys.

## Layout
skip-to-content = Skip to content
nav-label = Main
nav-documents = Documents
nav-organisations = Organisations
nav-account = Account
nav-tokens = API tokens
nav-admin = Administration
nav-search = Search
search = Search
search-label = Search words
search-sort = Order
search-sort-relevance = Best match first
search-sort-date = Newest first
search-submit = Search
search-filters = Narrow down
search-facet-kind = Kind
search-facet-area = Quality area
search-facet-team = Team
search-facet-author = Written by
search-facet-year = Year
search-count = { $count ->
    [one] One place found
   *[other] { $count } places found
}
search-none = Nothing found in what you may read. Try fewer or other words.
kind-statement = Statements
sign-in = Sign in
sign-out = Sign out
language = Language
language-de = Deutsch
language-da = Dansk
language-en = English
language-apply = Apply
back-home = Back to the start page

## Errors
error-status = Status
error-not-found = This page does not exist, or you do not have access to it.
error-forbidden = Your role does not allow this.
error-sign-in-required = Please sign in first.
error-csrf = This form has expired or did not come from Agora. Please reload the page and try again.
error-conflict = This already exists.
error-too-many-attempts = Too many attempts. Please wait a minute and try again.
error-too-many-connections = Too many open connections for this account. Please close some tabs and try again.
error-internal = Something went wrong on the server. Nothing you entered was lost; please try again shortly.
error-method = This address cannot be used this way.
error-form-too-large = The form is too large.
error-bad-request = The request could not be understood.
error-websocket-handshake = This address opens a WebSocket: it takes a GET over HTTP/1.1 with Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13 and a Sec-WebSocket-Key of 16 bytes in base64.
error-form-invalid = Some fields of the form are missing or invalid.
error-wrong-credentials = The email address or the password is not right.
error-title-missing = Please give the document a title.
error-no-such-account = Nobody with this email address has an account. Invite them with a link instead.
error-email-taken = An account with this email address exists already. Please sign in to accept.
error-wrong-password = The current password is not right.
invalid-email = Please enter a valid email address.
invalid-name = Please enter a name (at most 200 characters).
password-too-short = The password must have at least 10 characters.
password-too-long = The password is too long.
password-hash-failed = The password could not be saved. Please try again.
invalid-token-name = Please give the token a name (at most 100 characters).
not-a-member = This needs a member of the organisation.
last-admin = An organisation needs at least one administrator.
title-too-long = The title is too long (at most 300 characters).
unknown-language = Please choose German, Danish or English.
team-of-another-organisation = This team belongs to another organisation.
note-too-long = The note is too long (at most 300 characters).
damaged-role = Stored data is damaged; please tell your administrator.
damaged-grant = Stored data is damaged; please tell your administrator.
damaged-invitation = Stored data is damaged; please tell your administrator.
damaged-secret = Stored data is damaged; please tell your administrator.
invitation-not-open = This invitation link has been used, has expired or was withdrawn. Please ask for a new one.

## Notices
notice-shared = Access granted.
notice-revoked = Access withdrawn.
notice-saved = Saved.
notice-removed = Removed.
notice-joined = Welcome! You have joined the organisation.
notice-password-changed = Your password has been changed. Your other sessions have been signed out.

## Sign-in
email = Email address
password = Password

## Documents
my-documents = My documents
no-documents = No documents yet. Create the first statement below, or ask a colleague to share one with you.
title = Title
title-example = e.g. Our principles
organisation = Organisation
your-role = Your role
created = Created
untitled = Untitled
new-statement = New statement
document-language = Language of the text
create = Create
document-empty = This document has no text yet.
document-url = Address for the sync client:
editor-needs-javascript = The live editor needs JavaScript. Without it you can read the text above.
meeting-view = Meeting view
meeting-leave = Leave the meeting view
role = Role
role-reader = Reader
role-commenter = Commenter
role-editor = Editor
role-owner = Owner

## Sharing
share = Share
who-has-access = Who has access
org-admins-own = The administrators of { $organisation } can always manage this document.
person-or-team = Person or team
actions = Actions
team = Team
external-reviewer = external reviewer
revoke = Withdraw
share-with-person = Share with a person
share-person-hint = People from other organisations (for example peer reviewers) see only what is shared with them.
share-with-team = Share with a team
invite-reviewer = Invite a reviewer by link
invite-reviewer-hint = For someone without an account: the link lets them create one and gives them this role on this document only. It works once and expires after 7 days.
invitation-note = For whom (note)
create-link = Create link
invitation-link-once = Copy this link now and pass it on; it is shown only once.
invitation-link = Invitation link

## Organisations
no-organisations = You are not a member of any organisation.
org-role-admin = Administrator
org-role-member = Member
audit-log = Audit log
members = Members
name = Name
save = Save
remove = Remove
teams = Teams
no-teams = No teams yet.
new-team = New team
invitations = Open invitations
expires = Expires
no-team = No team
add-member = Add a member of the organisation
add = Add

## Audit log
when = When
who = Who
what = What
document = Document
about = About
detail = Detail
server-admin = Server administration
audit-organisation-created = Organisation created
audit-member-role-set = Member role set
audit-member-removed = Member removed
audit-team-created = Team created
audit-team-member-added = Added to team
audit-team-member-removed = Removed from team
audit-document-created = Document created
audit-grant-set = Access granted or changed
audit-grant-revoked = Access withdrawn
audit-invitation-created = Invitation created
audit-invitation-accepted = Invitation accepted
audit-invitation-revoked = Invitation withdrawn
audit-document-opened = Document opened
audit-account-signed-in = Signed in

## Invitations
invitation = Invitation
invitation-member = You are invited to join { $organisation } as { $role }.
invitation-document = You are invited to “{ $title }” of { $organisation } as { $role }.
accept-as = Accept as { $email }.
accept = Accept
create-account = Create your account
password-rule = At least 10 characters.
create-account-and-accept = Create account and accept
have-account = Already have an account?

## Account
change-password = Change password
current-password = Current password
new-password = New password

## API tokens
tokens-hint = Tokens let scripts and the command-line client act as you. Treat them like passwords.
token-shown-once = Copy this token now; it is shown only once.
new-token = New token
last-used = Last used
never = never
revoked = withdrawn
token-name = What the token is for
create-token = Create token

## Administration
new-organisation = New organisation
first-admin-email = Email address of its first administrator
first-admin-hint = If this person has no account yet, you get an invitation link to pass on.

## First start
setup-title = Set up Agora
setup-intro = This installation has no account yet. Create the first administrator and your organisation; you can invite everyone else afterwards.
setup-create = Create administrator and organisation
notice-set-up = Agora is set up. Invite your colleagues from the organisation's page.

# The browser editor (client/web): every message here starts with web- and reaches the page.
web-editor-label = Text of the document
web-toolbar = Formatting
web-bold = Bold
web-italic = Italic
web-link = Link
web-heading-1 = Heading 1
web-heading-2 = Heading 2
web-heading-3 = Heading 3
web-paragraph = Normal text
web-bullet-list = Bulleted list
web-numbered-list = Numbered list
web-undo = Undo
web-redo = Redo
web-link-address = Web or email address
web-link-save = Save link
web-link-remove = Remove link
web-link-invalid = Please enter a web address (https://…) or an email address (mailto:…).
web-cancel = Cancel
web-connection-connecting = Connecting…
web-connection-synced = Synced
web-connection-reconnecting = Reconnecting… your edits are kept and will sync
web-connection-offline = Offline – your edits are kept and will sync
web-unavailable = This document is not available to you: it does not exist, or your access has ended.
web-people-here = Here now
web-you = you
web-read-only = Read only
