from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.pair_classification.dataset_readers.xtreme_pair_reader import (
    XtremePairReader,
)


@DatasetReader.register("xtreme_xnli")
class XtremeXnliReader(XtremePairReader):
    """
    Registered as a `DatasetReader` with name "xtreme_xnli".

    Reads XNLI premise/hypothesis pairs with the task table's labels (`xnli` in
    `allennlp_robust_xlt/tasks.libsonnet`; `contradictory`, as spelled in MultiNLI-derived files,
    is read as `contradiction`). Accepted files, recognised by their header and name:

    * XTREME's `xnli/{train,dev,test}-{lang}.tsv`: premise, hypothesis, label; tab-separated,
      no header, no quoting. The language comes from the file name.
    * XNLI-1.0's `xnli.dev.tsv` / `xnli.test.tsv`: every language in one file, with a header;
      the `language`, `gold_label`, `sentence1` and `sentence2` columns are read. Choose
      languages with the `languages` parameter.
    * XNLI-MT-1.0's `multinli/multinli.train.{lang}.tsv` (header `premise hypo label`).
    * JSON lines with `premise`/`hypothesis` (or `sentence1`/`sentence2`) and `label`
      (or `gold_label`), and optionally `language`.
    * The generalized setting: `{split}-{l1}-{l2}.tsv` (not a file) pairs the first sentences of
      `{split}-{l1}.tsv` with the second sentences of the parallel `{split}-{l2}.tsv`.

    Parameters are those of `XtremePairReader`: `tokenizer`, `token_indexers`, `max_length`
    (default 128), `combine_input_fields`, `skip_invalid_lines` (default false), `languages`
    (default all; codes of the task table's XNLI languages), `label_namespace` (default
    `labels`), and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "xnli"
