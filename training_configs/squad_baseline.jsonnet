// Extractive QA, XTREME's recipe (run_squad.py, train_qa.sh): fine-tune on English SQuAD v1.1
// (squad/train-v1.1.json) with learning rate 3e-5, 3 epochs, batch 32 as 4 questions x 8
// accumulation steps, 500 warm-up steps, weight decay 1e-4, windows of 384 sub-words 128 apart;
// select on English SQuAD dev F1 (XTREME keeps the final model instead: add
// -o '{"validation_data_path": null}'); evaluate zero-shot with
// `xtreme-report RUN/model.tar.gz DATA --task xquad|mlqa|tydiqa`.
local xtreme = import 'xtreme.libsonnet';

xtreme.baseline('squad')
