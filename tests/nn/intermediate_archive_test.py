"""`check_transformer`: the encoder of an intermediate archive must be the readers' transformer."""

import shutil
from pathlib import Path

import pytest
from allennlp.modules.token_embedders import PretrainedTransformerEmbedder

from allennlp_robust_xlt.common.errors import RobustXltError
from allennlp_robust_xlt.nn.intermediate_archive import check_transformer, transformer_name


def test_same_name_directory_or_configuration_pass(tiny_xlmr: Path, tmp_path: Path):
    embedder = PretrainedTransformerEmbedder(str(tiny_xlmr))
    assert transformer_name(embedder) == str(tiny_xlmr)
    check_transformer(embedder, str(tiny_xlmr), "model")
    check_transformer(embedder, str(tiny_xlmr) + "/", "model")  # the same directory
    copy = Path(shutil.copytree(tiny_xlmr, tmp_path / "copy"))  # a copy: the same configuration
    check_transformer(embedder, str(copy), "model")
    check_transformer(embedder, None, "model")  # nothing to check against


def test_another_transformer_is_one_line(tiny_xlmr: Path, tiny_bert: Path, tmp_path: Path):
    embedder = PretrainedTransformerEmbedder(str(tiny_bert))
    with pytest.raises(RobustXltError) as error:
        check_transformer(embedder, str(tiny_xlmr), "model")
    assert str(error.value).startswith(
        f"model: the encoder is the transformer {str(tiny_bert)!r} but the readers tokenize for"
        f" {str(tiny_xlmr)!r} (XLT_TRANSFORMER)"
    )
    with pytest.raises(RobustXltError, match="readers tokenize for 'no-such-model'"):
        check_transformer(embedder, "no-such-model", "model")
