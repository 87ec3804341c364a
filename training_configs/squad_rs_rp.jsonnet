// SQuAD v1.1 (see squad_baseline.jsonnet) with RS-RP: random noise on the word embeddings of the
// question and context sub-words during training.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('squad')
