"""Word senses and idioms: trigger words that, in their sentence, report no act or another one.

Each rule is a general pattern of English or German usage, measured on whole articles
(``bench/eval_articles.py``) and tested on our own sentences (tests/test_events_senses.py);
docs/events.md lists them. ``other_sense`` says why a hit is no act (or None); ``verbal_attack``
turns an attack between politicians into criticism. Pure and Beam-free.
"""

from __future__ import annotations

import re
from dataclasses import replace

from transforms.events.actors import Actor
from transforms.events.lexicon import ROOT_GOLDSTEIN, Hit, TriggerSpec, quad_class
from transforms.events.sentences import Token

_BE_FORMS = frozenset({"is", "was", "are", "were", "be"})
_MODAL_BEFORE_VERB = frozenset({"to", "will", "would", "must", "should", "could", "can", "did", "may", "might", "set"})
# What is released when nothing is freed: "released a report", "veröffentlichte" is no trigger at all.
_DOCUMENTS = frozenset({
    "statement", "statements", "report", "reports", "guidance", "guidelines", "video", "videos", "footage", "data",
    "figures", "details", "images", "photos", "pictures", "document", "documents", "list", "plan", "album", "film",
    "book", "budget", "results", "findings", "recording", "audio", "transcript", "letter", "names", "map", "maps",
    "pamphlet", "brochure", "manifesto", "study", "survey", "poll", "statistics", "update", "trailer", "version",
    "information", "evidence", "analysis", "memo", "files", "emails", "text", "texts", "song", "single",
})  # fmt: skip
# "demonstrated his commitment", "demonstrated that ...": showing, not protesting.
_SHOW_OBJECTS = frozenset({
    "his", "her", "its", "their", "our", "my", "your", "the", "a", "an", "that", "how", "what", "this", "these",
    "strong", "great", "clear", "real", "again", "once", "both", "solidarity", "support", "resolve", "unity",
})  # fmt: skip
# "made / issued / voiced a threat": the noun reports an act only after a verb of making it.
_MAKE = frozenset({
    "made", "make", "makes", "making", "issued", "issue", "issues", "issuing", "repeated", "renewed", "voiced",
    "sent", "uttered", "posted", "received", "delivered", "escalated", "stepped",
})  # fmt: skip
_THREAT_NOUNS = frozenset({"threat", "threats"})
# Phrases that give the reason of the sentence's act: what follows them is told again, not reported.
_REASONS = (("in", "response", "to"), ("in", "reaction", "to"), ("in", "retaliation", "for"), ("in", "retaliation", "to"),
            ("als", "reaktion", "auf"), ("als", "antwort", "auf"), ("als", "vergeltung", "für"))
_REASON_WORDS = frozenset(p[1] for p in _REASONS)
# "the threat of riots", "the risk of war", "Angst vor Anschlägen": an act feared, not one that happened.
_FEARED = frozenset({"threat", "threats", "risk", "risks", "fear", "fears", "danger", "prospect", "spectre", "specter",
                     "gefahr", "angst", "furcht", "sorge", "risiko"})
# "a request for comment": a journalist asked; "Bitte um Stellungnahme", "Anfrage" likewise.
_COMMENT = frozenset({"comment", "comments", "stellungnahme"})
# Words before an English participle that make it an adjective: "from occupied Norway", "the besieged city".
_ATTRIBUTIVE_BEFORE = frozenset({
    "the", "a", "an", "from", "in", "into", "of", "to", "on", "at", "for", "with", "its", "their", "his", "her",
    "our", "newly", "recently", "formerly", "previously",
})  # fmt: skip
_GERMAN_ARTICLES = frozenset({
    "der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer", "eines", "in", "im", "aus",
    "von", "vom", "zum", "zur", "mit", "bei", "beim", "für", "gegen", "seine", "seinen", "ihre", "ihren", "ihrer",
})  # fmt: skip
_GERMAN_ADJ_ENDING = re.compile(r"(?:t|en)(?:e|en|em|er|es)$")  # besetzten, verhaftete, festgenommenen
_MONTH_FORMS = frozenset({"march", "may"})
# Words of history: "during the Second World War", "im Zweiten Weltkrieg", "der Kalte Krieg".
HISTORY = re.compile(r"\b(?:World War|Weltkrieg\w*|Cold War|Kalte[nm]? Krieg\w*|Holocaust|Nazi Germany|Nazi-Deutschland)\b")
# Attacks by words: "verbal attacks", "attackierte scharf", "sharply attacked".
_ATTACK_WORDS = re.compile(r"^(?:attack|attacks|attacked|attacking|attacke|attacken|attackier\w*|angriff\w*|angegriffen"
                           r"|angreif\w*|anzugreifen|greift|griff|griffen)$")
_VERBAL_MARKERS = frozenset({"verbal", "verbale", "verbalen", "verbaler", "scharf", "sharply", "heftig", "fiercely",
                             "personal", "persönlich", "persönliche", "publicly", "öffentlich", "rhetorical"})
# Roles that fight: an attack by or on one of these is an attack.
_VIOLENT_ROLES = frozenset({"military", "armed_group", "rebels", "police", "civilians", "people", "government", "igo"})


def other_sense(hit: Hit, tokens: list[Token], forms: list[str], lang: str, actor_after: bool = True) -> str | None:
    """The name of the rule that makes this trigger word no act here, or None; ``actor_after``: an
    actor is named within three words after the trigger."""
    i, word = hit.start, forms[hit.start]
    single = hit.end == i + 1
    after = forms[hit.end] if hit.end < len(forms) else ""
    before = forms[i - 1] if i > 0 else ""
    if lang == "en":
        if single and word in _MONTH_FORMS and tokens[i].text[:1].isupper() and i > 0:
            return "month"  # "joined NATO in March": the month, not a march
        if single and word == "free" and before not in _MODAL_BEFORE_VERB:
            return "adjective_free"  # "free drinks", "free Palestine": an adjective or a slogan
        if word.startswith("releas") and set(forms[hit.end : hit.end + 4]) & _DOCUMENTS:
            return "publication"  # "released the new guidance": publishing, not freeing
        if word.startswith("demonstrat") and single and word != "demonstration" and after in _SHOW_OBJECTS:
            return "showing"  # "demonstrated his commitment"
        if word in ("committed", "commit", "commits") and hit.spec.event_type == "AGREE" and after != "to" \
                and forms[hit.end : hit.end + 2] not in (["itself", "to"], ["themselves", "to"]):
            return "committed_crime"  # "crimes committed across the UK": doing, not pledging
        if word in _THREAT_NOUNS and not set(forms[max(0, i - 4) : i]) & _MAKE:
            return "threat_noun"  # "the threat of riots", "security threats": a danger, not a threat made
        if word.startswith("receiv") and hit.spec.event_type == "CONSULT" and single:
            return NEEDS_A_PARTY  # "received a letter": only a host receives (checked against actors later)
        if word.startswith("defend") and hit.spec.event_type == "SUPPORT" and single:
            return NEEDS_A_PARTY  # "defended accepting gifts": a defence of oneself, unless a party follows
        if _attributive_en(tokens, forms, hit):
            return "attributive_participle"  # "from occupied Norway", "the besieged city"
    if lang == "en" and word == "must" and before in ("we", "i", "you", "one"):
        return "exhortation"  # "we must now look to repair the harm": a resolve, not a demand on anyone
    if lang == "en" and word in ("seek", "seeks", "sought", "seeking") and after == "to":
        return "trying"  # "as they seek to accelerate": an aim, not a request
    if lang == "en" and i >= 2 and forms[i - 1] == "to" and forms[i - 2] in _BE_FORMS:
        return "arranged"  # "the strategy was to invite companies": a plan
    if lang == "en" and word in ("ask", "asked", "asks", "asking") and {"if", "whether"} & set(forms[hit.end : hit.end + 4]):
        return "question"  # "asked again if she would say this": a question, not a demand
    if word.startswith("conced") and {"that", "dass"} & set(forms[hit.end : hit.end + 6]):
        return "admitted"  # "he conceded that she had been cleared": an admission, not a concession
    if word.startswith("met") and hit.spec.event_type == "CONSULT" and after == "with" and not actor_after:
        return "met_someone_else"  # "the two governments met with rural communities": not with each other
    if _REASON_WORDS.intersection(forms[max(0, i - 6) : i]) and any(
            tuple(forms[j : j + len(p)]) == p for p in _REASONS for j in range(max(0, i - 6), i)):
        return "reason"  # "in response to Chile's attacks on Peru": the reason of another act, told again
    if i >= 2 and forms[i - 1] in ("of", "vor", "von") and forms[i - 2] in _FEARED:
        return "feared"  # "amid the threat of riots", "die Gefahr von Anschlägen": what may happen
    if word in ("request", "requests", "anfrage", "bitte") and _COMMENT & set(forms[hit.end : hit.end + 3]):
        return "request_for_comment"  # a journalist's request, not a political demand
    if lang == "de" and _attributive_de(tokens, forms, hit):
        return "attributive_participle"  # "die besetzten Gebiete", "der verhaftete Journalist"
    return None


def _attributive_en(tokens: list[Token], forms: list[str], hit: Hit) -> bool:
    i = hit.start
    if hit.end != i + 1 or not forms[i].endswith("ed") or i == 0 or hit.end >= len(forms):
        return False
    nxt = tokens[hit.end]
    return forms[i - 1] in _ATTRIBUTIVE_BEFORE and nxt.text[:1].isalpha() and forms[hit.end] not in ("by", "to", "in", "at", "on")


def _attributive_de(tokens: list[Token], forms: list[str], hit: Hit) -> bool:
    i = hit.start
    if hit.end != i + 1 or i == 0 or hit.end >= len(forms) or not tokens[i].text[:1].islower():
        return False
    return bool(_GERMAN_ADJ_ENDING.search(forms[i])) and forms[i - 1] in _GERMAN_ARTICLES \
        and tokens[hit.end].text[:1].isupper()


_DETERMINER_WORDS = frozenset({"the", "a", "an", "his", "her", "its", "their", "visiting", "den", "die", "der", "seinen", "ihren"})


# The sense of a verb that is an act only with a party right after it ("received the Indian delegation").
NEEDS_A_PARTY = "needs_a_party"


def party_right_after(hit: Hit, forms: list[str], actors: list[Actor]) -> bool:
    """'received the Indian delegation': a host receives an actor named right after the verb
    ('received a letter from Peru' names a thing first)."""
    return any(a.key and hit.end <= a.start <= hit.end + 2 and all(f in _DETERMINER_WORDS for f in forms[hit.end : a.start])
               for a in actors)


def verbal_attack(hit: Hit, forms: list[str], clauses: list[int], participants: list[Actor]) -> bool:
    """'Habeck hatte Klöckner scharf attackiert', 'verbal attacks on Trump': an attack among politicians
    (or marked as verbal) is criticism (ACCUSE), not violence."""
    if hit.spec.event_type != "ASSAULT" or not any(_ATTACK_WORDS.match(forms[j]) for j in range(hit.start, hit.end)):
        return False
    clause = clauses[hit.start]
    near = {f for f, c in zip(forms, clauses, strict=True) if c == clause}
    if near & _VERBAL_MARKERS:
        return True
    return bool(participants) and not any(a.role in _VIOLENT_ROLES or a.role is None for a in participants)


_AGAINST = frozenset({"against", "vor"})
_MAYBE = frozenset({"might", "could", "may"})


def warning_against(hit: Hit, forms: list[str]) -> bool:
    """'warned against escalation', 'warnte vor einer Eskalation': a warning against something is
    criticism, not a threat (a threat says what its maker will do: 'warned that police will ...')."""
    if hit.spec.event_type != "THREATEN" or not forms[hit.start].startswith(("warn", "warnt")):
        return False
    if _AGAINST & set(forms[hit.end : hit.end + 4]):
        return True
    # "warn that the plan might be used against critics": a prediction; "warned that police will act" threatens
    return "that" in forms[hit.end : hit.end + 2] and bool(_MAYBE & set(forms[hit.end :]))


_PROMISES = ("pledg", "promis", "vow", "versprach", "versprech", "kündigt", "schwor")
# What a promise threatens: "pledged police will tackle the riots", "versprach, hart durchzugreifen".
_COERCIVE = frozenset({
    "tackle", "robustly", "crack", "punish", "punished", "retaliate", "prosecute", "prosecuted", "arrest", "arrested",
    "justice", "durchgreifen", "durchzugreifen", "bestrafen", "bestraft", "vergeltung", "rechenschaft", "vorgehen",
})  # fmt: skip


def threatening_promise(hit: Hit, forms: list[str]) -> bool:
    """'pledged a standing army of police will tackle violent riots': a promise of force is a threat (GUIDE.md:
    a vow to retaliate is THREATEN)."""
    return hit.spec.event_type == "AGREE" and forms[hit.start].startswith(_PROMISES) \
        and bool(_COERCIVE & set(forms[hit.end :]))


def threat(spec: TriggerSpec) -> TriggerSpec:
    """The promise as PLOVER THREATEN (CAMEO 130)."""
    return replace(spec, event_type="THREATEN", mode=None, cameo="130", quad_class=quad_class("130"),
                   goldstein=ROOT_GOLDSTEIN["13"], symmetric=False, governs=True)


def criticism(spec: TriggerSpec) -> TriggerSpec:
    """The attack as PLOVER ACCUSE, mode disapprove (CAMEO 111 criticize or denounce)."""
    return replace(spec, event_type="ACCUSE", mode="disapprove", cameo="111", quad_class=quad_class("111"),
                   goldstein=ROOT_GOLDSTEIN["11"], symmetric=False, governs=False)
