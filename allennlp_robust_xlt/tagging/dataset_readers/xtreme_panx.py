from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.tagging.dataset_readers.xtreme_tagging_reader import XtremeTaggingReader


@DatasetReader.register("xtreme_panx")
class XtremePanxReader(XtremeTaggingReader):
    """
    Registered as a `DatasetReader` with name "xtreme_panx".

    Reads PAN-X (WikiANN) sentences with BIO named-entity tags (`panx` in
    `allennlp_robust_xlt/tasks.libsonnet`: `O`, `B-`/`I-` `PER`, `ORG`, `LOC`); a tag that is not
    BIO is an error naming the file and line. Accepted files:

    * XTREME's `panx/{train,dev,test}-{lang}.tsv`: `token<TAB>TAG` per line, a blank line between
      sentences; XTREME's own test files have the token only (readable for prediction, not
      scorable).
    * The PAN-X release's files (`train`, `dev`, `test` in `{lang}.tar.gz`, or `{lang}-{split}` as
      XTREME renames them): `lang:token<TAB>TAG`, read as XTREME's `panx_preprocess` reads them.

    Parameters are those of `XtremeTaggingReader`: `token_indexers`, `label_namespace` (default
    `"labels"`) and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "panx"
