"""
`SpectralHead`: spectral normalisation of a model's head (R4F, Aghajanyan et al. 2021), in a
form whose archives load into the plain model. Nothing here is registered.

The head is every `torch.nn.Linear` of the model outside its transformers (outside any
`transformers.PreTrainedModel`): the pair classifier's feedforward and classification layer, the
tagger's tag projection, the QA span layer, the multiple-choice scorer.

`torch.nn.utils.spectral_norm` renames a layer's `weight` to `weight_orig` (plus `weight_u` and
`weight_v`), so a model trained with it saves weights that the plain model, which `allennlp
predict` and `evaluate` build from the archive's config, cannot load. Here instead:

* the layer keeps its parameter `weight` (`W`, trained as usual), and a forward hook turns its
  output `x W^T + b` into `x (W / sigma)^T + b`, where `sigma = u^T W v` estimates the largest
  singular value of `W` by one power iteration per training pass (as `spectral_norm` does; `u`
  and `v` without gradient, so the gradient flows through `sigma` into `W`);
* the layer's `state_dict` (hence every checkpoint and `best.th`) holds `W / sigma` as
  `weight`: the plain layer computes the normalised layer's function, so the archive loads and
  predicts without this code. Loading such a state back into the hooked model keeps the
  function (`W / sigma` has spectral norm 1); only its scale differs from the raw `W`.

The power-iteration vectors are kept here (`state_dict`), not in the model.
"""

from typing import Any, Dict, List, Optional

import torch
from torch.utils.hooks import RemovableHandle


def head_layers(model: torch.nn.Module) -> Dict[str, torch.nn.Linear]:
    """The model's `Linear` layers outside its transformers, by name."""
    from transformers import PreTrainedModel

    inside = [name for name, module in model.named_modules() if isinstance(module, PreTrainedModel)]
    return {
        name: module
        for name, module in model.named_modules()
        if isinstance(module, torch.nn.Linear)
        and not any(name == prefix or name.startswith(prefix + ".") for prefix in inside)
    }


def _normalize(vector: torch.Tensor) -> torch.Tensor:
    return vector / vector.norm().clamp_min(1e-12)


class SpectralHead:
    """Spectral normalisation of `model`'s head layers while `attach`ed (see the module doc)."""

    def __init__(self) -> None:
        self.vectors: Dict[str, torch.Tensor] = {}
        self._handles: List[RemovableHandle] = []
        self._model: Optional[torch.nn.Module] = None

    @property
    def attached(self) -> bool:
        return self._model is not None

    def attach(self, model: torch.nn.Module) -> List[str]:
        """Hooks the head layers of `model` (once); returns their names."""
        if self._model is model:
            return list(self.vectors)
        self.detach()
        layers = head_layers(model)
        for name, layer in layers.items():
            if name not in self.vectors:
                rows = layer.weight.size(0)
                self.vectors[name] = torch.full((rows,), rows**-0.5, device=layer.weight.device)
            self._handles.append(layer.register_forward_hook(self._forward_hook(name)))
            self._handles.append(layer._register_state_dict_hook(self._state_dict_hook(name)))
        self._model = model
        return list(layers)

    def detach(self) -> None:
        for handle in self._handles:
            handle.remove()
        self._handles = []
        self._model = None

    def sigma(self, name: str, layer: torch.nn.Linear, iterate: bool) -> torch.Tensor:
        """`u^T W v`, after one power iteration on `u` when `iterate`."""
        weight = layer.weight
        with torch.no_grad():
            u = self.vectors[name].to(device=weight.device, dtype=weight.dtype)
            v = _normalize(weight.t() @ u)
            if iterate:
                u = _normalize(weight @ v)
                v = _normalize(weight.t() @ u)
                self.vectors[name] = u
        return torch.dot(u, weight @ v)

    def _forward_hook(self, name: str) -> Any:
        def hook(layer: torch.nn.Linear, inputs: Any, output: torch.Tensor) -> torch.Tensor:
            sigma = self.sigma(name, layer, iterate=layer.training and torch.is_grad_enabled())
            if layer.bias is None:
                return output / sigma
            return (output - layer.bias) / sigma + layer.bias

        return hook

    def _state_dict_hook(self, name: str) -> Any:
        def hook(layer: torch.nn.Linear, state: Dict[str, Any], prefix: str, meta: Any) -> None:
            key = prefix + "weight"
            if key in state:
                state[key] = (layer.weight / self.sigma(name, layer, iterate=False)).detach()

        return hook

    def state_dict(self) -> Dict[str, torch.Tensor]:
        return {name: vector.detach().cpu() for name, vector in self.vectors.items()}

    def load_state_dict(self, state: Dict[str, torch.Tensor]) -> None:
        self.vectors.update({name: vector.clone() for name, vector in state.items()})
