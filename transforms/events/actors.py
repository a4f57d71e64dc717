"""Actors in a sentence: gazetteer spans grouped into noun phrases and resolved to participants.

"der aserbaidschanische Außenminister Elmar Mammadyarov" -> AZE:foreign_minister;
"Russia's defence minister" -> RUS:defence_minister; "Moskau" -> RUS:government;
"die Delegationen aus Russland und Aserbaidschan" -> RUS:delegation, AZE:delegation.
Place names after "in/im/at/near" are locations, not actors.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

from transforms.events.gazetteer import CompiledGazetteer, Label
from transforms.events.sentences import Token

_KIND_ORDER = ("holder", "office", "org", "country", "capital", "people", "adj", "place")
_CONNECTORS = frozenset({"'s", "’s", "-", "of", "the", "von", "des", "der", "dem", "den", "de", "aus", "from"})
_LOCATION_PREPS = frozenset({"in", "im", "at", "near", "bei", "nahe", "outside", "außerhalb"})
_COORDINATORS = frozenset({"and", "und", "or", "oder", ",", "sowie"})
# "Palestinian homes", "ein australisches Ultimatum": a country adjective before a noun names that
# country as a party; words of report ("nach russischen Angaben", "according to Iraqi sources") do not.
_ATTRIBUTION_PREPS = frozenset({"nach", "laut", "according", "zufolge", "per", "citing", "unter"})
_ATTRIBUTION_NOUNS = frozenset({
    "angaben", "quellen", "kreisen", "medien", "medienberichten", "berichten", "agentur", "nachrichtenagentur",
    "zeitung", "sender", "fernsehen", "staatsfernsehen", "sources", "source", "media", "reports", "report",
    "news", "agency", "newspaper", "television", "radio", "tv", "press", "state", "language", "border", "grenze",
    "territory", "gebiet", "soil", "boden", "time", "zeit", "made", "backed", "led", "held", "occupied",
    "airspace", "luftraum", "waters", "gewässer", "hoheitsgewässer",
})  # fmt: skip
# Private lives: a country adjective before a player, a star or a fan names no party ("der spanische
# Basketball-Star", "a British backpacker"); GUIDE.md labels no event of private persons.
_PRIVATE_HEADS = (
    "star", "stars", "spieler", "spielerin", "player", "players", "trainer", "coach", "sportler", "athlete",
    "athletes", "team", "mannschaft", "club", "verein", "fan", "fans", "singer", "sänger", "sängerin", "actor",
    "actress", "schauspieler", "schauspielerin", "künstler", "artist", "tourist", "touristen", "tourists",
    "backpacker", "backpackers", "urlauber", "skispringer", "fußballer", "footballer", "boxer", "tennisspieler",
)
# Nouns of a stance or proposal: the adjective then stands for the government ("Indian proposal").
_ACT_NOUNS = frozenset({
    "proposal", "proposals", "plan", "offer", "ultimatum", "demand", "demands", "appeal", "request", "mediation",
    "initiative", "call", "vorschlag", "vorschläge", "angebot", "forderung", "forderungen", "appell", "vermittlung", "antrag",
})  # fmt: skip
# Institutions give way to a person or office of the same country named in the same clause.
INSTITUTIONS = frozenset({"government", "foreign_ministry", "delegation", "side", "ministry"})
# Offices held by one person: what "Amtskollege" / "counterpart" can copy.
PERSONAL_OFFICES = frozenset({
    "head_of_state", "head_of_government", "deputy_head_of_government", "vice_president", "foreign_minister",
    "defence_minister", "interior_minister", "finance_minister", "minister", "diplomat", "secretary_general",
    "commission_president", "council_president",
})  # fmt: skip
# A country adjective before these nouns names a place, not a party ("the Bosnian town of Gorazde").
_PLACE_NOUNS = frozenset({
    "town", "city", "village", "region", "province", "capital", "port", "enclave", "island", "coast", "district",
    "stadt", "hauptstadt", "dorf", "provinz", "hafenstadt", "grenzstadt", "küste", "insel", "bezirk",
})  # fmt: skip
# Bodies that act at home: without a country of their own they take the one place named in the
# sentence ("Police detained 20 protesters in Minsk": BLR police).
DOMESTIC_ROLES = frozenset({
    "police", "protesters", "opposition", "civilians", "judiciary", "legislature", "media", "students", "workers",
})  # fmt: skip
# "ethnic Albanians in Serbia": an ethnic group is coded by where it lives, not by the adjective's state.
_ETHNIC = frozenset({"ethnic", "ethnische", "ethnischen", "ethnischer", "ethnisch"})
_ACTOR_CODES = {
    "military": "MIL", "police": "COP", "legislature": "LEG", "judiciary": "JUD", "protesters": "OPP",
    "opposition": "OPP", "rebels": "REB", "armed_group": "REB", "civilians": "CVL", "people": "",
    "media": "MED", "party": "PTY", "ngo": "", "refugees": "REF", "business": "BUS",
}  # fmt: skip


@dataclass(frozen=True)
class Actor:
    start: int
    end: int
    clause: int
    name: str
    country: str | None
    role: str | None
    key: str | None  # None: not resolved (no country, or a counterpart without an office to copy)
    tenure: tuple[dt.date | None, dt.date | None] | None = None  # when resolved from a named holder
    location: bool = False
    ethnic: bool = False  # "ethnic Albanians": the country is where they live (see place_domestic)


def actor_code(country: str, role: str | None) -> str:
    if role == "igo":
        return country
    return country + _ACTOR_CODES.get(role or "", "GOV")


# Lower-case adjectives match ("russische"), but "send us your comments" is not the US.
_PRONOUNS = frozenset({"us"})
# "al-Qaeda", "al-Shabaab": a lower-case Arabic article before a capitalized name is still a name.
_PARTICLES = frozenset({"al", "el", "ad", "ash", "as", "an", "ar"})
# "in East Jerusalem", "in northern Israel": words that may stand between a place preposition and the name.
_COMPASS = frozenset({"east", "west", "north", "south", "eastern", "western", "northern", "southern", "central"})


def _particle_name(tokens: list[Token], i: int) -> bool:
    return (tokens[i].lower in _PARTICLES and i + 2 < len(tokens) and tokens[i + 1].text == "-"
            and tokens[i + 2].text[:1].isupper())


# "anti-Syria journalist", "US $50 million": the name is an attribute or a currency, not a party.
_CURRENCY = frozenset({"$", "dollar", "dollars", "dollar-", "cents"})
# "Iran-backed rebels", "NATO-member Norway", "a London-based group": the name qualifies the noun
# after it, which is the party ("-led" is different: "US-led forces" are the leader's forces).
_QUALIFIERS = frozenset({
    "backed", "sponsored", "funded", "supported", "allied", "aligned", "member", "based", "friendly", "leaning",
})  # fmt: skip


def _double_name(tokens: list[Token], end: int, labels: list[Label]) -> bool:
    """'Zuma-Sambudla': a known surname joined by a hyphen to another name is someone else's name;
    'Donald Trump Jr': so is the name of a son."""
    if not any(lab.kind == "holder" for lab in labels) or end >= len(tokens):
        return False
    if tokens[end].lower.rstrip(".") in ("jr", "junior", "sr"):
        return True
    return end + 1 < len(tokens) and tokens[end].text == "-" and tokens[end + 1].text[:1].isupper() \
        and tokens[end + 1].text.isalpha()


_CALENDAR = frozenset({
    "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "montag", "dienstag", "mittwoch",
    "donnerstag", "freitag", "samstag", "sonntag", "january", "february", "march", "april", "may", "june", "july",
    "august", "september", "october", "november", "december", "januar", "februar", "märz", "mai", "juni", "juli",
    "oktober", "dezember",
})  # fmt: skip


def _first_name(tokens: list[Token], end: int, labels: list[Label], lowers: list[str], index: object) -> bool:
    """'Rom Braslavski', 'Jordan Bardella', 'Paris Hilton': a state's or city's name right before a
    capitalized word we do not know is a person's first name."""
    if end >= len(tokens) or not all(lab.kind in ("country", "capital", "place") for lab in labels):
        return False
    nxt = tokens[end]
    if not (nxt.text[:1].isupper() and nxt.text.isalpha() and len(nxt.text) > 2 and not nxt.text.isupper()):
        return False
    if lowers[end] in index or lowers[end] in _CALENDAR:
        return False  # a name we know, "Sierra Leone Tuesday"
    after = tokens[end + 1].text if end + 1 < len(tokens) else ""
    return not (after[:1].isupper() or after == "-")  # "Baghdad University Medical School", "Kenya Anti-Corruption"


def _not_a_party(tokens: list[Token], start: int, end: int) -> bool:
    anti = start > 1 and tokens[start - 1].text == "-" and tokens[start - 2].lower in ("anti", "anti-")
    qualifier = end + 1 < len(tokens) and tokens[end].text == "-" and tokens[end + 1].lower in _QUALIFIERS
    return anti or qualifier or (end < len(tokens) and tokens[end].lower in _CURRENCY)


_OPENERS = frozenset({"„", "\"", "“", "»", "«", "(", ":", "-", "–", "—"})


def _in_german_name(tokens: list[Token], i: int, labels: list[Label]) -> bool:
    """German writes nationality adjectives in lower case ("deutsche Soldaten"); capitalized inside
    a sentence it is part of a name: "Deutsche Bahn", "Deutsche Bank", "Russisch-Orthodoxe Kirche"."""
    german = any(lab.kind == "adj" and lab.german for lab in labels)
    if not german or not all((lab.kind == "adj" and lab.german) or lab.kind == "people" for lab in labels):
        return False  # "Deutsche" is also the people ("viele Deutsche protestierten"): a name only before a noun
    followed = i + 1 < len(tokens) and tokens[i + 1].text[:1].isupper() and tokens[i + 1].text[:1].isalpha()
    return i > 0 and tokens[i].text[:1].isupper() and tokens[i - 1].text not in _OPENERS and followed


def _masthead(tokens: list[Token], i: int, labels: list[Label]) -> bool:
    """'told The Namibian', 'wrote The Australian': a capitalized 'The' inside a sentence before a
    nationality makes a newspaper's name, not a party."""
    return i > 1 and tokens[i - 1].text == "The" and all(lab.kind in ("adj", "people") for lab in labels)


def _city_in_name(tokens: list[Token], i: int, labels: list[Label], spans: list[tuple[int, int, Label]]) -> bool:
    """'Real Madrid', 'Partizan Belgrad', 'Dynamo Kyiv': a city after another capitalized word (not the
    sentence's first, not a name we know, not 'Stadt' or 'capital') is part of a club's or firm's name."""
    if i < 2 or not all(lab.kind in ("capital", "place") for lab in labels):
        return False
    before = tokens[i - 1]
    known = bool(spans) and spans[-1][1] == i
    return before.text[:1].isupper() and before.text.isalpha() and not known and before.lower not in _PLACE_NOUNS \
        and before.lower not in _PLACE_MODIFIERS


# "Greater Manchester", "New Delhi", "Groß-Gerau": words that make a place name of a place name.
_PLACE_MODIFIERS = frozenset({
    "greater", "new", "old", "upper", "lower", "central", "inner", "north", "south", "east", "west", "northern",
    "southern", "eastern", "western", "metro", "groß", "alt", "neu", "ober", "unter", "nord", "süd", "ost",
})  # fmt: skip


def _spans(tokens: list[Token], gaz: CompiledGazetteer) -> list[tuple[int, int, Label]]:
    lowers = [t.lower for t in tokens]
    spans, i, index = [], 0, gaz.index
    while i < len(tokens):
        if lowers[i] not in index:  # no phrase starts here (most words): gaz.match finds none
            i += 1
            continue
        length, labels = gaz.match(lowers, i)
        upper = tokens[i].text[:1].isupper() or _particle_name(tokens, i)
        labels = [lab for lab in labels if upper or (lab.kind in ("adj", "office") and tokens[i].lower not in _PRONOUNS)]
        if length and labels and not _not_a_party(tokens, i, i + length) and not _in_german_name(tokens, i, labels) \
                and not _city_in_name(tokens, i, labels, spans) and not _masthead(tokens, i, labels) \
                and not _double_name(tokens, i + length, labels) and not _first_name(tokens, i + length, labels, lowers, index):
            label = min(labels, key=lambda lab: _KIND_ORDER.index(lab.kind))
            spans.append((i, i + length, label))
            i += length
            continue
        i += 1
    return spans


# Two state names in a row are two parties, never one noun phrase.
_STATE_NAMES = frozenset({"country", "capital"})


def _chunks(tokens: list[Token], spans: list[tuple[int, int, Label]]) -> list[list[tuple[int, int, Label]]]:
    chunks: list[list[tuple[int, int, Label]]] = []
    for span in spans:
        if chunks:
            last = chunks[-1][-1]
            gap = tokens[last[1] : span[0]]
            names_ok = last[2].kind in ("office", "adj") and span[2].kind == "holder"
            joinable = all(
                t.lower in _CONNECTORS or (names_ok and t.text[:1].isupper() and t.text.isalpha()) for t in gap
            )
            two_states = last[2].kind in _STATE_NAMES and span[2].kind in _STATE_NAMES  # "verurteilte Frankreich den Iran"
            if joinable and not two_states and len(gap) <= 3 and tokens[span[0]].clause == tokens[last[0]].clause:
                chunks[-1].append(span)
                continue
        chunks.append([span])
    return chunks


# "Macedonia's border with Bulgaria", "die Grenze zu Polen": the neighbour names the border, not a party.
_BORDER = {"with": frozenset({"border", "borders", "frontier"}), "zu": frozenset({"grenze"})}
_STATES = frozenset({"country", "capital", "place"})


def _homes(tokens: list[Token], chunks: list[list[tuple[int, int, Label]]]) -> dict[int, int]:
    """'the Albanians of southern Serbia', 'the Kurds of Iraq': a people named by its home country.
    Returns {index of the people's chunk: index of the home's chunk}."""
    homes = {}
    for n in range(len(chunks) - 1):
        if chunks[n][-1][2].kind != "people" or not {lab.kind for _, _, lab in chunks[n + 1]} <= _STATES:
            continue
        gap = [t.lower for t in tokens[chunks[n][-1][1] : chunks[n + 1][0][0]]]
        if gap[:1] == ["of"] and all(w in _COMPASS for w in gap[1:]):
            homes[n] = n + 1
    return homes


def _border_neighbour(tokens: list[Token], start: int) -> bool:
    """Only where the border is a place ("villages near Macedonia's border with Bulgaria"): in
    "Russia closed its border with Georgia" the neighbour is the done-to."""
    if start < 2 or tokens[start - 2].lower not in _BORDER.get(tokens[start - 1].lower, ()):
        return False
    return any(t.lower in _LOCATION_PREPS | {"along", "across", "entlang"} for t in tokens[max(0, start - 7) : start - 2])


def find_actors(tokens: list[Token], gaz: CompiledGazetteer, date: dt.date | None) -> list[Actor]:
    actors: list[Actor] = []
    chunks = _chunks(tokens, _spans(tokens, gaz))
    homes = _homes(tokens, chunks)
    for n, chunk in enumerate(chunks):
        if not chunk:
            continue  # consumed by the list distribution below
        start, end = chunk[0][0], chunk[-1][1]
        kinds = {label.kind: label for _, _, label in chunk}
        if set(kinds) <= _STATES and _border_neighbour(tokens, start):
            continue
        if n in homes.values():  # the people's home: where they live, not a party
            name = " ".join(t.text for t in tokens[start:end])
            actors.append(Actor(start, end, tokens[start].clause, name, chunk[0][2].code, None, None, None, True))
            continue
        countries = [lab.code for _, _, lab in chunk if lab.kind in ("country", "capital", "adj", "people", "place")]
        before = _location_prep(tokens, start)
        name = " ".join(t.text for t in tokens[start:end])
        named_place = start > 0 and (tokens[start - 1].lower in _PLACE_NOUNS or (
            start > 1 and tokens[start - 1].lower == "of" and tokens[start - 2].lower in _PLACE_NOUNS))
        if set(kinds) <= {"place", "country", "capital", "adj"} and (before or named_place) and "adj" not in kinds:
            actors.append(Actor(start, end, tokens[start].clause, name, countries[0] if countries else None, None, None, None, True))
            continue
        if "place" in kinds and len(kinds) == 1:
            continue
        country: str | None = countries[0] if countries else None
        role: str | None = None
        key: str | None = None
        tenure = None
        if "holder" in kinds:
            # the person's name as written is the participant's name, not the whole phrase
            # ("aserbaidschanischen Amtskollegen Dscheichun Bairamov" -> "Dscheichun Bairamov")
            name = next(" ".join(t.text for t in tokens[s:e]) for s, e, lab in chunk if lab.kind == "holder")
            folded = kinds["holder"].name or ""
            found = gaz.resolve_holder(folded, date, country)
            if len({(h.country, h.role) for h in found}) == 1:
                country, role, tenure = found[0].country, found[0].role, (found[0].start, found[0].end)
            else:
                any_date = gaz.resolve_holder(folded, None, country) or gaz.holders.get(folded, [])
                country = country or (any_date[0].country if len({h.country for h in any_date}) == 1 else None)
                role = "person"
                key = f"{country}:person:{folded}" if country else None
        if role is None and "office" in kinds:
            role = kinds["office"].role
            country = country or kinds["office"].code
            if country is None and "org" in kinds:  # "UN officials", "NATO troops", "EU foreign ministers"
                org = kinds["org"]
                country = org.code
                key = org.key if org.role == "igo" and role in INSTITUTIONS | {"government", "military"} else None
        if role is None and "org" in kinds:
            org = kinds["org"]
            country, role, key = org.code, org.role, org.key
        if role is None and ({"country", "capital"} & set(kinds)):
            role = "government"
        if role is None and "people" in kinds:
            role = "people"
        if role is None and "adj" in kinds:
            role = _adjective_role(tokens, start, end, chunks[n + 1] if n + 1 < len(chunks) else None)
            if role == "location":
                actors.append(Actor(start, end, tokens[start].clause, name, country, None, None, None, True))
                continue
        if role is None:
            continue
        if "office" in kinds and country is None and n + 1 < len(chunks) and chunks[n + 1]:
            country = _place_country(tokens, end, chunks[n + 1]) or country
        if key is None and country and role != "counterpart":
            key = f"{country}:{role}"
        ethnic = (start > 0 and tokens[start - 1].lower in _ETHNIC) or n in homes
        actors.append(Actor(start, end, tokens[start].clause, name, country, role, key, tenure, ethnic=ethnic))
        # "Delegationen aus Russland und Aserbaidschan": the office distributes over the list.
        if "office" in kinds and len(chunk) > 1 and n + 1 < len(chunks):
            nxt = chunks[n + 1]
            gap = tokens[end : nxt[0][0]]
            if [t.lower for t in gap] in (["und"], ["and"], [","]) and {s[2].kind for s in nxt} <= {"country", "capital"}:
                code = nxt[0][2].code
                actors.append(Actor(nxt[0][0], nxt[-1][1], tokens[nxt[0][0]].clause,
                                    " ".join(t.text for t in tokens[nxt[0][0]:nxt[-1][1]]), code, role, f"{code}:{role}"))
                chunks[n + 1] = []
    return place_domestic(not_parties(tokens, actors))


def _location_prep(tokens: list[Token], start: int) -> bool:
    """'in Iraq', 'in the Gaza Strip', 'in northern Israel': a place preposition with only lower-case
    words between it and the name ('in Iraq said US ...': US is not in a place phrase)."""
    for i in range(start - 1, max(-1, start - 4), -1):
        if tokens[i].lower in _LOCATION_PREPS:
            return True
        if not (tokens[i].text.isalpha() and (tokens[i].text.islower() or tokens[i].lower in _COMPASS)):
            return False
    return False


# Offices and bodies that, named without a country ("the prime minister", "police", "parliament"), belong
# to the country the article is about.
# ("people" and "civilians" are everyone: they stay unresolved.)
HOME_ROLES = (DOMESTIC_ROLES - {"civilians"}) | PERSONAL_OFFICES | frozenset({"government", "ministry", "military", "party",
                                                                               "governor"})


def at_home(actors: list[Actor], home: str | None, people: bool = False) -> list[Actor]:
    """Bodies and offices without a country take the article's home country (``events._home_country``),
    unless the sentence names a place (then ``place_domestic`` already decided). ``people``: civilians
    too (the sentence reports an arrest or a deportation, which a state does to its people)."""
    if home is None or any(a.location for a in actors):
        return actors
    roles = HOME_ROLES | {"civilians"} if people else HOME_ROLES
    return [replace(a, country=home, key=f"{home}:{a.role}") if a.key is None and a.country is None
            and a.role in roles and not a.ethnic else a for a in actors]


def known_person(actor: Actor) -> str | None:
    """The surname by which a person named in full ("Boris Johnson", "Naftali Bennett") is named again."""
    if not actor.key or not (actor.tenure is not None or ":person:" in actor.key):
        return None
    words = actor.name.split()
    return words[-1].lower() if len(words) >= 2 and words[-1].isalpha() and len(words[-1]) >= 4 else None


def named_again(tokens: list[Token], actors: list[Actor], people: dict[str, Actor]) -> list[Actor]:
    """'Premierminister Boris Johnson ...' then 'Johnson musste ...': a surname alone names the person the
    article named in full before (also as a German genitive, 'Johnsons'). Only people the article named."""
    if not people:
        return actors
    covered = {i for a in actors for i in range(a.start, a.end)}
    found = list(actors)
    for i, token in enumerate(tokens):
        if i in covered or not token.text[:1].isupper() or not token.text.isalpha():
            continue
        person = people.get(token.lower) or (people.get(token.lower[:-1]) if token.lower.endswith("s") else None)
        double = i + 2 < len(tokens) and tokens[i + 1].text == "-" and tokens[i + 2].text[:1].isupper()
        if person is not None and not double:  # "Zuma-Sambudla" is someone else
            found.append(replace(person, start=i, end=i + 1, clause=token.clause, name=token.text, location=False))
    return sorted(found, key=lambda a: a.start) if len(found) > len(actors) else actors


# "laut Amnesty", "according to the UN", "citing Iranian officials": who says so is no party of the act.
_ATTRIBUTION_BEFORE = (("laut",), ("according", "to"), ("citing",), ("zufolge",), ("nach", "angaben"))
# "the committee on China", "der Ausschuss für Russland": a body's subject is no party of the body's act.
_BODY_NOUNS = frozenset({"committee", "commission", "council", "panel", "subcommittee", "envoy", "ausschuss",
                         "kommission", "sonderbeauftragte", "beauftragte"})


_NOT_PARTY_WORDS = frozenset({p[0] for p in _ATTRIBUTION_BEFORE} | {"angaben"} | _BODY_NOUNS)


def not_parties(tokens: list[Token], actors: list[Actor]) -> list[Actor]:
    """The actors that are parties: not one named as a source of information or as a body's subject."""
    lowered = [t.lower for t in tokens]
    if _NOT_PARTY_WORDS.isdisjoint(lowered):
        return actors  # most sentences: no attribution, no body's subject
    kept = []
    for actor in actors:
        before = lowered[max(0, actor.start - 3) : actor.start]
        attributed = any(tuple(before[-len(p):]) == p or (len(p) == 1 and p[0] in before[-2:]) for p in _ATTRIBUTION_BEFORE)
        topic = len(before) >= 2 and before[-1] in ("on", "für") and before[-2] in _BODY_NOUNS
        if actor.location or not (attributed or topic):
            kept.append(actor)
    return kept


def place_domestic(actors: list[Actor]) -> list[Actor]:
    """Bodies without a country (police, protesters) and ethnic groups take the sentence's one place country."""
    places = {a.country for a in actors if a.location and a.country}
    placed = []
    for actor in actors:
        if actor.ethnic:
            home = places - {actor.country}
            country = next(iter(home)) if len(home) == 1 else None
            actor = replace(actor, country=country, key=f"{country}:{actor.role}" if country else None)
        elif actor.country is None and actor.role in DOMESTIC_ROLES and len(places) == 1:
            country = next(iter(places))
            actor = replace(actor, country=country, key=f"{country}:{actor.role}")
        placed.append(actor)
    return placed


def _adjective_role(tokens: list[Token], start: int, end: int, nxt: list[tuple[int, int, Label]] | None) -> str | None:
    """'Hungarian and Romanian officials' -> the office; 'Palestinian homes' -> people; else None."""
    if nxt and [t.lower for t in tokens[end : nxt[0][0]]] in (["and"], ["und"], [","], ["or"], ["oder"]):
        offices = [lab for _, _, lab in nxt if lab.kind == "office"]
        if offices and offices[0].role != "counterpart":
            return offices[0].role
    if end + 1 < len(tokens) and tokens[end].text == "-" and tokens[end + 1].lower == "led":
        return "military"  # "Vietnamese-led forces": the leading state's forces
    if end >= len(tokens) or not tokens[end].text.isalpha() or tokens[end].lower in _ATTRIBUTION_NOUNS:
        return None
    if _private_person(tokens, end):
        return None
    if {t.lower for t in tokens[max(0, start - 2) : start]} & (_ATTRIBUTION_PREPS | _LOCATION_PREPS):
        return None
    if tokens[end].lower in _PLACE_NOUNS:
        return "location"
    return "government" if tokens[end].lower in _ACT_NOUNS else "people"


def _private_person(tokens: list[Token], end: int) -> bool:
    """The noun after the adjective is a private person ("Basketball-Star", "Skispringer", "backpacker")."""
    words = [t.lower for t in tokens[end : end + 3]]
    head = words[2] if len(words) == 3 and words[1] == "-" else words[0]
    return head.endswith(_PRIVATE_HEADS)


def _place_country(tokens: list[Token], end: int, nxt: list[tuple[int, int, Label]]) -> str | None:
    """'Demonstranten in Tiflis', 'opposition groups in Zimbabwe': an office takes the place's country."""
    gap = [t.lower for t in tokens[end : nxt[0][0]]]
    if {"in", "im"} & set(gap[-2:]) and len(gap) <= 3 and all(w.isalpha() for w in gap) and {lab.kind for _, _, lab in nxt} <= {"country", "capital", "place"}:
        return nxt[0][2].code
    return None


def resolve_counterparts(actors: list[Actor]) -> list[Actor]:
    """'Amtskollege' / 'counterpart' holds the same office as the other official named with it."""
    offices = [a.role for a in actors if a.key and a.role in PERSONAL_OFFICES]
    resolved = []
    for actor in actors:
        if actor.role == "counterpart":
            if offices and actor.country:
                actor = Actor(actor.start, actor.end, actor.clause, actor.name, actor.country, offices[0],
                              f"{actor.country}:{offices[0]}", actor.tenure)
            else:
                continue
        resolved.append(actor)
    return resolved

