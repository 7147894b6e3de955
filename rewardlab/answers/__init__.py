"""Answer extraction, the one reference normaliser, verification and voting, shared by rewards and evaluators."""

from rewardlab.answers.checker import AnswerChecker, Verdict
from rewardlab.answers.extraction import Extraction, extract_answer, has_boxed_answer, last_boxed
from rewardlab.answers.reference import reference_answer
from rewardlab.answers.vote import EXACT, Equivalence, Vote, vote_groups

__all__ = ["EXACT", "AnswerChecker", "Equivalence", "Extraction", "Verdict", "Vote", "extract_answer",
           "has_boxed_answer", "last_boxed", "reference_answer", "vote_groups"]
