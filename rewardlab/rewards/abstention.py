"""Abstention rewards: a wrong answer costs more than saying "I don't know" (TruthRL, Wei et al. 2025).

Binary rewards give abstaining and hallucinating the same advantage, so a policy learns to guess;
the ternary reward puts abstention between the two.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import ClassVar

from rewardlab.answers.checker import Verdict
from rewardlab.answers.extraction import extract_by_rule, strip_invisible
from rewardlab.rewards.base import config_field
from rewardlab.rewards.verified import VerifiedReward
from rewardlab.types import RewardResult, RolloutBatch, Score

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'", "`": "'", "\u00b4": "'"})
_LATEX_COMMAND = re.compile(r"\\[a-zA-Z]+")
_NON_WORD = re.compile(r"[\W_]+")
_ARTICLES = frozenset({"a", "an", "the"})

# Phrases that abstain wherever they occur as whole words ("Sorry, I don't know." abstains).
DEFAULT_ABSTAIN_PHRASES: tuple[str, ...] = (
    "i don't know", "i do not know", "i have no idea", "i am not sure", "i'm not sure", "i am unsure",
    "i'm unsure", "cannot be determined", "can not be determined", "can't be determined", "cannot determine",
    "unable to determine", "not enough information", "insufficient information", "i cannot answer",
    "i can't answer", "unable to answer",
)
# Short answers that abstain only as the whole answer ("unknown" abstains; "unknown variable x" does not).
DEFAULT_ABSTAIN_ANSWERS: tuple[str, ...] = (
    "idk", "unknown", "unsure", "not sure", "no idea", "uncertain", "don't know", "do not know",
)


def normalise_text(text: str) -> str:
    """SQuAD-style normalisation for phrase matching: words only, lower case, no articles.

    Curly and other apostrophes become straight ones and are then dropped ("don’t" → "dont"); LaTeX
    commands (``\\text``) and every other non-word character become spaces; "a", "an" and "the" go.
    """
    text = _LATEX_COMMAND.sub(" ", text.translate(_APOSTROPHES).lower()).replace("'", "")
    return " ".join(w for w in _NON_WORD.split(text) if w and w not in _ARTICLES)


@dataclass(frozen=True)
class AbstentionMatcher:
    """Decides whether a final answer abstains: after :func:`normalise_text`, it contains one of
    ``phrases`` as whole words, or it *is* one of ``answers``.

    TruthRL abstains when "i dont know" is a substring of the normalised prediction; whole-word
    matching keeps that rule and refuses near-misses such as "I know", "known" or "unknowns".
    """

    phrases: tuple[str, ...] = DEFAULT_ABSTAIN_PHRASES
    answers: tuple[str, ...] = DEFAULT_ABSTAIN_ANSWERS
    _padded: tuple[str, ...] = field(init=False, repr=False, compare=False)
    _whole: frozenset[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_padded", tuple(f" {p} " for p in map(normalise_text, self.phrases) if p))
        object.__setattr__(self, "_whole", frozenset(normalise_text(a) for a in self.answers) - {""})

    def __call__(self, answer: str | None) -> bool:
        if not answer:
            return False
        text = normalise_text(answer)
        padded = f" {text} "
        return text in self._whole or any(p in padded for p in self._padded)


def stated_answer_text(text: object, answer: str | None, policy: str) -> str | None:
    """The final answer as text, for abstention matching: the policy's answer, else the answer the string rules read.

    math-verify reads mathematics: "The answer is: I don't know." states no mathematical answer, yet it
    abstains. Where the ``math_verify`` policy reads nothing, the box or "the answer is" phrase (the ``qwen``
    chain) is matched instead; ``boxed`` reads only the box, and ``qwen`` is its own chain.
    """
    if answer is not None or policy != "math_verify" or not isinstance(text, str):
        return answer
    found = extract_by_rule(strip_invisible(text), "qwen")
    return found.answer if found else None


@dataclass(frozen=True)
class TernaryReward(VerifiedReward):
    """Ternary truthfulness reward: r = +1 correct, ``abstain_value`` when abstaining, −1 wrong or no answer.

    TruthRL (Wei et al. 2025, §3.2): r ∈ {+1, 0, −1}; the paper ablates the abstention reward
    ∈ {−0.5, 0, +0.5} (truthfulness 30.8 / 37.2 / 34.7 on CRAG, Table 5), 0 being best. The final
    answer is read by the ``extraction`` policy (as ``binary`` reads it; for abstention, where math-verify
    reads nothing, by :func:`stated_answer_text`). It abstains when :class:`AbstentionMatcher` says so,
    checked before correctness as in the paper: it contains an ``abstain_phrases`` entry as whole words,
    or is an ``abstain_answers`` entry, after normalisation (lower case, no punctuation or articles, ’ read
    as '). Otherwise it is checked with math-verify against the label column (TruthRL's LLM judge is out of scope). A
    sample whose label is missing or unparseable scores ``None``.

    Diagnostics: ``abstained``, ``correct`` (``False`` when abstaining), ``parsed_answer``; the
    truthfulness metrics (:mod:`rewardlab.metrics.truthfulness`) read the first two.

    >>> TernaryReward(workers=0)(prompts=["q"] * 3, answer=["4"] * 3,
    ...                          completions=["\\\\boxed{4}", "\\\\boxed{I don't know}", "\\\\boxed{5}"])
    [1.0, 0.0, -1.0]
    """

    type_name: ClassVar[str] = "ternary"

    abstain_value: float = config_field(0.0, help="reward for abstaining (TruthRL ablates -0.5, 0, +0.5)")
    abstain_phrases: tuple[str, ...] = config_field(
        DEFAULT_ABSTAIN_PHRASES, help="phrases that abstain wherever they occur in the answer as whole words")
    abstain_answers: tuple[str, ...] = config_field(
        DEFAULT_ABSTAIN_ANSWERS, help="answers that abstain only when they are the whole answer")

    def __post_init__(self) -> None:
        super().__post_init__()
        if not math.isfinite(self.abstain_value):
            raise ValueError(f"abstain_value must be a finite number, got {self.abstain_value}")
        empty = [p for p in (*self.abstain_phrases, *self.abstain_answers) if not normalise_text(p)]
        if empty:
            raise ValueError(f"abstention phrases {empty!r} have no words once normalised; remove them")

    def score(self, batch: RolloutBatch) -> RewardResult:
        graded = self.grade(batch)
        answers = [reading.answer for reading, _ in graded]
        matcher = AbstentionMatcher(self.abstain_phrases, self.abstain_answers)
        abstained = [matcher(stated_answer_text(text, a, self.extraction))
                     for text, a in zip(batch.completions, answers, strict=True)]
        # Abstention is decided before correctness: an abstaining sample is not right (its label still tells
        # whether there is a signal).
        verdicts = [Verdict(None if v.correct is None else (False if ab else v.correct), v.timed_out)
                    for (_, v), ab in zip(graded, abstained, strict=True)]
        scores: list[Score] = []
        for ab, verdict in zip(abstained, verdicts, strict=True):
            if verdict.correct is None:
                scores.append(None)
            elif ab:
                scores.append(self.abstain_value)
            else:
                scores.append(1.0 if verdict.correct else -1.0)
        return RewardResult(
            scores=tuple(scores),
            diagnostics={
                "abstained": tuple(abstained),
                "correct": tuple(v.correct for v in verdicts),
                "parsed_answer": tuple(answers),
            },
        )
