from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pair_reader import (
    XtremePairReader,
)


@DatasetReader.register("xtreme_pawsx")
class XtremePawsxReader(XtremePairReader):
    """
    Registered as a `DatasetReader` with name "xtreme_pawsx".

    Reads PAWS-X sentence pairs with the task table's labels (`pawsx` in
    `allennlp_robust_xlt/tasks.libsonnet`: `0`, not a paraphrase, and `1`, a paraphrase).
    `sentence1` and `sentence2` become the reader's premise and hypothesis. Accepted files,
    recognised by their header and name:

    * XTREME's `pawsx/{train,dev,test}-{lang}.tsv`: sentence1, sentence2, label; tab-separated,
      no header, no quoting. The language comes from the file name.
    * The PAWS-X release's `x-final/{lang}/{train,dev_2k,test_2k,translated_train}.tsv`
      (header `id sentence1 sentence2 label`); the language comes from the directory name.
    * JSON lines with `sentence1`/`sentence2` (or `premise`/`hypothesis`) and `label`.
    * The generalized setting: `{split}-{l1}-{l2}.tsv` (not a file) pairs the first sentences of
      `{split}-{l1}.tsv` with the second sentences of the parallel `{split}-{l2}.tsv`.

    Parameters are those of `XtremePairReader`: `tokenizer`, `token_indexers`, `max_length`
    (default 128), `combine_input_fields`, `skip_invalid_lines` (default false), `languages`
    (default all; codes of the task table's PAWS-X languages), `label_namespace` (default
    `labels`), and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "pawsx"
