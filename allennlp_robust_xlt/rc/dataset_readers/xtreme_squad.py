from allennlp.data.dataset_readers.dataset_reader import DatasetReader

from allennlp_robust_xlt.rc.dataset_readers.xtreme_qa_reader import XtremeQaReader


@DatasetReader.register("xtreme_squad")
class XtremeSQuADReader(XtremeQaReader):
    """
    Registered as a `DatasetReader` with name "xtreme_squad".

    The extractive QA reader of the task table's `squad` row: SQuAD v1.1,
    `squad/{train,dev}-v1.1.json` (English), the training reader of the QA configs.
    It reads the files of every QA task alike, languages and scoring from their names
    (`XtremeQaReader` has the windows, fields and parameters: `transformer_model_name`,
    `max_length`, `doc_stride`, `max_query_length`, `tokenizer_kwargs`, `language`); the name
    tells `xtreme-report` which task a model archive was trained for.
    """

    task_key = "squad"
