from allennlp_robust_xlt.mc.dataset_readers.xtreme_multiple_choice_reader import (
    XtremeMultipleChoiceReader,
)
from allennlp_robust_xlt.mc.dataset_readers.xtreme_siqa import XtremeSiqaReader
from allennlp_robust_xlt.mc.dataset_readers.xtreme_xcopa import XtremeXcopaReader
