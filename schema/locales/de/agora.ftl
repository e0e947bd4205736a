# Die Benutzeroberfläche von Agora auf Deutsch. Die englische (en) und die dänische (da) Datei haben dieselben Schlüssel.

## Seitenrahmen
skip-to-content = Zum Inhalt springen
nav-label = Hauptmenü
nav-documents = Dokumente
nav-organisations = Organisationen
nav-account = Konto
nav-tokens = API-Token
nav-admin = Verwaltung
nav-search = Suche
search = Suche
search-label = Suchbegriffe
search-sort = Reihenfolge
search-sort-relevance = Beste Treffer zuerst
search-sort-date = Neueste zuerst
search-submit = Suchen
search-filters = Eingrenzen
search-facet-kind = Art
search-facet-area = Qualitätsbereich
search-facet-team = Team
search-facet-author = Verfasst von
search-facet-year = Jahr
search-count = { $count ->
    [one] Eine Stelle gefunden
   *[other] { $count } Stellen gefunden
}
search-none = In dem, was Sie lesen dürfen, wurde nichts gefunden. Versuchen Sie weniger oder andere Wörter.
kind-statement = Leitbilder und Grundsätze
sign-in = Anmelden
sign-out = Abmelden
language = Sprache
language-de = Deutsch
language-da = Dansk
language-en = English
language-apply = Übernehmen
back-home = Zur Startseite

## Fehler
error-status = Status
error-not-found = Diese Seite gibt es nicht, oder Sie haben keinen Zugriff darauf.
error-forbidden = Ihre Rolle erlaubt das nicht.
error-sign-in-required = Bitte melden Sie sich zuerst an.
error-csrf = Dieses Formular ist abgelaufen oder stammt nicht von Agora. Bitte laden Sie die Seite neu und versuchen Sie es noch einmal.
error-conflict = Das gibt es bereits.
error-too-many-attempts = Zu viele Versuche. Bitte warten Sie eine Minute und versuchen Sie es dann erneut.
error-too-many-connections = Zu viele offene Verbindungen für dieses Konto. Bitte schließen Sie einige Tabs und versuchen Sie es erneut.
error-internal = Auf dem Server ist etwas schiefgegangen. Ihre Eingaben sind nicht verloren; bitte versuchen Sie es gleich noch einmal.
error-method = Diese Adresse lässt sich so nicht verwenden.
error-form-too-large = Das Formular ist zu groß.
error-bad-request = Die Anfrage war nicht verständlich.
error-websocket-handshake = Diese Adresse öffnet einen WebSocket: Sie erwartet ein GET über HTTP/1.1 mit Connection: Upgrade, Upgrade: websocket, Sec-WebSocket-Version: 13 und einem Sec-WebSocket-Key aus 16 Bytes in Base64.
error-form-invalid = Einige Felder des Formulars fehlen oder sind ungültig.
error-wrong-credentials = E-Mail-Adresse oder Passwort stimmen nicht.
error-title-missing = Bitte geben Sie dem Dokument einen Titel.
error-no-such-account = Mit dieser E-Mail-Adresse gibt es kein Konto. Laden Sie die Person stattdessen per Link ein.
error-email-taken = Mit dieser E-Mail-Adresse gibt es bereits ein Konto. Bitte melden Sie sich an, um die Einladung anzunehmen.
error-wrong-password = Das aktuelle Passwort stimmt nicht.
invalid-email = Bitte geben Sie eine gültige E-Mail-Adresse ein.
invalid-name = Bitte geben Sie einen Namen ein (höchstens 200 Zeichen).
password-too-short = Das Passwort muss mindestens 10 Zeichen haben.
password-too-long = Das Passwort ist zu lang.
password-hash-failed = Das Passwort konnte nicht gespeichert werden. Bitte versuchen Sie es noch einmal.
invalid-token-name = Bitte geben Sie dem Token einen Namen (höchstens 100 Zeichen).
not-a-member = Dafür ist eine Mitgliedschaft in der Organisation nötig.
last-admin = Eine Organisation braucht mindestens eine Administratorin oder einen Administrator.
title-too-long = Der Titel ist zu lang (höchstens 300 Zeichen).
unknown-language = Bitte wählen Sie Deutsch, Dänisch oder Englisch.
team-of-another-organisation = Dieses Team gehört zu einer anderen Organisation.
note-too-long = Die Notiz ist zu lang (höchstens 300 Zeichen).
damaged-role = Gespeicherte Daten sind beschädigt; bitte informieren Sie Ihre Administration.
damaged-grant = Gespeicherte Daten sind beschädigt; bitte informieren Sie Ihre Administration.
damaged-invitation = Gespeicherte Daten sind beschädigt; bitte informieren Sie Ihre Administration.
damaged-secret = Gespeicherte Daten sind beschädigt; bitte informieren Sie Ihre Administration.
invitation-not-open = Dieser Einladungslink wurde schon verwendet, ist abgelaufen oder wurde zurückgezogen. Bitte fragen Sie nach einem neuen.

## Hinweise
notice-shared = Zugriff erteilt.
notice-revoked = Zugriff entzogen.
notice-saved = Gespeichert.
notice-removed = Entfernt.
notice-joined = Willkommen! Sie sind jetzt Mitglied der Organisation.
notice-password-changed = Ihr Passwort wurde geändert. Ihre anderen Sitzungen wurden abgemeldet.

## Anmeldung
email = E-Mail-Adresse
password = Passwort

## Dokumente
my-documents = Meine Dokumente
no-documents = Noch keine Dokumente. Legen Sie unten das erste Leitbild an, oder bitten Sie eine Kollegin oder einen Kollegen, eines mit Ihnen zu teilen.
title = Titel
title-example = z. B. Unsere Grundsätze
organisation = Organisation
your-role = Ihre Rolle
created = Angelegt
untitled = Ohne Titel
new-statement = Neues Leitbild
document-language = Sprache des Textes
create = Anlegen
document-empty = Dieses Dokument hat noch keinen Text.
document-url = Adresse für den Sync-Client:
editor-needs-javascript = Der Live-Editor braucht JavaScript. Ohne JavaScript können Sie den Text oben lesen.
meeting-view = Besprechungsansicht
meeting-leave = Besprechungsansicht verlassen
role = Rolle
role-reader = Lesen
role-commenter = Kommentieren
role-editor = Bearbeiten
role-owner = Verwalten

## Teilen
share = Teilen
who-has-access = Wer Zugriff hat
org-admins-own = Die Administrator*innen von { $organisation } können dieses Dokument immer verwalten.
person-or-team = Person oder Team
actions = Aktionen
team = Team
external-reviewer = externe*r Gutachter*in
revoke = Entziehen
share-with-person = Mit einer Person teilen
share-person-hint = Personen aus anderen Organisationen (zum Beispiel Gutachter*innen) sehen nur, was mit ihnen geteilt wurde.
share-with-team = Mit einem Team teilen
invite-reviewer = Gutachter*in per Link einladen
invite-reviewer-hint = Für jemanden ohne Konto: Mit dem Link legt die Person ein Konto an und erhält diese Rolle nur für dieses Dokument. Der Link gilt einmal und läuft nach 7 Tagen ab.
invitation-note = Für wen (Notiz)
create-link = Link erstellen
invitation-link-once = Kopieren Sie diesen Link jetzt und geben Sie ihn weiter; er wird nur einmal angezeigt.
invitation-link = Einladungslink

## Organisationen
no-organisations = Sie sind in keiner Organisation Mitglied.
org-role-admin = Administration
org-role-member = Mitglied
audit-log = Protokoll
members = Mitglieder
name = Name
save = Speichern
remove = Entfernen
teams = Teams
no-teams = Noch keine Teams.
new-team = Neues Team
invitations = Offene Einladungen
expires = Läuft ab
no-team = Kein Team
add-member = Ein Mitglied der Organisation hinzufügen
add = Hinzufügen

## Protokoll
when = Wann
who = Wer
what = Was
document = Dokument
about = Betrifft
detail = Einzelheiten
server-admin = Serververwaltung
audit-organisation-created = Organisation angelegt
audit-member-role-set = Rolle eines Mitglieds festgelegt
audit-member-removed = Mitglied entfernt
audit-team-created = Team angelegt
audit-team-member-added = Zum Team hinzugefügt
audit-team-member-removed = Aus dem Team entfernt
audit-document-created = Dokument angelegt
audit-grant-set = Zugriff erteilt oder geändert
audit-grant-revoked = Zugriff entzogen
audit-invitation-created = Einladung erstellt
audit-invitation-accepted = Einladung angenommen
audit-invitation-revoked = Einladung zurückgezogen
audit-document-opened = Dokument geöffnet
audit-account-signed-in = Angemeldet

## Einladungen
invitation = Einladung
invitation-member = Sie sind eingeladen, { $organisation } als { $role } beizutreten.
invitation-document = Sie sind zu „{ $title }“ von { $organisation } eingeladen, mit der Rolle { $role }.
accept-as = Als { $email } annehmen.
accept = Annehmen
create-account = Legen Sie Ihr Konto an
password-rule = Mindestens 10 Zeichen.
create-account-and-accept = Konto anlegen und annehmen
have-account = Sie haben schon ein Konto?

## Konto
change-password = Passwort ändern
current-password = Aktuelles Passwort
new-password = Neues Passwort

## API-Token
tokens-hint = Mit Token handeln Skripte und der Kommandozeilen-Client in Ihrem Namen. Behandeln Sie sie wie Passwörter.
token-shown-once = Kopieren Sie dieses Token jetzt; es wird nur einmal angezeigt.
new-token = Neues Token
last-used = Zuletzt verwendet
never = nie
revoked = zurückgezogen
token-name = Wofür das Token ist
create-token = Token erstellen

## Verwaltung
new-organisation = Neue Organisation
first-admin-email = E-Mail-Adresse der ersten Administratorin oder des ersten Administrators
first-admin-hint = Hat die Person noch kein Konto, erhalten Sie einen Einladungslink zum Weitergeben.

## Erster Start
setup-title = Agora einrichten
setup-intro = Diese Installation hat noch kein Konto. Legen Sie die erste Administratorin oder den ersten Administrator und Ihre Organisation an; alle anderen laden Sie danach ein.
setup-create = Administration und Organisation anlegen
notice-set-up = Agora ist eingerichtet. Laden Sie Ihre Kolleg*innen auf der Seite der Organisation ein.

# Der Browser-Editor (client/web): jede Meldung hier beginnt mit web- und wird an die Seite gegeben.
web-editor-label = Text des Dokuments
web-toolbar = Formatierung
web-bold = Fett
web-italic = Kursiv
web-link = Link
web-heading-1 = Überschrift 1
web-heading-2 = Überschrift 2
web-heading-3 = Überschrift 3
web-paragraph = Normaler Text
web-bullet-list = Aufzählung
web-numbered-list = Nummerierte Liste
web-undo = Rückgängig
web-redo = Wiederholen
web-link-address = Web- oder E-Mail-Adresse
web-link-save = Link speichern
web-link-remove = Link entfernen
web-link-invalid = Bitte geben Sie eine Webadresse (https://…) oder eine E-Mail-Adresse (mailto:…) ein.
web-cancel = Abbrechen
web-connection-connecting = Verbindung wird aufgebaut…
web-connection-synced = Synchronisiert
web-connection-reconnecting = Verbindung wird wiederhergestellt… Ihre Änderungen bleiben erhalten und werden synchronisiert
web-connection-offline = Offline – Ihre Änderungen bleiben erhalten und werden synchronisiert
web-unavailable = Dieses Dokument ist für Sie nicht verfügbar: Es existiert nicht, oder Ihr Zugriff ist beendet.
web-people-here = Gerade dabei
web-you = Sie
web-read-only = Nur lesen
