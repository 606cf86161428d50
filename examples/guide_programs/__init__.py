"""The guides' programs written once against a backend module `fs`.

Each `examples/<program>_<backend>.py` script imports its backend and runs these; what differs between
backends (a train_step in the backend's own idiom, its data source) stays in that script.
"""
