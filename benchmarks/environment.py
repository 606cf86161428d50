"""The process settings a measurement needs before numpy and the frameworks load: thread-pool caps."""

from __future__ import annotations


def thread_limits(threads: int) -> dict[str, str]:
    """The environment variables that cap every framework's CPU thread pools at `threads`."""
    n = str(threads)
    return {"OMP_NUM_THREADS": n, "MKL_NUM_THREADS": n, "OPENBLAS_NUM_THREADS": n, "TF_NUM_INTRAOP_THREADS": n,
            "TF_NUM_INTEROP_THREADS": n,
            "XLA_FLAGS": f"--xla_cpu_multi_thread_eigen={'true' if threads > 1 else 'false'} "
                         f"intra_op_parallelism_threads={n}"}
