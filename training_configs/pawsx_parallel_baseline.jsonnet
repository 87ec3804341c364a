// PAWS-X fine-tuned on English with parallel data: the task's training plus the alignment of
// English sentences and their translations from the directory XLT_PARALLEL_DATA (InfoNCE on
// pooled sentence embeddings, weight 1; mse, xTune's consistency and the weights by override).
// Select on English dev, evaluate zero-shot like the baseline. See `parallel` in xtreme.libsonnet.
local xtreme = import 'xtreme.libsonnet';

xtreme.parallel(xtreme.baseline('pawsx'), 'pawsx')
