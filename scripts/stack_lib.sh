# Shell functions shared by scripts/install.sh and scripts/freeze_constraints.sh (sourced, not run).
#
# A stack is one constraints file: every package of the environment pinned with ==, read as a
# requirements list and installed with --no-deps (so no resolver ever picks a version, torch least
# of all), plus, in its header, the exact `pip check` lines that the stack accepts on purpose:
#   # pip check accepts: allennlp 2.10.1 has requirement torch<1.13.0,>=1.10.0, but you have torch 2.1.2.

# The Python named in .python-version (pyenv's, then pythonX.Y, then python3), or nothing.
find_python() {
    local want candidate
    want="$(cat .python-version)"
    for candidate in \
        "$(command -v pyenv >/dev/null 2>&1 && pyenv root 2>/dev/null)/versions/${want}/bin/python" \
        "$(command -v "python${want%.*}" 2>/dev/null || true)" \
        "$(command -v python3 2>/dev/null || true)"; do
        if [ -x "$candidate" ] && python_matches "$candidate"; then
            echo "$candidate"
            return 0
        fi
    done
    echo "Python ${want%.*} not found (tried pyenv ${want}, python${want%.*}, python3). Install it, e.g. 'pyenv install ${want}'." >&2
    return 1
}

# Whether the interpreter $1 has the major.minor version of .python-version.
python_matches() {
    local want
    want="$(cat .python-version)"
    "$1" -c "import sys; sys.exit(sys.version_info[:2] != tuple(map(int, '${want}'.split('.')[:2])))"
}

# pip of the venv $1, quiet about its own version and about index folders of a pip.conf that do not
# hold the package asked for ("Location 'file:///...' is ignored": harmless, one per package).
venv_pip() {
    local venv="$1"
    shift
    "$venv/bin/python" -m pip --disable-pip-version-check "$@" \
        2> >(grep -v "^WARNING: Location 'file://.*' is ignored: it is neither a file nor a directory\.$" >&2)
}

# The `==` pins of constraints file $1 (no comments, no blank lines), one per line.
stack_pins() {
    sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$1" | grep -v '^$'
}

# Compares `pip check` in venv $1 with the lines constraints file $2 accepts: fails, listing them,
# on any other line and on any accepted line that no longer occurs (the stack is not what it says).
check_requirements() {
    local venv="$1" constraints="$2" accepted actual unexpected missing
    accepted="$(sed -n 's/^# pip check accepts: //p' "$constraints" | sort -u)"
    actual="$(venv_pip "$venv" check 2>&1 | grep -v '^No broken requirements found\.$' | sort -u || true)"
    unexpected="$(comm -13 <(echo "$accepted") <(echo "$actual") | grep -v '^$' || true)"
    missing="$(comm -23 <(echo "$accepted") <(echo "$actual") | grep -v '^$' || true)"
    if [ -n "$unexpected" ] || [ -n "$missing" ]; then
        [ -z "$unexpected" ] || printf 'pip check: not accepted by %s:\n%s\n' "$constraints" "$unexpected" >&2
        [ -z "$missing" ] || printf 'pip check: accepted by %s but not found (update its header):\n%s\n' "$constraints" "$missing" >&2
        return 1
    fi
    if [ -n "$accepted" ]; then
        echo "pip check: only the $(echo "$accepted" | wc -l) mismatches that $constraints accepts on purpose"
    else
        echo "pip check: no broken requirements"
    fi
}

# Fails unless every pin of constraints file $2 is installed in venv $1 at exactly that version;
# warns about installed packages the file does not pin (e.g. installed by hand).
check_versions() {
    local venv="$1" constraints="$2" wanted installed
    normalize() { awk -F'==' '{ name = tolower($1); gsub(/[-_.]+/, "-", name); print name "==" $2 }' | sort -u; }
    wanted="$(stack_pins "$constraints" | normalize)"
    installed="$(venv_pip "$venv" freeze --all --exclude-editable | grep -v '^#' | normalize)"
    local differ
    differ="$(comm -23 <(echo "$wanted") <(echo "$installed"))"
    if [ -n "$differ" ]; then
        printf 'install: these pins of %s are not what %s has:\n%s\n' "$constraints" "$venv" "$differ" >&2
        return 1
    fi
    local extra
    extra="$(comm -13 <(echo "$wanted" | sed 's/==.*//') <(echo "$installed" | sed 's/==.*//') | grep -v '^$' || true)"
    if [ -n "$extra" ]; then
        echo "install: note: $venv also has packages $constraints does not pin: $(echo $extra)" >&2
    fi
}
