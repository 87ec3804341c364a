import numpy as np
import torch
from transformers import DebertaV2Config, DebertaV2Model
from transformers.models.deberta_v2 import modeling_deberta_v2

from allennlp_robust_xlt.common.transformers_compat import _make_log_bucket_position


def test_log_buckets_as_transformers_computes_them_with_python_ints():
    relative = np.arange(-600, 601)[None, :]
    buckets = _make_log_bucket_position(relative, 256, 512)
    sign = np.sign(relative)
    mid = 128
    abs_pos = np.where((relative < mid) & (relative > -mid), mid - 1, np.abs(relative))
    log_pos = np.ceil(np.log(abs_pos / mid) / np.log((512 - 1) / mid) * (mid - 1)) + mid
    expected = [
        int(r) if a <= mid else int(lp * s)
        for r, a, lp, s in zip(relative[0], abs_pos[0], log_pos[0], sign[0])
    ]
    assert buckets.dtype == np.int64
    assert buckets[0].tolist() == expected
    assert buckets[0, 0] < -mid and buckets[0, -1] > mid  # the log-bucketed ends are covered


def test_deberta_v2_with_position_buckets_runs_after_the_plugin_import():
    import allennlp_robust_xlt  # noqa: F401  (installs the fix)

    assert modeling_deberta_v2.make_log_bucket_position is _make_log_bucket_position
    config = DebertaV2Config(
        vocab_size=50,
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        relative_attention=True,
        position_buckets=8,
        pos_att_type=["p2c", "c2p"],
        position_biased_input=False,
    )
    output = DebertaV2Model(config).eval()(torch.tensor([[1, 5, 7, 2]])).last_hidden_state
    assert output.shape == (1, 4, 16)
