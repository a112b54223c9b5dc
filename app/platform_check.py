"""Can Qt open a window here? Asked before QApplication exists, because Qt aborts the process.

Without a display, or without the system libraries its platform plugin links against, Qt
prints a misleading message and aborts (it can name a library that is installed). This
module finds what is actually missing and says how to install it and what works without
a window. It imports nothing from Qt. The success path costs one ``dlopen`` of the plugin
Qt would load a moment later anyway and one connection to the X server; ``ldd`` runs only
when the ``dlopen`` fails.
"""

from __future__ import annotations

import ctypes
import importlib.util
import os
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

EXIT_NO_WINDOW = 2

# Platform plugin -> the environment variable naming the display it connects to.
DISPLAY_VARIABLE = {"xcb": "DISPLAY", "wayland": "WAYLAND_DISPLAY"}

# Libraries whose Debian/Ubuntu package name does not follow the naming rule (see
# ``debian_package``). Checked against ``dpkg -S`` on Debian 12.
DEBIAN_PACKAGE_EXCEPTIONS = {
    "libc.so.6": "libc6", "libm.so.6": "libc6", "libdl.so.2": "libc6",
    "libpthread.so.0": "libc6", "libgcc_s.so.1": "libgcc-s1", "libz.so.1": "zlib1g",
    "libGLdispatch.so.0": "libglvnd0", "libglib-2.0.so.0": "libglib2.0-0",
    "libgthread-2.0.so.0": "libglib2.0-0", "libbrotlicommon.so.1": "libbrotli1",
    "libbrotlidec.so.1": "libbrotli1",
}

_NOT_FOUND = re.compile(r"^\s*(\S+) => not found", re.MULTILINE)
_DLOPEN_MISSING = re.compile(r"(\S+\.so[.\d]*): cannot open shared object file")


@dataclass(frozen=True)
class StartupProblem:
    """Why the window cannot open: no display or one that does not answer, missing
    libraries, or both."""

    reason: str | None
    missing: tuple[str, ...] = ()

    def __str__(self) -> str:
        from projects.cli import COMMANDS

        needs = "Qt's xcb display plugin needs system libraries that are missing"
        if self.reason:
            lines = [f"Deepwire cannot open its window: {self.reason}."]
            if self.missing:
                lines.append(needs.replace("needs", "also needs") + ":")
        else:
            lines = [f"Deepwire cannot open its window: {needs}:"]
        if self.missing:
            lines += [f"  {lib}  (Debian/Ubuntu package {debian_package(lib)})"
                      for lib in self.missing]
            lines += ["Install them with:", f"  {install_command(self.missing)}"]
        lines += ["", "Without a window, the headless commands do everything except drawing:",
                  "  deepwire " + " | ".join(COMMANDS) + "   (`deepwire COMMAND --help`)"]
        return "\n".join(lines)


def startup_problem(argv: Sequence[str] = (), env: Mapping[str, str] | None = None, *,
                    assume_missing: Iterable[str] = ()) -> StartupProblem | None:
    """What stops Qt from opening a window, or None when it can (or it is not ours to judge).

    ``assume_missing`` names libraries to treat as absent: tests use it, as installed system
    libraries cannot be removed to try the failure path.
    """
    if not sys.platform.startswith("linux"):
        return None  # Windows and macOS have one platform plugin that needs nothing more
    env = os.environ if env is None else env
    plugin = qt_platform(argv, env)
    if plugin not in DISPLAY_VARIABLE:
        return None  # offscreen, vnc, eglfs, a fallback list...: Qt's own choice
    display = env.get(DISPLAY_VARIABLE[plugin], "")
    unset = [v for v in ("DISPLAY", "WAYLAND_DISPLAY") if not env.get(v)]
    no_display = f"there is no display ({' and '.join(unset)} not set)"
    if plugin != "xcb":  # Wayland: only the display is checked; its libraries are Qt's affair
        return None if display else StartupProblem(no_display)
    missing = missing_libraries(plugin, tuple(assume_missing))
    if not display or missing:
        return StartupProblem(None if display else no_display, missing)
    if not x_display_answers(display):
        return StartupProblem(f"the X display {display} does not answer (is its server "
                              "running, and may this user connect to it?)")
    return None


def qt_platform(argv: Sequence[str], env: Mapping[str, str]) -> str | None:
    """The platform plugin Qt will use, as QGuiApplication picks it; None for a fallback list."""
    args = list(argv)
    if "-platform" in args[:-1]:
        chosen = args[args.index("-platform") + 1]
    else:
        chosen = env.get("QT_QPA_PLATFORM", "")
    if chosen:
        return None if ";" in chosen else chosen.split(":")[0]
    if env.get("XDG_SESSION_TYPE") == "wayland" and env.get("WAYLAND_DISPLAY"):
        return "wayland"
    if not env.get("DISPLAY") and env.get("WAYLAND_DISPLAY"):
        return "wayland"
    return "xcb"


def plugin_file(plugin: str) -> Path | None:
    """PySide6's shared library for a platform plugin, found without importing PySide6."""
    spec = importlib.util.find_spec("PySide6")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(spec.submodule_search_locations[0], "Qt", "plugins", "platforms",
                f"libq{plugin}.so")
    return path if path.is_file() else None


def missing_libraries(plugin: str, assume_missing: Sequence[str] = ()) -> tuple[str, ...]:
    """System libraries the plugin links against that cannot be found (their file names).

    The plugin is loaded lazily, as Qt loads it; only a library that cannot be found counts,
    so a working setup is never turned away on a guess.
    """
    path = plugin_file(plugin)
    if path is None:
        return tuple(assume_missing)
    try:
        ctypes.CDLL(str(path), mode=os.RTLD_LAZY | os.RTLD_LOCAL)
        return tuple(assume_missing)
    except OSError as err:
        found = _ldd_not_found(path) or _DLOPEN_MISSING.findall(str(err))
    return tuple(dict.fromkeys([*found, *assume_missing]))


def _ldd_not_found(path: Path) -> list[str]:
    """Every library ``ldd`` cannot resolve (a failed dlopen names only the first)."""
    import subprocess  # only on the failure path: its import costs a few ms

    try:
        out = subprocess.run(["ldd", str(path)], capture_output=True, text=True, timeout=10,
                             check=False).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    return list(dict.fromkeys(_NOT_FOUND.findall(out)))


def debian_package(soname: str) -> str:
    """The Debian/Ubuntu package that ships a library, by Debian's naming rule.

    ``libxcb-icccm.so.4`` -> ``libxcb-icccm4``; a name ending in a digit takes a hyphen:
    ``libxkbcommon-x11.so.0`` -> ``libxkbcommon-x11-0``.
    """
    if soname in DEBIAN_PACKAGE_EXCEPTIONS:
        return DEBIAN_PACKAGE_EXCEPTIONS[soname]
    stem, _, version = soname.partition(".so.")
    if not version:
        return stem.lower()
    version = version.split(".")[0]
    joint = "-" if stem[-1:].isdigit() else ""
    return f"{stem.lower()}{joint}{version}"


def install_command(missing: Iterable[str]) -> str:
    """The apt-get line that installs the packages shipping these libraries."""
    packages = dict.fromkeys(debian_package(lib) for lib in missing)
    return "sudo apt-get install " + " ".join(packages)


def x_display_answers(display: str) -> bool:
    """Whether an X server accepts a connection on ``display`` (libxcb, as Qt connects)."""
    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return True  # then the plugin check has already spoken
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    connection = xcb.xcb_connect(display.encode(), None)
    try:
        return connection is not None and xcb.xcb_connection_has_error(connection) == 0
    finally:
        if connection is not None:
            xcb.xcb_disconnect(connection)
