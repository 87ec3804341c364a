// SQuAD v1.1 (see squad_baseline.jsonnet) with RS-DA: 3 copies of every question and context
// with synonym substitution (neighbour table: XLT_NEIGHBORS), never inside an answer span, each
// answer's offset moved to its new place; 1 epoch; validation on clean SQuAD dev.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_da('squad')
