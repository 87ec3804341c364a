from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.tagging.dataset_readers.xtreme_tagging_reader import XtremeTaggingReader


@DatasetReader.register("xtreme_udpos")
class XtremeUdposReader(XtremeTaggingReader):
    """
    Registered as a `DatasetReader` with name "xtreme_udpos".

    Reads UD-POS sentences, each word tagged with one of the 17 universal part-of-speech tags
    (`udpos` in `allennlp_robust_xlt/tasks.libsonnet`). Accepted files:

    * XTREME's `udpos/{train,dev,test}-{lang}.tsv`: `word<TAB>UPOS` per line, a blank line between
      sentences; XTREME's own test files have the word only (readable for prediction, not
      scorable).
    * Universal Dependencies treebanks, `{lang}_{treebank}-ud-{split}.conllu`, converted as XTREME
      converts them (multi-word tokens replaced by their fused form, see
      `allennlp_robust_xlt/tagging/tools/ud_conversion.py`). Several treebanks of a language are
      read one after the other from a list of paths or a glob pattern, as XTREME concatenates
      them: `"ud-treebanks-v2.5/UD_English-*/en_*-ud-train.conllu"`.

    Parameters are those of `XtremeTaggingReader`: `token_indexers`, `label_namespace` (default
    `"labels"`) and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "udpos"
