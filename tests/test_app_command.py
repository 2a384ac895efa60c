"""`python app.py` as people start it: its flags, the environment variables they default to, and
one clear line for every bad value."""

import shutil
import socket
import subprocess
import sys

import httpx
import pytest
import torch

from benchmarks.local_app import free_port, local_app
from tests.conftest import REPO


def app(*args, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "app.py", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=timeout, env={"PATH": "", **(env or {})})


def test_help_lists_every_flag():
    done = app("--help", timeout=30)
    assert done.returncode == 0
    for flag in ("--host", "--port", "--share", "--device {cpu,cuda}", "--checkpoints DIR"):
        assert flag in done.stdout
    for variable in ("GRADIO_SERVER_NAME", "GRADIO_SERVER_PORT", "ROWSCAN_CHECKPOINTS"):
        assert variable in done.stdout


@pytest.mark.parametrize("args, env, named", [
    (["--port", "70000"], {}, "'70000' is not a port number"),
    (["--port", "http"], {}, "'http' is not a port number"),
    ([], {"GRADIO_SERVER_PORT": "-1"}, "'-1' is not a port number"),
    (["--host", "my host"], {}, "'my host' is neither an IP address nor a host name"),
    ([], {"GRADIO_SERVER_NAME": "a/b"}, "'a/b' is neither"),
    (["--device", "tpu"], {}, "invalid choice: 'tpu'"),
    (["--checkpoints", "no/such/folder"], {}, "'no/such/folder' is not a folder"),
    ([], {"ROWSCAN_CHECKPOINTS": "no/such/folder"}, "'no/such/folder' is not a folder"),
    (["--shared"], {}, "unrecognized arguments: --shared"),
])
def test_a_bad_value_gets_one_clear_line(args, env, named):
    done = app(*args, env=env, timeout=30)
    assert done.returncode == 2 and done.stdout == ""
    [line] = done.stderr.splitlines()
    assert line.startswith("app.py: error: ") and named in line and line.endswith("(see --help)")


@pytest.mark.skipif(torch.cuda.is_available(), reason="this machine has a CUDA GPU")
def test_cuda_without_a_gpu_is_refused_in_one_line():
    done = app("--device", "cuda", timeout=60)
    assert done.returncode == 2
    assert done.stderr.splitlines() == ["app.py: error: --device cuda: torch sees no CUDA GPU on this machine (see --help)"]


@pytest.mark.parametrize("by_flag", [True, False])
def test_the_checkpoints_folder_is_the_one_given(tmp_path, by_flag):
    shutil.copy(REPO / "checkpoints" / "lstm.pt", tmp_path)
    shutil.copy(REPO / "checkpoints" / "lstm.json", tmp_path)  # no bilstm.pt: the app must say so
    done = app(*(["--checkpoints", str(tmp_path)] if by_flag else []),
               env={} if by_flag else {"ROWSCAN_CHECKPOINTS": str(tmp_path)})
    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("rowscan cannot start: ") and str(tmp_path / "bilstm.pt") in line


def test_a_taken_port_gets_one_clear_line():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = app("--host", "127.0.0.1", "--port", str(port))
    assert done.returncode == 1
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("rowscan cannot start: ") and str(port) in line


def test_flags_choose_where_it_listens_over_the_environment(tmp_path):
    for name in ("lstm", "bilstm"):
        for suffix in (".pt", ".json"):
            shutil.copy(REPO / "checkpoints" / (name + suffix), tmp_path)
    elsewhere = free_port()  # the environment names another port: the flag wins
    with local_app(env={"GRADIO_SERVER_PORT": str(elsewhere), "ROWSCAN_CHECKPOINTS": "no/such/folder"},
                   args=["--device", "cpu", "--checkpoints", str(tmp_path)], flags=True) as (url, _):
        assert httpx.get(url).status_code == 200
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://127.0.0.1:{elsewhere}/")
