// PAN-X, RS-RP: random noise on the word embeddings during training; select on English dev,
// evaluate zero-shot on panx/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('panx')
