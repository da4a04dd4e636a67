"""Real processes for the failure tests, on loopback only and each on a port of its own: a private
PostgreSQL cluster (initdb in a temporary directory), a private redis-server, and dongxi under
gunicorn (kiosk_api/gunicorn_conf.py, as `dongxi serve --production` runs it, but in development
mode: these tests pay through the simulated provider, which production mode refuses). Every wait
polls a condition with a bound; nothing here sleeps in place of synchronisation."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import psycopg
import redis
import requests

from tests.waiting import wait_until  # noqa: F401  (tests.failure.* import it from here)

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
WAIT = 30.0  # the bound of every wait (2 busy cores); each normally takes well under a second
T = TypeVar("T")


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; a process started on it may still lose a race,
    which the starters below answer by trying another)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path | None:
    """Where initdb, pg_ctl and postgres are: TEST_POSTGRES_BINDIR, Debian's newest, or PATH."""
    if os.environ.get("TEST_POSTGRES_BINDIR"):
        return Path(os.environ["TEST_POSTGRES_BINDIR"])
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    if debian:
        return Path(debian[-1]).parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _as_postgres_user() -> list[str]:
    # initdb and postgres refuse to run as root; a root test runner (CI containers) runs them as
    # the `postgres` account, anyone else as themselves.
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


class PrivatePostgres:
    """A PostgreSQL cluster of one test's own: initdb in a temporary directory, its own port, no
    fsync (nothing here must survive a power cut), stopped and started at the test's will."""

    def __init__(self, bindir: Path, copy_of: PrivatePostgres | None = None) -> None:
        """initdb a new cluster, or copy the data directory of a stopped one (its databases too)."""
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="dongxi-failure-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "postgres.log"
        self.port = 0
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        if copy_of is None:
            self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                      "--no-sync", "--locale=C.UTF-8")  # fmt: skip
        else:
            assert not copy_of.running(), "copy a stopped cluster only"
            self._run_as_postgres(["cp", "-a", str(copy_of.data), str(self.data)])

    def _run_as_postgres(self, command: list[str]) -> None:
        subprocess.run([*_as_postgres_user(), *command], check=True, timeout=WAIT * 2, cwd=self.root)

    def _run(self, tool: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = [*_as_postgres_user(), str(self.bindir / tool), *args]
        done = subprocess.run(command, capture_output=True, text=True, timeout=WAIT * 2, cwd=self.root)
        if check and done.returncode != 0:
            output = done.stderr or done.stdout
            raise RuntimeError(f"{tool} failed ({done.returncode}): {output}\n{self._log()}")
        return done

    def _log(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""

    def start(self) -> None:
        """Start the cluster (on a new free port the first time, on the same port after a stop)."""
        for _attempt in range(3 if self.port == 0 else 1):
            port = self.port or free_port()
            options = (
                f"-p {port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=60 -c autovacuum=off"
            )
            done = self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.log),
                             "-w", "-t", str(int(WAIT)), "start", check=False)  # fmt: skip
            if done.returncode == 0:
                self.port = port
                return
            if "could not bind" not in self._log() and "in use" not in self._log():
                break
        raise RuntimeError(f"PostgreSQL did not start: {done.stderr}\n{self._log()}")

    def stop(self, mode: str = "fast") -> None:
        """Stop the cluster (`fast`: connections are closed and their transactions rolled back)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", str(int(WAIT)), "stop")

    def running(self) -> bool:
        return self._run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def url(self, database: str = "postgres") -> str:
        """The SQLAlchemy URL of a database of this cluster."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres", **kwargs: Any) -> psycopg.Connection[Any]:
        """A psycopg connection of the test's own (to hold locks, to look at pg_stat_activity)."""
        return psycopg.connect(f"postgresql://postgres@127.0.0.1:{self.port}/{database}", **kwargs)

    def destroy(self) -> None:
        if self.running():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """A redis-server of one test's own (no persistence), which the test kills and starts again."""

    def __init__(self, binary: str) -> None:
        self.binary = binary
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start it (on a free port the first time, on the same port again after a kill)."""
        for _attempt in range(3 if self.port == 0 else 1):
            port = self.port or free_port()
            self.process = subprocess.Popen(
                [self.binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            if self._answers_on(port):
                self.port = port
                return
            self.kill()
        raise RuntimeError("redis-server did not start")

    def _answers_on(self, port: int) -> bool:
        """Wait until this redis-server (its pid, not whatever else may hold the port) answers."""
        assert self.process is not None
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1, socket_timeout=1)
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and self.process.poll() is None:
            try:
                return client.info("server")["process_id"] == self.process.pid
            except redis.RedisError:
                time.sleep(0.05)
            finally:
                client.close()
        return False

    def kill(self) -> None:
        """SIGKILL it, as a crash would (its listening socket goes with it)."""
        assert self.process is not None
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=WAIT)
        self.process = None

    def destroy(self) -> None:
        if self.process is not None:
            self.kill()


class Dongxi:
    """dongxi under gunicorn: the arbiter's pid, its workers, its base URL."""

    def __init__(self, process: subprocess.Popen[bytes], base: str, log: Path) -> None:
        self.process, self.base, self.log = process, base, log

    def workers(self) -> list[int]:
        """The pids of the arbiter's live workers."""
        pid = self.process.pid
        try:
            return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
        except FileNotFoundError:
            return []

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        kwargs.setdefault("timeout", 10)
        return requests.get(f"{self.base}{path}", **kwargs)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@contextmanager
def dongxi_server(
    env: dict[str, str], log_dir: Path, *, workers: int = 2, threads: int = 4
) -> Iterator[Dongxi]:
    """Run gunicorn as `dongxi serve --production` does, with this environment (DATABASE_URL,
    REDIS_URL …) on a free port until the block ends; its log (the request log included) is
    `log_dir/gunicorn.log`. The rate limits are out of reach: the load here is far above a kiosk's."""
    log = log_dir / "gunicorn.log"
    for _attempt in range(3):
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        full_env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH")) if p),
            "PUBLIC_BASE_URL": base,
            "PAYMENT_PROVIDER": "simulated",
            "DONGXI_BIND": f"127.0.0.1:{port}",
            "DONGXI_WORKERS": str(workers),
            "DONGXI_THREADS": str(threads),
            "DONGXI_REQUEST_LOG": "-",
            **{f"RATELIMIT_{name}": "1000000/minute" for name in ("DEVICE", "PAY", "PAY_LINK", "ORDERS")},
            "DONGXI_LOG_LEVEL": "info",
            "DONGXI_VAR_DIR": str(log_dir / "var"),
            **env,
        }
        with log.open("ab") as out:
            process = subprocess.Popen(
                [str(BIN / "gunicorn"), "--config", str(REPO / "kiosk_api" / "gunicorn_conf.py")],
                env=full_env,
                cwd=REPO,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        server = Dongxi(process, base, log)
        if _wait_until_serving(server, workers):
            break
        _stop(process)
    else:
        raise RuntimeError(f"dongxi did not start:\n{log.read_text(errors='replace')[-3000:]}")
    try:
        yield server
    finally:
        _stop(process)


def _wait_until_serving(server: Dongxi, workers: int) -> bool:
    deadline = time.monotonic() + WAIT * 2
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            return False
        try:
            if server.get("/healthz", timeout=2).status_code == 200 and len(server.workers()) == workers:
                return True
        except requests.RequestException:
            pass
        time.sleep(0.1)
    return False


def _stop(process: subprocess.Popen[bytes]) -> None:
    # SIGINT: gunicorn's quick shutdown (a graceful one waits out booting workers and keep-alive
    # connections: seconds, and nothing here needs it).
    if process.poll() is None:
        os.kill(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=WAIT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=WAIT)


def process_with_local_port(pids: list[int], port: int) -> int | None:
    """Which of these processes owns the TCP socket bound to 127.0.0.1:`port` (a worker's end of a
    connection to PostgreSQL, whose client_port pg_stat_activity shows), or None."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for line in lines:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{fields[9]}]")
    for pid in pids:
        try:
            fds = list(Path(f"/proc/{pid}/fd").iterdir())
        except FileNotFoundError:
            continue
        for fd in fds:
            try:
                if os.readlink(fd) in inodes:
                    return pid
            except OSError:
                continue
    return None
