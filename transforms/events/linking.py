"""Which actors of a sentence take part in the act a trigger reports (no parser: word order and clauses).

The participants are the doer(s) and the done-to: the actors before the trigger in its clause
(German puts both sides before a final verb: "Israels Armee hat Ziele der Hisbollah attackiert")
plus the first group of actors after it ("demanded that the US cancel plans to sell arms to
Taiwan": the US, not Taiwan). A group is a coordination ("Russia and China", "A, B and C").
When nothing precedes the trigger in its clause, the subject is looked for in the sentence's
first clause ("Lavrov, who arrived on Monday, met ..."; "Pakistan, a U.S. ally, has refused ...")
or, with verb-second order ("Am Samstag telefonierte Lawrow mit ..."), it is the first group after
the trigger. A passive ("was attacked by X") takes the agent after "by/von/durch".

Direction: the subject side is the source (who did it), the rest the target (who it was done to).
The first group before the trigger, an earlier clause's subject, the first group of a verb-second
clause and a passive's agent are sources; a passive's subject is a target ("Ten protesters were
arrested": no source). Symmetric and mutual acts make every party both (``events._sides``).
"""

from __future__ import annotations

from dataclasses import dataclass

from transforms.events.actors import INSTITUTIONS, PERSONAL_OFFICES, Actor
from transforms.events.lexicon import Hit
from transforms.events.negation import is_topic_word

_SET_MARKERS = frozenset({"zwischen", "between"})
_GLUE = frozenset({"and", "und", "or", "oder", "sowie", ",", "&", "as", "well", "the", "die", "der", "den", "dem", "its", "their",
                   "his", "her", "sein", "seinem", "seinen", "seiner", "ihrem", "ihren", "ihrer", "ihre", "seine"})
_COORDINATORS = frozenset({"and", "und", "or", "oder", "sowie", ",", "&"})
_PASSIVE_AUX = frozenset({"was", "were", "been", "being", "is", "are", "wurde", "wurden", "worden", "wird", "werden"})
_AGENT_PREPS = frozenset({"by", "von", "durch"})
# Participles that do not end in -ed: "was struck by", "were shot", "wurde ... getroffen" (German: ge-).
_IRREGULAR_PARTICIPLES = frozenset({
    "struck", "hit", "shot", "held", "sought", "caught", "fought", "led", "met", "sent", "kept", "taken", "seen",
    "beaten", "bitten", "driven", "given", "thrown", "overthrown", "stolen", "slain", "hung", "built", "brought",
})  # fmt: skip
# Participles that, before "to", say a stance: "is opposed to", "are committed to".
_ADJECTIVAL = frozenset({"opposed", "committed", "dedicated", "determined", "prepared", "used", "supposed",
                         "entitled", "devoted", "inclined"})
_GERMAN_PARTICIPLE_STARTS = ("ge", "be", "ver", "er", "zer", "ent", "emp", "miss")
_GERMAN_PASSIVE_AUX = frozenset({"wurde", "wurden", "worden", "wurdest"})
# A first clause opened by these is subordinate or relative: not where the sentence's subject is.
_SUBORDINATORS = frozenset({
    "after", "before", "when", "while", "as", "if", "although", "because", "since", "who", "which", "whose", "where",
    "nachdem", "bevor", "als", "wenn", "während", "weil", "da", "obwohl", "wie", "der", "die", "das", "welche",
    "welcher", "dessen", "deren", "in", "im", "on", "at", "am", "according", "laut", "nach",
})  # fmt: skip


def _groups(actors: list[Actor], forms: list[str]) -> list[list[Actor]]:
    """Consecutive actors joined only by coordination words form one group."""
    groups: list[list[Actor]] = []
    for actor in sorted(actors, key=lambda a: a.start):
        between = forms[groups[-1][-1].end : actor.start] if groups else []
        # "Russia and the US": glue words with a coordinator; "verurteilte Frankreich den Iran": no coordinator, two groups
        if groups and all(f in _GLUE for f in between) and (not between or any(f in _COORDINATORS for f in between)):
            groups[-1].append(actor)
        else:
            groups.append([actor])
    return groups


def _list_head(pool: list[Actor], forms: list[str], clauses: list[int], first: Actor) -> list[Actor]:
    """'Russia, China and Iran agreed': earlier clauses made only of actors join the subject."""
    joined: list[Actor] = []
    clause = first.clause - 1
    while clause >= 0:
        members = [a for a in pool if a.clause == clause]
        words = [i for i, c in enumerate(clauses) if c == clause]
        covered = {i for a in members for i in range(a.start, a.end)}
        if not members or any(forms[i] not in _GLUE and i not in covered for i in words):
            break
        joined = members + joined
        clause -= 1
    return joined


def _list_tail(pool: list[Actor], forms: list[str], clauses: list[int], last: Actor) -> list[Actor]:
    """'to Iran, Libya, North Korea, and Cuba': later clauses made only of actors continue the list
    (an aside opened by 'and' may stand before the last member: 'and, with strings attached, Cuba')."""
    if last.end < len(forms) and clauses[last.end] == last.clause and forms[last.end] not in (",", ";"):
        return []  # the list's member is not the end of its clause
    joined: list[Actor] = []
    clause, aside = last.clause + 1, False
    while clause <= clauses[-1]:
        members = [a for a in pool if a.clause == clause]
        words = [i for i, c in enumerate(clauses) if c == clause and forms[i] not in (".", "!", ",", ";")]
        covered = {i for a in members for i in range(a.start, a.end)}
        if members and not any(forms[i] not in _GLUE and i not in covered for i in words):
            joined += members
            clause, aside = clause + 1, False
            continue
        if not members and not aside and words and forms[words[0]] in ("and", "or") and len(words) <= 6:
            clause, aside = clause + 1, True
            continue
        break
    return joined


# Words that open a phrase of its own before the trigger ("bei einem Treffen", "during the talks"):
# then the trigger is a noun in that phrase, not the verb of an earlier subject.
_PHRASE_OPENERS = frozenset({
    "bei", "beim", "in", "im", "an", "am", "auf", "mit", "nach", "zu", "zum", "zur", "vor", "für", "über", "a", "the", "ein", "eine", "einem", "einer", "einen", "eines", "der", "die", "das", "den", "dem", "des", "at", "on",
    "during", "of", "for", "with", "to", "after", "before", "from", "by",
})  # fmt: skip


def _subject_from_earlier(pool: list[Actor], clauses: list[int], forms: list[str], clause: int, trigger: int) -> list[Actor]:
    lead = [forms[i] for i in range(trigger) if clauses[i] == clause]
    if any(f in _PHRASE_OPENERS for f in lead):
        return []
    for earlier in [0, *range(clause - 1, 0, -1)]:
        if earlier >= clause:
            continue
        words = [i for i, c in enumerate(clauses) if c == earlier and forms[i] not in (",", ";", "(", ")")]
        if earlier > 0 and words and forms[words[0]] in _SUBORDINATORS:
            continue
        topic = next((i for i in words if is_topic_word(forms, i)), len(forms))
        members = [a for a in pool if a.clause == earlier and a.start < topic]
        if members:
            return _groups(members, forms)[0]
    return []


@dataclass(frozen=True)
class Linked:
    """The participants of one act, in order, and the keys of those who did it."""

    actors: list[Actor]
    sources: frozenset[str]

    def __bool__(self) -> bool:
        return bool(self.actors)


def _linked(sources: list[Actor], targets: list[Actor]) -> Linked:
    actors = _unique(sources + targets)
    keys = {a.key for a in actors}
    doers = {a.key for a in sources if a.key in keys}
    # an institution that gave way to a person of its country passes its side on ("Moskau" -> Lawrow)
    gone = {a.country for a in sources if a.key not in keys}
    doers |= {a.key for a in actors if a.country in gone and a.key not in {t.key for t in targets}}
    return Linked(actors, frozenset(k for k in doers if k))


def _passive_voice(hit: Hit, forms: list[str], clauses: list[int]) -> bool:
    """'was attacked', 'were shot', 'wurde ... angegriffen': the subject is done-to. Not 'is pushing'
    (a progressive) nor 'is opposed to' (an adjective)."""
    form, clause = forms[hit.start], clauses[hit.start]
    if any(f in _GERMAN_PASSIVE_AUX for f, c in zip(forms[: hit.start], clauses[: hit.start], strict=True) if c == clause):
        return True
    if _GERMAN_PASSIVE_AUX & set(forms[: hit.start]) and form.endswith(("t", "en")) and (
            form.startswith(_GERMAN_PARTICIPLE_STARTS) or form.endswith("iert")):
        return True  # "Die Demokraten wurden jedoch von X, dem ..., gewarnt": the participle after asides
    if not any(f in _PASSIVE_AUX for f in forms[max(0, hit.start - 3) : hit.start]):
        return False
    if form in _ADJECTIVAL and hit.start + 1 < len(forms) and forms[hit.start + 1] != "to":
        return True  # "was opposed by", "were committed by": a passive after all
    participle = form.endswith("ed") or form in _IRREGULAR_PARTICIPLES
    return participle and form not in _ADJECTIVAL  # "is opposed to": a stance, not a passive


def link_participants(hit: Hit, actors: list[Actor], forms: list[str], clauses: list[int],
                      verb: bool = False, lang: str = "en") -> Linked:
    """The participants of the act at ``hit``, with who did it; ``verb``: the trigger is a verb."""
    clause = clauses[hit.start]
    pool = [a for a in actors if not a.location and a.key]
    in_clause = [a for a in pool if a.clause == clause]
    before = [a for a in in_clause if a.start < hit.start]
    after = [a for a in in_clause if a.start > hit.start]  # also inside a gapped trigger ("Besuch des X abgesagt")
    topic = next((i for i in range(hit.end, len(forms)) if clauses[i] == clause and is_topic_word(forms, i)), None)
    if topic is not None:  # "sprach über das Gipfeltreffen der Blockfreien": a topic, not a participant
        after = [a for a in after if a.start < topic]
    marker = next((i for i in range(hit.end, min(len(forms), hit.end + 4)) if forms[i] in _SET_MARKERS), None)
    if marker is not None:  # "ein Telefongespräch zwischen A und B": exactly the named set
        between = [a for a in after if a.start > marker]
        if len(between) >= 2:  # a mediator before "between" is a party of its own
            if hit.spec.cameo == "045" and before:
                return _linked(before, between)
            return _linked(between, [])
    passive = any(f in _PASSIVE_AUX for f in forms[max(0, hit.start - 3) : hit.start])
    agent_at = next((i for i in range(hit.end, len(forms)) if clauses[i] == clause and forms[i] in _AGENT_PREPS), None)
    groups = _groups(after, forms)
    agents: list[list[Actor]] = []
    if passive and agent_at is not None:
        agents = [g for g in groups if g[0].start > agent_at]
        groups = agents[:1] if agents else groups
    if hit.spec.event_type == "ACCUSE" and len(groups) >= 2 and _follows(forms, hit.end, groups[0][0].start, _ADDRESSEE):
        reason = next((g for g in groups[1:] if _follows(forms, hit.end, g[0].start, _GROUNDS)), None)
        if reason is not None:  # "complained to the UN over Israeli raids": Israel is accused, the UN told
            groups = [reason]
    if groups:
        groups[0] = groups[0] + _list_tail(pool, forms, clauses, groups[0][-1])
    later = groups[0] if groups else []
    passive = _passive_voice(hit, forms, clauses)
    if passive and not agents and not before and lang == "de":  # "X wurden von Y, die ..., kritisiert": the agent in an earlier clause
        earlier = _groups([a for a in pool if a.end <= hit.start and a.clause != clause], forms)
        agents = [g for g in earlier if any(f in _AGENT_PREPS for f in forms[max(0, g[0].start - 3) : g[0].start])]
        if agents:
            subject = [a for g in earlier if g is not agents[0] and g[0].start < agents[0][0].start for a in g]
            return _linked(agents[0], subject[:1] + later)
    if passive and not agents and hit.end < len(forms) and forms[hit.end] in ("of", "wegen"):
        later, groups = [], []  # "she has been accused of helping Russia": what she is accused of names no party
    permit = next((i for i in range(hit.start - 1, -1, -1) if clauses[i] == clause and forms[i] in _PERMIT), None)
    if permit is not None:  # "the US allowed Ukraine to strike Russia": Ukraine strikes; the permission is another act
        before = [a for a in before if a.start > permit]
    if before:
        subject, *rest = _groups(before, forms)
        subject = _list_head(pool, forms, clauses, before[0]) + subject
        while rest and rest[0][0].start == subject[-1].end and rest[0][0].country == subject[-1].country:
            subject += rest.pop(0)  # "Palestinian leader Yasser Arafat": two names of one subject
        rest_actors = [a for g in rest for a in g]
        if _follows(forms, 0, subject[0].start, _OPPONENTS):  # "Kritiker der Regierung protestierten": critics did it
            return _linked([], subject + rest_actors + later)
        by = [a for a in subject + rest_actors if _follows(forms, 0, a.start, _AGENT_PREPS)]
        if passive and by and not agents:  # "X wurde von der Hamas entführt": the agent before the participle
            return _linked(by, [a for a in subject + rest_actors if a not in by] + later)
        if passive:  # "X wurde von Y angegriffen", "X was attacked by Y": X is done-to
            return _linked(later if agents else [], subject + rest_actors + ([] if agents else later))
        return _linked(subject, rest_actors + later)  # German verb-final: the first group is the subject
    if len(groups) >= 2 and not _possessor(forms, groups[0]):
        return _linked(groups[0], groups[1])  # verb second: "Am Samstag telefonierte Lawrow mit Bairamow"
    subject = _subject_from_earlier(pool, clauses, forms, clause, hit.start)
    if subject:  # a passive's earlier subject was done to ("the envoys, who were invited by ...")
        return _linked([], subject + later) if passive and not agents else _linked(subject, later)
    if (passive and not agents) or (later and _follows(forms, hit.end, later[0].start, _DONE_TO)):
        return _linked([], later)  # "ten protesters were arrested", "the arrest of three protesters"
    if verb and lang == "en" and later and not passive:
        return _linked([], later)  # "a roadside bomb killed one U.S. soldier": an English verb's object
    return _linked(later, [])


# "critics of the government", "Gegner der Regierung": the named party is whom the critics oppose.
_OPPONENTS = frozenset({"critics", "opponents", "kritiker", "gegner", "kritikerinnen", "gegnerinnen", "detractors"})
_PERMIT = frozenset({"allowed", "allows", "allow", "permitted", "authorised", "authorized", "let", "erlaubte",
                     "erlaubt", "gestattete", "ermöglichte"})
# "the arrest of three protesters", "attacks against Israel": with no subject, the phrase after a
# noun trigger names who the act was done to.
_DONE_TO = frozenset({"of", "against", "on", "gegen", "auf"})
# "complained to the UN over the raids": who is told, and what the complaint is about.
_ADDRESSEE = frozenset({"to"})
_GROUNDS = frozenset({"over", "against"})


def _follows(forms: list[str], floor: int, start: int, words: frozenset[str]) -> bool:
    """One of ``words`` opens the phrase of the actor at ``start`` (up to two words between, after ``floor``)."""
    return any(f in words for f in forms[max(floor, start - 3) : start])


def _possessor(forms: list[str], group: list[Actor]) -> bool:
    """'protest against Sweden's decision to send them to Bulgaria': a possessor after the trigger
    is the done-to; later actors belong to the possessed noun's phrase, not to the act."""
    end = group[-1].end
    return end < len(forms) and forms[end] in ("'s", "’s")


def _unique(linked: list[Actor]) -> list[Actor]:
    persons = {a.country for a in linked if a.role in PERSONAL_OFFICES | {"person"}}
    linked = [a for a in linked if not (a.role in INSTITUTIONS and a.country in persons)]
    unique: dict[str, Actor] = {}
    for actor in linked:
        unique.setdefault(actor.key or "", actor)
    return list(unique.values())
