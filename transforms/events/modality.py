"""What a trigger reports: an act, a promise (AGREE), a threat (THREATEN), an easing, or nothing.

- Negated, denied, habitual, asked-about and topic-only acts are dropped (negation.py).
- A planned act is dropped, unless someone announces it ("X said it will send aid", "X will send
  aid, a spokesman said"): a promised cooperative act is PLOVER AGREE (CAMEO 03x), an announced
  hostile one (sanctions, a curfew, a boycott, an attack) is THREATEN (CAMEO 13x).
- "lifted the curfew", "hob die Sanktionen auf", "called off the strike": ending a restriction is
  CONCEDE or RETREAT, not the restriction itself.
- English hyphenated modifiers ("long-threatened invasion", "Israeli-occupied", "UN-brokered")
  are adjectives, not acts.
"""

from __future__ import annotations

from dataclasses import replace

from transforms.events.lexicon import ROOT_GOLDSTEIN, Hit, TriggerSpec, quad_class
from transforms.events.negation import is_denied, is_habitual, is_modal, is_negated, is_topic

# Types whose announced future act is a promise (AGREE) rather than a non-event ...
PROMISABLE = frozenset({"AID", "COOPERATE", "SUPPORT", "RETREAT", "CONCEDE", "CONSULT"})
# ... and those whose announced future act is a threat.
THREATENABLE = frozenset({"SANCTION", "COERCE", "ASSAULT", "PROTEST", "MOBILIZE", "REJECT"})
ANNOUNCING = frozenset({
    "announced", "announces", "announce", "said", "says", "say", "pledged", "promised", "agreed", "vowed", "offered",
    "declared", "confirmed", "told", "stated", "insisted", "erklärte", "erklärt", "kündigte", "kündigt", "versprach",
    "verspricht", "sicherte", "sichert", "sagte", "sagt", "teilte", "teilt", "bekräftigte", "betonte", "versicherte",
    "kündigten", "erklärten", "sagten", "versprachen", "sicherten",
})  # fmt: skip
FUTURE = frozenset({"will", "would", "wird", "werden", "würde", "würden", "shall"})
# "is ready / prepared / willing / committed to ...": an intent, stated as such.
_INTENT = frozenset({"ready", "prepared", "willing", "committed", "bereit", "gewillt"})
# A strike that is called off or ended is a labour strike (a military strike is not "called off").
_STRIKE = frozenset({"strike", "strikes", "streik", "streiks"})
# Words right before an English "strike" that make it a labour walkout ("an open-ended strike", "a 24-hour
# strike", "an indefinite strike"); a military strike is not open-ended or nationwide.
_LABOUR_STRIKE = frozenset({
    "ended", "indefinite", "warning", "nationwide", "hour", "day", "week", "token", "wildcat", "sympathy",
    "labour", "labor", "teachers", "doctors", "workers", "miners", "transport", "rail",
})  # fmt: skip
# Words anywhere in the sentence that place an English "strike" in a labour dispute ("strikes over pensions
# and pay", "industrial action ... further strikes"); none of them goes with an air or missile strike
# ("union" would: "the European Union condemned the strike").
_LABOUR_CONTEXT = frozenset({
    "industrial", "pension", "pensions", "wage", "wages", "salary", "salaries", "walkout", "walkouts", "picket",
    "pickets", "employers",
})  # fmt: skip
# After "return" these make it travel ("returning from Denmark"), not handing something back (CAMEO 0842).
_MOVEMENT = frozenset({"from", "to", "home", "into"})
_POSSESSIVES = frozenset({"my", "your", "his", "her", "its", "our", "their"})
# Degree words before an English "threatening" that, closing a clause, make it a judgement ("seen as too threatening").
_DEGREE = frozenset({"more", "most", "less", "least", "very", "so", "too", "as", "quite", "rather"})
# A promise made conditional on the other side's act is a threat ("will withdraw its troops unless ...").
_CONDITION = frozenset({"unless"})
# Verbs that end a restriction; the restriction trigger after them becomes an easing.
_ENDING = frozenset({
    "lift", "lifted", "lifting", "ease", "eased", "easing", "end", "ended", "ending", "cancel", "cancelled",
    "canceled", "shorten", "shortened", "relax", "relaxed", "rescind", "rescinded", "revoke", "revoked", "suspend",
    "suspended", "off", "aufheben", "aufgehoben", "hob", "hoben", "lockern", "lockerte", "gelockert", "beenden",
    "beendete", "beendet",
})  # fmt: skip
_EASED = {  # restriction type -> (PLOVER type, CAMEO) when ended
    "COERCE": ("CONCEDE", "081"), "SANCTION": ("RETREAT", "085"), "PROTEST": ("CONCEDE", "082"),
    "ASSAULT": ("RETREAT", "087"), "MOBILIZE": ("RETREAT", "087"),
}  # fmt: skip
_AUFHEBEN = frozenset({"hob", "hoben", "hebt", "heben", "aufgehoben", "aufheben", "aufzuheben"})
# A meeting or visit called off is a sanction (CAMEO 161 "reduce relations"); one put off is no event.
_CALLED_OFF = frozenset({"cancelled", "canceled", "cancel", "cancels", "abgesagt", "absagen", "sagte", "sagten", "sagt"})
_PUT_OFF = frozenset({"postponed", "postpone", "delayed", "verschoben", "verschieben", "vertagt", "vertagen"})
_FAILED = frozenset({"failed", "fail", "fails", "failing", "scheiterten", "scheiterte", "gescheitert", "versäumt"})


def _as(spec: TriggerSpec, event_type: str, cameo: str) -> TriggerSpec:
    return replace(spec, event_type=event_type, mode=None, cameo=cameo, quad_class=quad_class(cameo),
                   goldstein=ROOT_GOLDSTEIN[cameo[:2]], governs=True)


def _announced(forms: list[str], index: int) -> bool:
    """A future or intent word before the act, and someone saying so anywhere in the sentence."""
    near = forms[max(0, index - 8) : index + 1]  # "will support" is itself a trigger
    return bool((FUTURE | _INTENT) & set(near)) and bool(ANNOUNCING & set(forms))


def interpret(hit: Hit, forms: list[str], clauses: list[int], lang: str) -> Hit | None:
    """The hit as the sentence reports it, or None when it reports no act."""
    i, spec = hit.start, hit.spec
    if lang == "en" and i > 0 and forms[i - 1] == "-":
        return None  # "long-threatened", "Israeli-occupied": a modifier
    if lang == "en" and forms[i].startswith("return") and (
            (hit.end < len(forms) and forms[hit.end] in _MOVEMENT) or (i > 0 and forms[i - 1] in _POSSESSIVES)):
        return None  # "returning from Denmark", "on their return": people travelling, not property handed back
    if lang == "en" and forms[i] == "threatening" and i > 0 and (forms[i - 1].endswith("ly") or forms[i - 1] in _DEGREE) \
            and (i + 1 == len(forms) or not forms[i + 1][:1].isalpha()):
        return None  # "finds the changes profoundly threatening.": a judgement, not a threat ("a more threatening statement" is one)
    if any(f in _FAILED for f in forms[max(0, i - 4) : i]):
        if spec.event_type == "AGREE":  # "failed to reach agreement": the sides did not accept each other's terms
            return replace(hit, spec=replace(_as(spec, "REJECT", "120"), symmetric=True))
        return None  # "failed to meet", "failed to deliver aid": no act
    if is_negated(forms, clauses, i, lang) or is_denied(forms, i) or is_habitual(forms, clauses, i) or is_topic(forms, clauses, i):
        return None
    if spec.event_type == "CONSULT":
        clause = {f for j, f in enumerate(forms) if clauses[j] == clauses[i]}
        if clause & _PUT_OFF:
            return None
        if clause & _CALLED_OFF and ("ab" in clause or not clause & {"sagte", "sagten", "sagt"}):
            return replace(hit, spec=_as(spec, "SANCTION", "161"))
    ender = next((j for j in range(max(0, i - 6), i) if forms[j] in _ENDING and clauses[j] == clauses[i]
                  and forms[j - 1] != "-"), None)  # "an open-ended strike" ends nothing
    if ender is not None and forms[i] in _STRIKE:
        return replace(hit, spec=_as(spec, "CONCEDE", "082"))  # "called off a four-day strike": a labour strike
    if lang == "en" and forms[i] in _STRIKE and spec.event_type == "ASSAULT" and (
            (i > 0 and forms[i - 1] in _LABOUR_STRIKE) or _LABOUR_CONTEXT & set(forms)):
        return replace(hit, spec=_as(spec, "PROTEST", "143"))  # "workers ... an open-ended strike": a walkout
    # "lifted the blockade / siege": CAMEO 0872 ease a military blockade
    eased = ("RETREAT", "0872") if spec.cameo == "191" else _EASED.get(spec.event_type)
    if ender is not None and eased:
        return replace(hit, spec=_as(spec, *eased))
    lifted = any(f in _AUFHEBEN and clauses[j] == clauses[i] for j, f in enumerate(forms))
    if lang == "de" and eased and lifted:
        return replace(hit, spec=_as(spec, *eased))  # "hob die Ausgangssperre auf"
    if is_modal(forms, clauses, i, spec.governs, lang):
        if not _announced(forms, i):
            return None
        if spec.event_type == "REJECT" and forms[i] == "not" and set(forms[max(0, i - 2) : i]) & FUTURE:
            return hit  # "will not accept", "would not meet the demands": the refusal is stated now
        if spec.event_type == "AGREE" and forms[i] in FUTURE | _INTENT:
            return hit  # "will support", "ready to contribute": the trigger is the stated promise
        if spec.event_type in PROMISABLE and _CONDITION & set(forms[i:]):
            return replace(hit, spec=_as(spec, "THREATEN", "130"))  # "will withdraw ... unless": a threat
        if spec.event_type in PROMISABLE:
            return replace(hit, spec=_as(spec, "AGREE", "036" if spec.event_type == "CONSULT" else "030"))
        if spec.event_type in THREATENABLE:
            return replace(hit, spec=_as(spec, "THREATEN", "130"))
        return None
    return hit
