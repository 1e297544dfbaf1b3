"""The confusion groups that lid.176 gets wrong, and which the second-stage model decides.

Measured on FLORES-200 devtest with plain lid.176.ftz: 66% of Malay sentences come out as
Indonesian, 9% of Nepali as Hindi, 2% of Azerbaijani as Turkish, 2% of Chinese as Japanese
(or Wu), 1% of Urdu as Western Punjabi (``pnb``). When lid.176's top label is one of a
group's ``triggers``, the second-stage model chooses among the group's ``members`` only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfusionGroup:
    name: str
    members: tuple[str, ...]   # what the second stage may answer (its training labels)
    triggers: tuple[str, ...]  # lid.176 top labels (after label mapping) that route here


CONFUSION_GROUPS: tuple[ConfusionGroup, ...] = (
    ConfusionGroup("malay", ("ms", "id"), ("ms", "id")),
    ConfusionGroup("nepali", ("ne", "hi", "mr"), ("ne", "hi", "mr")),
    ConfusionGroup("azerbaijani", ("az", "tr"), ("az", "tr")),
    # wuu is a member of the ISO 639-3 macrolanguage zho; lid.176 gives it to Mandarin text.
    ConfusionGroup("chinese_japanese", ("zh", "ja"), ("zh", "ja", "wuu")),
    # pnb (Shahmukhi Punjabi) is what lid.176 calls some Urdu text. Our Punjabi training data
    # is Gurmukhi only, so an Arabic-script document routed here is answered as Urdu.
    ConfusionGroup("urdu_punjabi", ("ur", "pa"), ("ur", "pa", "pnb")),
)

SECOND_STAGE_LANGUAGES: tuple[str, ...] = tuple(m for g in CONFUSION_GROUPS for m in g.members)


def group_for(code: str, groups: tuple[ConfusionGroup, ...] = CONFUSION_GROUPS) -> ConfusionGroup | None:
    """The group whose triggers contain ``code`` (first match), or None."""
    for group in groups:
        if code in group.triggers:
            return group
    return None
