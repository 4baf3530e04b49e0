"""Offline scripts that train and evaluate the shipped sentiment model (not used at run time)."""
