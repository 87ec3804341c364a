from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.tagging.dataset_readers.xtreme_tagging_reader import XtremeTaggingReader


@DatasetReader.register("masakhaner")
class MasakhanerReader(XtremeTaggingReader):
    """
    Registered as a `DatasetReader` with name "masakhaner".

    Reads MasakhaNER 2.0's sentences (`masakhaner` in `allennlp_robust_xlt/tasks.libsonnet`) for
    zero-shot transfer from PAN-X English: the release's `{lang}/{train,dev,test}.txt` (one
    `word TAG` per line, a blank line between sentences; the language is the directory), and
    PAN-X's files in XTREME's layout (`panx/{train,dev}-en.tsv`, which the `masakhaner_*`
    configs train and select on). The tags are PAN-X's BIO tags over PER, ORG and LOC;
    MasakhaNER's `B-DATE` and `I-DATE` are read as `O` (the task table's `label_aliases`), since
    a PAN-X model has no DATE tag: DATE entities are neither credited nor required. Any other
    tag is an error naming the file and line.

    Parameters are those of `XtremeTaggingReader`: `token_indexers`, `label_namespace` (default
    `"labels"`) and the usual `DatasetReader` ones such as `max_instances`.
    """

    task_key = "masakhaner"
