// PAN-X, RS-DA: synonym-substituted copies of each English training sentence (whole words, one for
// one: one tag per word), 5 copies for 2 epochs; select on English dev, evaluate zero-shot on
// panx/test-{lang}.tsv.
local xtreme = import 'xtreme.libsonnet';

xtreme.rs_da('panx')
