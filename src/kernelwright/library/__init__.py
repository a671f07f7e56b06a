"""Verified Triton kernels for the bundled problems, one file per problem stem (same level folders).

Each file is a standalone candidate (`class ModelNew`): the judge copies it alone into its sandbox, so
files share no code. They are written for Hopper (H100) and checked on the CPU through the Triton
interpreter; `benchmarks/gpu_library.py` judges and times them on a GPU.
"""
