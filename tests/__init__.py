from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURES_ROOT = PROJECT_ROOT / "tests" / "fixtures"
DATA_ROOT = FIXTURES_ROOT / "data"
XTREME_DATA = DATA_ROOT / "xtreme"
CONFIGS_ROOT = PROJECT_ROOT / "training_configs"
# A subset of the reference's counter-fitted English neighbour table, with its attribution beside
# it (tests/fixtures/neighbors/README.md); users download the full table (XLT_NEIGHBORS).
COUNTERFITTED_NEIGHBORS = FIXTURES_ROOT / "neighbors" / "counterfitted_neighbors_subset.json"
