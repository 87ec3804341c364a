"""`allennlp build-neighbors`: neighbour tables from word-vector text files."""

import gzip
import json
import math
from pathlib import Path
from typing import Dict, List

import numpy
import pytest
from allennlp.common.testing import AllenNlpTestCase

from allennlp_robust_xlt.data.neighbor_tables import nearest_neighbors, read_word_vectors
from allennlp_robust_xlt.common.errors import InputFileError, ParameterError
from allennlp_robust_xlt.data.dataset_readers import RandomizedSmoothingReader
from allennlp_robust_xlt.pair_classification.dataset_readers import XtremeXnliReader
from allennlp_robust_xlt.data.synonyms import NeighborTable
from allennlp_robust_xlt.testing.cli import run_allennlp


def unit(angle_degrees: float, z: float = 0.0) -> List[float]:
    angle = math.radians(angle_degrees)
    return [math.cos(angle), math.sin(angle), z]


# Words on a circle (cosine similarity = cos of the angle between them), plus a far-away group.
VECTORS: Dict[str, List[float]] = {
    "Kino": unit(0),
    "Film": unit(10),  # cos 10 deg = 0.985
    "Filme": unit(20),  # 0.940 from Kino, 0.985 from Film
    "Streifen": unit(40),  # 0.766 from Kino
    "Auto": [0.0, 0.0, 1.0],
    "Wagen": [0.0, 0.2, 1.0],  # cos = 0.981 with Auto
    "Haus": [0.0, -1.0, 0.0],  # far from everything
}


def write_vectors(
    path: Path, header: bool = True, extra_lines: str = "", trailing_space: bool = True
) -> Path:
    lines = [f"{len(VECTORS)} 3"] if header else []
    for word, vector in VECTORS.items():
        lines.append(
            word
            + " "
            + " ".join(f"{value:.6f}" for value in vector)
            + (" " if trailing_space else "")
        )
    path.write_text("\n".join(lines) + "\n" + extra_lines, encoding="utf-8")
    return path


class TestBuildNeighbors(AllenNlpTestCase):
    def test_builds_the_reference_format_by_cosine_with_k_and_threshold(self):
        vectors = write_vectors(self.TEST_DIR / "de.vec")
        output = self.TEST_DIR / "neighbors-de.json"
        run_allennlp("build-neighbors", str(vectors), str(output), "--k", "2", "--threshold", "0.9")
        table = json.loads(output.read_text(encoding="utf-8"))
        assert list(table) == list(VECTORS)  # every word is a key, in file order
        assert table["Kino"] == ["Film", "Filme"]  # most similar first, k = 2
        assert table["Film"] in (["Kino", "Filme"], ["Filme", "Kino"])  # a tie at cos 10 deg
        assert table["Streifen"] == [
            "Filme"
        ]  # cos 20 deg = 0.940; Film (cos 30 deg = 0.866) is below 0.9
        assert table["Auto"] == ["Wagen"] and table["Wagen"] == ["Auto"]
        assert table["Haus"] == []
        # The result loads as a table for the randomized_smoothing reader.
        loaded = NeighborTable.from_file(output)
        assert loaded.neighbors("Kino") == ("Film", "Filme")
        RandomizedSmoothingReader(XtremeXnliReader(), neighbors=str(output), copies=2)

    def test_threshold_and_k_bound_the_lists(self):
        words, matrix = read_word_vectors(str(write_vectors(self.TEST_DIR / "v.vec")))
        loose = nearest_neighbors(words, matrix, k=8, threshold=0.7)
        assert loose["Kino"] == ["Film", "Filme", "Streifen"]
        assert loose["Streifen"] == ["Filme", "Film", "Kino"]
        strict = nearest_neighbors(words, matrix, k=8, threshold=0.99)
        assert all(not neighbors for neighbors in strict.values())
        one = nearest_neighbors(words, matrix, k=1, threshold=-1.0)
        assert all(len(neighbors) == 1 for neighbors in one.values())
        # Batching does not change the result.
        assert nearest_neighbors(
            words, matrix, k=3, threshold=0.0, batch_size=2
        ) == nearest_neighbors(words, matrix, k=3, threshold=0.0, batch_size=100)

    def test_matches_brute_force_on_random_vectors(self):
        generator = numpy.random.default_rng(0)
        matrix = generator.normal(size=(300, 16)).astype(numpy.float32)
        words = [f"w{i}" for i in range(300)]
        table = nearest_neighbors(words, matrix, k=5, threshold=0.3, batch_size=64)
        unit_rows = matrix / numpy.linalg.norm(matrix, axis=1, keepdims=True)
        similarities = unit_rows @ unit_rows.T
        numpy.fill_diagonal(similarities, -numpy.inf)
        for row, word in enumerate(words):
            order = numpy.argsort(-similarities[row], kind="stable")[:5]
            expected = [words[i] for i in order if similarities[row, i] >= 0.3]
            assert table[word] == expected

    def test_no_header_gzip_and_max_words(self):
        plain = write_vectors(self.TEST_DIR / "plain.vec", header=False, trailing_space=False)
        compressed = self.TEST_DIR / "plain.vec.gz"
        compressed.write_bytes(gzip.compress(plain.read_bytes()))
        words, matrix = read_word_vectors(str(compressed), max_words=3)
        assert words == ["Kino", "Film", "Filme"] and matrix.shape == (3, 3)
        output = self.TEST_DIR / "small.json"
        run_allennlp(
            "build-neighbors",
            str(compressed),
            str(output),
            "--max-words",
            "3",
            "--threshold",
            "0.5",
        )
        assert set(json.loads(output.read_text())) == {"Kino", "Film", "Filme"}

    def test_does_not_overwrite_without_force(self):
        vectors = write_vectors(self.TEST_DIR / "de.vec")
        output = self.TEST_DIR / "table.json"
        output.write_text('{"keep": ["me"]}', encoding="utf-8")
        with pytest.raises(ParameterError, match="exists; pass --force"):
            run_allennlp("build-neighbors", str(vectors), str(output))
        assert json.loads(output.read_text()) == {"keep": ["me"]}
        run_allennlp("build-neighbors", str(vectors), str(output), "--force")
        assert "Kino" in json.loads(output.read_text())
        assert not [path for path in self.TEST_DIR.iterdir() if path.name.endswith(".tmp")]

    def test_repeated_words_and_zero_vectors(self):
        path = write_vectors(self.TEST_DIR / "v.vec", extra_lines="Kino 0 1 0\nNull 0 0 0\n")
        words, matrix = read_word_vectors(str(path))
        assert words.count("Kino") == 1 and numpy.allclose(matrix[0], VECTORS["Kino"], atol=1e-6)
        table = nearest_neighbors(words, matrix, k=3, threshold=-1.0)
        assert table["Null"] == [] and all("Null" not in neighbors for neighbors in table.values())


@pytest.mark.parametrize(
    "extra, line, problem",
    [
        ("Bank 0.1 0.2\n", 9, "expected 3 values after the word 'Bank', found 2"),
        ("Bank 0.1 zwei 0.3\n", 9, "value 2 of 'Bank' is not a number: 'zwei'"),
        ("Bank 0.1 nan 0.3\n", 9, "value 2 of 'Bank' is not finite"),
        (" 0.1 0.2 0.3\n", 9, "no word before the values"),
    ],
)
def test_bad_lines_name_file_and_line(tmp_path: Path, extra: str, line: int, problem: str):
    path = write_vectors(tmp_path / "bad.vec", extra_lines=extra)
    with pytest.raises(InputFileError) as error:
        read_word_vectors(str(path))
    assert str(error.value).startswith(f"{path}:{line}: ")
    assert problem in str(error.value)


def test_invalid_utf8_and_missing_file(tmp_path: Path):
    path = tmp_path / "bad.vec"
    path.write_bytes(b"2 2\nok 1 0\ncaf\xe9 0 1\n")
    with pytest.raises(InputFileError, match=f"{path}:3: invalid UTF-8"):
        read_word_vectors(str(path))
    with pytest.raises(InputFileError, match="file not found"):
        read_word_vectors(str(tmp_path / "missing.vec"))


@pytest.mark.parametrize(
    "option, value",
    [("--k", "0"), ("--threshold", "1.5"), ("--max-words", "1"), ("--batch-size", "0")],
)
def test_bad_options_name_the_option(tmp_path: Path, option: str, value: str):
    vectors = write_vectors(tmp_path / "v.vec")
    with pytest.raises(ParameterError) as error:
        run_allennlp("build-neighbors", str(vectors), str(tmp_path / "out.json"), option, value)
    assert error.value.parameter == option
    assert not (tmp_path / "out.json").exists()
