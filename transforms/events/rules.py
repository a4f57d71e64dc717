"""Rules over an extracted act: how many parties it needs, where its place is its done-to, its CAMEO code.

Kept apart from events.py (which walks articles and sentences) so each stays small.
"""

from __future__ import annotations

from dataclasses import replace

from transforms.events.actors import Actor
from transforms.events.lexicon import TriggerSpec

# Types whose report names a doer and a done-to: fewer than two participants is not a confident event.
# PLOVER codes demands, accusations, threats, rejections, protests and attacks with the source alone
# when the text names no target ("the opposition demanded elections", "three civilians were killed").
DYADIC = frozenset({"CONSULT", "COOPERATE", "AID", "SUPPORT", "SANCTION", "COERCE"})
# A single concrete agent is enough for these acts ("police arrested", "troops shelled").
AGENT_ROLES = frozenset({"police", "military", "armed_group", "rebels", "judiciary", "government"})
SINGLE_AGENT_TYPES = frozenset({"COERCE", "ASSAULT", "MOBILIZE"})
# Modes of acts only a state does (an arrest, a deportation): one party named as done-to is enough.
STATE_ACTS = frozenset({"arrest", "deport"})
# An agreement or a request with one party only counts when that party comes before the trigger (its
# subject): after it, the party is what the text is about ("an agreement with Brussels", "it calls on
# the Office for Students", "a philosophy that insists ... Trump supporters"). Measured on real pages
# of trafilatura's evaluation set: 8 of 36 mentions went, all wrong; PLOVER gold unchanged.
LONE_SUBJECT_TYPES = frozenset({"AGREE", "REQUEST"})
# Material acts done *in* a place: with one party named, the place's country is the done-to
# ("Serbia lifted a night curfew in Montenegro", "Israeli tanks fired at targets in Jericho"),
# and so is the host of a protest or a threatened act abroad ("Chilean exiles demonstrated in Madrid",
# "Hezbollah threatened to launch attacks in Israel").
PLACE_TARGET_TYPES = frozenset({"ASSAULT", "COERCE", "MOBILIZE", "SANCTION", "AID", "CONCEDE", "RETREAT", "PROTEST", "THREATEN"})


def place_target(event_type: str, place: Actor | None, trigger_at: int, clause: int, actors: list[Actor]) -> Actor | None:
    """'Serbia lifted a night curfew in Montenegro': the place after a material act, in its clause,
    is the done-to when the act names parties of one other country only."""
    if event_type not in PLACE_TARGET_TYPES or place is None or not place.country:
        return None
    countries = {a.country for a in actors}
    if len(countries) != 1 or place.country in countries or place.start <= trigger_at or place.clause != clause:
        return None
    return replace(place, role="government", key=f"{place.country}:government", location=False)


def cameo_for(spec: TriggerSpec, mode: str | None, place: str | None, countries: set[str | None]) -> str:
    """CAMEO by PLOVER mode: 041 phone, 042 make a visit (043 host), 044 meet at a third location."""
    if spec.event_type != "CONSULT":
        return spec.cameo
    if mode == "meeting" and place and len(countries) >= 2 and place not in countries:
        return "044"
    if mode != spec.mode:
        return {"phone": "041", "visit": "042", "meeting": "040"}.get(mode or "", spec.cameo)
    return spec.cameo
