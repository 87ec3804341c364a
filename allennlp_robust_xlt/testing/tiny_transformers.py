"""
Deterministic tiny transformers for tests, the demo and benchmarks, built offline.

No model hub is reachable from our machines, so tests and the demo use small local model
directories that `transformers` and AllenNLP's `pretrained_transformer` tokenizer, indexer and
embedder load by path, exactly as they load `xlm-roberta-base` or `bert-base-multilingual-cased`:

* `"xlmr"`: an XLM-R-style model. Sentencepiece unigram tokenizer (`▁` word-boundary marker,
  `<s> A </s></s> B </s>` pair template), saved as XLM-R saves it (`sentencepiece.bpe.model` and
  the converted fast `tokenizer.json`), no token type ids, RoBERTa position ids.
* `"bert"`: a BERT-style model. Cased WordPiece tokenizer (`[CLS] A [SEP] B [SEP]`) with token
  type ids.
* `"mdeberta"`: an mDeBERTa-v3-style model (DeBERTa-v2 architecture: relative attention, no
  absolute positions, no token type embeddings). Sentencepiece tokenizer whose own pieces 0-3 are
  `[PAD] [CLS] [SEP] [UNK]` (`spm.model`, `[CLS] A [SEP] B [SEP]`), as mDeBERTa's.
* `"xlmr-xl"`: an XLM-R XL-style model (`XLMRobertaXL`: pre-layer-norm), the XLM-R tokenizer.
* `"mt5"`: an mT5-style model (`MT5Model`, encoder and decoder, as the hub ships it; the configs
  use its encoder). Sentencepiece tokenizer with `<pad>=0 </s>=1 <unk>=2`, no start token
  (`A </s> B </s>`), no token type ids.
* `"labse"`: a LaBSE-style model: the BERT-style model with its pooler (dense + tanh on
  `[CLS]`), which LaBSE's sentence embedding is.
* `"e5"`: a multilingual-e5-style model: the XLM-R-style model (e5 differs in its training and
  its use: mean pooling, `query: ` / `passage: ` prefixes).

`name_or_path` (`--name-or-path`) records a hub name as the config's `_name_or_path`, as a model
saved from the hub records its name; the plugin's encoder table then recognises the directory.

The weights are written as `pytorch_model.bin` (transformers 4.20.1's format), or with
`safetensors=True` (`--safetensors`) as `model.safetensors` alone, as the hub ships most models
today (the plugin loads those: `allennlp_robust_xlt/common/safetensors_loading.py`).

Everything is seeded: the same corpus, style and sizes give byte-identical files.

Command line::

    python -m allennlp_robust_xlt.testing.tiny_transformers OUTPUT_DIR --style xlmr \
        --corpus data/xtreme/xnli/train-en.tsv data/xtreme/xnli/test-de.tsv
"""

import argparse
import hashlib
import json
import logging
import os
import string
from pathlib import Path
from typing import Iterable, List, Optional, Sequence, Union

import torch

logger = logging.getLogger(__name__)

STYLES = ("xlmr", "bert", "mdeberta", "xlmr-xl", "mt5", "labse", "e5")

# Always part of the tokenizer's alphabet.
_ALPHABET_LINE = " ".join(string.ascii_letters + string.digits + string.punctuation)
# AllenNLP's PretrainedTransformerTokenizer probes the tokenizer with "a"/"b" and "1"/"2" and
# needs the first piece of each to be distinct: for sentencepiece, "▁a" rather than "▁" + "a".
_PROBES = ("a", "b", "1", "2")


def read_corpus(paths: Sequence[Union[str, Path]]) -> List[str]:
    """Every tab-separated text column of the given files (labels and ids are skipped)."""
    texts: List[str] = []
    for path in paths:
        with open(path, encoding="utf-8") as corpus_file:
            for line in corpus_file:
                for column in line.rstrip("\n").split("\t"):
                    if len(column.split()) > 1:
                        texts.append(column)
    return texts


def build_tiny_transformer(
    output_dir: Union[str, Path],
    style: str,
    corpus: Iterable[str],
    vocab_size: int = 600,
    hidden_size: int = 32,
    num_hidden_layers: int = 2,
    num_attention_heads: int = 2,
    intermediate_size: int = 64,
    max_length: int = 256,
    seed: int = 0,
    name_or_path: str = "",
    safetensors: bool = False,
) -> Path:
    """
    Trains a tokenizer on `corpus`, initialises a random model of the given size with `seed`,
    and saves both to `output_dir` (created; files in it are overwritten). Returns the path.
    With `safetensors`, the weights are `model.safetensors` alone (no `pytorch_model.bin`).
    """
    if style not in STYLES:
        raise ValueError(f"style must be one of {STYLES}, got {style!r}")
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    texts = [_ALPHABET_LINE] + [text for text in corpus if text.strip()]
    builder = _BUILDERS[style]
    builder(
        output_dir,
        texts,
        vocab_size=vocab_size,
        hidden_size=hidden_size,
        num_hidden_layers=num_hidden_layers,
        num_attention_heads=num_attention_heads,
        intermediate_size=intermediate_size,
        max_length=max_length,
        seed=seed,
    )
    if name_or_path:
        _record_name(output_dir, name_or_path)
    if safetensors:
        convert_to_safetensors(output_dir)
    return output_dir


def convert_to_safetensors(model_dir: Union[str, Path]) -> Path:
    """
    Replaces a model directory's `pytorch_model.bin` by `model.safetensors` holding the same
    tensors (with the `{"format": "pt"}` metadata that transformers writes). Returns the new file.
    """
    from safetensors.torch import save_file

    model_dir = Path(model_dir)
    weights = model_dir / "pytorch_model.bin"
    state_dict = torch.load(str(weights), map_location="cpu")
    target = model_dir / "model.safetensors"
    save_file(
        {name: tensor.contiguous() for name, tensor in state_dict.items()},
        str(target),
        metadata={"format": "pt"},
    )
    weights.unlink()
    return target


def _build_xlmr(
    output_dir: Path,
    texts: List[str],
    vocab_size: int,
    max_length: int,
    seed: int,
    xl: bool = False,
    **sizes: int,
) -> None:
    import sentencepiece
    from transformers import (
        XLMRobertaConfig,
        XLMRobertaModel,
        XLMRobertaTokenizer,
        XLMRobertaTokenizerFast,
        XLMRobertaXLConfig,
        XLMRobertaXLModel,
    )

    # The sentencepiece trainer (as used for the real XLM-R), single-threaded so that it is
    # deterministic; `tokenizers`' unigram trainer is not. Ids follow XLM-R: the tokenizer adds
    # fairseq's <s>=0 <pad>=1 </s>=2 <unk>=3 in front of the sentencepiece pieces.
    spm_path = output_dir / "sentencepiece.bpe.model"
    with open(spm_path, "wb") as model_file:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=model_file,
            vocab_size=vocab_size,
            model_type="unigram",
            character_coverage=1.0,
            hard_vocab_limit=False,
            num_threads=1,
            minloglevel=2,
            user_defined_symbols=[f"▁{probe}" for probe in _PROBES],
        )
    slow = XLMRobertaTokenizer(vocab_file=str(spm_path), model_max_length=max_length)
    fast = XLMRobertaTokenizerFast(vocab_file=str(spm_path), model_max_length=max_length)
    for probe in _PROBES:
        if len(fast.tokenize(probe)) != 1:
            raise ValueError(
                f"the trained tokenizer splits {probe!r} into {fast.tokenize(probe)}; raise"
                " vocab_size"
            )
    slow.save_pretrained(str(output_dir))
    fast.save_pretrained(str(output_dir))
    config_class = XLMRobertaXLConfig if xl else XLMRobertaConfig
    config = config_class(
        vocab_size=len(fast),
        # RoBERTa numbers positions from padding_idx + 1.
        max_position_embeddings=max_length + 2,
        type_vocab_size=1,
        pad_token_id=fast.pad_token_id,
        bos_token_id=fast.bos_token_id,
        eos_token_id=fast.eos_token_id,
        **sizes,
    )
    _save_model(XLMRobertaXLModel if xl else XLMRobertaModel, config, output_dir, seed)


def _build_bert(
    output_dir: Path,
    texts: List[str],
    vocab_size: int,
    max_length: int,
    seed: int,
    pooler: bool = False,
    **sizes: int,
) -> None:
    from tokenizers import BertWordPieceTokenizer
    from transformers import BertConfig, BertModel, BertTokenizerFast

    special_tokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    tokenizer = BertWordPieceTokenizer(
        lowercase=False, strip_accents=False, handle_chinese_chars=True
    )
    tokenizer.train_from_iterator(
        texts,
        vocab_size=vocab_size,
        special_tokens=special_tokens,
        limit_alphabet=1000,
        show_progress=False,
    )
    # The trainer returns the same vocabulary in a run-dependent order; WordPiece lookup does not
    # depend on the order, so sort it (special tokens first) to make the ids deterministic.
    pieces = sorted(set(tokenizer.get_vocab()) - set(special_tokens))
    vocab_lines = "".join(f"{piece}\n" for piece in special_tokens + pieces)
    (output_dir / "vocab.txt").write_text(vocab_lines, encoding="utf-8")
    fast = BertTokenizerFast(
        vocab_file=str(output_dir / "vocab.txt"),
        do_lower_case=False,
        tokenize_chinese_chars=True,
        strip_accents=False,
        model_max_length=max_length,
    )
    fast.save_pretrained(str(output_dir))
    config = BertConfig(
        vocab_size=len(fast),
        max_position_embeddings=max_length,
        type_vocab_size=2,
        pad_token_id=fast.pad_token_id,
        **sizes,
    )
    _save_model(BertModel, config, output_dir, seed, pooler=pooler)


def _save_model(
    model_class: type, config: object, output_dir: Path, seed: int, pooler: Optional[bool] = False
) -> None:
    """`pooler`: False, True, or None for a model class without the option."""
    generator_state = torch.random.get_rng_state()
    try:
        torch.manual_seed(seed)
        # No pooler (unless asked): the configs load models with `add_pooling_layer: false`.
        kwargs = {} if pooler is None else {"add_pooling_layer": pooler}
        model = model_class(config, **kwargs)
    finally:
        torch.random.set_rng_state(generator_state)
    model.save_pretrained(str(output_dir))


def _train_sentencepiece(spm_path: Path, texts: List[str], vocab_size: int, **ids: object) -> None:
    """A deterministic unigram sentencepiece model (single-threaded), the probes kept whole."""
    import sentencepiece

    user_symbols = list(ids.pop("user_defined_symbols", []))  # type: ignore[call-overload]
    with open(spm_path, "wb") as model_file:
        sentencepiece.SentencePieceTrainer.train(
            sentence_iterator=iter(texts),
            model_writer=model_file,
            vocab_size=vocab_size,
            model_type="unigram",
            character_coverage=1.0,
            hard_vocab_limit=False,
            num_threads=1,
            minloglevel=2,
            user_defined_symbols=user_symbols + [f"▁{probe}" for probe in _PROBES],
            **ids,
        )


def _check_probes(tokenizer: object) -> None:
    for probe in _PROBES:
        pieces = tokenizer.tokenize(probe)  # type: ignore[attr-defined]
        if len(pieces) != 1:
            raise ValueError(
                f"the trained tokenizer splits {probe!r} into {pieces}; raise vocab_size"
            )


def _build_mdeberta(
    output_dir: Path, texts: List[str], vocab_size: int, max_length: int, seed: int, **sizes: int
) -> None:
    from transformers import DebertaV2Config, DebertaV2Model, DebertaV2Tokenizer
    from transformers import DebertaV2TokenizerFast

    spm_path = output_dir / "spm.model"
    # mDeBERTa's own pieces: [PAD]=0 [CLS]=1 [SEP]=2 [UNK]=3, [MASK] a user symbol.
    _train_sentencepiece(
        spm_path,
        texts,
        vocab_size,
        pad_id=0,
        pad_piece="[PAD]",
        bos_id=1,
        bos_piece="[CLS]",
        eos_id=2,
        eos_piece="[SEP]",
        unk_id=3,
        unk_piece="[UNK]",
        user_defined_symbols=["[MASK]"],
    )
    slow = DebertaV2Tokenizer(vocab_file=str(spm_path), model_max_length=max_length)
    fast = DebertaV2TokenizerFast(vocab_file=str(spm_path), model_max_length=max_length)
    _check_probes(fast)
    slow.save_pretrained(str(output_dir))
    fast.save_pretrained(str(output_dir))
    # mdeberta-v3-base's settings, at the tiny sizes.
    config = DebertaV2Config(
        vocab_size=len(fast),
        max_position_embeddings=max_length,
        type_vocab_size=0,
        relative_attention=True,
        position_buckets=256,
        max_relative_positions=-1,
        norm_rel_ebd="layer_norm",
        share_att_key=True,
        pos_att_type=["p2c", "c2p"],
        position_biased_input=False,
        pad_token_id=fast.pad_token_id,
        **sizes,
    )
    _save_model(DebertaV2Model, config, output_dir, seed, pooler=None)


def _build_mt5(
    output_dir: Path, texts: List[str], vocab_size: int, max_length: int, seed: int, **sizes: int
) -> None:
    from transformers import MT5Config, MT5Model, T5Tokenizer, T5TokenizerFast

    spm_path = output_dir / "spiece.model"
    # T5's ids: <pad>=0 </s>=1 <unk>=2, no start token.
    _train_sentencepiece(
        spm_path,
        texts,
        vocab_size,
        pad_id=0,
        pad_piece="<pad>",
        eos_id=1,
        eos_piece="</s>",
        unk_id=2,
        unk_piece="<unk>",
        bos_id=-1,
    )
    slow = T5Tokenizer(vocab_file=str(spm_path), extra_ids=0, model_max_length=max_length)
    fast = T5TokenizerFast(vocab_file=str(spm_path), extra_ids=0, model_max_length=max_length)
    _check_probes(fast)
    slow.save_pretrained(str(output_dir))
    fast.save_pretrained(str(output_dir))
    hidden = sizes["hidden_size"]
    heads = sizes["num_attention_heads"]
    config = MT5Config(
        vocab_size=len(fast),
        d_model=hidden,
        d_kv=hidden // heads,
        d_ff=sizes["intermediate_size"],
        num_layers=sizes["num_hidden_layers"],
        num_decoder_layers=1,
        num_heads=heads,
        feed_forward_proj="gated-gelu",
        tie_word_embeddings=False,
        pad_token_id=fast.pad_token_id,
        eos_token_id=fast.eos_token_id,
        decoder_start_token_id=fast.pad_token_id,
    )
    _save_model(MT5Model, config, output_dir, seed, pooler=None)


def _build_xlmr_xl(output_dir: Path, texts: List[str], **settings: int) -> None:
    _build_xlmr(output_dir, texts, xl=True, **settings)  # type: ignore[arg-type]


def _build_labse(output_dir: Path, texts: List[str], **settings: int) -> None:
    _build_bert(output_dir, texts, pooler=True, **settings)  # type: ignore[arg-type]


def _record_name(output_dir: Path, name_or_path: str) -> None:
    """The config's `_name_or_path`, as a model saved after loading it from the hub has it."""
    config_file = output_dir / "config.json"
    config = json.loads(config_file.read_text(encoding="utf-8"))
    config["_name_or_path"] = name_or_path
    config_file.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


_BUILDERS = {
    "xlmr": _build_xlmr,
    "bert": _build_bert,
    "mdeberta": _build_mdeberta,
    "xlmr-xl": _build_xlmr_xl,
    "mt5": _build_mt5,
    "labse": _build_labse,
    "e5": _build_xlmr,
}


def directory_digest(directory: Union[str, Path]) -> str:
    """SHA-256 over the names and contents of the files of a model directory."""
    digest = hashlib.sha256()
    for path in sorted(Path(directory).iterdir()):
        if path.is_file():
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def main(argv: Optional[Sequence[str]] = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("output_dir", type=Path)
    parser.add_argument("--style", choices=STYLES, required=True)
    parser.add_argument("--corpus", nargs="+", required=True, help="tab-separated text files")
    parser.add_argument("--vocab-size", type=int, default=600)
    parser.add_argument("--hidden-size", type=int, default=32)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=2)
    parser.add_argument("--intermediate-size", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--name-or-path", default="", help="a hub name to record in config.json")
    parser.add_argument(
        "--safetensors", action="store_true", help="write model.safetensors, not pytorch_model.bin"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    path = build_tiny_transformer(
        args.output_dir,
        args.style,
        read_corpus(args.corpus),
        vocab_size=args.vocab_size,
        hidden_size=args.hidden_size,
        num_hidden_layers=args.layers,
        num_attention_heads=args.heads,
        intermediate_size=args.intermediate_size,
        max_length=args.max_length,
        seed=args.seed,
        name_or_path=args.name_or_path,
        safetensors=args.safetensors,
    )
    print(f"{path} sha256={directory_digest(path)}")


if __name__ == "__main__":
    main()
