// LAReQA (XTREME-R): the dual encoder `xtreme_dual_encoder` trained on SQuAD v1.1's questions and
// the sentences holding their answers (squad/train-v1.1.json; selection on the in-batch accuracy
// of squad/dev-v1.1.json's pairs), with XTREME's settings (scripts/train_lareqa.sh: 2e-5, 3
// epochs, batch 4 x 4, questions 96 and answers 256 sub-words, no warm-up or weight decay).
// Batches are drawn at random (the other examples of a batch are a question's negatives).
// Scored on XQuAD-R with `xtreme-retrieval model.tar.gz $XLT_DATA_DIR --task lareqa`.
// Robust training: `-o '{"trainer.callbacks": [{"type": "adversarial_training"},
// {"type": "tensorboard"}, {"type": "rng_state"}]}'`, or xtreme.adversarial('lareqa').
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('lareqa') + {
  data_loader: { batch_size: xtreme.tasks.lareqa.batch_size, shuffle: true },
}
