"""fitspec-launch: torchrun's flags and environment; a failed process stops the others (SPEC 13.2)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from fitspec import distribution, launch

ENV_PROGRAM = """
import json, os, sys
names = ("RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")
with open(os.path.join(sys.argv[1], os.environ["RANK"] + ".json"), "w") as f:
    json.dump({**{n: os.environ[n] for n in names}, "args": sys.argv[2:]}, f)
"""

FAILING_PROGRAM = """
import os, sys, time
if os.environ["RANK"] == "1":
    sys.exit(5)
time.sleep(600)  # rank 0 would wait for its peer for ever: the launcher must stop it
"""


def _launch(tmp_path, program, *arguments, timeout=120):
    script = tmp_path / "program.py"
    script.write_text(program)
    return subprocess.run([sys.executable, "-m", "fitspec.launch", *arguments, str(script), str(tmp_path), "--flag"],
                          capture_output=True, text=True, timeout=timeout)


def test_the_launcher_starts_n_processes_with_the_torchrun_environment(tmp_path):
    done = _launch(tmp_path, ENV_PROGRAM, "--nproc-per-node", "3", "--master-port", "29123")
    assert done.returncode == 0, done.stderr
    seen = [json.loads((tmp_path / f"{rank}.json").read_text()) for rank in range(3)]
    assert [s["LOCAL_RANK"] for s in seen] == ["0", "1", "2"]
    assert {(s["WORLD_SIZE"], s["LOCAL_WORLD_SIZE"], s["MASTER_ADDR"], s["MASTER_PORT"]) for s in seen} == {
        ("3", "3", "127.0.0.1", "29123")}
    assert all(s["args"] == ["--flag"] for s in seen)


def test_the_ranks_of_a_second_node_follow_the_first_nodes():
    options = launch.parse(["--nproc-per-node", "2", "--nnodes", "2", "--node-rank", "1", "--master-addr", "10.0.0.1",
                            "train.py"])
    environments = launch.environments(options)
    assert [e["RANK"] for e in environments] == ["2", "3"] and {e["WORLD_SIZE"] for e in environments} == {"4"}
    assert [e["LOCAL_RANK"] for e in environments] == ["0", "1"] and environments[0]["MASTER_ADDR"] == "10.0.0.1"


def test_a_failed_process_stops_the_others_and_its_status_is_the_launchers(tmp_path):
    done = _launch(tmp_path, FAILING_PROGRAM, "--nproc-per-node", "2")
    assert done.returncode == 5
    assert "local rank 1 exited with status 5; stopping the other processes" in done.stderr


def test_bad_launcher_flags_are_refused():
    with pytest.raises(SystemExit):
        launch.parse(["--nproc-per-node", "0", "train.py"])
    with pytest.raises(SystemExit):
        launch.parse(["--nnodes", "2", "--node-rank", "2", "train.py"])


def test_the_process_environment_is_read_from_torchrun_variables_or_keras_arguments():
    torchrun = {"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "h",
                "MASTER_PORT": "1234"}
    assert distribution.process_environment(environ=torchrun) == distribution.ProcessEnvironment(1, 2, 1, 2, "h", 1234)
    assert distribution.process_environment(environ={}) is None
    assert distribution.process_environment(environ={"WORLD_SIZE": "1", "RANK": "0"}) is None
    keras = distribution.process_environment("10.0.0.1:99,10.0.0.2:98", 2, 0, environ={})
    assert (keras.master_addr, keras.master_port, keras.rank, keras.world_size) == ("10.0.0.1", 99, 0, 2)
    with pytest.raises(ValueError, match="process_id"):
        distribution.process_environment(num_processes=2, process_id=2, job_addresses="h:1", environ={})
    with pytest.raises(ValueError, match="job_addresses"):
        distribution.process_environment(num_processes=2, process_id=0, environ={})
    with pytest.raises(ValueError, match="num_processes"):
        distribution.process_environment(num_processes="two", process_id=0, environ={})
