from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_ROOT = PROJECT_ROOT / "tests" / "fixtures"
DATA_ROOT = FIXTURES_ROOT / "data"
XTREME_DATA = DATA_ROOT / "xtreme"
CONFIGS_ROOT = PROJECT_ROOT / "training_configs"
# The reference's neighbour table, beside the repository (or beside a worktree's parent).
SHARED_NEIGHBORS = next(
    (
        root / "shared" / "data" / "counterfitted_neighbors.json"
        for root in (PROJECT_ROOT.parent, PROJECT_ROOT.parent.parent)
        if (root / "shared" / "data" / "counterfitted_neighbors.json").is_file()
    ),
    PROJECT_ROOT.parent / "shared" / "data" / "counterfitted_neighbors.json",
)
