"""Answer extraction and verification, shared by rewards and evaluators."""

from rewardlab.answers.checker import AnswerChecker, Verdict
from rewardlab.answers.extraction import Extraction, extract_answer, has_boxed_answer, last_boxed, reference_answer

__all__ = ["AnswerChecker", "Extraction", "Verdict", "extract_answer", "has_boxed_answer", "last_boxed",
           "reference_answer"]
