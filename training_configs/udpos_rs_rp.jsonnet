// UD-POS, RS-RP: random noise on the word embeddings during training; select on English dev,
// evaluate zero-shot on udpos/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_rp('udpos')
