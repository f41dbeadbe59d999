"""Custom Rasa NLU components for Vietnamese (tokenizer with diacritic folding and teen code)."""
