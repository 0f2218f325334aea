"""Scoring: the worker's model behind admission, deadlines and (adaptive) batching."""
