"""Text analyzers: language, sentiment, PQRSD category, topics, crisis flags (and spike detection).

Pure functions of text and counts: no database, no network. The bot builds them once with
`build_text_analyzer(settings, topics, models_dir)` and calls `TextAnalyzer.analyze_many`.
"""
