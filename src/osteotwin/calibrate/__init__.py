"""Calibration of the model to the training trials (objective, fit, provenance)."""
