"""`fs.datasets`: the guides' data sets, read from local files or from packages that ship them (no downloads)."""

from fitspec.datasets import digits, mnist

__all__ = ["digits", "mnist"]
