import pytest

import allennlp_robust_xlt  # noqa: F401 (registers the attack evaluators)
from allennlp_robust_xlt.common.attack_option import parse_attack_option
from allennlp_robust_xlt.common.errors import ParameterError


def test_no_attack_and_a_registered_attack_evaluator():
    assert parse_attack_option("cmd", None) is None
    attack = '{"type": "embedding_attack", "epsilon": 0.5}'
    assert parse_attack_option("cmd", attack) == {"type": "embedding_attack", "epsilon": 0.5}
    assert parse_attack_option("cmd", '{"type": "synonym_attack"}') == {"type": "synonym_attack"}


@pytest.mark.parametrize(
    "attack, problem",
    [
        ("{epsilon: 1}", "is not valid JSON"),
        ("[1, 2]", 'must be a JSON object with the evaluator\'s "type"'),
        ('{"epsilon": 1}', 'must be a JSON object with the evaluator\'s "type"'),
        ('{"type": "simple"}', "names 'simple', which is not an attack evaluator"),
        ('{"type": "no_such_evaluator"}', "which is not an attack evaluator"),
    ],
)
def test_bad_attacks_name_the_command_and_the_option(attack: str, problem: str):
    with pytest.raises(ParameterError, match=problem) as error:
        parse_attack_option("cmd", attack)
    assert error.value.component == "cmd" and error.value.parameter == "--attack"
