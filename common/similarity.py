"""How alike pieces of learners' work are: shingles, Jaccard, the class's most alike pairs, and
two texts side by side. A hint for a teacher's judgment, never a verdict: nothing here knows a
grade.

A piece of work becomes a set of *shingles* (runs of a few consecutive tokens, each tagged with
the part of the work it comes from); two pieces are as alike as the Jaccard index of their sets
(shared shingles over all shingles of either). The sets are made once per piece, so comparing
every pair of a class is one set intersection per pair: 19,900 pairs for 200 learners.

What every learner shares says nothing about two of them: the caller removes what came from the
assignment itself (the lab's starter files, the question's statement), and `rank_pairs` leaves
out the shingles found in the work of a large part of the class (as MOSS does with passages
that occur too often), so that the lesson's own recipe does not make everyone "similar".
"""

import difflib
import heapq
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Generic, TypeVar

Key = TypeVar("Key", bound=Hashable)

# Words per shingle. Three keeps "pip install flask" apart from "pip install gunicorn" and
# is short enough that an inserted word spoils only three shingles around it.
SHINGLE_SIZE = 3
# A shingle in the work of more than this share of the learners compared (and of more than
# COMMON_MIN_DOCUMENTS of them) is the class's common ground, not evidence about a pair.
COMMON_SHARE = 0.25
COMMON_MIN_DOCUMENTS = 4
_SEPARATOR = "\x1f"


def shingles(tokens: Sequence[str], *, part: str = "", size: int = SHINGLE_SIZE) -> set[str]:
    """The runs of `size` consecutive tokens (the whole sequence when it is shorter), each
    prefixed with `part` so that the same words in two different files stay different."""
    if not tokens:
        return set()
    if len(tokens) <= size:
        return {part + _SEPARATOR + " ".join(tokens)}
    return {part + _SEPARATOR + " ".join(tokens[i : i + size]) for i in range(len(tokens) - size + 1)}


def jaccard(first: frozenset[str] | set[str], second: frozenset[str] | set[str]) -> float:
    """|A ∩ B| / |A ∪ B|, 0 when either is empty (nothing of its own to compare)."""
    if not first or not second:
        return 0.0
    shared = len(first & second)
    return shared / (len(first) + len(second) - shared)


def common_shingles(
    documents: Iterable[frozenset[str]], *, share: float = COMMON_SHARE, minimum: int = COMMON_MIN_DOCUMENTS
) -> frozenset[str]:
    """The shingles found in more than `share` of the documents and in more than `minimum` of them."""
    documents = list(documents)
    counts: Counter[str] = Counter()
    for document in documents:
        counts.update(document)
    limit = max(minimum, share * len(documents))
    return frozenset(shingle for shingle, count in counts.items() if count > limit)


@dataclass(frozen=True)
class Pair(Generic[Key]):
    first: Key
    second: Key
    score: float  # 0..1
    shared: int  # shingles in common, after what is common to the class was left out


@dataclass(frozen=True)
class Ranking(Generic[Key]):
    pairs: list[Pair[Key]]  # the most alike first
    compared: int  # documents with something of their own to compare
    common: frozenset[str]  # the shingles left out as the class's common ground
    documents: Mapping[Key, frozenset[str]]  # each document's shingles, common ground removed

    def score(self, first: frozenset[str], second: frozenset[str]) -> float:
        """Two documents' score as the ranking counts it (for a pair shown on its own)."""
        return jaccard(first - self.common, second - self.common)


def rank_pairs(
    documents: Mapping[Key, frozenset[str]],
    *,
    limit: int = 20,
    share: float = COMMON_SHARE,
    minimum: int = COMMON_MIN_DOCUMENTS,
) -> Ranking[Key]:
    """The `limit` most alike pairs of documents (score above 0), the most alike first; ties in
    the order the documents were given. Every pair is compared: n·(n−1)/2 set intersections."""
    common = common_shingles(documents.values(), share=share, minimum=minimum)
    kept = {key: shingle_set - common for key, shingle_set in documents.items()}
    kept = {key: shingle_set for key, shingle_set in kept.items() if shingle_set}
    position = {key: index for index, key in enumerate(kept)}
    candidates = []
    for (first, first_set), (second, second_set) in combinations(kept.items(), 2):
        shared = len(first_set & second_set)
        if shared:
            score = shared / (len(first_set) + len(second_set) - shared)
            candidates.append((score, -position[first], -position[second], shared, first, second))
    best = heapq.nlargest(limit, candidates, key=lambda c: (c[0], c[1], c[2]))
    pairs = [Pair(first=c[4], second=c[5], score=c[0], shared=c[3]) for c in best]
    return Ranking(pairs=pairs, compared=len(kept), common=common, documents=kept)


# -- essays and other prose -----------------------------------------------------------------

_NOT_WORD = re.compile(r"[^\w]+|_+")


def normalize_words(text: str) -> list[str]:
    """The text's words, compared as a reader would: case, accents, punctuation and spacing
    do not count ("Reprodutível," = "reprodutivel")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()
    return [word for word in _NOT_WORD.split(plain) if word]


def text_shingles(text: str, *, ignore: Iterable[str] = (), size: int = SHINGLE_SIZE) -> frozenset[str]:
    """A prose text's word shingles, less those of the texts in `ignore` (a question's
    statement: what a learner copies from it is not copied from a classmate)."""
    found = shingles(normalize_words(text), size=size)
    for other in ignore:
        found -= shingles(normalize_words(other), size=size)
    return frozenset(found)


_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+|\n\s*")


def sentences(text: str) -> list[str]:
    """The text cut into sentences and lines, for showing two texts side by side."""
    return [piece.strip() for piece in _SENTENCE_END.split(text) if piece.strip()]


# -- side by side ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    left: str | None  # None: nothing on this side (a line only the other side has)
    right: str | None
    same: bool


@dataclass(frozen=True)
class SideBySide:
    rows: list[Row]
    cut: bool  # a side had more lines than are shown, or a line was cut


def side_by_side(
    left: Sequence[str],
    right: Sequence[str],
    *,
    left_keys: Sequence[str] | None = None,
    right_keys: Sequence[str] | None = None,
    max_lines: int = 1500,
    max_chars: int = 400,
) -> SideBySide:
    """Two texts' lines aligned by difflib, each row saying whether its two sides are the same.
    Lines are matched by their keys (their normalised forms; the lines themselves by default)
    and shown as given; at most `max_lines` lines a side and `max_chars` characters a line are
    kept, so a megabyte-long text or line cannot make the page slow or wide."""
    cut = len(left) > max_lines or len(right) > max_lines
    left, right = list(left[:max_lines]), list(right[:max_lines])
    lkeys = list(left_keys[:max_lines]) if left_keys is not None else left
    rkeys = list(right_keys[:max_lines]) if right_keys is not None else right

    def shown(line: str) -> str:
        nonlocal cut
        if len(line) > max_chars:
            cut = True
            return line[:max_chars] + "…"
        return line

    rows: list[Row] = []
    matcher = difflib.SequenceMatcher(None, lkeys, rkeys, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            rows += [
                Row(shown(left[i]), shown(right[j]), True) for i, j in zip(range(i1, i2), range(j1, j2), strict=True)
            ]
            continue
        span = max(i2 - i1, j2 - j1)
        for offset in range(span):
            i, j = i1 + offset, j1 + offset
            rows.append(Row(shown(left[i]) if i < i2 else None, shown(right[j]) if j < j2 else None, False))
    return SideBySide(rows=rows, cut=cut)
