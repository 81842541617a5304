"""Models learnt from labelled posts (sentiment, PQRSD category): features, training, evaluation, loading."""
