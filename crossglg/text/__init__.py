"""Text: the prompts, the description schema and its quality figures, generation with the
Anthropic API, importers of published LLM descriptions, sentence embeddings and the
per-class text features that training is handed."""
