"""Answer extraction, the one reference normaliser, verification and voting, shared by rewards and evaluators."""

from rewardlab.answers.checker import AnswerChecker, Verdict
from rewardlab.answers.extraction import Extraction, extract_answer, has_boxed_answer, last_boxed
from rewardlab.answers.reference import reference_answer

__all__ = ["AnswerChecker", "Extraction", "Verdict", "extract_answer", "has_boxed_answer", "last_boxed",
           "reference_answer"]
