// The table of encoders: what the training configs and the plugin's commands need to know about
// a pretrained transformer, written once. Python reads it through
// `allennlp_robust_xlt/encoders.py` (which checks it and documents the fields); the configs
// import it from `training_configs/xtreme.libsonnet`. docs/encoders-and-export.md explains each
// row's use.
//
// `architectures`: by the model's `model_type` (config.json), how AllenNLP loads it and how the
// task heads pool:
//   transformer_kwargs  what the `pretrained_transformer` embedder passes to `from_pretrained`
//                       (the heads pool themselves: no pooler where the class has the option)
//   sub_module          the module of the loaded model that embeds ('' the model itself;
//                       T5: its encoder, AllenNLP's `sub_module: "encoder"`)
//   pooling             what the sentence-level heads (pair, multiple choice, dual encoder) pool:
//                       'cls' XTREME's own choice of each config (the first sub-word, dense +
//                       tanh), 'mean' the mean over the sub-words (models without a [CLS])
// `encoders`: by Hugging Face model name, the architecture plus
//   hidden_size, layers  from the model's config.json
//   pooling             (optional) overrides the architecture's
//   sentence_embedding  (optional) the model's own sentence embedding, which `xtreme-retrieval`
//                       uses by default instead of XTREME's per-task layer and pooling:
//                       pooling ('mean', 'cls' or 'pooler': the pooler output, dense + tanh on
//                       [CLS]) of the last layer, L2-normalised or not, and the prefixes of
//                       queries and passages
//   note                what else a user must know
{
  architectures: {
    bert: { transformer_kwargs: { add_pooling_layer: false }, sub_module: '', pooling: 'cls' },
    'xlm-roberta': { transformer_kwargs: { add_pooling_layer: false }, sub_module: '', pooling: 'cls' },
    'xlm-roberta-xl': { transformer_kwargs: { add_pooling_layer: false }, sub_module: '', pooling: 'cls' },
    // DebertaV2Model has no pooler (and no option for one).
    'deberta-v2': { transformer_kwargs: {}, sub_module: '', pooling: 'cls' },
    // No [CLS] token: the heads pool by mean; AllenNLP loads MT5Model and keeps its encoder.
    mt5: { transformer_kwargs: {}, sub_module: 'encoder', pooling: 'mean' },
    t5: { transformer_kwargs: {}, sub_module: 'encoder', pooling: 'mean' },
  },
  // Any other architecture: as BERT and XLM-R (the plugin's behaviour before this table).
  default_architecture: 'bert',
  encoders: {
    'xlm-roberta-base': { architecture: 'xlm-roberta', hidden_size: 768, layers: 12 },
    'xlm-roberta-large': { architecture: 'xlm-roberta', hidden_size: 1024, layers: 24 },
    'facebook/xlm-roberta-xl': {
      architecture: 'xlm-roberta-xl',
      hidden_size: 2560,
      layers: 36,
      note: '3.5B parameters: about 14 GB of float32 weights, so fine-tuning needs a large GPU',
    },
    'bert-base-multilingual-cased': { architecture: 'bert', hidden_size: 768, layers: 12 },
    'bert-base-multilingual-uncased': { architecture: 'bert', hidden_size: 768, layers: 12 },
    'microsoft/mdeberta-v3-base': {
      architecture: 'deberta-v2',
      hidden_size: 768,
      layers: 12,
      note: 'no token type embeddings: the readers give every sub-word type id 0; transformers'
            + ' 4.20.1 needs the plugin\'s fix of np.int under numpy >= 1.24 (applied on import)',
    },
    'google/mt5-small': { architecture: 'mt5', hidden_size: 512, layers: 8 },
    'google/mt5-base': { architecture: 'mt5', hidden_size: 768, layers: 12 },
    'google/mt5-large': { architecture: 'mt5', hidden_size: 1024, layers: 24 },
    // LaBSE in the port whose model card embeds with `pooler_output`, L2-normalised.
    'setu4993/LaBSE': {
      architecture: 'bert',
      hidden_size: 768,
      layers: 12,
      sentence_embedding: { pooling: 'pooler', normalize: true, query_prefix: '', passage_prefix: '' },
    },
    'intfloat/multilingual-e5-base': {
      architecture: 'xlm-roberta',
      hidden_size: 768,
      layers: 12,
      pooling: 'mean',
      sentence_embedding: { pooling: 'mean', normalize: true, query_prefix: 'query: ', passage_prefix: 'passage: ' },
    },
    'intfloat/multilingual-e5-large': {
      architecture: 'xlm-roberta',
      hidden_size: 1024,
      layers: 24,
      pooling: 'mean',
      sentence_embedding: { pooling: 'mean', normalize: true, query_prefix: 'query: ', passage_prefix: 'passage: ' },
    },
  },
}
