import pytest

from allennlp_robust_xlt.common.errors import ParameterError
from allennlp_robust_xlt.data.data_loaders import TemperatureSampler


class Sized:
    def __init__(self, size: int) -> None:
        self.size = size

    def __len__(self) -> int:
        return self.size


def test_proportions_follow_sizes_to_the_power_one_over_temperature():
    loaders = {"en": Sized(900), "de": Sized(100)}
    assert TemperatureSampler(1.0).get_task_proportions(loaders) == pytest.approx(
        {"en": 0.9, "de": 0.1}
    )
    # T = 2: sqrt(900) = 30 against sqrt(100) = 10.
    assert TemperatureSampler(2.0).get_task_proportions(loaders) == pytest.approx(
        {"en": 0.75, "de": 0.25}
    )
    uniform = TemperatureSampler(1e6).get_task_proportions(loaders)
    assert uniform["en"] == pytest.approx(0.5, abs=1e-4)
    given = TemperatureSampler(2.0, sizes={"en": 400, "de": 100}).get_task_proportions(loaders)
    assert given == pytest.approx({"en": 2 / 3, "de": 1 / 3})


def test_bad_parameters_name_themselves():
    with pytest.raises(ParameterError, match="'temperature' must be positive"):
        TemperatureSampler(0.0)
    with pytest.raises(ParameterError, match="'sizes' has no size for the datasets \\['de'\\]"):
        TemperatureSampler(1.0, sizes={"en": 1}).get_task_proportions(
            {"en": Sized(1), "de": Sized(1)}
        )
