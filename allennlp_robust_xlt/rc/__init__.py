"""Extractive question answering (XQuAD, MLQA, TyDiQA-GoldP)."""
