"""Is there a screen to open the window on? Asked before Qt is started.

Without one, Qt's xcb plugin aborts the whole process (exit 134) after saying
that libxcb-cursor0 is needed, even when it is installed: wrong advice for
the usual cause, an ssh session or a server without a display.
"""

from __future__ import annotations

import os
import re
import socket
import sys
from collections.abc import Mapping

_X_DISPLAY = re.compile(r"^(?P<host>[^:]*):(?P<number>\d+)(\.\d+)?$")
_WINDOW_PLATFORMS = ("xcb", "wayland")  # the plugins that need a display server


def display_problem(environ: Mapping[str, str] = os.environ) -> str | None:
    """Why a window cannot open here, with what to do; None when it can (or Qt will tell)."""
    if not sys.platform.startswith("linux"):
        return None
    platform = environ.get("QT_QPA_PLATFORM", "").split(":")[0]
    if platform and platform not in _WINDOW_PLATFORMS and not platform.startswith("wayland"):
        return None  # offscreen, vnc, eglfs...: no display server needed
    wayland, x11 = environ.get("WAYLAND_DISPLAY"), environ.get("DISPLAY")
    if platform.startswith("wayland") or (not platform and wayland):
        return None if wayland or x11 else _advice("WAYLAND_DISPLAY is not set")
    if not x11:
        return _advice("DISPLAY is not set")
    if not x_server_answers(x11):
        return _advice(f"no X server answers at DISPLAY={x11}")
    return None


def _advice(cause: str) -> str:
    return (
        f"No screen to open the window on ({cause}). Log in to a desktop session, connect "
        "with `ssh -X`, or for pictures without a screen set QT_QPA_PLATFORM=offscreen "
        "(`wnexplorer gui --screenshot FILE`); every other job is a command: `wnexplorer --help`."
    )


def x_server_answers(display: str, timeout: float = 2.0) -> bool:
    """Whether an X server accepts connections at ``display`` (":0", "host:10.0")."""
    match = _X_DISPLAY.match(display)
    if match is None:
        return True  # a form we do not know (launchd paths, ...): let Qt try it
    host, number = match["host"], int(match["number"])
    if host in ("", "unix"):
        name = f"/tmp/.X11-unix/X{number}"
        for address in ("\0" + name, name):  # Linux's abstract socket first, then the file
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(timeout)
                try:
                    sock.connect(address)
                    return True
                except OSError:
                    continue
        return False
    try:
        socket.create_connection((host, 6000 + number), timeout=timeout).close()
        return True
    except OSError:
        return False
