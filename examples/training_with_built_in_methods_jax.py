"""The guide "Training & evaluation with the built-in methods" on fitspec_jax.

The programs are in guide_programs/training_with_built_in_methods.py, written once for every backend;
this script runs them with `fs` = fitspec_jax.
"""

from guide_programs import training_with_built_in_methods as guide

import fitspec_jax as fs

if __name__ == "__main__":
    guide.main(fs)
