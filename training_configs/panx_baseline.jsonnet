// PAN-X, plain fine-tuning with XTREME's settings (task table: 2e-5, 10 epochs, 8 x 4, 128 sub-
// words, English dev F1); select on English dev, evaluate zero-shot on panx/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('panx')
