from pathlib import Path

import torch

from allennlp_robust_xlt.nn.spectral_head import SpectralHead, head_layers
from tests.training.callbacks.helpers import build_model, vocabulary, xnli_instances


def test_the_head_is_every_linear_layer_outside_the_transformer(tiny_xlmr: Path):
    instances = xnli_instances(tiny_xlmr, 4)
    model = build_model(tiny_xlmr, vocabulary(instances))
    assert sorted(head_layers(model)) == ["_classification_layer", "_feedforward._linear_layers.0"]


def test_the_layer_computes_the_normalised_weight_and_saves_it():
    torch.manual_seed(0)
    layer = torch.nn.Linear(6, 4)
    model = torch.nn.Sequential(layer)
    head = SpectralHead()
    assert head.attach(model) == ["0"]
    x = torch.randn(3, 6)
    for _ in range(60):  # power iterations converge to the largest singular value
        output = model(x)
    true_sigma = torch.linalg.matrix_norm(layer.weight.detach(), ord=2)
    sigma = head.sigma("0", layer, iterate=False)
    torch.testing.assert_close(sigma.detach(), true_sigma, atol=1e-5, rtol=0)
    expected = torch.nn.functional.linear(x, layer.weight / sigma, layer.bias)
    torch.testing.assert_close(output, expected, atol=1e-6, rtol=0)
    # The gradient flows through sigma into W (u and v held fixed), as spectral_norm's.
    weight = layer.weight.detach().clone().requires_grad_()
    u = head.vectors["0"]
    v = torch.nn.functional.normalize(weight.detach().t() @ u, dim=0)
    reference = torch.nn.functional.linear(x, weight / torch.dot(u, weight @ v), layer.bias)
    reference.sum().backward()
    model.eval()
    model(x).sum().backward()
    torch.testing.assert_close(layer.weight.grad, weight.grad, atol=1e-5, rtol=0)
    # The saved weight is the normalised one: the plain layer computes the same function.
    state = model.state_dict()
    torch.testing.assert_close(state["0.weight"], (layer.weight / sigma).detach())
    plain = torch.nn.Sequential(torch.nn.Linear(6, 4))
    plain.load_state_dict(state)
    with torch.no_grad():
        torch.testing.assert_close(plain(x), model(x), atol=1e-5, rtol=0)
    # ... and loading it back into the hooked model keeps the function.
    before = model(x).detach()
    model.load_state_dict(state)
    torch.testing.assert_close(model(x).detach(), before, atol=1e-4, rtol=0)
    head.detach()
    assert not layer._forward_hooks and not layer._state_dict_hooks
