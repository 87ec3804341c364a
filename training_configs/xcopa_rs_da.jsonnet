// XCOPA with RS-DA: English COPA with synonym-perturbed premises and choices (neighbour table:
// XLT_NEIGHBORS; copies and epochs from the task table), after the intermediate task when
// XLT_INTERMEDIATE_ARCHIVE names the SIQA archive; validation on clean val-en.jsonl.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_da('xcopa')
