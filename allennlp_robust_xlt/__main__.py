"""
`python -m allennlp_robust_xlt COMMAND ...`: AllenNLP's own command line with this plugin loaded.

AllenNLP looks up a subcommand's name before it imports `--include-package` packages, so the
plugin's subcommands (`xtreme-report`, `download-xtreme`, `build-neighbors`, ...) are found by a
plain `allennlp` only where a `.allennlp_plugins` file (or `~/.allennlp/plugins`) names the
plugin. This entry point works from any directory, for every command (`train`, `evaluate`, ...),
and, when allennlp-optuna is installed, for its `tune`, `best-params` and `retrain`.
"""

from allennlp.commands import main

import allennlp_robust_xlt  # noqa: F401  (registers the plugin's components and subcommands)

try:  # allennlp-optuna's subcommands (`tune`, ...), if it is installed
    import allennlp_optuna  # noqa: F401
except ImportError:
    pass


def run() -> None:
    main(prog="python -m allennlp_robust_xlt")


if __name__ == "__main__":
    run()
