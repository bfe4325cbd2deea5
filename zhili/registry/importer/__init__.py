"""`zhili import people|houses|vehicles|places`: departments' exports into the registry (see run.py)."""
