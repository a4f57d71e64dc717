"""Actor gazetteers: countries, capitals, adjectives, IGOs, armed groups, offices and office holders.

``load_gazetteer`` reads the YAML files (plus pycountry's English and German country names) into
a frozen, picklable ``GazetteerSpec``; ``CompiledGazetteer`` (built once per worker) indexes it
by token sequences for fast longest-match lookup. Formats: docs/events.md.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pycountry

from transforms.events.sentences import tokenize
from transforms.settings import ConfigError, read_yaml

_GERMAN_ADJ_ENDINGS = ("", "e", "en", "em", "er", "es")
_OFFICE_ENDINGS = ("s", "n", "en", "in", "innen", "es", "e")


@dataclass(frozen=True)
class Label:
    kind: str  # country | adj | capital | people | org | office | holder | place
    code: str | None  # country / IGO code
    role: str | None = None
    key: str | None = None  # fixed participant key (orgs, armed groups)
    name: str | None = None  # folded holder name, or the place name
    german: bool = False  # a German adjective (capitalized inside a sentence only in a proper name)


@dataclass(frozen=True)
class Holder:
    name: str
    variants: tuple[str, ...]
    country: str
    role: str
    start: dt.date | None
    end: dt.date | None
    whole_only: tuple[str, ...] = ()  # variants written "=Name": never matched by their last word alone


@dataclass(frozen=True)
class GazetteerSpec:
    phrases: tuple[tuple[str, Label], ...]  # surface form -> label
    holders: tuple[Holder, ...]


def fold_name(name: str) -> str:
    """Transliteration-folded name: Bairamow / Bayramov / Bairamov -> 'bairamov'."""
    text = unicodedata.normalize("NFKD", name.lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("ß", "ss")
    for old, new in (("dsch", "j"), ("tsch", "ch"), ("sch", "sh"), ("zh", "j"), ("kh", "h"), ("ch", "h"),
                     ("w", "v"), ("ph", "f"), ("ck", "k"), ("j", "i"), ("y", "i"), ("ie", "i"), ("ou", "u")):
        text = text.replace(old, new)
    text = re.sub(r"[^a-z ]", "", text)
    return re.sub(r"(.)\1+", r"\1", re.sub(r"\s+", " ", text)).strip()


def _date(value: Any, where: str) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value)) if len(str(value)) == 10 else dt.date(int(str(value)[:4]), int(str(value)[5:7] or 1), 1)
    except ValueError as exc:
        raise ConfigError(f"{where}: bad date {value!r}") from exc


def _pycountry_names() -> list[tuple[str, str]]:
    german = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["de"], fallback=True)
    names: list[tuple[str, str]] = []
    for country in pycountry.countries:
        for attr in ("name", "common_name", "official_name"):
            value = getattr(country, attr, None)
            if value:
                names.append((value, country.alpha_3))
                names.append((german.gettext(value), country.alpha_3))
    return names


def load_gazetteer(paths: list[Path]) -> GazetteerSpec:
    phrases: list[tuple[str, Label]] = [(n, Label("country", c)) for n, c in _pycountry_names()]
    holders: list[Holder] = []
    for path in paths:
        data = read_yaml(path) or {}
        unknown = set(data) - {"countries", "organizations", "offices", "holders", "places"}
        if unknown:
            raise ConfigError(f"{path}: unknown section(s) {sorted(unknown)}")
        for code, entry in (data.get("countries") or {}).items():
            for name in entry.get("names", []):
                phrases.append((name, Label("country", code)))
                if not name.endswith(("s", "ß", "z", "x")) and " " not in name:
                    phrases.append((name + "s", Label("country", code)))  # German genitive
            for stem in entry.get("adj_de", []):
                phrases += [(stem + e, Label("adj", code, german=True)) for e in _GERMAN_ADJ_ENDINGS]
            phrases += [(a, Label("adj", code)) for a in entry.get("adj_en", [])]
            phrases += [(c, Label("capital", code)) for c in entry.get("capitals", [])]
            phrases += [(p, Label("people", code, "people")) for p in entry.get("people", [])]
        for key, entry in (data.get("organizations") or {}).items():
            role = entry.get("role", "igo")
            code = entry.get("country", key)
            label = Label("org", code, role, f"{code}:{role}" if role == "igo" else f"{code}:{fold_name(key)}")
            phrases += [(n, label) for n in entry.get("names", [key])]
        for role, entry in (data.get("offices") or {}).items():
            label = Label("office", entry.get("country"), entry.get("role", role))
            for name in entry.get("names", []):
                phrases.append((name, label))
                if " " not in name and name[:1].isupper() and not name.isupper():
                    phrases += [(name + e, label) for e in _OFFICE_ENDINGS]
                elif " " in name and name[-1:].isalpha() and not name.endswith("s"):
                    phrases.append((name + "s", label))  # "foreign ministers", "prime ministers"
        for code, names in (data.get("places") or {}).items():
            phrases += [(n, Label("place", code, name=n)) for n in names]
        for i, row in enumerate(data.get("holders") or []):
            where = f"{path}: holders[{i}]"
            if not isinstance(row, list) or len(row) != 5:
                raise ConfigError(f"{where}: expected [COUNTRY, role, from, to, 'Name|Variant|...']")
            country, role, start, end, names = row
            written = [v.strip() for v in str(names).split("|") if v.strip().lstrip("=")]
            variants = tuple(v.lstrip("=") for v in written)
            whole = tuple(v.lstrip("=") for v in written if v.startswith("="))
            holders.append(Holder(variants[0], variants, country, role, _date(start, where), _date(end, where), whole))
    return GazetteerSpec(tuple(phrases), tuple(holders))


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(t.lower for t in tokenize(text))


class CompiledGazetteer:
    """Token-sequence index over the spec (built once per worker, never pickled per element)."""

    def __init__(self, spec: GazetteerSpec) -> None:
        self.index: dict[str, list[tuple[tuple[str, ...], Label]]] = {}
        for text, label in spec.phrases:
            self._add(_phrase_key(text), label)
        self.holders: dict[str, list[Holder]] = {}
        for holder in spec.holders:
            surnames = {v.split()[-1] for v in holder.variants
                        if " " in v and len(v.split()[-1]) >= 5 and v not in holder.whole_only}
            for variant in (*holder.variants, *sorted(surnames)):
                folded = fold_name(variant)
                self.holders.setdefault(folded, []).append(holder)
                self._add(_phrase_key(variant), Label("holder", holder.country, name=folded))
        for entries in self.index.values():
            entries.sort(key=lambda item: -len(item[0]))
        # The last word of every phrase: a sentence without one of them names no actor (a cheap pre-check).
        self.anchors = frozenset(key[-1].rstrip(".") for entries in self.index.values() for key, _ in entries)

    def _add(self, key: tuple[str, ...], label: Label) -> None:
        if key:
            entries = self.index.setdefault(key[0], [])
            if (key, label) not in entries:
                entries.append((key, label))

    def match(self, lowers: list[str], start: int) -> tuple[int, list[Label]]:
        """Longest gazetteer phrase starting at ``start``: (length, labels), or (0, [])."""
        entries = self.index.get(lowers[start])
        if not entries:
            return 0, []
        for key, _ in entries:
            if tuple(lowers[start : start + len(key)]) == key:
                return len(key), [lab for k, lab in entries if k == key]
        return 0, []

    def resolve_holder(self, folded: str, date: dt.date | None, country: str | None = None) -> list[Holder]:
        """Holders named ``folded`` in office on ``date`` (any date when None), optionally of one country."""
        found = [h for h in self.holders.get(folded, []) if country is None or h.country == country]
        if date is not None:
            found = [h for h in found if (h.start is None or h.start <= date) and (h.end is None or date <= h.end)]
        elif len({(h.country, h.role) for h in found}) > 1:
            current = [h for h in found if h.end is None]  # no date: an open tenure is the best guess
            found = current if len({(h.country, h.role) for h in current}) == 1 else []
        return found
