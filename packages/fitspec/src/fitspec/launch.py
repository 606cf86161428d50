"""`fitspec-launch`: start N local processes of one script with torchrun's flags and environment.

    fitspec-launch --nproc-per-node 2 train.py --epochs 3

Each process gets RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, MASTER_ADDR and MASTER_PORT, which
`fs.distribution.initialize()` reads on every backend. Multi-node is the same command on each machine
with `--nnodes`, `--node-rank` and the first node's `--master-addr` / `--master-port`. When a process
fails, the others are stopped and the launcher exits with the failed process's exit status (SPEC 13.2).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time

#: seconds the other processes get to exit after SIGTERM before SIGKILL, once one has failed
GRACE_SECONDS = 10.0
POLL_SECONDS = 0.1


def parse(argv):
    parser = argparse.ArgumentParser(prog="fitspec-launch", description=__doc__.splitlines()[0])
    parser.add_argument("--nproc-per-node", "--nproc_per_node", type=int, default=1, dest="nproc_per_node",
                        help="processes to start on this node (default 1)")
    parser.add_argument("--nnodes", type=int, default=1, help="nodes taking part (default 1)")
    parser.add_argument("--node-rank", "--node_rank", type=int, default=0, dest="node_rank",
                        help="this node's index among --nnodes (default 0)")
    parser.add_argument("--master-addr", "--master_addr", default="127.0.0.1", dest="master_addr",
                        help="address of node 0 (default 127.0.0.1)")
    parser.add_argument("--master-port", "--master_port", type=int, default=29500, dest="master_port",
                        help="free port on node 0 (default 29500)")
    parser.add_argument("-m", "--module", action="store_true", help="run SCRIPT as a module (python -m SCRIPT)")
    parser.add_argument("script", help="the program every process runs")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="its arguments")
    options = parser.parse_args(argv)
    for name in ("nproc_per_node", "nnodes"):
        if getattr(options, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be a positive int; received {getattr(options, name)}")
    if not 0 <= options.node_rank < options.nnodes:
        parser.error(f"--node-rank must be in [0, {options.nnodes}); received {options.node_rank}")
    return options


def environments(options) -> list[dict]:
    """The torchrun variables of each local process."""
    world = options.nproc_per_node * options.nnodes
    return [{
        "RANK": str(options.node_rank * options.nproc_per_node + local), "WORLD_SIZE": str(world),
        "LOCAL_RANK": str(local), "LOCAL_WORLD_SIZE": str(options.nproc_per_node),
        "MASTER_ADDR": options.master_addr, "MASTER_PORT": str(options.master_port),
    } for local in range(options.nproc_per_node)]


def exit_status(returncode: int) -> int:
    """A process's exit status as a shell reports it (128 + signal number when killed by a signal)."""
    return 128 - returncode if returncode < 0 else returncode


def run(options) -> int:
    command = [sys.executable, *(["-m"] if options.module else []), options.script, *options.args]
    processes = [subprocess.Popen(command, env={**os.environ, **env}) for env in environments(options)]
    failed = None
    try:
        while failed is None and any(p.poll() is None for p in processes):
            failed = next((p for p in processes if p.poll() not in (None, 0)), None)
            if failed is None:
                time.sleep(POLL_SECONDS)
        failed = failed or next((p for p in processes if p.returncode != 0), None)
    except KeyboardInterrupt:
        _stop(processes)
        return 130
    if failed is None:
        return 0
    rank = processes.index(failed)
    status = exit_status(failed.returncode)
    print(f"fitspec-launch: local rank {rank} exited with status {status}; stopping the other processes.",
          file=sys.stderr, flush=True)
    _stop(processes)
    return status


def _stop(processes) -> None:
    for p in processes:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    for p in processes:
        try:
            p.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def main(argv=None) -> int:
    return run(parse(sys.argv[1:] if argv is None else argv))


if __name__ == "__main__":
    sys.exit(main())
