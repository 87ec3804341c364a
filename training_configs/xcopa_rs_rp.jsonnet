// XCOPA with RS-RP (random perturbation of the word embeddings during training), after the
// intermediate task when XLT_INTERMEDIATE_ARCHIVE names the SIQA archive.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('xcopa')
