"""Cheap exact gates before a sentence is tokenized, and the per-process lemma cache.

Most sentences of an article name no actor or contain no word that can start a trigger; they are
dropped here on sets of words, before tokens, lemmas and lexicon lookups. The gate decides exactly
what "some word is a gazetteer anchor, and some word may start a trigger (its form or its lemma)"
decides word by word: the sets and the caches only avoid asking twice.
"""

from __future__ import annotations

import re

from transforms.events.lemmas import Lemmatize
from transforms.events.lexicon import CompiledLexicon

WORD = re.compile(r"\w+|['’]s\b")
CACHE_LIMIT = 200_000  # per cache: a long-running worker's memory stays bounded


class Lemmatizer:
    """simplemma's lemma of a word, lowercased (a word not starting with a letter is its own lemma)."""

    def __init__(self, lang: str, lemmatize: Lemmatize | None = None) -> None:
        if lemmatize is None:
            import simplemma  # here, not at import: only the processes that lemmatize load it

            lemmatize = simplemma.lemmatize
        self.lang = lang
        self.lemmatize = lemmatize  # transforms.events.lemmas.make_lemmatizer(): the same lemmas, loaded faster
        self.known: dict[str, str] = {}

    def __call__(self, word: str) -> str:
        lemma = self.known.get(word)
        if lemma is None:
            lemma = self.lemmatize(word, self.lang).lower() if word[:1].isalpha() else word
            if len(self.known) < CACHE_LIMIT:
                self.known[word] = lemma
        return lemma

    def all(self, words: list[str]) -> list[str]:
        known = self.known
        return [known.get(w) or self(w) for w in words]


class SentenceGate:
    """Can this sentence report an event of the lexicon's language? (see the module docstring)"""

    def __init__(self, lexicon: CompiledLexicon, anchors: frozenset[str], lemmatizer: Lemmatizer) -> None:
        self.lexicon, self.anchors, self.lemmatizer = lexicon, anchors, lemmatizer
        self._trigger_words: set[str] = set()  # words whose lemma is a lexicon key
        self._plain_words: set[str] = set()  # words whose lemma is none

    def passes(self, text: str, named_before: bool = False) -> bool:
        """``named_before``: the sentence may name its parties as ones named before ("both sides"),
        so only the trigger words decide."""
        words = WORD.findall(text)
        forms = set(map(str.lower, words))
        if self.anchors.isdisjoint(forms) and not named_before:
            return False  # no actor can be named (most sentences of an article)
        lexicon = self.lexicon
        if not forms.isdisjoint(lexicon.trigger_forms):
            return True
        if any(map(lexicon.form_may_trigger, forms.difference(lexicon.plain_forms))):
            return True
        unique = set(words)  # no form decides: the lemmas do
        if not unique.isdisjoint(self._trigger_words):
            return True
        keys, lemma = lexicon.lemma_keys, self.lemmatizer
        for word in unique.difference(self._plain_words):
            found = lemma(word) in keys
            remember = self._trigger_words if found else self._plain_words
            if len(remember) < CACHE_LIMIT:
                remember.add(word)
            if found:
                return True
        return False
