// MasakhaNER 2.0, zero-shot from PAN-X English: fine-tuned on panx/train-en.tsv with PAN-X's
// settings, selected on panx/dev-en.tsv, read by the `masakhaner` reader so that the archive
// evaluates masakhaner/{lang}/test.txt directly (`xtreme-report --task masakhaner`), with DATE
// read as O (PAN-X has no DATE; see docs/languages-beyond-xtreme.md).
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('masakhaner')
