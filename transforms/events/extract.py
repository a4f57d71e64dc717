"""Event extraction: Article -> Mentions (PLOVER type and mode, CAMEO code, participants, date, place).

Pure functions only (``extract_mentions``, ``analyze_article``; the model is ``transforms/events/model.py``): no Beam
import, so the cleaning helper processes can run them; the Beam stage is transforms/events/stage.py.
How it works and how to extend it: docs/events.md.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, replace

from transforms import ids
from transforms.events.actors import (
    PERSONAL_OFFICES,
    Actor,
    actor_code,
    at_home,
    find_actors,
    known_person,
    named_again,
    resolve_counterparts,
)
from transforms.events.confidence import (
    AMBIGUOUS_TYPES,
    NO_EVIDENCE,
    Evidence,
    confidence,
    hedged,
    inside_quote,
)
from transforms.events.dates import (
    DateGuess,
    may_name_a_day,
    parse_dateline,
    parse_ticker_heading,
    sentence_date,
    year_from_tenures,
)
from transforms.events.gate import WORD
from transforms.events.lexicon import Hit, TriggerSpec
from transforms.events.linking import link_participants
from transforms.events.modality import interpret
from transforms.events.model import CompiledModel, EventModel, compile_model
from transforms.events.rules import (
    AGENT_ROLES,
    DYADIC,
    LONE_SUBJECT_TYPES,
    SINGLE_AGENT_TYPES,
    STATE_ACTS,
    cameo_for,
    place_target,
)
from transforms.events.senses import (
    HISTORY,
    NEEDS_A_PARTY,
    criticism,
    other_sense,
    party_right_after,
    threat,
    threatening_promise,
    verbal_attack,
    warning_against,
)
from transforms.events.sentences import Token, is_question, split_sentences, tokenize
from transforms.language.detect import LanguageDetector, with_language
from transforms.records import Article, Mention, Participant, Reject
from transforms.settings import LanguageSettings

log = logging.getLogger(__name__)

_OUT_OF_QUESTION = ("out", "of", "the", "question")
# GUIDE.md: the day named for a session, rally or raid dates the acts reported after it until another
# date appears; an explicit or relative day starts such a stretch, and carries over sentences dated only
# by the dateline, the ticker heading or the publication day.
DAY_BASES = ("explicit", "relative_to")
CARRIED_OVER = frozenset({"publication", "dateline", "dateline+publication_year", "ticker_heading"})
SESSIONS = re.compile(
    r"\b(?:debates?|sessions?|meetings?|rall(?:y|ies)|raids?|hearings?|summits?|conferences?|talks|trial|vote|"
    r"congress|convention|protests?|demonstrations?|march|operation|visit|"
    r"debatte|sitzung|treffen|gipfel\w*|kundgebung|demonstration|demo|razzia|anhörung|verhandlung|parteitag|"
    r"konferenz|besuch|abstimmung|prozess|einsatz|operation|protest\w*|"
    r"erklärte|sagte|said|told|interview|speech|rede|statement)\b", re.I)
HISTORY_YEARS = 10
CONTINUED = frozenset({"another", "second", "further", "weiterer", "weiteren", "weitere", "erneuter", "erneuten", "zweiter"})
_BOTH_WORDS = ("both", "Both", "beide", "Beide", "two")  # cheap: most sentences have none of them
RECIPROCAL = re.compile(r"\b(?:each other|one another|einander|gegenseitig)\b", re.I)
# Phrases that name the two parties of the act before ("Both sides accused each other").
BOTH_SIDES = re.compile(r"\b(?:both sides|both countries|the two countries|the two sides|both governments|"
                        r"beide seiten|beiden seiten|beide länder|beiden länder|beide staaten|beiden staaten)\b", re.I)
# Statements need a speaker: with nobody named as the one who made it, there is no event. (An
# accusation is different: "X was charged with", "is accused of" report the state's act on X.)
SAID_BY = frozenset({"AGREE", "REQUEST", "REJECT", "THREATEN", "SUPPORT", "CONCEDE"})  # an act dated more than this many years before publication is history, not news
_LEAD_VERBS = frozenset({"leiten", "anführen", "führen", "vertreten", "lead", "head", "represent"})
_DELEGATION_WORDS = frozenset({"delegation", "delegationen", "seite", "side", "delegations"})


@dataclass
class _Candidate:
    sentence_index: int
    sentence: str
    spec: TriggerSpec
    trigger: str
    actors: list[Actor]
    date: DateGuess
    own_date: bool  # the sentence itself dates the act (else: context or publication)
    location: Actor | None
    trigger_at: int = 0  # token index of the trigger
    clause: int = 0  # the trigger's clause
    sources: frozenset[str] = frozenset()  # keys of the participants who did it
    evidence: Evidence = NO_EVIDENCE
    continued: bool = False  # "another strike", "ein weiterer Angriff": the same doer as the act before


class _Story:
    """The dates an article has named so far, for the sentence being read: the dateline or the ticker
    heading (``context``), and the day named for a session, rally or raid (``narrative``)."""

    def __init__(self, published: dt.date | None, context: DateGuess | None, home: str | None = None) -> None:
        self.published, self.context, self.home = published, context, home
        self.narrative: DateGuess | None = None
        self.last_read = -1
        self.people: dict[str, Actor] = {}  # surname -> the person the article named in full
        self.tokens: dict[int, list[Token]] = {}  # the lead sentences' tokens, made once
        self.last_pair: list[Actor] | None = None  # the parties of the last act between two countries

    def both_sides(self, tokens: list[Token], actors: list[Actor]) -> list[Actor]:
        """'Both sides accused each other', 'die beiden Länder': the parties of the last act between two
        countries, standing where the phrase stands."""
        if self.last_pair is None:
            return actors
        lowered = " ".join(t.lower for t in tokens)
        match = BOTH_SIDES.search(lowered)
        if match is None:
            return actors
        at = lowered[: match.start()].count(" ")  # the phrase's first token
        width = match.group(0).count(" ") + 1
        if any(a.key and a.start < at + width and at < a.end for a in actors):
            return actors
        clause = tokens[at].clause
        pair = [replace(a, start=at, end=at + width, clause=clause, name=match.group(0)) for a in self.last_pair]
        others = [a for a in actors if not (a.start < at + width and at < a.end)]  # "Seiten" unresolved
        return sorted([*others, *pair], key=lambda a: a.start)

    def remember_pair(self, actors: list[Actor]) -> None:
        if len({a.country for a in actors if a.key}) == 2:
            self.last_pair = [a for a in actors if a.key]

    def meet(self, actors: list[Actor]) -> None:
        for actor in actors:
            if (surname := known_person(actor)) is not None:
                self.people.setdefault(surname, actor)

    def read(self, index: int, text: str) -> DateGuess:
        """The date of sentence ``index`` (read in order, once): its own, else the session's day, else the context's."""
        self.last_read = index
        own = sentence_date(text, self.published, self.context)
        if own.date is not None and own.basis.startswith(DAY_BASES):
            self.narrative = own if SESSIONS.search(text) else None
            return own
        if self.narrative is not None and own.basis in CARRIED_OVER:
            return DateGuess(self.narrative.date, "carried", self.narrative.text)
        return own


def _sentence_candidates(
    compiled: CompiledModel, lang: str, index: int, text: str, published: dt.date | None, story: _Story,
) -> list[_Candidate]:
    # the caller checked the gate: an actor can be named, a word can start a trigger
    tokens = story.tokens.pop(index, None) or tokenize(text)
    if not tokens:
        return []
    forms = [t.lower for t in tokens]
    clauses = [t.clause for t in tokens]
    lemmas = compiled.lemmatizers[lang].all([t.text for t in tokens])
    hits = compiled.lexicons[lang].find(forms, lemmas, clauses)
    if not hits:
        return []
    date, context = story.read(index, text), story.context
    if _historic(date, published):
        return []  # history ("in der Nacht vom 9. zum 10. Mai 1940") is no news event
    past = _history_hits(text, tokens, hits)
    found = story.both_sides(tokens, find_actors(tokens, compiled.gazetteer, date.date))
    story.meet(found)
    state_act = any(h.spec.mode in STATE_ACTS for h in hits)
    actors = resolve_counterparts(at_home(named_again(tokens, found, story.people), story.home, state_act))
    if not any(a.key for a in actors):
        return []
    for verdict in [h for h in hits if h.end - h.start == 4 and tuple(forms[h.start : h.end]) == _OUT_OF_QUESTION]:
        # "removing the sanctions is out of the question": the acts before it are what it rules out
        hits = [h for h in hits if h.start >= verdict.start or clauses[h.start] != clauses[verdict.start]]
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (h.start, h.start - h.end)):  # at one word, the longest phrase first
        if lang == "en" and (_in_name(tokens, hit.start, hit.end) or _idiom(forms, hit.start, hit.end)):
            continue
        if hit.start in past:
            continue  # "fought during the Second World War": the act a history phrase dates
        actor_after = any(a.key and hit.end <= a.start <= hit.end + 3 for a in actors)
        sense = other_sense(hit, tokens, forms, lang, actor_after)
        if sense is not None and not (sense == NEEDS_A_PARTY and party_right_after(hit, forms, actors)):
            continue
        if any(k.spec.governs and clauses[k.start] == clauses[hit.start] and k.start < hit.start
               and not (lang == "de" and tokens[k.start].text[:1].isupper()) for k in kept):
            continue  # "agreed to provide aid": the promise is the event
        hit = interpret(hit, forms, clauses, lang)
        if hit is None:
            continue
        kept.append(hit)
    spans = [(a.start, a.end) for a in actors if a.key]
    named = [h for h in kept if any(s <= h.start and h.end <= e for s, e in spans)]
    if named:  # "Kenyan protesters were arrested": a trigger word that names an actor yields to the clause's act
        acts = {clauses[h.start] for h in kept if h not in named}
        kept = [h for h in kept if h not in named or clauses[h.start] not in acts]
    own = date.basis not in ("publication", "none", "carried") and date is not context
    candidates: list[_Candidate] = []
    seen_clauses: set[int] = set()
    if lang == "de":  # German nouns are capitalized: a verb trigger is the clause's act, a noun one its object
        verb_types = {(clauses[h.start], h.spec.event_type) for h in kept if h.start > 0 and tokens[h.start].text[:1].islower()}
        verb_clauses = {c for c, _ in verb_types}
        kept = [h for h in kept if clauses[h.start] not in verb_clauses or (clauses[h.start], h.spec.event_type) in verb_types]
    for hit in kept:
        clause = clauses[hit.start]
        if clause in seen_clauses:
            continue  # one act per clause: the first trigger decides the type ...
        same = [h for h in kept if clauses[h.start] == clause and h.spec.event_type == hit.spec.event_type]
        spec = next((h.spec for h in same if h.spec.mode), hit.spec)  # ... the most specific one the mode
        seen_clauses.add(clause)
        verb = _verb_trigger(tokens, hit.start, lang)
        linked = link_participants(hit, actors, forms, clauses, verb, lang)
        if not linked:
            continue
        story.remember_pair(linked.actors)
        if verbal_attack(hit, forms, clauses, linked.actors) or warning_against(hit, forms):
            spec = criticism(spec)  # "Habeck hatte Klöckner scharf attackiert": words, not weapons
        elif threatening_promise(hit, forms):
            spec = threat(spec)  # "pledged police will tackle the riots": force promised
        places = [a for a in actors if a.location and a.country]
        location = next((a for a in places if a.clause == clause), places[0] if places else None)
        trigger = " ".join(tokens[i].text for h in same for i in range(h.start, h.end))
        evidence = Evidence(
            own_date=own, background=date.basis == "month_or_year", ambiguous_type=spec.event_type in AMBIGUOUS_TYPES,
            subject_elsewhere=any(a.clause != clause for a in linked.actors if a.key in linked.sources),
            hedged=hedged(forms, clauses, clause), quoted=inside_quote(text, tokens[hit.start].start),
        )
        continued = bool(CONTINUED & set(forms[max(0, hit.start - 3) : hit.start]))
        candidates.append(_Candidate(index, text, spec, trigger, linked.actors, date, own, location, hit.start, clause,
                                     linked.sources, evidence, continued))
    return candidates


# Words before an English noun: "the threat", "a request", "its attack", "Russia's invasion".
_DETERMINERS = frozenset({"a", "an", "the", "this", "that", "these", "those", "its", "their", "his", "her", "our",
                          "my", "your", "'s", "’s", "of", "any", "no", "new", "further", "fresh"})


def _verb_trigger(tokens: list[Token], at: int, lang: str) -> bool:
    """Is the trigger word a verb? German nouns are capitalized; an English noun follows a determiner."""
    if lang == "de":
        return tokens[at].text[:1].islower()
    return at == 0 or tokens[at - 1].lower not in _DETERMINERS


def _history_hits(text: str, tokens: list[Token], hits: list[Hit]) -> set[int]:
    """Starts of the triggers a history phrase dates: in its clause, all after it and the last one up to
    eight words before it ("fought during World War II"; not "demanded ... that X murdered ... during WWII")."""
    past: set[int] = set()
    for match in HISTORY.finditer(text):
        at = next((i for i, t in enumerate(tokens) if t.end > match.start()), len(tokens))
        clause = tokens[min(at, len(tokens) - 1)].clause
        same = sorted(h.start for h in hits if tokens[h.start].clause == clause)
        earlier = [i for i in same if at - 8 <= i < at]
        past |= {i for i in same if i > at} | set(earlier[-1:])
    return past


def _home_country(compiled: CompiledModel, article: Article, sentences: list, story: _Story) -> str | None:
    """The one country the title and the lead sentences name (as a party or a place), if only one:
    where the article's police, parliament or prime minister without a country of their own act."""
    lead = [(-1, article.title or ""), *((s.index, s.text) for s in sentences[:2] if not s.is_heading)]
    anchors = compiled.gates[article.language].anchors  # a text without a gazetteer word names no country
    found = []
    for index, text in lead:
        if text and not anchors.isdisjoint(map(str.lower, WORD.findall(text))):
            tokens = story.tokens[index] = tokenize(text)  # the lead's tokens serve its events too
            found += find_actors(tokens, compiled.gazetteer, story.published)
    story.meet(found)
    countries = {a.country for a in found if a.country and len(a.country) == 3 and a.country.isalpha() and a.role != "igo"}
    return next(iter(countries)) if len(countries) == 1 else None


def _historic(date: DateGuess, published: dt.date | None) -> bool:
    return bool(date.date and published and date.date.year < published.year - HISTORY_YEARS)


def _capitalized(token: Token) -> bool:
    return token.text[:1].isupper() and token.text.isalpha()


def _in_name(tokens: list[Token], start: int, end: int) -> bool:
    """'The Ceasefire Violations Committee', 'Asia-Pacific Economic Cooperation': an English trigger
    word written capitalized inside a run of capitalized words is part of a name, not an act."""
    if start == 0 or not _capitalized(tokens[start]):
        return False
    return (start > 1 and _capitalized(tokens[start - 1])) or (end < len(tokens) and _capitalized(tokens[end]))


_TAKE = frozenset({"take", "takes", "took", "taking", "taken"})


def _idiom(forms: list[str], start: int, end: int) -> bool:
    """English idioms that contain a trigger word: "must have feared" (a guess about the past, not a
    demand), "took a veiled shot at" (criticism, not gunfire)."""
    if forms[start] == "must" and end == start + 1:
        return end < len(forms) and forms[end] in ("have", "'ve")
    if forms[start] == "shot":
        before = forms[max(0, start - 4):start]
        return "a" in before and any(word in _TAKE for word in before)
    return False


def _delegation_heads(compiled: CompiledModel, lang: str, sentences: list[str], date: dt.date | None) -> dict[str, Actor]:
    """'X leitete die russische Delegation' / 'Die aserbaidschanische Seite wurde von X vertreten'."""
    heads: dict[str, Actor] = {}
    for text in sentences:
        lowered = text.lower()
        if not any(word in lowered for word in _DELEGATION_WORDS):
            continue
        tokens = tokenize(text)
        forms = {t.lower for t in tokens}
        if not forms & _DELEGATION_WORDS:
            continue
        if not set(compiled.lemmatizers[lang].all([t.text for t in tokens])) & _LEAD_VERBS:
            continue
        actors = find_actors(tokens, compiled.gazetteer, date)
        sides = [a.country for a in actors if a.role in ("delegation", "side") and a.country]
        people = [a for a in actors if a.key and a.role in PERSONAL_OFFICES]
        if len(people) == 1 and sides and people[0].country in (sides[0], None):
            heads.setdefault(sides[0], replace(people[0], country=sides[0], key=f"{sides[0]}:{people[0].role}"))
    return heads


def _finish_date(candidate: _Candidate, latest: dt.date) -> DateGuess:
    date = candidate.date
    if date.date is None and date.month_day is not None:
        tenures = [a.tenure for a in candidate.actors if a.tenure is not None]
        if len(tenures) >= 1 and (year := year_from_tenures(*date.month_day, tenures, latest)) is not None:
            base = date.basis.replace("_no_year", "")
            return DateGuess(dt.date(year, *date.month_day), f"{base}+tenure", date.text)
    return date


def _dateline(article: Article, sentences: list, published: dt.date | None) -> DateGuess | None:
    for line in (sentences[0].text if sentences else "", article.title or ""):
        if line and (guess := parse_dateline(line, published)):
            return guess
    return None


def extract_mentions(article: Article, model: EventModel) -> list[Mention]:
    lang = article.language
    if lang not in model.languages or lang not in dict(model.lexicons):
        return []
    compiled = compile_model(model)
    published = article.published_at.astimezone(dt.timezone.utc).date() if article.published_at else None
    # an event reported in the article happened by the time it was written (or first read): open
    # tenures end there, never at the clock of the run, so a re-run resolves the same year
    latest = published or article.ingested_at.astimezone(dt.timezone.utc).date()
    sentences = split_sentences(article.text)
    candidates: list[_Candidate] = []
    story = _Story(published, _dateline(article, sentences, published))
    story.home = _home_country(compiled, article, sentences, story)
    for sentence in sentences:
        if sentence.is_heading:
            heading = parse_ticker_heading(sentence.text, published)
            if heading is not None:  # a ticker's new day starts a new story; a subheading does not
                story.context, story.narrative = heading, None
            continue
        both = story.last_pair is not None and any(w in sentence.text for w in _BOTH_WORDS) \
            and BOTH_SIDES.search(sentence.text) is not None
        if compiled.gates[lang].passes(sentence.text, both) and not is_question(sentence.text):
            candidates += _sentence_candidates(compiled, lang, sentence.index, sentence.text, published, story)
        if story.last_read != sentence.index and may_name_a_day(sentence.text) and (
                story.narrative is not None or SESSIONS.search(sentence.text)):
            story.read(sentence.index, sentence.text)  # a day named here starts or ends a stretch of the story
    if not candidates:
        return []
    heads = _delegation_heads(compiled, lang, [s.text for s in sentences], published)
    mentions: list[Mention] = []
    events: list[tuple[_Candidate, list[Actor], frozenset[str], DateGuess, str | None]] = []
    for cand in candidates:
        sources = set(cand.sources)
        actors = []
        for actor in cand.actors:
            head = heads.get(actor.country, actor) if actor.role == "delegation" else actor
            if actor.key in sources:
                sources.add(head.key)
            actors.append(head)
        actors = list({a.key: a for a in actors}.values())
        mode = cand.spec.mode
        host = cand.location
        if mode == "visit" and len(actors) == 1 and host and host.country and host.country != actors[0].country:
            actors.append(replace(host, role="government", key=f"{host.country}:government", location=False))
        if (target := place_target(cand.spec.event_type, cand.location, cand.trigger_at, cand.clause, actors)) is not None:
            actors.append(target)
        if cand.continued and not sources & {a.key for a in actors}:  # "Another strike killed four.": the last doer
            doer = next((a for prev, pa, ps, _, _ in reversed(events) if prev.spec.event_type == cand.spec.event_type
                         for a in pa if a.key in ps), None)
            if doer is not None and doer.key not in {a.key for a in actors}:
                actors.append(doer)
                sources.add(doer.key)
        if cand.spec.event_type == "CONSULT" and mode is None and (cand.location or any(a.role == "delegation" for a in cand.actors)):
            mode = "meeting"  # delegations, or a named place: an in-person meeting
        if len(actors) == 1 and cand.spec.event_type in LONE_SUBJECT_TYPES and (
                actors[0].start > cand.trigger_at or actors[0].key not in sources):
            continue  # a lone party after an agreement or a request, or one it was made to, is what it is about
            # ("calls on the Office for Students", "everyone is invited to ..."), not a mention of an earlier one
        date = _finish_date(replace(cand, actors=actors), latest)
        countries = {a.country for a in actors}
        antecedent = None
        for prev, prev_actors, prev_sources, prev_date, prev_mode in reversed(events):
            if prev.spec.event_type != cand.spec.event_type or (mode and prev_mode and mode != prev_mode):
                continue
            # a lone party repeats an act between countries by its country ("auf Initiative von Baku"),
            # a domestic act only as the same party (one country's acts are many)
            shared = len(actors) >= 2 or len({a.country for a in prev_actors}) >= 2 \
                or {a.key for a in actors} & {a.key for a in prev_actors}
            if shared and countries <= {a.country for a in prev_actors} and (not cand.own_date or date.date == prev_date.date):
                antecedent = (prev_actors, prev_sources, prev_date, prev_mode)
                break
        same_parties = antecedent and countries == {a.country for a in antecedent[0]}
        if antecedent and (len(actors) < 2 or (same_parties and not cand.own_date)
                           or {a.key for a in actors} == {a.key for a in antecedent[0]}):
            actors, sources, date, mode = antecedent[0], set(antecedent[1]), antecedent[2], antecedent[3] or mode
        elif antecedent and not cand.own_date:
            date = antecedent[2]  # fewer parties of the same act: its own participants, the act's date
        elif len(actors) < (2 if cand.spec.event_type in DYADIC else 1):
            lone_agent = cand.spec.event_type in SINGLE_AGENT_TYPES and actors and actors[0].role in AGENT_ROLES
            # "Twelve protesters were arrested": an arrest or deportation is done by the state; the lone
            # party it names is the one it was done to (no doer is invented)
            done_to = cand.spec.mode in STATE_ACTS and len(actors) == 1 and actors[0].key not in sources
            if not (lone_agent or done_to):
                continue
        keys = {a.key for a in actors}
        if any(prev.sentence_index == cand.sentence_index and prev.spec.event_type == cand.spec.event_type
               and {a.key for a in prev_actors} == keys for prev, prev_actors, _, _, _ in events):
            continue  # "lud ... ein" and "der Einladung" in one sentence: one act, one mention
        doers = frozenset(k for k in sources if k in keys)
        if not doers and not cand.spec.symmetric and cand.spec.event_type in SAID_BY:
            continue  # "they refuse to ...", "the Democrats were warned": a statement nobody is named as making
        symmetric = cand.spec.symmetric and len(keys) >= 2
        evidence = replace(cand.evidence, both_sides=symmetric or (bool(doers) and bool(keys - doers)),
                           no_source=not doers and not cand.spec.symmetric)
        events.append((cand, actors, doers, date, mode))
        for own_actors, own_doers in _separately(cand.spec, actors, doers):
            mentions.append(_mention(article, cand, own_actors, own_doers, date, mode, confidence(evidence)))
    return mentions


def _separately(spec: TriggerSpec, actors: list[Actor], doers: frozenset[str]) -> list[tuple[list[Actor], frozenset[str]]]:
    """GUIDE.md: compound initiators of a statement to or about a third party act separately ("Italy's
    premier and Spain's PM condemned Russia" is one event per state); a joint deed ("A and B attacked C"),
    a meeting and an agreement among the initiators are one."""
    by_country: dict[str | None, set[str]] = {}
    for actor in actors:
        if actor.key in doers:
            by_country.setdefault(actor.country, set()).add(actor.key or "")
    if spec.symmetric or spec.quad_class not in (1, 3) or len(by_country) < 2 or not any(a.key not in doers for a in actors):
        return [(actors, doers)]  # no third party: "Serbia and Hungary concluded an agreement" is one act
    return [([a for a in actors if a.key in keys or a.key not in doers], frozenset(keys)) for keys in by_country.values()]


_DIRECTED_CONSULT = frozenset({"042", "043"})  # making and hosting a visit have a visitor and a host


def _sides(spec: TriggerSpec, keys: list[str], sources: frozenset[str], sentence: str = "") -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Who did it and to whom: a symmetric act (a call, a meeting, cooperation) or a mutual one ("accused
    each other") makes every party both."""
    mutual = len(keys) >= 2 and RECIPROCAL.search(sentence) is not None
    if mutual or (spec.symmetric and spec.cameo not in _DIRECTED_CONSULT and spec.mode != "visit"):
        return tuple(keys), tuple(keys)
    return tuple(k for k in keys if k in sources), tuple(k for k in keys if k not in sources)


def _mention(article: Article, cand: _Candidate, actors: list[Actor], sources: frozenset[str], date: DateGuess,
             mode: str | None, score: float) -> Mention:
    participants = tuple(
        sorted(
            (Participant(a.name, a.key or "", a.country, a.role, actor_code(a.country or "", a.role)) for a in actors),
            key=lambda p: p.key,
        )
    )
    event_id = ids.event_id(date.date, cand.spec.event_type, [p.key for p in participants], article.article_id)
    source_keys, target_keys = _sides(cand.spec, [p.key for p in participants], sources, cand.sentence)
    location = None if mode == "phone" else cand.location
    return Mention(
        mention_id=ids.mention_id(article.article_id, cand.sentence_index, event_id),
        event_id=event_id,
        article_id=article.article_id,
        url=article.url,
        source=article.source,
        language=article.language,
        sentence=cand.sentence,
        trigger=cand.trigger,
        event_type=cand.spec.event_type,
        event_mode=mode,
        cameo_code=cameo_for(cand.spec, mode, location.country if location else None, {p.country for p in participants}),
        quad_class=cand.spec.quad_class,
        goldstein=cand.spec.goldstein,
        participants=participants,
        event_date=date.date,
        date_basis=date.basis,
        date_text=date.text,
        location_country=location.country if location else None,
        location_name=location.name if location else None,
        source_keys=source_keys,
        target_keys=target_keys,
        confidence=score,
    )


@dataclass(frozen=True)
class Analyzed:
    """An article with its language set, its mentions, and the reject if extraction failed."""

    article: Article
    mentions: tuple[Mention, ...]
    reject: Reject | None = None


def analyze_article(article: Article, detector: LanguageDetector, model: EventModel) -> Analyzed:
    """Language, then events: everything an article needs after cleaning, deduplication and learned boilerplate."""
    article = with_language(article, detector)
    try:
        mentions = tuple(extract_mentions(article, model))
    except Exception as exc:  # a bad article never kills the run: it is recorded, the article kept
        log.warning("event extraction failed for %s: %s", article.source_uri, exc)
        return Analyzed(article, (), Reject(article.source_uri, "extract", "extract/error",
                                            f"{type(exc).__name__}: {exc}"[:300]))
    return Analyzed(article, mentions)


@dataclass(frozen=True)
class AnalyzeTask:
    """What a helper process runs per article (``transforms/events/stage.py``): ``analyze_article``
    with the detector and matchers built once there."""

    language: LanguageSettings
    model: EventModel

    def __call__(self) -> Callable[[Article], Analyzed]:
        detector, model = LanguageDetector(self.language), self.model
        compile_model(model).load_lemmas()

        def analyze(article: Article) -> Analyzed:
            return analyze_article(article, detector, model)

        return analyze
