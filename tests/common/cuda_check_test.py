"""
The CUDA start-up check, on simulated devices: `torch.cuda`'s device count, capability, name and
arch list are replaced with `unittest.mock` (no GPU is needed), so without the check the commands
below would go on to move the model to a GPU that is not there.
"""

import argparse
import importlib
import json
from contextlib import contextmanager
from typing import Iterator, Optional, Sequence, Tuple
from unittest import mock

import pytest
import torch
from allennlp.commands.train import train_model
from allennlp.common import Params
from allennlp.common import checks
from allennlp.evaluation import Evaluator
from allennlp.models.model import Model

import allennlp_robust_xlt  # noqa: F401  (installs the check)
from allennlp_robust_xlt.common.cuda_check import (
    STACKS,
    check_cuda_device,
    install_cuda_check,
    runs_on,
)
from allennlp_robust_xlt.common.errors import RobustXltError
from tests import CONFIGS_ROOT

DEFAULT_ARCHS = STACKS[0][3]
PINNED_ARCHS = STACKS[1][3]


@contextmanager
def simulated_gpus(
    capabilities: Sequence[Tuple[int, int]],
    arch_list: Sequence[str],
    cuda: Optional[str] = "12.1",
    name: str = "NVIDIA H100 80GB HBM3",
) -> Iterator[None]:
    """torch.cuda as on a machine with one GPU of each capability and a torch built for arch_list."""
    with (
        mock.patch("torch.cuda.device_count", return_value=len(capabilities)),
        mock.patch(
            "torch.cuda.get_device_capability", side_effect=lambda index: capabilities[index]
        ),
        mock.patch("torch.cuda.get_device_name", return_value=name),
        mock.patch("torch.cuda.get_arch_list", return_value=list(arch_list)),
        mock.patch("torch.version.cuda", cuda),
    ):
        yield


def test_sm_cubins_run_on_later_minor_versions_of_their_major_only():
    assert runs_on((7, 5), PINNED_ARCHS)  # T4: sm_70 kernels
    assert runs_on((6, 1), PINNED_ARCHS)  # P40: sm_60 kernels
    assert runs_on((3, 7), PINNED_ARCHS)  # K80
    assert not runs_on((8, 0), PINNED_ARCHS)  # A100
    assert not runs_on((9, 0), PINNED_ARCHS)  # H100, H200
    assert not runs_on((3, 5), PINNED_ARCHS)
    assert runs_on((8, 9), DEFAULT_ARCHS)  # L4, RTX 4090: sm_86 kernels
    assert runs_on((9, 0), DEFAULT_ARCHS)
    assert not runs_on((3, 7), DEFAULT_ARCHS)
    assert not runs_on((10, 0), DEFAULT_ARCHS)  # B200
    assert not runs_on((8, 0), ["sm_86"])  # a later minor version's cubin does not run


def test_ptx_runs_on_every_later_capability_and_arch_specific_entries_on_their_own():
    assert runs_on((10, 0), ["sm_80", "compute_80"])
    assert runs_on((8, 6), ["compute_80"])
    assert not runs_on((7, 5), ["compute_80"])
    assert runs_on((9, 0), ["sm_90a"])
    assert not runs_on((10, 0), ["sm_90a", "compute_90a"])
    assert runs_on((12, 0), ["sm_120"])
    assert not runs_on((12, 0), ["sm_100"])
    assert runs_on((9, 0), ["gfx90a", "gfx942"])  # ROCm names are not judged


@pytest.mark.parametrize("device", [-1, None, torch.device("cpu"), "cpu", [-1]])
def test_cpu_never_touches_cuda(device):
    with mock.patch("torch.cuda.device_count", side_effect=AssertionError("CUDA touched")):
        check_cuda_device(device)


def test_unsupported_gpu_names_device_capability_and_stack():
    with simulated_gpus([(9, 0)], PINNED_ARCHS, cuda="10.2"):
        with pytest.raises(RobustXltError) as error:
            check_cuda_device(0)
    message = str(error.value)
    assert "\n" not in message
    assert "CUDA device 0 (NVIDIA H100 80GB HBM3) has compute capability 9.0 (sm_90)" in message
    assert "built for sm_37 sm_50 sm_60 sm_70" in message
    assert "install the default stack ('make install', torch 2.1.2+cu121)" in message
    assert "STACK=pinned" not in message
    assert "cuda_device -1" in message


def test_supported_gpus_pass():
    with simulated_gpus([(8, 0), (9, 0)], DEFAULT_ARCHS):
        check_cuda_device(0)
        check_cuda_device([0, 1])
        check_cuda_device(torch.device("cuda", 1))
        check_cuda_device(torch.device("cuda"))
        check_cuda_device("cuda:1")
    with simulated_gpus([(7, 5)], PINNED_ARCHS, cuda="10.2"):
        check_cuda_device(0)


def test_stack_advice_follows_the_capability():
    with simulated_gpus([(3, 7)], DEFAULT_ARCHS, name="Tesla K80"):
        with pytest.raises(RobustXltError, match=r"install the pinned stack \('make install STACK"):
            check_cuda_device(0)
    with simulated_gpus([(10, 0)], DEFAULT_ARCHS, name="NVIDIA B200"):
        with pytest.raises(RobustXltError, match="no tested stack has kernels for it") as error:
            check_cuda_device(0)
    assert "default: sm_50 to sm_90; pinned: sm_37 to sm_70" in str(error.value)


def test_each_device_of_a_list_is_checked():
    with simulated_gpus([(9, 0), (7, 0)], PINNED_ARCHS, cuda="10.2"):
        check_cuda_device(1)
        with pytest.raises(RobustXltError, match="CUDA device 0 "):
            check_cuda_device([1, 0])
        with pytest.raises(RobustXltError, match="CUDA device 0 "):
            check_cuda_device("cuda:0")


def test_no_cuda_device_says_why():
    with simulated_gpus([], DEFAULT_ARCHS, cuda=None):
        with pytest.raises(RobustXltError, match="is built without CUDA: install the default"):
            check_cuda_device(0)
    with simulated_gpus([], DEFAULT_ARCHS, cuda="12.1"):
        with pytest.raises(RobustXltError) as error:
            check_cuda_device(0)
    assert "finds no CUDA device" in str(error.value)
    assert "driver supports CUDA 12.1" in str(error.value)
    with simulated_gpus([(8, 0)], DEFAULT_ARCHS):
        with pytest.raises(RobustXltError, match=r"device 2 was asked for, but there are only 1"):
            check_cuda_device([0, 2])


CHECKING_MODULES = [
    "allennlp.training.trainer",
    "allennlp.training.gradient_descent_trainer",
    "allennlp.training.util",
    "allennlp.evaluation.evaluator",
    "allennlp.commands.train",
    "allennlp.commands.predict",
    "allennlp.commands.find_learning_rate",
]


def test_every_allennlp_reference_to_check_for_gpu_is_checked():
    checked = checks.check_for_gpu
    install_cuda_check()  # idempotent: the same wrapper stays
    assert checks.check_for_gpu is checked
    assert checked.__wrapped__.__module__ == "allennlp.common.checks"
    for name in CHECKING_MODULES:
        assert importlib.import_module(name).check_for_gpu is checked, name
    with simulated_gpus([(9, 0)], PINNED_ARCHS, cuda="10.2"):
        with pytest.raises(RobustXltError, match="sm_90"):
            checked(0)


def test_training_stops_before_moving_the_model(tmp_path):
    """AllenNLP picks GPU 0 by itself when there is one; the check runs before `model.cuda()`."""
    params = Params.from_file(
        str(CONFIGS_ROOT / "xnli_baseline.jsonnet"),
        json.dumps({"trainer.num_epochs": 1, "data_loader.batch_sampler.batch_size": 8}),
    )
    assert "cuda_device" not in params["trainer"]
    with simulated_gpus([(8, 0)], PINNED_ARCHS, cuda="10.2", name="NVIDIA A100-SXM4-40GB"):
        with pytest.raises(RobustXltError, match=r"CUDA device 0 \(NVIDIA A100-SXM4-40GB\)"):
            train_model(params, tmp_path / "run")


def test_evaluation_and_archive_loading_are_checked(tmp_path):
    evaluator = Evaluator.from_params(Params({"cuda_device": 0}))
    with simulated_gpus([(9, 0)], PINNED_ARCHS, cuda="10.2"):
        with pytest.raises(RobustXltError, match="sm_90"):
            evaluator(model=None, data_loader=None)
        # load_archive moves the weights with Model.load before any evaluator runs.
        with pytest.raises(RobustXltError, match="sm_90"):
            Model.load(Params({}), tmp_path, cuda_device=0)
        with pytest.raises(RobustXltError, match="sm_90"):
            Model.load(Params({}), tmp_path, None, 0)


def test_predict_is_checked_before_loading_the_archive(tmp_path):
    from allennlp.commands.predict import _get_predictor

    args = argparse.Namespace(cuda_device=0, archive_file=str(tmp_path / "missing.tar.gz"))
    with simulated_gpus([(9, 0)], PINNED_ARCHS, cuda="10.2"):
        with pytest.raises(RobustXltError, match="sm_90"):
            _get_predictor(args)
