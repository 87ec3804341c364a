"""The `--attack` option of `xtreme-report` and `xtreme-alignment`: an attack evaluator's JSON."""

import json
from typing import Any, Dict, Optional

from allennlp_robust_xlt.common.errors import ParameterError

OPTION = "--attack"


def parse_attack_option(command: str, attack: Optional[str]) -> Optional[Dict[str, Any]]:
    """
    None for no `--attack`; else its JSON object, which must name a registered attack evaluator
    (`embedding_attack`, `synonym_attack`) in `type`. The evaluator's own parameters are checked
    when it is built.
    """
    if attack is None:
        return None
    from allennlp.evaluation import Evaluator

    from allennlp_robust_xlt.evaluation.attack_evaluation import AttackEvaluator

    try:
        params = json.loads(attack)
    except json.JSONDecodeError as error:
        raise ParameterError(command, OPTION, f"is not valid JSON: {error.msg}") from None
    if not isinstance(params, dict) or "type" not in params:
        raise ParameterError(
            command,
            OPTION,
            'must be a JSON object with the evaluator\'s "type" (e.g. {"type":'
            ' "embedding_attack", "epsilon": 0.5}), got ' + attack,
        )
    registered = Evaluator.list_available()
    evaluator = Evaluator.by_name(params["type"]) if params["type"] in registered else None
    if evaluator is None or not issubclass(evaluator, AttackEvaluator):  # type: ignore[arg-type]
        raise ParameterError(
            command,
            OPTION,
            f"names {params['type']!r}, which is not an attack evaluator (embedding_attack,"
            " synonym_attack)",
        )
    return params
