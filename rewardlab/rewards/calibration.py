"""Calibration rewards: be right, and say how sure you are (RLCR, Damani et al. 2025).

The completion states an answer and a verbalised confidence q ∈ [0, 1] in tags; the reward adds a
Brier score to correctness, a bounded proper scoring rule, so its optimum is the most likely answer
stated with its true probability of being correct.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Literal

from rewardlab.answers.extraction import MAX_ANSWER_CHARS, last_boxed, last_tag
from rewardlab.rewards.base import config_field
from rewardlab.rewards.verified import VerifiedReward
from rewardlab.types import RewardResult, RolloutBatch, Score

# A confidence is a plain decimal ("0.8", "1", ".25", "1e-1"); no sign beyond a leading one, no words.
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)"
_CONFIDENCE = re.compile(_DECIMAL + r"(?:[eE][+-]?\d+)?", re.ASCII)
_PERCENT = re.compile(r"(" + _DECIMAL + r")\s*%", re.ASCII)
# Longer tag contents are not a confidence (and are never handed to the regexes).
_MAX_CONFIDENCE_CHARS = 64
# The default penalty of a format failure under each weighting (see BrierReward).
_FORMAT_FAILURE = {"paper": -1.0, "code": 0.0}


def parse_confidence(text: str | None, accept_percent: bool = False) -> float | None:
    """A confidence in [0, 1] from a tag's content, or ``None`` (a format failure).

    Accepts a plain decimal number ("0.8", "1", ".25", "8e-1"). Refuses everything else: "0.8.1",
    "high", "-0.2" and "1.5" (outside [0, 1]), "nan", "inf", "1_0", "0,8". "80%" is refused unless
    ``accept_percent``, which reads it as 0.8 (and "150%" as out of range).
    """
    if text is None or len(text) > _MAX_CONFIDENCE_CHARS:
        return None
    text = text.strip()
    value: float | None = None
    if _CONFIDENCE.fullmatch(text):
        value = float(text)
    elif accept_percent and (percent := _PERCENT.fullmatch(text)):
        value = float(percent.group(1)) / 100.0
    return value if value is not None and 0.0 <= value <= 1.0 else None


def brier_reward(correct: bool, confidence: float, weighting: Literal["paper", "code"] = "paper") -> float:
    """RLCR's reward for a well-formed completion with correctness c and confidence q.

    - ``paper``: R = c − (q − c)² ∈ [−1, 1] (Damani et al. 2025, Eq. for R_RLCR).
    - ``code``: R = 0.5·format + 0.5·c + 0.5·(1 − (c − q)²) with format = 1, ∈ [0.5, 1.5] (RLCR's
      ``reward_fns.py`` with ``reward_weights [0.5, 0.5, 0.5]``).
    """
    c = float(correct)
    if weighting == "paper":
        return c - (confidence - c) ** 2
    return 0.5 + 0.5 * c + 0.5 * (1.0 - (c - confidence) ** 2)


@dataclass(frozen=True)
class BrierReward(VerifiedReward):
    """RLCR reward: R = c − (q − c)², with c = 1 for a right answer (else 0) and q the stated confidence.

    Damani et al. 2025, "Beyond Binary Rewards" (RLCR). The answer is the content of the last
    ``<answer>...</answer>`` (its last ``\\boxed{}`` when it has one) and q the content of the last
    ``<confidence>...</confidence>``, parsed by :func:`parse_confidence`; correctness is math-verify's
    against the label column. ``weighting: code`` gives the sum of RLCR's code instead (format 0.5 +
    accuracy 0.5 + shifted Brier 0.5, see :func:`brier_reward`).

    A *format failure* (no answer, or a confidence that is missing, unparseable or outside [0, 1])
    scores ``format_penalty``; when that is unset, the weighting's own value: −1 under ``paper`` (the
    formula's minimum, so dropping the confidence never beats stating one) and 0 under ``code``
    (RLCR's code zeroes every component). With ``fallback`` a completion without an answer tag is
    read with the usual extraction (last ``\\boxed{}``, "the answer is X", last number). A sample
    whose label is missing or unparseable scores ``None``.

    Diagnostics: ``confidence`` (``None`` on a format failure; read by the calibration evaluators),
    ``correct``, ``format_ok``, ``parsed_answer``.

    >>> BrierReward(workers=0)(prompts=["q"], completions=["<answer>4</answer><confidence>0.9</confidence>"],
    ...                        answer=["4"])
    [0.99]
    """

    type_name: ClassVar[str] = "brier"

    answer_tag: str = config_field("answer", help="tag holding the final answer: <answer>...</answer>")
    confidence_tag: str = config_field("confidence", help="tag holding the confidence in [0, 1]")
    fallback: bool = config_field(False, help="without an answer tag, read the answer by the extraction policy")
    accept_percent: bool = config_field(False, help="read a confidence of '80%' as 0.8 instead of a format failure")
    weighting: Literal["paper", "code"] = config_field(
        "paper", help="'paper': c - (q - c)^2; 'code': 0.5 format + 0.5 c + 0.5 (1 - (c - q)^2)")
    format_penalty: float | None = config_field(
        None, help="score of a format failure; unset: -1 under 'paper', 0 under 'code'")

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("answer_tag", "confidence_tag"):
            tag = getattr(self, name)
            if not tag or any(ch in tag for ch in "<>/") or tag != tag.strip():
                raise ValueError(f"{name} is a tag name such as 'answer' (no brackets or slashes), got {tag!r}")
        if self.answer_tag == self.confidence_tag:
            raise ValueError(f"answer_tag and confidence_tag must differ, both are {self.answer_tag!r}")
        if self.weighting not in _FORMAT_FAILURE:
            raise ValueError(f"weighting must be one of {sorted(_FORMAT_FAILURE)}, got {self.weighting!r}")

    def tagged_answer(self, text: str) -> str | None:
        """The answer the last answer tag states (its last box if boxed); ``None`` without a tag or an answer in it."""
        content = last_tag(text, self.answer_tag)
        if content is None:
            return None
        if "\\boxed" in content or "\\fbox" in content:
            content = last_boxed(content) or ""
        return content if 0 < len(content) <= MAX_ANSWER_CHARS else None

    def stated_answers(self, texts: Sequence[str]) -> list[str | None]:
        """Each completion's answer: its answer tag's, else (with ``fallback``) the extraction policy's."""
        answers = [self.tagged_answer(t) for t in texts]
        if self.fallback:
            untagged = [i for i, t in enumerate(texts) if last_tag(t, self.answer_tag) is None]
            for i, answer in zip(untagged, self.answers([texts[i] for i in untagged]), strict=True):
                answers[i] = answer
        return answers

    def score(self, batch: RolloutBatch) -> RewardResult:
        answers = self.stated_answers(batch.completions)
        stated = [parse_confidence(last_tag(c, self.confidence_tag), self.accept_percent) for c in batch.completions]
        format_ok = [a is not None and q is not None for a, q in zip(answers, stated, strict=True)]
        verdicts = self.verify(answers, self.references(batch))
        penalty = _FORMAT_FAILURE[self.weighting] if self.format_penalty is None else self.format_penalty
        scores: list[Score] = []
        for ok, q, verdict in zip(format_ok, stated, verdicts, strict=True):
            if verdict.correct is None:
                scores.append(None)
            elif not ok or q is None:
                scores.append(penalty)
            else:
                scores.append(brier_reward(verdict.correct, q, self.weighting))
        return RewardResult(
            scores=tuple(scores),
            diagnostics={
                "confidence": tuple(q if ok else None for q, ok in zip(stated, format_ok, strict=True)),
                "correct": tuple(v.correct for v in verdicts),
                "format_ok": tuple(format_ok),
                "parsed_answer": tuple(answers),
            },
        )

