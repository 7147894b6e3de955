"""The one answer checker: extraction plus math-verify, fast and bounded in time.

Every reward that asks "is this answer right?" and every evaluator that reports accuracy goes
through :class:`AnswerChecker`, so training signal and reported accuracy agree by construction.

Speed comes from five things: identical (answer, reference) pairs are verified once (within a
call and across calls, through a bounded cache); identical texts and pairs of plain integers are
decided without math-verify; each distinct text (answer or reference) is parsed once per worker, and
each worker remembers more of math-verify's LaTeX parses and sympy's rounding than they do
(:mod:`rewardlab.answers.memo`); the pairs are spread over a pool of worker processes in an order that
gives each worker runs of pairs needing the same parses and the same kinds of expression, so that the
per-process warm-up of the LaTeX parser and of sympy is spent on fewer kinds (see :func:`_schedule`);
and work in groups (a vote's problems) goes to the worker that graded their answers, whose caches hold
their parses (:meth:`AnswerChecker._lanes`). A grading also serves later readings of its completions.

Time is bounded per sample: math-verify's own timeouts run in each worker's main thread, and a
worker that stays silent past ``timeout`` seconds is killed and replaced (see
:mod:`rewardlab.answers.pool`). Pairs checked in groups (a self-consistency vote) can also share a
time limit per group. Each worker parses a few representative expressions (:func:`warm_parser`)
before it takes work, so a cold worker's first parse does not run out of its time limit.

Rewards do not build checkers: they share one per process and setting (:mod:`rewardlab.answers.shared`).
"""

from __future__ import annotations

import functools
import re
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import groupby
from typing import Any

from rewardlab.answers.extraction import (
    DEFAULT_EXTRACTION,
    EXTRACTION_POLICIES,
    MAX_ANSWER_CHARS,
    Extraction,
    answer_region,
    boxed_contents,
    ends_in_loop,
    extract_by_rule,
)
from rewardlab.answers.memo import remember_in_worker
from rewardlab.answers.pool import SKIPPED, TIMED_OUT, DeadlinePool
from rewardlab.answers.values import probed_symbolic_eq, values_differ
from rewardlab.answers.vote import Equivalence

CORRECT, WRONG, BAD_REFERENCE = 1, 0, -1
# A parse that failed only when math-verify's alarm was near: no verdict, the pair is tried again next time.
OUT_OF_TIME = -2


@dataclass(frozen=True)
class Reading:
    """The answer a completion states under an extraction policy (``None``: it states none).

    ``timed_out`` is set when math-verify's extraction ran past its time limit (the completion then
    states no answer, and the reading is not remembered).
    """

    found: Extraction | None
    timed_out: bool = False

    @property
    def answer(self) -> str | None:
        return None if self.found is None else self.found.answer


@dataclass(frozen=True)
class Verdict:
    """The outcome of checking one answer against one reference.

    ``correct`` is ``None`` when there is no signal: the reference is missing or cannot be parsed.
    A missing answer or a verification that ran out of time is simply wrong (``False``).
    """

    correct: bool | None
    timed_out: bool = False


def _seconds(timeout: float | None) -> int | None:
    """math-verify's alarms take whole seconds (at least one); ``None`` disables them."""
    return None if timeout is None else max(1, int(timeout))


def parse_answer(answer: str, timeout: float | None) -> list[Any]:
    """math-verify's parse of an extracted answer (wrapped in a box so LaTeX and plain forms both parse).

    The box is math-verify's first choice; its parse goes through the memo of matches that completions' boxes
    share (:func:`_extract`), so a label and the completions that box it are parsed once. Where the box does
    not parse, math-verify's ``parse`` of the boxed text decides (its later targets). A box whose parse runs
    out of math-verify's time gives ``[]``, as math-verify's ``parse`` does."""
    from math_verify import parse
    from math_verify.errors import TimeoutException
    from math_verify.utils import timeout as time_limit

    boxed = "\\boxed{" + answer + "}"
    try:
        found = time_limit(timeout_seconds=_seconds(timeout))(_parse_box)(boxed)
    except TimeoutException:  # a BaseException: math-verify's alarm went off
        return []
    return found or parse(boxed, parsing_timeout=_seconds(timeout))


def _parse_box(boxed: str) -> list[Any]:
    """math-verify's parse of a text that is one box, as ``[value, text]``, when its box parses; else ``[]``."""
    for pattern, target in _priority_groups(False)[0]:
        match = pattern.fullmatch(boxed)
        if match is not None and match.groupdict().get("first_latexBoxed"):
            parsed, parsed_text = _extract(match, target)
            return [] if parsed is None else [parsed, parsed_text]
    return []


# Parses remembered in this process (a worker's own copy after the fork); math-verify keeps only 20. The bound
# (also that of _MATCHES and _GRADED) holds a worker's share of a 200,000-line eval (123,301 distinct answers over
# two workers): at 20,000 the vote's passes found its answers' parses dropped since grading and parsed them again
# (eval 1.87 × score there, 1.39 × with this bound; docs/benchmarks.md).
_PARSED: OrderedDict[str, list[Any]] = OrderedDict()
_PARSED_MAX = 100_000


def parse_once(answer: str, timeout: float | None) -> list[Any]:
    """:func:`parse_answer`, remembered per text: each distinct answer or reference is parsed once per process.

    A failed parse (``[]``) is remembered only when it came back well before math-verify's alarm,
    so a parse that may have run out of time is tried again next time.
    """
    parsed = _PARSED.get(answer)
    if parsed is not None:
        _PARSED.move_to_end(answer)
        return parsed
    started = time.monotonic()
    parsed = parse_answer(answer, timeout)
    if parsed or timeout is None or time.monotonic() - started < _seconds(timeout) / 2:
        _PARSED[answer] = parsed
        if len(_PARSED) > _PARSED_MAX:
            _PARSED.popitem(last=False)
    return parsed


_INTEGER = re.compile(r"[+-]?\d{1,100}")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d{1,100}(?:\.\d{0,100})?|\.\d{1,100})")


def _without_spaces(text: Hashable) -> str:
    """A text without whitespace: the form an answer votes as (``1 / 2`` and ``1/2`` are one form)."""
    return "".join(str(text).split())


def _exact_verdict(answer: str, reference: str) -> int | None:
    """The verdict when no parsing is needed: identical text, or two plain integers; else ``None``."""
    a, r = _without_spaces(answer), _without_spaces(reference)
    if a == r:
        return CORRECT
    if _INTEGER.fullmatch(a) and _INTEGER.fullmatch(r):
        return CORRECT if int(a) == int(r) else WRONG
    return None


def _balanced(text: str) -> bool:
    """Braces close in order; a reference whose braces do not is malformed, not an answer."""
    depth = 0
    for ch in text:
        depth += (ch == "{") - (ch == "}")
        if depth < 0:
            return False
    return depth == 0


def _ran_out(started: float, timeout: float | None) -> bool:
    """Whether a parse that failed may have failed for time: it took half of math-verify's alarm or more."""
    return timeout is not None and time.monotonic() - started >= _seconds(timeout) / 2


def _parse_reference(reference: str, timeout: float | None) -> list[Any] | None:
    """The reference's parse; ``[]`` when its braces do not balance or it does not parse, ``None`` when its
    parse failed near math-verify's alarm (a busy machine, not a bad label)."""
    if not _balanced(reference):
        return []
    started = time.monotonic()
    try:
        parsed = parse_once(reference, timeout)
    except Exception:
        parsed = []
    return None if not parsed and _ran_out(started, timeout) else parsed


def _verified(gold: list[Any], parsed: list[Any], timeout: float | None) -> bool:
    """math-verify's ``verify(gold, parsed)``, skipped where its answer is known to be false: two plain numbers
    whose values differ (:func:`~rewardlab.answers.values.values_differ`, under the same alarm; a check that runs out
    of time leaves the question to ``verify``); and within ``verify``, ``simplify`` skipped for expressions in
    symbols that differ at a point (:func:`~rewardlab.answers.values.probed_symbolic_eq`)."""
    from math_verify import verify
    from math_verify.errors import TimeoutException
    from math_verify.utils import timeout as time_limit

    try:
        if time_limit(timeout_seconds=_seconds(timeout))(values_differ)(gold, parsed):
            return False
    except TimeoutException:  # a BaseException: math-verify's alarm went off
        pass
    with probed_symbolic_eq():
        return verify(gold, parsed, timeout_seconds=_seconds(timeout))


def verify_pair(answer: str | None, reference: str, timeout: float | None = 5.0) -> int:
    """The code for one (extracted answer, reference) pair.

    Codes: ``CORRECT``, ``WRONG`` (also for a missing answer, ``None``), ``BAD_REFERENCE`` when the
    reference does not parse or its braces do not balance, or ``OUT_OF_TIME`` when a parse failed near
    math-verify's alarm.
    Identical texts and pairs of plain integers are decided without math-verify (same verdict, no parse).
    Runs in a worker's main thread (math-verify's timeouts need it) or inline with ``timeout=None``.
    """

    gold = _parse_reference(reference, timeout)
    if gold is None:
        return OUT_OF_TIME
    if not gold:
        return BAD_REFERENCE
    if answer is None:
        return WRONG
    exact = _exact_verdict(answer, reference)
    if exact is not None:
        return exact
    started = time.monotonic()
    try:
        parsed = parse_once(answer, timeout)
        ok = bool(parsed) and _verified(gold, parsed, timeout)
    except Exception:
        parsed, ok = [], False
    if not parsed and _ran_out(started, timeout):
        return OUT_OF_TIME
    return CORRECT if ok else WRONG


@functools.cache
def _math_verify_targets(anchored_only: bool = False) -> tuple[Any, ...]:
    """math-verify's extraction targets as lighteval and open-r1 read MATH: LaTeX with a box first, then expressions.

    ``anchored_only`` keeps only the matches math-verify anchors (a box, "final answer is", "answer:"),
    leaving out the last bare math or number.
    """
    from math_verify import ExprExtractionConfig, LatexExtractionConfig

    anchorless = not anchored_only
    return (LatexExtractionConfig(boxed_match_priority=0, try_extract_without_anchor=anchorless),
            ExprExtractionConfig(try_extract_without_anchor=anchorless))


def _stated(match: re.Match, target: Any, parsed_text: str) -> str:
    """The answer as the completion states it, for a match math-verify parsed.

    A LaTeX match gives its raw groups (several boxes or ``$…$`` joined by ``, ``), before math-verify's
    normalisation rewrote them (``0.5`` stays ``0.5``; ``\\text{information}`` keeps its letters); an
    expression match gives math-verify's number or expression (without the full stop its match may take), with
    its percent sign.
    """
    from math_verify import LatexExtractionConfig

    groups = match.groupdict()
    if isinstance(target, LatexExtractionConfig):
        raw = [part for name, value in groups.items() if value and "_latex" in name
               for part in (boxed_contents(value) or [value.strip()])]
        return ", ".join(raw) if raw else parsed_text
    stated = parsed_text.strip().rstrip(".")  # an expression's match runs on into the sentence's full stop
    return stated + ("\\%" if groups.get("percent") else "")


@functools.cache
def _priority_groups(anchored_only: bool) -> tuple[tuple[tuple[Any, Any], ...], ...]:
    """The targets' (pattern, target) pairs grouped by math-verify's priority, best first, compiled once.

    math-verify keeps only the last configuration's compiled patterns; the checker also parses with its
    defaults, so without this copy every switch would compile them again.
    """
    from itertools import groupby

    from math_verify.parser import get_extraction_regexes

    patterns = sorted(((pattern, target, priority) for regexes, target in
                       get_extraction_regexes(_math_verify_targets(anchored_only)) for pattern, priority in regexes),
                      key=lambda p: p[2])
    return tuple(tuple((pattern, target) for pattern, target, _ in group)
                 for _, group in groupby(patterns, key=lambda p: p[2]))


# Verdicts of grade_text in this process, by (stated answer, math-verify's text of its match, reference).
_GRADED: OrderedDict[tuple[Any, ...], int] = OrderedDict()

# math-verify's parse of a match, by what the match holds: answers recur across a group's completions.
_MATCHES: OrderedDict[tuple[Any, ...], tuple[Any, str]] = OrderedDict()


def _extract(match: re.Match, target: Any) -> tuple[Any, str]:
    """math-verify's ``extract_match``, remembered per process by the match's named groups (its only input)."""
    from math_verify.parser import extract_match

    key = (type(target).__name__, tuple((k, v) for k, v in match.groupdict().items() if v))
    found = _MATCHES.get(key)
    if found is None:
        found = _MATCHES[key] = extract_match(match, target)
        if len(_MATCHES) > _PARSED_MAX:
            _MATCHES.popitem(last=False)
    return found


def _math_verify_match(text: str, anchored_only: bool = False) -> tuple[str | None, list[Any]]:
    """math-verify's ``extract_target_from_pred`` with its ``any_match`` rule, keeping the winning match.

    Priorities in order; within one, the rightmost match first; the first match math-verify parses wins.
    Returns the answer as stated and math-verify's parse (``[value, text]``, as its ``parse`` returns it);
    where no match parses, the first match's text and ``[]`` (math-verify's ``first_match`` fallback).
    """
    fallback: str | None = None
    for group in _priority_groups(anchored_only):
        matches = sorted(((m, target) for pattern, target in group for m in pattern.finditer(text)),
                         key=lambda mt: (mt[0].end(), -mt[0].start()), reverse=True)
        for match, target in matches:
            parsed, parsed_text = _extract(match, target)
            if fallback is None and parsed_text:
                fallback = _stated(match, target, parsed_text)
            if parsed is not None:
                return _stated(match, target, parsed_text), [parsed, parsed_text]
    return fallback, []


# What a reading reports when math-verify's own alarm stopped it (a plain string: it crosses process boundaries).
READ_TIMED_OUT = "\x00timed out"


def read_answer(text: str, timeout: float | None) -> str | None:
    """The answer math-verify extracts from a completion (see :func:`read_parsed`)."""
    return read_parsed(text, timeout)[0]


def read_parsed(text: str, timeout: float | None) -> tuple[str | None, list[Any]]:
    """The answer math-verify extracts from a completion's :func:`~rewardlab.answers.extraction.answer_region`,
    with math-verify's parse of it.

    math-verify's own targets, priorities and parsers decide which match is the answer (as its ``parse``
    with :func:`_math_verify_targets` does); the answer is that match as the completion states it
    (:func:`_stated`). A completion that :func:`~rewardlab.answers.extraction.ends_in_loop` never concluded:
    only an anchored match (a box, an answer phrase) counts there. ``None`` when nothing matches or the answer
    is longer than ``MAX_ANSWER_CHARS``; :data:`READ_TIMED_OUT` when math-verify's alarm went off. Runs in a
    worker's main thread (math-verify's timeouts need it) or inline
    with ``timeout=None``.
    """
    from math_verify.errors import TimeoutException
    from math_verify.utils import timeout as time_limit

    region = answer_region(text)
    try:
        answer, parsed = time_limit(timeout_seconds=_seconds(timeout))(_math_verify_match)(region,
                                                                                          ends_in_loop(region))
    except TimeoutException:  # a BaseException: math-verify's alarm went off
        return READ_TIMED_OUT, []
    except Exception:
        return None, []
    answer = (answer or "").strip()
    return (answer, parsed) if 0 < len(answer) <= MAX_ANSWER_CHARS else (None, [])


def grade_text(text: str, reference: str, timeout: float | None = 5.0) -> tuple[str | None, int]:
    """(answer, code) for one completion under the ``math_verify`` policy: math-verify's ``verify`` of the
    label's parse against its parse of the completion (:func:`read_parsed`), so the completion is parsed once.

    Codes as :func:`verify_pair`; the answer is :data:`READ_TIMED_OUT` (and the code ``WRONG``) when the
    reading ran out of time, and ``None`` where the label gives no signal (the completion is not read).
    Identical texts and pairs of plain integers are decided without ``verify``.
    """

    gold = _parse_reference(reference, timeout)  # first: a label that gives no signal needs no reading
    if gold is None:
        return None, OUT_OF_TIME
    if not gold:
        return None, BAD_REFERENCE
    answer, parsed = read_parsed(text, timeout)
    if answer is None or answer == READ_TIMED_OUT:
        return answer, WRONG
    exact = _exact_verdict(answer, reference)
    if exact is not None:
        return answer, exact
    key = (answer, parsed[-1] if parsed else None, reference)  # what the verdict depends on: the match, the label
    code = _GRADED.get(key)
    if code is None:
        started = time.monotonic()
        try:
            ok = bool(parsed) and _verified(gold, parsed, timeout)
        except Exception:
            ok = False
        if not ok and _ran_out(started, timeout):  # math-verify's own alarm may have ended it: no verdict
            return answer, OUT_OF_TIME
        code = _GRADED[key] = CORRECT if ok else WRONG
        if len(_GRADED) > _PARSED_MAX:
            _GRADED.popitem(last=False)
    return answer, code


def read_answers(texts: Sequence[str], report: Callable[[int, Any], None], timeout: float | None = 5.0) -> None:
    """Call ``report(position, answer)`` for each text (see :func:`read_answer`)."""
    for position, text in enumerate(texts):
        report(position, read_answer(text, timeout))


def run_task(key: tuple[str, Hashable], items: Sequence[Any], report: Callable[[int, Any], None],
             timeout: float | None = 5.0) -> None:
    """The checker's work function for :class:`~rewardlab.answers.pool.DeadlinePool`: a task reads or verifies.

    ``key`` is ``("read", group)`` for completions to read answers from, ``("grade", group)`` for (completion,
    reference) pairs to read and verify at once (:func:`grade_text`), ``("verify", group)`` for (answer,
    reference) pairs. A worker remembers more than math-verify does (:mod:`rewardlab.answers.memo`).
    """
    remember_in_worker()
    if key[0] == "read":
        read_answers(items, report, timeout)
    elif key[0] == "grade":
        for position, (text, reference) in enumerate(items):
            report(position, grade_text(text, reference, timeout))
    else:
        verify_pairs(key, items, report, timeout)


def verify_pairs(_key: object, pairs: Sequence[tuple[str | None, str]], report: Callable[[int, int], None],
                 timeout: float | None = 5.0) -> None:
    """Call ``report(position, code)`` for each (answer, reference) pair (see :func:`verify_pair`).

    The signature of :class:`~rewardlab.answers.pool.DeadlinePool`'s work function; ``_key`` is unused.
    """
    for position, (answer, reference) in enumerate(pairs):
        report(position, verify_pair(answer, reference, timeout))


# What a worker parses before it takes work: an integer, a fraction, a LaTeX expression, a decimal, an interval
# and a tuple (their first parse imports sympy's set and tensor modules, seconds on a busy machine).
WARM_UP_TEXTS = ("12", "\\frac{3}{4}", "\\sqrt{2}+x^{2}", "0.5", "[0, 1)", "(1, 2)")
_WARM_UP_SECONDS = 30  # math-verify's own alarm; the pool gives a worker's warm-up its warm_limit


def warm_parser() -> None:
    """Parse :data:`WARM_UP_TEXTS`, verify one pair and read one completion: the LaTeX parser, sympy and
    math-verify's extraction build their tables here."""
    from math_verify import verify

    parsed = [parse_once(text, _WARM_UP_SECONDS) for text in WARM_UP_TEXTS]
    verify(parsed[1], parsed[3], timeout_seconds=_WARM_UP_SECONDS)
    read_answer("So $x = 0.5$; the final answer is \\boxed{[0, 1)}.", _WARM_UP_SECONDS)  # compiles the targets' regexes


_TOKEN = re.compile(r"\\[A-Za-z]+|[A-Za-z]|\d+|\S")
# Only the start of a text decides its form (the form only orders work; it never decides a verdict).
_FORM_CHARS = 256


def _form(text: str) -> str:
    """What a text is made of: its LaTeX commands and symbols, with any number as ``0`` and any letter as ``x``.

    ``\\frac{3}{4}`` and ``\\frac{11}{2}`` share a form; ``(1, 2)`` and ``x^2+1`` do not.
    """
    kinds = {"0" if token[0].isdigit() else "x" if len(token) == 1 and token.isalpha() else token
             for token in _TOKEN.findall(text[:_FORM_CHARS])}
    return "".join(sorted(kinds))


def _texts_to_parse(reference: str, answers: Iterable[str | None]) -> list[str]:
    """The texts math-verify must parse to check ``answers`` against ``reference``, plain integers left out.

    Integers are cheap to parse; the other texts are what a worker saves by having parsed them already.
    """
    texts = {reference} | {a for a in answers if a is not None and _exact_verdict(a, reference) is None}
    return sorted(t for t in texts if not _INTEGER.fullmatch(_without_spaces(t)))


def _linked_order(items: Sequence[str], texts: Mapping[str, Sequence[str]]) -> list[str]:
    """``items`` reordered breadth-first through shared texts, starting from each unvisited item in turn.

    Each text is followed once, so the cost is linear in the number of (item, text) links.
    """
    users: dict[str, list[str]] = {}
    for item in items:
        for text in texts[item]:
            users.setdefault(text, []).append(item)
    order: list[str] = []
    seen: set[str] = set()
    for start in items:
        if start in seen:
            continue
        seen.add(start)
        queue = deque([start])
        while queue:
            item = queue.popleft()
            order.append(item)
            for text in texts[item]:
                for other in users.pop(text, ()):
                    if other not in seen:
                        seen.add(other)
                        queue.append(other)
    return order


def _schedule(todo: Mapping[str, Iterable[str | None]]) -> list[tuple[str | None, str]]:
    """The (answer, reference) pairs in the order to verify them, so that neighbours share work.

    References are taken in order of their form and, from each, breadth-first through the
    references it shares a text to parse with, so that pairs needing the same parses sit together:
    a worker given a run of neighbours parses each such text once and meets few kinds of expression.
    """
    references = sorted(todo, key=lambda r: (_form(r), r))
    texts = {r: _texts_to_parse(r, todo[r]) for r in references}
    return [(answer, reference) for reference in _linked_order(references, texts) for answer in todo[reference]]


def _whole_references(pairs: Sequence[tuple[str, str]], size: int) -> list[list[tuple[str, str]]]:
    """``pairs`` (sorted by reference) cut into tasks of about ``size`` that never split one reference's pairs.

    A group's completions share their answers: read by one worker, each answer is parsed once.
    """
    tasks: list[list[tuple[str, str]]] = []
    for _, same in groupby(pairs, key=lambda pair: pair[1]):
        group = list(same)
        if tasks and len(tasks[-1]) + len(group) <= size:
            tasks[-1].extend(group)
        else:
            tasks.append(group)
    return tasks


def _rule_answer(text: str) -> str | None:
    """The answer the ``qwen`` string rules read (a box, an answer phrase, the last number): a cheap signature of
    what math-verify would parse, to recognise a hostile answer that hung a reading before."""
    found = extract_by_rule(text, "qwen")
    return found.answer if found else None


def _chunk_size(n_pairs: int, workers: int) -> int:
    """Pairs per task: about two dozen tasks per worker, at most 16 pairs each."""
    return min(16, max(1, -(-n_pairs // (24 * max(1, workers)))))


class AnswerChecker:
    """Checks extracted answers against references with math-verify.

    Args:
        timeout: seconds allowed per sample; past it the sample is wrong and marked ``timed_out``.
        workers: worker processes; 0 verifies in this process (no hard deadline off the main thread).
        cache_size: (answer, reference) verdicts remembered across calls.
    """

    def __init__(self, timeout: float = 5.0, workers: int = 2, cache_size: int = 200_000) -> None:
        if timeout <= 0:
            raise ValueError(f"timeout must be > 0 seconds, got {timeout}")
        if workers < 0:
            raise ValueError(f"workers must be >= 0, got {workers}")
        self.timeout, self.workers, self.cache_size = timeout, workers, cache_size
        self._cache: OrderedDict[tuple[str, str], Verdict] = OrderedDict()
        self._readings: OrderedDict[str, Reading] = OrderedDict()
        self._graded: OrderedDict[tuple[str, str], tuple[Reading, Verdict]] = OrderedDict()
        # The worker lane that graded each answer and reference lately (see _lanes).
        self._lane_of: OrderedDict[str, int] = OrderedDict()
        # The answers (as the string rules read them) of completions whose reading outlived the hard deadline:
        # another completion stating one is not read again (hostile answers recur, texts around them vary).
        self._hung: set[str] = set()
        self._strikes: dict[str, int] = {}
        self._pool: DeadlinePool | None = None
        self._lock = threading.RLock()

    def check(self, pairs: Sequence[tuple[str | None, str | None]], groups: Sequence[Hashable] | None = None,
              group_timeout: float | None = None) -> list[Verdict]:
        """One verdict per (extracted answer, reference answer) pair.

        With ``groups`` (one per pair) and ``group_timeout``, the pairs of a group get that many seconds
        of verification in all; pairs left when it is spent are wrong and ``timed_out`` (and not
        remembered, so a later call verifies them).
        """
        if groups is not None and len(groups) != len(pairs):
            raise ValueError(f"{len(groups)} groups for {len(pairs)} pairs; give one group per pair")
        with self._lock:  # one call at a time, so a pair asked for twice concurrently is verified once
            verdicts: list[Verdict | None] = [None] * len(pairs)
            # group -> reference -> answer -> positions; a pair asked for in several groups is verified in the first
            todo: dict[Hashable, dict[str, dict[str | None, list[int]]]] = {}
            first_group: dict[tuple[str | None, str], Hashable] = {}
            for i, (answer, reference) in enumerate(pairs):
                if reference is None:
                    verdicts[i] = Verdict(None)
                elif (answer, reference) in self._cache:
                    verdicts[i] = self._cache[(answer, reference)]
                else:
                    group = first_group.setdefault((answer, reference), None if groups is None else groups[i])
                    todo.setdefault(group, {}).setdefault(reference, {}).setdefault(answer, []).append(i)
            fresh = self._verify(todo, group_timeout) if todo else {}
            for (answer, reference), (verdict, remember) in fresh.items():
                for i in todo[first_group[(answer, reference)]][reference][answer]:
                    verdicts[i] = verdict
                if remember:
                    self._remember(answer, reference, verdict)
        return verdicts  # type: ignore[return-value]

    def extract(self, texts: Sequence[Any], policy: str = DEFAULT_EXTRACTION,
                groups: Sequence[Hashable] | None = None, group_timeout: float | None = None) -> list[Reading]:
        """The answer each completion states under ``policy`` (see :mod:`rewardlab.answers.extraction`).

        ``qwen`` and ``boxed`` are string rules, read here. ``math_verify`` runs math-verify's extraction in
        the worker processes, each distinct text once (and remembered across calls), within ``timeout``
        seconds per text and, with ``groups`` and ``group_timeout``, that many seconds per group in all. A
        text that is not a string, or whose reading runs out of time, states no answer.
        """
        if policy not in EXTRACTION_POLICIES:
            raise ValueError(f"unknown extraction policy {policy!r}; choose one of {', '.join(EXTRACTION_POLICIES)}")
        if policy != "math_verify":
            return [Reading(extract_by_rule(t, policy) if isinstance(t, str) else None) for t in texts]
        with self._lock:
            readings: list[Reading | None] = [None] * len(texts)
            todo: dict[Hashable, dict[str, list[int]]] = {}
            for i, text in enumerate(texts):
                if not isinstance(text, str) or not text:
                    readings[i] = Reading(None)
                elif text in self._readings:
                    self._readings.move_to_end(text)
                    readings[i] = self._readings[text]
                elif self._hung and _rule_answer(text) in self._hung:  # the string rules only once an answer hung
                    readings[i] = Reading(None, timed_out=True)
                else:
                    group = None if groups is None else groups[i]
                    todo.setdefault(group, {}).setdefault(text, []).append(i)
            for text, reading in self._read(todo, group_timeout):
                for group_texts in todo.values():
                    for i in group_texts.get(text, ()):
                        readings[i] = reading
        return readings  # type: ignore[return-value]

    def grade(self, texts: Sequence[Any], references: Sequence[str | None], policy: str = DEFAULT_EXTRACTION,
              ) -> list[tuple[Reading, Verdict]]:
        """Each completion's answer under ``policy`` and its verdict against its reference.

        Under ``math_verify`` a worker reads and verifies a completion at once: math-verify's ``verify`` of the
        reference's parse against its own parse of the completion (:func:`grade_text`), each distinct
        (completion, reference) once, remembered across calls. Other policies read by their rule and verify the
        answers (:meth:`check`). A missing reference gives no signal (``correct`` is ``None``).
        """
        if len(texts) != len(references):
            raise ValueError(f"{len(texts)} completions for {len(references)} references; give one per completion")
        if policy != "math_verify":
            readings = self.extract(texts, policy)
            return list(zip(readings, self.check([(r.answer, ref) for r, ref in zip(readings, references,
                                                                                   strict=True)]), strict=True))
        with self._lock:
            out: list[tuple[Reading, Verdict] | None] = [None] * len(texts)
            todo: dict[tuple[str, str], list[int]] = {}
            for i, (text, reference) in enumerate(zip(texts, references, strict=True)):
                if reference is None or not isinstance(text, str) or not text:
                    continue
                if (text, reference) in self._graded:
                    out[i] = self._graded[(text, reference)]
                elif self._hung and _rule_answer(text) in self._hung:  # the string rules only once an answer hung
                    out[i] = (Reading(None, timed_out=True), Verdict(False, timed_out=True))
                else:
                    todo.setdefault((text, reference), []).append(i)
            for pair, graded in self._grade(list(todo)):
                for i in todo[pair]:
                    out[i] = graded
            rest = [i for i, o in enumerate(out) if o is None]
        if rest:  # no reference, or nothing to read: read what there is, verify as the pair path does
            readings = self.extract([texts[i] for i in rest], policy)
            verdicts = self.check([(r.answer, references[i]) for r, i in zip(readings, rest, strict=True)])
            for i, reading, verdict in zip(rest, readings, verdicts, strict=True):
                out[i] = (reading, verdict)
        return out  # type: ignore[return-value]

    def _grade(self, pairs: list[tuple[str, str]]) -> list[tuple[tuple[str, str], tuple[Reading, Verdict]]]:
        """:func:`grade_text` of each (completion, reference), in the workers, references of a form together."""
        if not pairs:
            return []
        pairs = sorted(pairs, key=lambda pair: (_form(pair[1]), pair[1]))
        results = self._run_inline({None: pairs}, grade_text, None) if self.workers == 0 else self._grade_in_pool(pairs)
        out = []
        for pair, result in zip(pairs, results, strict=True):
            if result is TIMED_OUT or result is SKIPPED or result[0] == READ_TIMED_OUT or result[1] == OUT_OF_TIME:
                graded = (Reading(None, timed_out=True), Verdict(False, timed_out=True))
                if result is TIMED_OUT:  # it outlived the hard deadline: remembered, not paid for again
                    self._graded[pair] = graded
                    self._remember_hung(pair[0])
                out.append((pair, graded))
                continue
            answer, code = result
            graded = (Reading(None if answer is None else Extraction(answer, "math_verify")),
                      Verdict(None if code == BAD_REFERENCE else code == CORRECT))
            self._graded[pair] = graded
            while len(self._graded) > self.cache_size:
                self._graded.popitem(last=False)
            if code != BAD_REFERENCE:  # the completion was read (a label with no signal skips the reading)
                self._remember_reading(pair[0], graded[0])
            out.append((pair, graded))
        return out

    def _grade_in_pool(self, pairs: list[tuple[str, str]]) -> list[Any]:
        """:func:`grade_text` of each pair in the workers, each reference's pairs in one task; which worker read
        each answer is remembered (:meth:`_lanes`)."""
        tasks = [(("grade", None), chunk) for chunk in _whole_references(pairs, _chunk_size(len(pairs), self.workers))]
        pool = self._pool_for_use()
        results = pool.run(tasks)
        for (_, chunk), lane, task_results in zip(tasks, pool.last_lanes, results, strict=True):
            for (_, reference), result in zip(chunk, task_results, strict=True):
                if lane is not None and isinstance(result, tuple) and isinstance(result[0], str):
                    for text in (result[0], reference):
                        self._lane_of[text] = lane
                        self._lane_of.move_to_end(text)
        while len(self._lane_of) > self.cache_size:
            self._lane_of.popitem(last=False)
        return [r for task_results in results for r in task_results]

    def _lanes(self, by_group: Mapping[Hashable, Sequence[Any]]) -> list[int]:
        """A worker lane per group: the one that graded a text of the group's items, else the group's hash.

        A vote's rounds, its parse-only pass and the grading before them then meet one worker per problem, whose
        caches hold that problem's answers parsed (:mod:`rewardlab.answers.memo`).
        """
        lanes = []
        for group, items in by_group.items():
            texts = (t for item in items for t in (item if isinstance(item, tuple) else (item,)) if t is not None)
            lanes.append(next((self._lane_of[t] for t in texts if t in self._lane_of), hash(group)))
        return lanes

    def _read(self, todo: Mapping[Hashable, Mapping[str, Sequence[int]]],
              group_timeout: float | None) -> list[tuple[str, Reading]]:
        """math-verify's reading of each text of ``todo``; readings not cut short are remembered."""
        if not todo:
            return []
        by_group = {group: list(by_text) for group, by_text in todo.items()}
        texts = [text for group_texts in by_group.values() for text in group_texts]
        answers = self._run("read", by_group, read_answer, group_timeout)
        out = []
        for text, answer in zip(texts, answers, strict=True):
            if answer is TIMED_OUT or answer is SKIPPED or answer == READ_TIMED_OUT:
                out.append((text, Reading(None, timed_out=True)))
                if answer is TIMED_OUT:  # it outlived the hard deadline: remembered, not paid for again
                    self._readings[text] = out[-1][1]
                    self._remember_hung(text)
                continue
            reading = Reading(None if answer is None else Extraction(answer, "math_verify"))
            self._remember_reading(text, reading)
            out.append((text, reading))
        return out

    def _remember_reading(self, text: str, reading: Reading) -> None:
        """Keep a reading that ran to its end, for :meth:`extract` (grading reads as extracting does)."""
        self._readings[text] = reading
        while len(self._readings) > self.cache_size:
            self._readings.popitem(last=False)

    def equivalence(self, group_timeout: float | None = None) -> Equivalence:
        """math-verify's equivalence for :func:`~rewardlab.answers.vote.vote_groups`, deciding pairs by this checker.

        Answers that differ only in whitespace are one form; two plain integers are compared directly.
        The other forms are first parsed once each (as binary parses each answer once), and only pairs
        of forms that parsed in time are verified (the earlier form as the reference): a form that does
        not parse equals nothing, so a group of hostile answers costs one parse per form, not one per
        pair. Each round gets ``group_timeout`` seconds per group.
        """
        def same(pairs: Sequence[tuple[Hashable, Hashable]], groups: Sequence[int]) -> list[bool]:
            exact = [_exact_verdict(str(a), str(r)) for a, r in pairs]
            ask = [i for i, e in enumerate(exact) if e is None]
            parses = self._parses_in_time({(str(t), groups[i]) for i in ask for t in pairs[i]}, group_timeout)
            ask = [i for i in ask if parses[(str(pairs[i][0]), groups[i])] and parses[(str(pairs[i][1]), groups[i])]]
            verdicts = self.check([(str(pairs[i][0]), str(pairs[i][1])) for i in ask], [groups[i] for i in ask],
                                  group_timeout)
            out = [e == CORRECT for e in exact]
            for i, verdict in zip(ask, verdicts, strict=True):
                out[i] = verdict.correct is True
            return out

        return Equivalence(key=_without_spaces, same=same)

    def _parses_in_time(self, texts: set[tuple[str, Hashable]], group_timeout: float | None) -> dict:
        """Whether each (text, group) parses within the limits: checking no answer against it parses it alone."""
        order = sorted(texts, key=repr)
        verdicts = self.check([(None, text) for text, _ in order], [group for _, group in order], group_timeout)
        return {item: v.correct is not None and not v.timed_out for item, v in zip(order, verdicts, strict=True)}

    def _verify(self, todo: Mapping[Hashable, Mapping[str, Mapping[str | None, Sequence[int]]]],
                group_timeout: float | None) -> dict[tuple[str | None, str], tuple[Verdict, bool]]:
        """``(verdict, remember it)`` per pair of ``todo``; pairs skipped by a spent group budget are not remembered."""
        scheduled = {group: _schedule(by_reference) for group, by_reference in todo.items()}
        pairs = [pair for group_pairs in scheduled.values() for pair in group_pairs]
        codes = self._run("verify", scheduled, verify_pair, group_timeout)
        out: dict[tuple[str | None, str], tuple[Verdict, bool]] = {}
        for pair, code in zip(pairs, codes, strict=True):
            if code is TIMED_OUT or code is SKIPPED or code == OUT_OF_TIME:
                # a pair that outlived the hard deadline is remembered (not paid for again); the others retried
                out[pair] = (Verdict(False, timed_out=True), code is TIMED_OUT)
            else:
                out[pair] = (Verdict(None if code == BAD_REFERENCE else code == CORRECT), True)
        return out

    def _run(self, kind: str, by_group: Mapping[Hashable, Sequence[Any]], work: Callable[..., Any],
             group_timeout: float | None) -> list[Any]:
        """``work`` on every item, group by group: in this process, or in the pool as ``(kind, group)`` tasks.

        Several groups go to the workers by group (:meth:`_lanes`): a group's later calls (a vote's rounds,
        after its parse-only pass) find its texts parsed in the worker's caches.
        """
        if self.workers == 0:
            return self._run_inline(by_group, work, group_timeout)
        size = _chunk_size(sum(len(items) for items in by_group.values()), self.workers)
        lanes = self._lanes(by_group) if len(by_group) > 1 else None
        tasks, task_lanes = [], []
        for n, (group, items) in enumerate(by_group.items()):
            for i in range(0, len(items), size):
                tasks.append(((kind, group), items[i : i + size]))
                task_lanes.append(0 if lanes is None else lanes[n])
        results = self._pool_for_use().run(tasks, key_budget=group_timeout, lanes=None if lanes is None else task_lanes)
        return [result for task_results in results for result in task_results]

    def _run_inline(self, by_group: Mapping[Hashable, Sequence[Any]], work: Callable[..., Any],
                    group_timeout: float | None) -> list[Any]:
        """``work(*item, timeout)`` per item in this process, group by group; items past a group's budget are skipped.

        math-verify's own time limits need the main thread: off it, nothing bounds an item's time.
        """
        in_main = threading.current_thread() is threading.main_thread()
        timeout = self.timeout if in_main else None
        out: list[Any] = []
        for items in by_group.values():
            started = time.monotonic()
            for item in items:
                if group_timeout is not None and time.monotonic() - started >= group_timeout:
                    out.append(SKIPPED)
                else:
                    out.append(work(*(item if isinstance(item, tuple) else (item,)), timeout))
        return out

    def _pool_for_use(self) -> DeadlinePool:
        if self._pool is None:
            import math_verify  # noqa: F401  (imported before forking so workers start warm)

            # math-verify's own limits get half each for parse and verify; the pool enforces the whole.
            work = functools.partial(run_task, timeout=self.timeout / 2)
            self._pool = DeadlinePool(work, n_workers=self.workers, deadline=self.timeout, warm=warm_parser)
        return self._pool

    def _remember_hung(self, text: str) -> None:
        """Count a hard-deadline kill against the answer the text states; its second kill marks it hung.

        A plain number never hangs math-verify (a kill there was a busy machine), so it is never marked.
        """
        answer = _rule_answer(text)
        if answer is None or _PLAIN_NUMBER.fullmatch(answer) or len(self._hung) >= self.cache_size:
            return
        self._strikes[answer] = self._strikes.get(answer, 0) + 1
        if self._strikes[answer] >= 2:
            self._hung.add(answer)

    def _remember(self, answer: str, reference: str, verdict: Verdict) -> None:
        self._cache[(answer, reference)] = verdict
        while len(self._cache) > self.cache_size:
            self._cache.popitem(last=False)

    def close(self) -> None:
        """Stop the worker processes (they also stop when this process exits)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None

    def __del__(self) -> None:
        try:  # noqa: SIM105  (contextlib may already be torn down when this runs at interpreter exit)
            self.close()
        except Exception:
            pass

    def __getstate__(self) -> dict[str, Any]:
        return {"timeout": self.timeout, "workers": self.workers, "cache_size": self.cache_size}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(**state)  # type: ignore[misc]
