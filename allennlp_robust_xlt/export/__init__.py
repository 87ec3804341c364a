"""Fine-tuned models out of their AllenNLP archives (`export-transformer`)."""
