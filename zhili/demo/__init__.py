"""Demo data: the real geography of 鄞州区 (Ningbo) with generated grids, for demos and benchmarks."""
