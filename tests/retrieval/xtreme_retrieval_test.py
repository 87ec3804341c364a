"""`RetrievalReport`'s tables (the command end to end: tests/commands/xtreme_retrieval_test.py)."""

from allennlp_robust_xlt.retrieval.xtreme_retrieval import LanguageResult, RetrievalReport


def report(task: str, metric: str) -> RetrievalReport:
    result = RetrievalReport(task, "model", 2, "cls", "cosine", None)
    result.results = [
        LanguageResult("en", {metric: 0.5}, 3, []),
        LanguageResult("de", {metric: 0.25}, 4, []),
    ]
    return result


def header(markdown: str) -> str:
    return next(line for line in markdown.splitlines() if line.startswith("| language"))


def test_the_count_column_says_what_it_counts():
    # LAReQA's figure of a language averages over its questions (the candidates, sentences of
    # every language, are pooled); the other tasks keep their column as it was.
    lareqa = report("lareqa", "map_at_20").markdown()
    assert header(lareqa) == "| language | name | family | questions | map_at_20 |"
    assert "| en | English | Indo-European | 3 | 50.00 |" in lareqa
    for task, metric in (("tatoeba", "accuracy_at_1"), ("mewslix", "map_at_20")):
        assert "| sentences |" in header(report(task, metric).markdown())
    # The CSV has no count column, for any task.
    assert report("lareqa", "map_at_20").csv_text().splitlines()[0] == (
        "language,layer,pooling,map_at_20"
    )
