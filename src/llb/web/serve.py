"""Start the web server: check the address and the runs folder, print where to open the page."""

from __future__ import annotations

import ipaddress
import re
import secrets
import socket
from pathlib import Path

from llb.errors import LlbError


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _unspecified(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.strip("[]")).is_unspecified
    except ValueError:
        return False


def serve(*, host: str, port: int, runs: Path, token: str | None) -> int:
    """Serve the page until Ctrl-C (which stops every run it started; they resume next time)."""
    import uvicorn

    from llb.web.app import make_app

    if not 0 < port < 65536:
        raise LlbError(f"--port {port} is not a port number; give one from 1 to 65535")
    if runs.exists() and not runs.is_dir():
        raise LlbError(f"--runs {runs} is a file; give a folder for the runs")
    if token is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{8,200}", token):
        raise LlbError("--token must be 8 to 200 letters, digits or . _ ~ - (it goes into the page's address)")
    local = is_loopback(host)
    if not local and not token:
        token = secrets.token_urlsafe(18)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            raise LlbError(f"cannot listen on {host}:{port} ({error.strerror}); pick another --port or --host") from None
    try:
        runs.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise LlbError(f"cannot make the runs folder {runs}: {error.strerror}") from None
    app = make_app(runs, token=token, local_only=local, host=host.strip("[]"), port=port)
    shown = f"[{host}]" if ":" in host else host
    if _unspecified(host):  # every address of this machine: name it by its host name, which others can open
        shown = socket.gethostname()
    print(f"llb serve: open http://{shown}:{port}/" + (f"?token={token}" if token else "") + f"  (runs in {runs.resolve()}; Ctrl-C stops)", flush=True)
    # open event streams end a few seconds after Ctrl-C, so that the runs can be stopped
    uvicorn.run(app, host=host.strip("[]"), port=port, log_level="warning", timeout_graceful_shutdown=3)
    return 0
