"""
One fix to transformers 4.20.1 that the supported encoders need, applied when the plugin is
imported.

DeBERTa-v2 (mDeBERTa-v3) with log-bucketed relative positions (`position_buckets` > 0, as every
DeBERTa-v3 checkpoint has) calls `numpy.ndarray.astype(np.int)` in
`modeling_deberta_v2.make_log_bucket_position`; numpy 1.24 removed the `np.int` alias, so under
the numpy both stacks pin (1.26) its forward pass fails with "module 'numpy' has no attribute
'int'". Later transformers releases compute the same buckets in torch. `patch_deberta_v2`
replaces that one function with the same arithmetic and the integer type `np.int` meant (the
platform's `int`, int64): outputs are unchanged.
"""

import numpy as np


def _make_log_bucket_position(relative_pos, bucket_size, max_position):  # type: ignore[no-untyped-def]
    sign = np.sign(relative_pos)
    mid = bucket_size // 2
    abs_pos = np.where((relative_pos < mid) & (relative_pos > -mid), mid - 1, np.abs(relative_pos))
    log_pos = np.ceil(np.log(abs_pos / mid) / np.log((max_position - 1) / mid) * (mid - 1)) + mid
    return np.where(abs_pos <= mid, relative_pos, log_pos * sign).astype(np.int64)


def patch_deberta_v2() -> None:
    """Installs the fixed function where transformers' DeBERTa-v2 needs it (once; idempotent)."""
    if hasattr(np, "int") and np.int is int:  # type: ignore[attr-defined]
        return  # numpy < 1.24: nothing to fix
    from transformers.models.deberta_v2 import modeling_deberta_v2

    source = getattr(modeling_deberta_v2.make_log_bucket_position, "__code__", None)
    if source is not None and "int" not in source.co_names:
        return  # a transformers release that no longer uses np.int
    modeling_deberta_v2.make_log_bucket_position = _make_log_bucket_position
