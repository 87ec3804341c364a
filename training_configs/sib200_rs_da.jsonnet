// SIB-200 with RS-DA: fine-tune on 10 synonym-perturbed copies of each English training text
// (the reader's one `text` argument; neighbour table: XLT_NEIGHBORS) for 4 epochs, select on
// clean English dev, evaluate zero-shot on clean sib200/{lang}/test.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_da('sib200')
