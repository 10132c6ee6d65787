"""Dutch for the engine's fixed sentences (rule refusals, draft and activation problems).

The engine speaks English; screens pass what they show through `engine_text`, which returns the
Dutch sentence when the UI is Dutch and the sentence is one it knows (else the English one).
"""

from __future__ import annotations

import re

from erp_tui.i18n import Msg
from erp_tui.screens.i18n import language, localize

# (pattern, Dutch template). `{n}` is group n as is; `{n!t}` is group n translated too.
_DUTCH: list[tuple[str, str]] = [
    (r"deleted in ERP", "verwijderd in ERP"),  # whole-record events in the run log
    (r"restored in ERP", "hersteld in ERP"),
    (r"Test the connection with the values now in the form\.",
     "Test de verbinding met de waarden die nu in het formulier staan."),
    (r"Enter a name for the connection\.", "Geef de verbinding een naam."),
    (r"Fill in the mandatory field '(.+)'\.", "Vul het verplichte veld '{1}' in."),
    (r"Choose who may use the connection \(scope\): everyone or chosen users/groups\.",
     "Kies wie de verbinding mag gebruiken (bereik): iedereen of gekozen gebruikers/groepen."),
    (r"The scope is 'chosen users/groups': add at least one user or group\.",
     "Het bereik is 'gekozen gebruikers/groepen': voeg ten minste één gebruiker of groep toe."),
    (r"'(.+)' is not a user or group; write user:NAME or group:NAME\.",
     "'{1}' is geen gebruiker of groep; schrijf user:NAAM of group:NAAM."),
    (r"The connection test failed: (.*)", "De verbindingstest is mislukt: {1}"),
    (r"The connection test fails: (.*)", "De verbindingstest mislukt: {1}"),
    (r"Choose a CRM field first\.", "Selecteer eerst een CRM-veld."),
    (r"CRM field '(.+)' is read-only, so the ERP cannot write it\.",
     "CRM-veld '{1}' is alleen-lezen; het ERP kan het niet schrijven."),
    (r"ERP field '(.+)' is read-only in the ERP, so the CRM cannot write it\.",
     "ERP-veld '{1}' is alleen-lezen in het ERP; het CRM kan het niet schrijven."),
    (r"ERP field '(.+)' is no longer available in the ERP\.",
     "ERP-veld '{1}' is niet meer beschikbaar in het ERP."),
    (r"ERP field '(.+)' is a (\w+) field and cannot be synced\.",
     "ERP-veld '{1}' is een {2}-veld en kan niet gesynchroniseerd worden."),
    (r"CRM field '(.+)' is not valid for this actor \(not a field of (\w+)\)\.",
     "CRM-veld '{1}' is ongeldig voor deze actor (geen veld van {2})."),
    (r"CRM field '(.+)' \((\w+)\) does not fit ERP field '(.+)' \((\w+)\)(.*)",
     "CRM-veld '{1}' ({2}) past niet bij ERP-veld '{3}' ({4})."),
    (r"Direction '(.+)' is not possible: (.+)", "Richting '{1}' is niet mogelijk: {2!t}"),
    (r"(.+) › (.+): mandatory ERP field has no sync direction; map it to a CRM field and "
     r"choose a direction\.",
     "{1} › {2}: verplicht ERP-veld heeft geen synchronisatierichting; wijs het toe aan een "
     "CRM-veld en kies een richting."),
    (r"(.+) › (.+): direction '(.+)' is not possible: (.+)",
     "{1} › {2}: richting '{3}' is niet mogelijk: {4!t}"),
    (r"(.+) › (.+): the field is no longer available in the ERP but still has a direction; "
     r"clear its direction\.",
     "{1} › {2}: het veld is niet meer beschikbaar in het ERP maar heeft nog een richting; "
     "verwijder die richting."),
    (r"(.+) › default of '(.+)': (.+)", "{1} › standaardwaarde van '{2}': {3!t}"),
    (r"No actor is enabled; open Mappings and tick 'Synchronise ERP <actor> with CRM "
     r"<entity>' for at least one actor\.",
     "Er is geen actor ingeschakeld; open Toewijzingen en vink 'Synchroniseer ERP-<actor> met "
     "CRM-<entiteit>' aan voor ten minste één actor."),
    (r"Connection '(.+)' is active; deactivate it first \(deactivate → change → test → OK → "
     r"reactivate\)\.",
     "Verbinding '{1}' is actief; deactiveer haar eerst (deactiveren → wijzigen → testen → OK "
     "→ opnieuw activeren)."),
    (r"Connection '(.+)' was changed by someone else since you opened it; reopen it and apply "
     r"your change again \(nothing was saved\)\.",
     "Verbinding '{1}' is door iemand anders gewijzigd sinds u haar opende; open haar opnieuw "
     "en breng uw wijziging opnieuw aan (er is niets opgeslagen)."),
    (r"Connection '(.+)' is already being synced \(host (.*), process (\d+), since (.+) UTC\); "
     r"wait for that run to finish \(or cancel it\) and try again\.",
     "Verbinding '{1}' wordt al gesynchroniseerd (host {2}, proces {3}, sinds {4} UTC); wacht "
     "tot die run klaar is (of annuleer hem) en probeer het opnieuw."),
    (r"Connection '(.+)' lost its run lock \(the database session holding it ended\), so this "
     r"run stopped; the next sync carries on where it stopped\.",
     "Verbinding '{1}' is haar runvergrendeling kwijt (de databasesessie die haar hield is "
     "beëindigd), dus deze run is gestopt; de volgende synchronisatie gaat verder waar deze "
     "stopte."),
    (r"Connection '(.+)' is already being synced(.*); wait for that run to finish \(or cancel "
     r"it\) and try again\.",
     "Verbinding '{1}' wordt al gesynchroniseerd{2}; wacht tot die run klaar is (of annuleer "
     "hem) en probeer het opnieuw."),
    (r"List '(.+)': CRM item '(.+)' is chosen for ERP items (.+); open List mapping and "
     r"resolve the duplicate\.",
     "Lijst '{1}': CRM-item '{2}' is gekozen voor ERP-items {3}; open Lijsttoewijzing en los "
     "de dubbele toewijzing op."),
    (r"CRM item '(.+)' is chosen for (\d+) ERP items \((.+)\); each CRM item may be chosen "
     r"once\.",
     "CRM-item '{1}' is gekozen voor {2} ERP-items ({3}); elk CRM-item mag maar één keer "
     "gekozen worden."),
    (r"'(.+)' is mandatory: choose 'Set default value' or 'Ask the user for a value' \(or "
     r"both\)\.",
     "'{1}' is verplicht: kies 'Standaardwaarde instellen' of 'Gebruiker om waarde vragen' "
     "(of beide)."),
    (r"Choose 'Set default value' or 'Ask the user for a value' for '(.+)'\.",
     "Kies 'Standaardwaarde instellen' of 'Gebruiker om waarde vragen' voor '{1}'."),
    (r"'Set default value' is chosen for '(.+)': enter a value\.",
     "'Standaardwaarde instellen' is gekozen voor '{1}': vul een waarde in."),
    (r"'(.+)' is read-only in the ERP; it cannot have a default\.",
     "'{1}' is alleen-lezen in het ERP; het kan geen standaardwaarde hebben."),
    (r"'(.+)' allows at most (\d+) characters; the value has (\d+)\.",
     "'{1}' mag hoogstens {2} tekens bevatten; de waarde heeft er {3}."),
    (r"'(.+)' needs a whole number, not '(.*)'\.", "'{1}' moet een geheel getal zijn, niet '{2}'."),
    (r"'(.+)' needs a number, not '(.*)'\.", "'{1}' moet een getal zijn, niet '{2}'."),
    (r"'(.+)' needs a date as YYYY-MM-DD, not '(.*)'\.",
     "'{1}' moet een datum zijn als JJJJ-MM-DD, niet '{2}'."),
    (r"'(.+)' is a checkbox; use yes or no, not '(.*)'\.",
     "'{1}' is een selectievakje; gebruik ja of nee, niet '{2}'."),
    (r"'(.*)' is not an item of the list of '(.+)'; choose one of: (.*)\.",
     "'{1}' is geen item van de lijst van '{2}'; kies uit: {3}."),
    (r"No list fields are mapped; map a list field in Mappings first, then its list appears "
     r"here\.",
     "Er zijn geen lijstvelden toegewezen; wijs eerst een lijstveld toe in Toewijzingen, dan "
     "verschijnt de lijst hier."),
    (r"No connection is active; activate one first \('erp-tui activate NAME'\)\.",
     "Er is geen verbinding actief; activeer er eerst een."),
]
_COMPILED = [(re.compile(pattern, re.S), template) for pattern, template in _DUTCH]
_SLOT = re.compile(r"\{(\d+)(!t)?\}")


def engine_text(text: str) -> str:
    """`text` in the UI's language (Dutch when known, else unchanged)."""
    if isinstance(text, Msg):
        return localize(text)
    if language() != "nl" or not text:
        return text
    return _dutch(text)


def _dutch(text: str) -> str:
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(text)
        if match is None:
            continue

        def fill(slot: re.Match[str], found: re.Match[str] = match) -> str:
            value = found.group(int(slot.group(1))) or ""
            return _dutch(value) if slot.group(2) else value

        return _SLOT.sub(fill, template)
    return text
