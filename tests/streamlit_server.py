"""A real `streamlit run` of a script on a free loopback port: used by the browser tests
(tests/e2e) and the browser-side benchmarks (tests/bench)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app.py"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(
    url: str, process: subprocess.Popen, what: str, last_words, timeout: float = 60  # noqa: ANN001
) -> None:
    """Until `url`/_stcore/health answers "ok"; RuntimeError (with `last_words()`, the end of
    its log) if the process exits first or it does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited: {last_words()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.read().decode() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{what} did not answer in time")


def stop_process(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


class StreamlitServer:
    """`streamlit run <script>` with `env` added to ours, healthy when made; stop() ends it.
    Its output goes to `log` (in `log_dir`, default the temporary folder)."""

    def __init__(
        self,
        script: Path = APP,
        env: dict[str, str] | None = None,
        log_dir: Path | None = None,
        timeout: float = 60,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        log_dir = log_dir or Path(tempfile.gettempdir())
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log = log_dir / f"streamlit-{self.port}.log"
        self.process = subprocess.Popen(
            [
                sys.executable, "-m", "streamlit", "run", str(script),
                "--server.headless", "true",
                "--server.port", str(self.port),
                "--server.address", "127.0.0.1",
                "--browser.gatherUsageStats", "false",
                "--server.fileWatcherType", "none",
            ],
            cwd=ROOT,
            env=os.environ | (env or {}),
            stdout=self.log.open("w"),
            stderr=subprocess.STDOUT,
        )
        try:
            wait_healthy(self.url, self.process, "streamlit", self.log.read_text, timeout)
        except RuntimeError:
            self.stop()
            raise

    def stop(self) -> None:
        stop_process(self.process)
