// SIB-200, plain fine-tuning with the authors' zero-shot settings (task table: 1e-5, 20 epochs,
// batch 16, 164 sub-words); select on English dev accuracy (eng_Latn), evaluate zero-shot on
// sib200/{lang}/test.tsv for the 204 other languages (`xtreme-report --task sib200`).
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('sib200')
