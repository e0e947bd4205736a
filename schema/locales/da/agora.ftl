# Agoras brugerflade på dansk. Den engelske (en) og den tyske (de) fil har de samme nøgler.

## Sideramme
skip-to-content = Gå til indholdet
nav-label = Hovedmenu
nav-documents = Dokumenter
nav-organisations = Organisationer
nav-account = Konto
nav-tokens = API-tokens
nav-admin = Administration
nav-search = Søg
search = Søg
search-label = Søgeord
search-sort = Rækkefølge
search-sort-relevance = Bedste match først
search-sort-date = Nyeste først
search-submit = Søg
search-filters = Afgræns
search-facet-kind = Type
search-facet-area = Kvalitetsområde
search-facet-team = Team
search-facet-author = Skrevet af
search-facet-year = År
search-count = { $count ->
    [one] Ét sted fundet
   *[other] { $count } steder fundet
}
search-none = Intet fundet i det, du må læse. Prøv færre eller andre ord.
kind-statement = Værdigrundlag
sign-in = Log ind
sign-out = Log ud
language = Sprog
language-de = Deutsch
language-da = Dansk
language-en = English
language-apply = Anvend
back-home = Tilbage til forsiden

## Fejl
error-status = Status
error-not-found = Siden findes ikke, eller du har ikke adgang til den.
error-forbidden = Din rolle tillader ikke dette.
error-sign-in-required = Log venligst ind først.
error-csrf = Formularen er udløbet eller kom ikke fra Agora. Genindlæs siden, og prøv igen.
error-conflict = Det findes allerede.
error-too-many-attempts = For mange forsøg. Vent et minut, og prøv igen.
error-too-many-connections = For mange åbne forbindelser for denne konto. Luk nogle faner, og prøv igen.
error-internal = Der gik noget galt på serveren. Intet af det, du har skrevet, er gået tabt; prøv igen om lidt.
error-method = Adressen kan ikke bruges på den måde.
error-form-too-large = Formularen er for stor.
error-bad-request = Forespørgslen kunne ikke forstås.
error-websocket-handshake = Denne adresse åbner en WebSocket: Den forventer en GET over HTTP/1.1 med Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13 og en Sec-WebSocket-Key på 16 bytes i base64.
error-form-invalid = Nogle felter i formularen mangler eller er ugyldige.
error-wrong-credentials = E-mailadressen eller adgangskoden er forkert.
error-title-missing = Giv venligst dokumentet en titel.
error-no-such-account = Der findes ingen konto med denne e-mailadresse. Inviter personen med et link i stedet.
error-email-taken = Der findes allerede en konto med denne e-mailadresse. Log ind for at tage imod invitationen.
error-wrong-password = Den nuværende adgangskode er forkert.
invalid-email = Skriv en gyldig e-mailadresse.
invalid-name = Skriv et navn (højst 200 tegn).
password-too-short = Adgangskoden skal være mindst 10 tegn.
password-too-long = Adgangskoden er for lang.
password-hash-failed = Adgangskoden kunne ikke gemmes. Prøv igen.
invalid-token-name = Giv tokenet et navn (højst 100 tegn).
not-a-member = Det kræver, at du er medlem af organisationen.
last-admin = En organisation skal have mindst én administrator.
title-too-long = Titlen er for lang (højst 300 tegn).
unknown-language = Vælg tysk, dansk eller engelsk.
team-of-another-organisation = Dette team hører til en anden organisation.
note-too-long = Noten er for lang (højst 300 tegn).
damaged-role = Gemte data er beskadiget; giv din administrator besked.
damaged-grant = Gemte data er beskadiget; giv din administrator besked.
damaged-invitation = Gemte data er beskadiget; giv din administrator besked.
damaged-secret = Gemte data er beskadiget; giv din administrator besked.
invitation-not-open = Invitationslinket er allerede brugt, er udløbet eller er trukket tilbage. Bed om et nyt.

## Meddelelser
notice-shared = Adgang givet.
notice-revoked = Adgang fjernet.
notice-saved = Gemt.
notice-removed = Fjernet.
notice-joined = Velkommen! Du er nu medlem af organisationen.
notice-password-changed = Din adgangskode er ændret. Dine andre sessioner er logget ud.

## Log ind
email = E-mailadresse
password = Adgangskode

## Dokumenter
my-documents = Mine dokumenter
no-documents = Ingen dokumenter endnu. Opret det første værdigrundlag herunder, eller bed en kollega om at dele et med dig.
title = Titel
title-example = f.eks. Vores værdier
organisation = Organisation
your-role = Din rolle
created = Oprettet
untitled = Uden titel
new-statement = Nyt værdigrundlag
document-language = Tekstens sprog
create = Opret
document-empty = Dokumentet har endnu ingen tekst.
document-url = Adresse til sync-klienten:
editor-needs-javascript = Live-editoren kræver JavaScript. Uden JavaScript kan du læse teksten ovenfor.
meeting-view = Mødevisning
meeting-leave = Forlad mødevisningen
role = Rolle
role-reader = Læser
role-commenter = Kommentator
role-editor = Redaktør
role-owner = Ejer

## Deling
share = Del
who-has-access = Hvem har adgang
org-admins-own = Administratorerne i { $organisation } kan altid administrere dette dokument.
person-or-team = Person eller team
actions = Handlinger
team = Team
external-reviewer = ekstern bedømmer
revoke = Fjern
share-with-person = Del med en person
share-person-hint = Personer fra andre organisationer (f.eks. fagfællebedømmere) ser kun det, der er delt med dem.
share-with-team = Del med et team
invite-reviewer = Inviter en bedømmer med et link
invite-reviewer-hint = Til en person uden konto: Med linket opretter personen en konto og får denne rolle på kun dette dokument. Linket virker én gang og udløber efter 7 dage.
invitation-note = Til hvem (note)
create-link = Opret link
invitation-link-once = Kopier linket nu, og giv det videre; det vises kun én gang.
invitation-link = Invitationslink

## Organisationer
no-organisations = Du er ikke medlem af nogen organisation.
org-role-admin = Administrator
org-role-member = Medlem
audit-log = Aktivitetslog
members = Medlemmer
name = Navn
save = Gem
remove = Fjern
teams = Teams
no-teams = Ingen teams endnu.
new-team = Nyt team
invitations = Åbne invitationer
expires = Udløber
no-team = Intet team
add-member = Tilføj et medlem af organisationen
add = Tilføj

## Aktivitetslog
when = Hvornår
who = Hvem
what = Hvad
document = Dokument
about = Vedrørende
detail = Detaljer
server-admin = Serveradministration
audit-organisation-created = Organisation oprettet
audit-member-role-set = Medlemsrolle ændret
audit-member-removed = Medlem fjernet
audit-team-created = Team oprettet
audit-team-member-added = Tilføjet til team
audit-team-member-removed = Fjernet fra team
audit-document-created = Dokument oprettet
audit-grant-set = Adgang givet eller ændret
audit-grant-revoked = Adgang fjernet
audit-invitation-created = Invitation oprettet
audit-invitation-accepted = Invitation modtaget
audit-invitation-revoked = Invitation trukket tilbage
audit-document-opened = Dokument åbnet
audit-account-signed-in = Logget ind

## Invitationer
invitation = Invitation
invitation-member = Du er inviteret til at blive en del af { $organisation } som { $role }.
invitation-document = Du er inviteret til »{ $title }« fra { $organisation } som { $role }.
accept-as = Tag imod som { $email }.
accept = Tag imod
create-account = Opret din konto
password-rule = Mindst 10 tegn.
create-account-and-accept = Opret konto, og tag imod
have-account = Har du allerede en konto?

## Konto
change-password = Skift adgangskode
current-password = Nuværende adgangskode
new-password = Ny adgangskode

## API-tokens
tokens-hint = Med tokens kan scripts og kommandolinjeklienten handle på dine vegne. Pas på dem som på en adgangskode.
token-shown-once = Kopier tokenet nu; det vises kun én gang.
new-token = Nyt token
last-used = Sidst brugt
never = aldrig
revoked = trukket tilbage
token-name = Hvad tokenet skal bruges til
create-token = Opret token

## Administration
new-organisation = Ny organisation
first-admin-email = E-mailadresse på dens første administrator
first-admin-hint = Hvis personen endnu ikke har en konto, får du et invitationslink, som du kan give videre.

## Første start
setup-title = Opsæt Agora
setup-intro = Denne installation har endnu ingen konto. Opret den første administrator og din organisation; alle andre inviterer du bagefter.
setup-create = Opret administrator og organisation
notice-set-up = Agora er sat op. Inviter dine kolleger fra organisationens side.

# Browser-editoren (client/web): hver besked her begynder med web- og sendes til siden.
web-editor-label = Dokumentets tekst
web-toolbar = Formatering
web-bold = Fed
web-italic = Kursiv
web-link = Link
web-heading-1 = Overskrift 1
web-heading-2 = Overskrift 2
web-heading-3 = Overskrift 3
web-paragraph = Normal tekst
web-bullet-list = Punktopstilling
web-numbered-list = Nummereret liste
web-undo = Fortryd
web-redo = Gentag
web-link-address = Web- eller e-mailadresse
web-link-save = Gem link
web-link-remove = Fjern link
web-link-invalid = Skriv en webadresse (https://…) eller en e-mailadresse (mailto:…).
web-cancel = Annuller
web-connection-connecting = Forbinder…
web-connection-synced = Synkroniseret
web-connection-reconnecting = Forbinder igen… dine ændringer er gemt og synkroniseres
web-connection-offline = Offline – dine ændringer er gemt og synkroniseres
web-unavailable = Dette dokument er ikke tilgængeligt for dig: det findes ikke, eller din adgang er ophørt.
web-people-here = Her nu
web-you = dig
web-read-only = Kun læse
