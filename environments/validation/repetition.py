"""The n-gram repetition filter: degenerate, looping assistant text is not training data."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)


def ngram_repetition_ratio(text: str, n: int) -> float:
    """Share of word n-grams that repeat an earlier one (0 = all distinct, → 1 = one n-gram looped).

    Texts shorter than two n-grams cannot repeat and score 0.
    """
    words = _WORD.findall(text.lower())
    total = len(words) - n + 1
    if total < 2:
        return 0.0
    distinct = len({tuple(words[i : i + n]) for i in range(total)})
    return 1.0 - distinct / total
