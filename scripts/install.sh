#!/usr/bin/env bash
# Creates a stack's virtual environment with the Python named in .python-version and installs
# exactly the versions of the stack's constraints file (its single source of versions):
#
#   bash scripts/install.sh .venv constraints.txt                 # `make install`
#   bash scripts/install.sh .venv-pinned constraints-pinned.txt   # `make install STACK=pinned`
#
# Every pin of the file is installed with --no-deps (the file is a complete `pip freeze`, see
# scripts/freeze_constraints.sh), then this package, editable and also with --no-deps: no resolver
# chooses any version, torch least of all, so allennlp and allennlp-models get torch 2.1.2 on the
# default stack although they declare torch<1.13. `pip check` must then report exactly the lines
# that the file's header accepts (none on the pinned stack), and every pin must be installed at
# its version. Running it again on an existing venv only changes what the file changed.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stack_lib.sh
venv="${1:-.venv}"
constraints="${2:-constraints.txt}"
want="$(cat .python-version)"
[ -f "$constraints" ] || { echo "install: $constraints not found" >&2; exit 1; }

if [ -x "$venv/bin/python" ] && ! python_matches "$venv/bin/python"; then
    echo "install: $venv uses another Python than ${want}; remove it with 'make clean-venv' first" >&2
    exit 1
fi
if [ ! -x "$venv/bin/python" ]; then
    python="$(find_python)" || { echo "install: cannot create $venv" >&2; exit 1; }
    echo "install: creating $venv with $python"
    "$python" -m venv "$venv"
fi
venv_pip "$venv" install --quiet -c "$constraints" --upgrade pip setuptools wheel
# The build tools just installed (pinned too) build the few packages that come as sources.
venv_pip "$venv" install --quiet --no-deps --no-build-isolation -r <(stack_pins "$constraints")
venv_pip "$venv" install --quiet --no-deps --no-build-isolation -e .
check_versions "$venv" "$constraints"
check_requirements "$venv" "$constraints"
# allennlp loads allennlp_models on every command, and one of its modules calls nltk.download("punkt")
# unless NLTK can find tokenizers/punkt. Offline that prints download errors (or waits on the network).
# Our code never uses punkt, so mark it present inside the venv; remove the folder and run
# nltk.download("punkt") if you need allennlp_models' NarrativeQA metrics.
nltk_marker="$venv/nltk_data/tokenizers/punkt"
if [ ! -e "$nltk_marker" ]; then
    mkdir -p "$nltk_marker"
    echo "Placeholder made by allennlp-robust-xlt's scripts/install.sh, see that script." > "$nltk_marker/README"
fi
echo "install: done in $venv ($("$venv/bin/python" -c 'import allennlp.version as v, torch, transformers; print(f"allennlp {v.VERSION}, torch {torch.__version__}, transformers {transformers.__version__}")'))"
