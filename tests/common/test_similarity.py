from common.similarity import (
    common_shingles,
    jaccard,
    normalize_words,
    rank_pairs,
    sentences,
    shingles,
    side_by_side,
    text_shingles,
)


def doc(*words: str) -> frozenset[str]:
    return frozenset(shingles(" ".join(words).split()))


def test_words_are_compared_without_case_accents_punctuation_or_spacing():
    assert normalize_words("Reprodutível,  EFICIÊNCIA!\n(MLOps)  e_XAI") == [
        "reprodutivel",
        "eficiencia",
        "mlops",
        "e",
        "xai",
    ]
    assert text_shingles("A imagem é leve, e o cache ajuda.") == text_shingles("a IMAGEM e leve e o cache ajuda")


def test_text_from_the_statement_is_not_counted():
    statement = "Explique como o Docker ajuda a reprodutibilidade"
    answer = "Explique como o Docker ajuda a reprodutibilidade: versões fixas na imagem"
    kept = text_shingles(answer, ignore=[statement])
    assert kept and all("explique" not in s for s in kept)


def test_jaccard():
    assert jaccard(frozenset({"a", "b"}), frozenset({"b", "c"})) == 1 / 3
    assert jaccard(frozenset(), frozenset()) == 0.0


def test_pairs_are_ranked_and_the_class_common_ground_left_out():
    recipe = ["from python slim", "workdir app here", "copy requirements txt"]
    documents = {i: doc(*recipe) | doc(f"own{i} words here", f"more{i} of mine") for i in range(8)}
    documents[3] = documents[3] | doc("rare shared passage", "another rare passage")
    documents[5] = documents[5] | doc("rare shared passage", "another rare passage")
    ranking = rank_pairs(documents, limit=5)
    assert (ranking.pairs[0].first, ranking.pairs[0].second) == (3, 5)
    assert len(ranking.pairs) == 1  # nobody else shares anything of their own
    assert ranking.common == common_shingles(documents.values())
    assert doc(*recipe) <= ranking.common
    assert ranking.score(documents[3], documents[5]) == ranking.pairs[0].score


def test_few_documents_keep_what_they_share():
    """With a handful of learners, a passage two of them share is not 'common ground'."""
    ranking = rank_pairs({1: doc("a b c"), 2: doc("a b c"), 3: doc("x y z")})
    assert [(p.first, p.second, p.score) for p in ranking.pairs] == [(1, 2, 1.0)]


def test_side_by_side_marks_the_differing_lines_and_caps_sizes():
    shown = side_by_side(["FROM x", "RUN a", "CMD b"], ["FROM x", "RUN z", "CMD b", "USER u"])
    assert [(r.left, r.right, r.same) for r in shown.rows] == [
        ("FROM x", "FROM x", True),
        ("RUN a", "RUN z", False),
        ("CMD b", "CMD b", True),
        (None, "USER u", False),
    ]
    huge = side_by_side(["x" * 1_000_000], ["y"] * 5000, max_lines=100, max_chars=50)
    assert huge.cut and len(huge.rows) == 100 and all(len(r.left or "") <= 51 for r in huge.rows)


def test_sentences():
    assert sentences("Primeira frase. Segunda!\nTerceira linha") == ["Primeira frase.", "Segunda!", "Terceira linha"]
