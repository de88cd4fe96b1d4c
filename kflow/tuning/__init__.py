"""Hyperparameter search for Katib Experiments: algorithms, early stopping, metric parsing.

This package knows nothing of the store, the runtime or HTTP: the experiment
controllers hand it plain records of past trials (`history.TrialRecord`) and persist
what it returns, so all search state lives in kflow's database, never in a process.
"""
