"""The performance benchmark: a synthetic database generator and the figures measured on it."""
