from allennlp_robust_xlt.commands.download_xtreme import DownloadXtreme  # noqa: F401
from allennlp_robust_xlt.commands.xtreme_report import XtremeReport  # noqa: F401
from allennlp_robust_xlt.commands.build_neighbors import BuildNeighbors  # noqa: F401
from allennlp_robust_xlt.commands.xtreme_compare import XtremeCompare  # noqa: F401
from allennlp_robust_xlt.commands.xtreme_retrieval import XtremeRetrieval  # noqa: F401
from allennlp_robust_xlt.commands.xtreme_alignment import XtremeAlignment  # noqa: F401
from allennlp_robust_xlt.commands.average_checkpoints import AverageCheckpoints  # noqa: F401
from allennlp_robust_xlt.commands.export_transformer import ExportTransformer  # noqa: F401
