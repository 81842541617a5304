"""Sentiment backends: the Spanish lexicon (default), TextBlob for English, an optional transformers model."""
