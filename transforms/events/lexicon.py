"""Trigger lexicons: words and phrases that report a PLOVER event, per language.

Pattern syntax in ``words`` (see docs/events.md): ``treffen`` (lemma or form), ``*angriff``
(compound head: Luftangriff, Raketenangriffen), ``telefon*`` (prefix), ``tauschen+aus`` (German
separable verb: "tauschten ... aus" or "ausgetauscht"), ``sign _ agreement`` (a phrase, ``_``
allows up to four words between), ``hold talks`` (adjacent words).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from transforms.settings import ConfigError, read_yaml

PLOVER_TYPES = (
    "CONSULT", "AGREE", "SUPPORT", "CONCEDE", "COOPERATE", "AID", "RETREAT", "REQUEST",
    "ACCUSE", "REJECT", "THREATEN", "PROTEST", "SANCTION", "MOBILIZE", "COERCE", "ASSAULT",
)  # fmt: skip
# Goldstein scale by CAMEO root (Goldstein 1992, as in the CAMEO manual); entries may override.
ROOT_GOLDSTEIN = {
    "01": 0.0, "02": 3.0, "03": 4.0, "04": 1.0, "05": 3.5, "06": 6.0, "07": 7.0, "08": 5.0, "09": -2.0,
    "10": -5.0, "11": -2.0, "12": -4.0, "13": -6.0, "14": -6.5, "15": -7.2, "16": -4.0, "17": -7.0,
    "18": -9.0, "19": -10.0, "20": -10.0,
}  # fmt: skip
_NOUN_ENDINGS = ("", "e", "en", "n", "s", "es", "er", "ern", "nen")
_KEYS = {"type", "mode", "cameo", "goldstein", "words", "governs", "symmetric"}


@dataclass(frozen=True)
class TriggerSpec:
    event_type: str
    mode: str | None
    cameo: str
    quad_class: int
    goldstein: float
    patterns: tuple[str, ...]
    governs: bool  # "agreed to / threatened to / demanded that ...": embedded acts are its content
    symmetric: bool  # participants form a set (calls, meetings, agreements)


def quad_class(cameo: str) -> int:
    root = int(cameo[:2])
    return 1 if root <= 5 else 2 if root <= 8 else 3 if root <= 13 else 4


def load_lexicon(path: Path) -> tuple[TriggerSpec, ...]:
    data = read_yaml(path) or {}
    entries = []
    for i, row in enumerate(data.get("triggers") or []):
        where = f"{path}: triggers[{i}]"
        unknown = set(row) - _KEYS
        if unknown or not {"type", "cameo", "words"} <= set(row):
            raise ConfigError(f"{where}: keys must be among {sorted(_KEYS)} (type, cameo, words required)")
        if row["type"] not in PLOVER_TYPES:
            raise ConfigError(f"{where}: unknown PLOVER type {row['type']!r}")
        cameo = str(row["cameo"])
        if not cameo.isdigit() or cameo[:2] not in ROOT_GOLDSTEIN:
            raise ConfigError(f"{where}: bad CAMEO code {cameo!r} (quote it to keep leading zeros)")
        entries.append(
            TriggerSpec(
                event_type=row["type"],
                mode=row.get("mode"),
                cameo=cameo,
                quad_class=quad_class(cameo),
                goldstein=float(row.get("goldstein", ROOT_GOLDSTEIN[cameo[:2]])),
                patterns=tuple(str(w).lower() for w in row["words"]),
                governs=bool(row.get("governs", row["type"] in ("AGREE", "THREATEN", "REQUEST", "REJECT"))),
                symmetric=bool(row.get("symmetric", row["type"] in ("CONSULT", "COOPERATE"))),
            )
        )
    return tuple(entries)


@dataclass(frozen=True)
class Hit:
    spec: TriggerSpec
    start: int  # token index of the trigger (first word)
    end: int  # token index after the last word of the trigger


class CompiledLexicon:
    """Dictionaries over the patterns: a handful of lookups per token, whatever the lexicon size."""

    def __init__(self, specs: tuple[TriggerSpec, ...]) -> None:
        self.exact: dict[str, list[TriggerSpec]] = {}
        self.prefix: dict[str, list[TriggerSpec]] = {}
        self.suffix: dict[str, list[TriggerSpec]] = {}
        self.separable: dict[str, list[tuple[str, TriggerSpec]]] = {}
        self.phrases: dict[str, list[tuple[tuple[str, ...], bool, TriggerSpec]]] = {}
        self._cache: dict[tuple[str, str], list[TriggerSpec]] = {}
        self._entries: dict[tuple[str, str], tuple] = {}
        for spec in specs:
            for pattern in spec.patterns:
                if " " in pattern:
                    words = tuple(w for w in pattern.split() if w != "_")
                    self.phrases.setdefault(words[0], []).append((words[1:], " _ " in pattern, spec))
                elif "+" in pattern:
                    verb, particle = pattern.split("+", 1)
                    self.separable.setdefault(verb, []).append((particle, spec))
                    self.exact.setdefault(particle + verb, []).append(spec)
                elif pattern.startswith("*"):
                    self.suffix.setdefault(pattern[1:], []).append(spec)
                elif pattern.endswith("*"):
                    self.prefix.setdefault(pattern[:-1], []).append(spec)
                else:
                    self.exact.setdefault(pattern, []).append(spec)
        # Only the lengths some pattern has can match: _lookup tries those, longest first, as a
        # loop over every cut would (a cut shorter than 4 characters never matches).
        self._suffix_lengths = sorted({len(k) for k in self.suffix if len(k) >= 4}, reverse=True)
        self._suffix_tails = frozenset(k[-4:] for k in self.suffix if len(k) >= 4)
        self._prefix_lengths = sorted({len(k) for k in self.prefix if len(k) >= 4}, reverse=True)
        # may_trigger(form, lemma) is "lemma in lemma_keys or form_may_trigger(form)": see may_trigger.
        self.lemma_keys = frozenset(self.phrases) | frozenset(self.separable) | frozenset(self.exact)
        self._form_words: dict[str, list[TriggerSpec]] = {}
        self.trigger_forms: set[str] = set()  # forms form_may_trigger found True ...
        self.plain_forms: set[str] = set()  # ... and False

    def _word(self, form: str, lemma: str) -> list[TriggerSpec]:
        key = (form, lemma)
        found = self._cache.get(key)
        if found is None:
            found = self._lookup(form, lemma)
            if len(self._cache) < 200_000:
                self._cache[key] = found
        return found

    def _lookup(self, form: str, lemma: str) -> list[TriggerSpec]:
        return self.exact.get(lemma) or self._form_word(form)

    def _form_word(self, form: str) -> list[TriggerSpec]:
        """The single-word specs a form matches whatever its lemma: exact, compound head, prefix."""
        found = self._form_words.get(form)
        if found is None:
            found = self._form_lookup(form)
            if len(self._form_words) < 200_000:
                self._form_words[form] = found
        return found

    def _form_lookup(self, form: str) -> list[TriggerSpec]:
        found = self.exact.get(form)
        if found:
            return found
        for ending in _NOUN_ENDINGS:
            if ending and not form.endswith(ending):
                continue
            base = form[: len(form) - len(ending)] if ending else form
            if base[-4:] not in self._suffix_tails:
                continue  # every suffix tried is at least 4 characters long: it ends as the base does
            for length in self._suffix_lengths:  # the longest suffix of at least 4 characters first
                if length <= len(base) and (found := self.suffix.get(base[len(base) - length :])):
                    return found
        for length in self._prefix_lengths:  # the longest prefix of at least 4 characters first
            if length <= len(form) and (found := self.prefix.get(form[:length])):
                return found
        return []

    def _element(self, pattern: str, form: str, lemma: str) -> bool:
        if pattern.endswith("*"):
            return form.startswith(pattern[:-1])
        if pattern.startswith("*"):
            return form.endswith(pattern[1:])
        return pattern in (form, lemma)

    def _entry(self, form: str, lemma: str) -> tuple:
        """(phrase starts, separable verbs, single-word specs) for a token; cached per (form, lemma)."""
        key = (form, lemma)
        entry = self._entries.get(key)
        if entry is None:
            starts = list(self.phrases.get(lemma, ()))
            if form != lemma:
                starts += self.phrases.get(form, ())
            entry = (starts, self.separable.get(lemma, ()), self._word(form, lemma))
            if len(self._entries) < 200_000:
                self._entries[key] = entry
        return entry

    def may_trigger(self, form: str, lemma: str) -> bool:
        """True when the token starts a phrase, a separable verb or a single-word trigger (its entry
        is not empty). The same as ``lemma in self.lemma_keys or self.form_may_trigger(form)``."""
        starts, separable, words = self._entries.get((form, lemma)) or self._entry(form, lemma)
        return bool(starts or separable or words)

    def form_may_trigger(self, form: str) -> bool:
        """The part of ``may_trigger`` that needs no lemma: the form starts a phrase, is a trigger
        word, or has a trigger's suffix or prefix. (Every list in the indexes is non-empty, so an
        entry is empty exactly when the lemma is no key and this is False.)"""
        if form in self.trigger_forms:
            return True
        if form in self.plain_forms:
            return False
        found = form in self.phrases or bool(self._form_word(form))
        remember = self.trigger_forms if found else self.plain_forms
        if len(remember) < 200_000:
            remember.add(form)
        return found

    def find(self, forms: list[str], lemmas: list[str], clauses: list[int]) -> list[Hit]:
        hits: list[Hit] = []
        n, entries, keys, may = len(forms), self._entries, self.lemma_keys, self.trigger_forms
        for i, (form, lemma) in enumerate(zip(forms, lemmas, strict=True)):
            if not (form in may or lemma in keys or (form not in self.plain_forms and self.form_may_trigger(form))):
                continue  # its entry is empty (see may_trigger)
            entry = entries.get((form, lemma)) or self._entry(form, lemma)
            starts, separable, words = entry
            if not (starts or separable or words) or not form[0].isalpha():
                continue
            found = False
            for rest, gapped, spec in starts:
                position, ok = i, True
                for element in rest:
                    window = range(position + 1, min(n, position + (6 if gapped else 2)))
                    nxt = next((j for j in window if clauses[j] == clauses[i] and self._element(element, forms[j], lemmas[j])), None)
                    if nxt is None:
                        ok = False
                        break
                    position = nxt
                if ok:
                    hits.append(Hit(spec, i, position + 1))
                    found = True
            for particle, spec in separable:
                later = (j for j in range(i + 1, n) if clauses[j] == clauses[i])
                # the particle closes the clause ("stimmten ... zu."), and is no score ("mit 322 zu 306 Stimmen")
                if any(forms[j] == particle and (j + 1 == n or not forms[j + 1][0].isalpha())
                       and not forms[j - 1][:1].isdigit() for j in later):
                    hits.append(Hit(spec, i, i + 1))
                    found = True
            if not found:
                hits += [Hit(spec, i, i + 1) for spec in words]
        return hits
