"""
A start-up check of the CUDA device a command is asked to run on.

A torch wheel holds GPU kernels for a fixed list of compute capabilities
(`torch.cuda.get_arch_list()`): torch 1.12.1 from PyPI (the pinned stack) for sm_37 to sm_70, so
an A100 (sm_80) or H100 (sm_90) fails with "no kernel image is available for execution on the
device" at the first batch, after the data were read and the model built. `check_cuda_device`
says so at once, in one line naming the device, its capability and the stack to install
(`RobustXltError`). It also replaces AllenNLP's message when no CUDA device is found at all (it
says whether torch was built without CUDA) or the device index is out of range.

`install_cuda_check` (run when the plugin is imported) puts the check in front of AllenNLP's own
device check, `allennlp.common.checks.check_for_gpu`, which AllenNLP 2.10.1 calls wherever it
validates a device: the trainer (`cuda_device`, also when it picks GPU 0 by itself), the
evaluator (`allennlp evaluate`, our `xtreme-report`), `allennlp predict`, distributed
`cuda_devices` and `find-learning-rate`. AllenNLP's modules import that function by name, so it is
rebound in every loaded module that holds it (and later imports get the checked one). Loading an
archive onto a GPU (`Model.load`, used by `load_archive`) moves the weights before any of those
checks run, so `Model.load` is wrapped too.
"""

import functools
import inspect
import re
import sys
from typing import Callable, List, Optional, Sequence, Tuple, Union

import torch

from allennlp_robust_xlt.common.errors import RobustXltError

# The tested stacks (constraints.txt, constraints-pinned.txt): name, install command, torch, and the
# `torch.cuda.get_arch_list()` of its PyPI wheel (printed by torch._C._cuda_getArchFlags() on any
# machine). Keep in step with those files; the error recommends the stacks that fit the device.
STACKS: Sequence[Tuple[str, str, str, Sequence[str]]] = (
    (
        "default",
        "make install",
        "torch 2.1.2+cu121",
        ("sm_50", "sm_60", "sm_70", "sm_75", "sm_80", "sm_86", "sm_90"),
    ),
    (
        "pinned",
        "make install STACK=pinned",
        "torch 1.12.1+cu102",
        ("sm_37", "sm_50", "sm_60", "sm_70"),
    ),
)

_ARCH = re.compile(r"^(sm|compute)_(\d+)(\d)([a-z]?)$")
_CHECKED = "_robust_xlt_cuda_checked"

Device = Union[int, str, torch.device, None, List[Union[int, str, torch.device]]]


def runs_on(capability: Tuple[int, int], arch_list: Sequence[str]) -> bool:
    """
    Whether a build with `arch_list` (entries as `torch.cuda.get_arch_list()`) runs on a GPU of
    compute `capability` (major, minor). A `sm_XY` cubin runs on X.Y and on later minor versions
    of the same major (X.Z, Z >= Y); a `compute_XY` PTX entry is compiled by the driver for any
    later capability; an arch-specific `sm_XYa` (or `compute_XYa`) runs on X.Y alone. Entries of
    other kinds (a ROCm build's gfx names) are not judged: with none of the above, it is True.
    """
    parsed = [_ARCH.match(arch) for arch in arch_list]
    entries = [(m.group(1), int(m.group(2)), int(m.group(3)), m.group(4)) for m in parsed if m]
    if not entries:
        return True
    major, minor = capability
    for kind, arch_major, arch_minor, suffix in entries:
        if suffix == "a":
            if (arch_major, arch_minor) == (major, minor):
                return True
        elif kind == "sm":
            if arch_major == major and arch_minor <= minor:
                return True
        elif (arch_major, arch_minor) <= (major, minor):
            return True
    return False


def _cpu_fallback() -> str:
    return "or run on the CPU (cuda_device -1: 'trainer.cuda_device' or --cuda-device)"


def _device_indices(device: Device) -> List[int]:
    """The CUDA device indices that `device` (an int, "cuda:1", a torch.device or a list) asks for."""
    if device is None:
        return []
    if isinstance(device, (list, tuple)):
        return [index for single in device for index in _device_indices(single)]
    if isinstance(device, str):
        device = torch.device(device)
    if isinstance(device, torch.device):
        if device.type != "cuda":
            return []
        return [0 if device.index is None else device.index]
    return [device] if device >= 0 else []


def _stack_advice(capability: Tuple[int, int]) -> str:
    fitting = [
        f"the {name} stack ('{command}', {torch_build})"
        for name, command, torch_build, arch_list in STACKS
        if runs_on(capability, arch_list)
    ]
    if fitting:
        return "install " + " or ".join(fitting)
    ranges = "; ".join(
        f"{name}: {arch_list[0]} to {arch_list[-1]}" for name, _, _, arch_list in STACKS
    )
    return f"no tested stack has kernels for it ({ranges})"


def check_cuda_device(device: Device) -> None:
    """
    Raises `RobustXltError` (one line) unless every CUDA device that `device` asks for exists and
    has a compute capability this torch has kernels for. CPU devices (-1, None, "cpu") pass
    without touching CUDA.
    """
    indices = _device_indices(device)
    if not indices:
        return
    count = torch.cuda.device_count()
    build = f"torch {torch.__version__}"
    if count == 0:
        if torch.version.cuda is None and getattr(torch.version, "hip", None) is None:
            raise RobustXltError(
                f"CUDA device {indices[0]} was asked for, but {build} is built without CUDA: "
                f"install the {STACKS[0][0]} stack ('{STACKS[0][1]}', {STACKS[0][2]}), "
                f"{_cpu_fallback()}"
            )
        raise RobustXltError(
            f"CUDA device {indices[0]} was asked for, but {build} finds no CUDA device: check "
            f"nvidia-smi, CUDA_VISIBLE_DEVICES and that the NVIDIA driver supports CUDA "
            f"{torch.version.cuda}, {_cpu_fallback()}"
        )
    for index in indices:
        if index >= count:
            raise RobustXltError(
                f"CUDA device {index} was asked for, but there are only {count} "
                f"(0 to {count - 1})"
            )
    if torch.version.cuda is None:  # ROCm: no sm_XY list to judge
        return
    arch_list = torch.cuda.get_arch_list()
    for index in indices:
        capability = tuple(torch.cuda.get_device_capability(index))
        if not runs_on(capability, arch_list):
            major, minor = capability
            raise RobustXltError(
                f"CUDA device {index} ({torch.cuda.get_device_name(index)}) has compute "
                f"capability {major}.{minor} (sm_{major}{minor}), which {build} has no kernels "
                f"for (built for {' '.join(arch_list)}): {_stack_advice(capability)}, "
                f"{_cpu_fallback()}"
            )


def _checked_check_for_gpu(original: Callable[[Device], None]) -> Callable[[Device], None]:
    @functools.wraps(original)
    def check_for_gpu(device: Device) -> None:
        check_cuda_device(device)
        original(device)

    setattr(check_for_gpu, _CHECKED, True)
    return check_for_gpu


def _checked_model_load(original: Callable) -> Callable:
    signature = inspect.signature(original)

    @functools.wraps(original)
    def load(cls, *args, **kwargs):  # type: ignore[no-untyped-def]
        arguments = signature.bind(cls, *args, **kwargs).arguments
        check_cuda_device(arguments.get("cuda_device", -1))
        return original(cls, *args, **kwargs)

    setattr(load, _CHECKED, True)
    return load


def install_cuda_check() -> None:
    """
    Puts `check_cuda_device` in front of AllenNLP's `check_for_gpu` (in `allennlp.common.checks`
    and in every loaded module that imported it by name) and of `Model.load`. Idempotent.
    """
    from allennlp.common import checks
    from allennlp.models.model import Model

    original: Optional[Callable] = checks.check_for_gpu
    if not getattr(original, _CHECKED, False):
        checked = _checked_check_for_gpu(original)
        for module in list(sys.modules.values()):
            if getattr(module, "__dict__", {}).get("check_for_gpu") is original:
                module.check_for_gpu = checked  # type: ignore[attr-defined]
        checks.check_for_gpu = checked
    if not getattr(Model.load, _CHECKED, False):
        Model.load = classmethod(_checked_model_load(Model.load.__func__))  # type: ignore
