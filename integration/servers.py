"""Local S3 and Snowflake servers on 127.0.0.1, each in its own process, for tests and the demo.

    python -m integration.servers s3          # prints "READY <port>", serves until stdin closes
    python -m integration.servers snowflake   # same, fakesnow's server for the real connector

S3 is moto's server (works with boto3, s3fs and pyarrow); Snowflake is fakesnow's server, which the
real snowflake-connector-python talks to over HTTP. Neither binds anything but loopback, and both are
started with instrumentation switched off.
"""
from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "AKIAIOSFODNN7EXAMPLE",
    "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
SNOWFLAKE_PASSWORD = "olmp-test-Sn0wPassw0rd-4c2e"  # fakesnow accepts any; distinctive for the secret scanner


class LocalServer:
    """A server process started by `start(kind)`; `port` is its loopback port."""

    def __init__(self, kind: str, proc: subprocess.Popen, port: int) -> None:
        self.kind = kind
        self.proc = proc
        self.port = port

    @property
    def endpoint_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def snowflake_kwargs(self, **extra) -> dict:
        """connect() arguments for the real Snowflake connector."""
        kwargs = dict(user="fake", password=SNOWFLAKE_PASSWORD, account="fakesnow", host="127.0.0.1",
                      port=self.port, protocol="http", network_timeout=5, login_timeout=5,
                      session_parameters={"CLIENT_OUT_OF_BAND_TELEMETRY_ENABLED": False})
        session = extra.pop("session_parameters", None)
        if session:
            kwargs["session_parameters"] = {**kwargs["session_parameters"], **session}
        kwargs.update(extra)
        return kwargs

    def reset(self) -> None:
        if self.kind == "s3":
            import urllib.request

            urllib.request.urlopen(urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST"),
                                   timeout=10).read()

    def stop(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def __enter__(self) -> "LocalServer":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def server_env() -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENLINEAGE")}
    env.update(FAKE_CREDENTIALS)
    env["SNOWFLAKE_DISABLE_PLATFORM_DETECTION"] = "true"
    env["PYTHONPATH"] = os.pathsep.join(p for p in [str(REPO), env.get("PYTHONPATH", "")] if p)
    return env


def start(kind: str, python: str | None = None, timeout: float = 60) -> LocalServer:
    proc = subprocess.Popen([python or sys.executable, "-m", "integration.servers", kind], cwd=REPO,
                            env=server_env(), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True)
    result: list[str] = []
    reader = threading.Thread(target=lambda: result.append(proc.stdout.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    line = result[0].strip() if result else ""
    if not line.startswith("READY "):
        proc.kill()
        raise RuntimeError(f"{kind} server did not start (got {line!r})")
    return LocalServer(kind, proc, int(line.split()[1]))


def _serve_s3() -> None:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    port = server.get_host_and_port()[1]
    print(f"READY {port}", flush=True)
    sys.stdin.read()
    server.stop()


def _serve_snowflake() -> None:
    import logging

    import fakesnow

    logging.getLogger("uvicorn").setLevel(logging.WARNING)
    with fakesnow.server(host="127.0.0.1") as kwargs:
        print(f"READY {kwargs['port']}", flush=True)
        sys.stdin.read()


if __name__ == "__main__":
    {"s3": _serve_s3, "snowflake": _serve_snowflake}[sys.argv[1]]()
