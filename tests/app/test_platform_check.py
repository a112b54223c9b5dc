"""Starting with no display, or without Qt's system libraries, explains itself instead of
aborting."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app import platform_check
from projects.cli import COMMANDS

ROOT = Path(__file__).resolve().parents[2]
linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="Windows and macOS need no display check")


def _headless_commands_named(text: str) -> bool:
    return "headless commands" in text and all(name in text for name in COMMANDS)


@linux_only
def test_without_a_display_the_app_says_so_and_names_the_headless_commands():
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = subprocess.run([sys.executable, "-m", "app"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == platform_check.EXIT_NO_WINDOW, result.stderr
    assert "there is no display" in result.stderr
    assert _headless_commands_named(result.stderr)
    assert "could be initialized" not in result.stderr  # Qt never got to abort


@linux_only
def test_missing_libraries_are_named_with_their_packages_and_the_install_command():
    """The installed libraries cannot be removed here, so two are declared missing; the
    rest of the check (loading the real plugin, ``ldd`` when that fails) runs for real."""
    missing = ("libxcb-icccm.so.4", "libxkbcommon-x11.so.0")
    problem = platform_check.startup_problem([], {"DISPLAY": ":0"}, assume_missing=missing)
    assert problem is not None
    assert set(missing) <= set(problem.missing)
    text = str(problem)
    assert "libxcb-icccm4" in text and "libxkbcommon-x11-0" in text
    assert platform_check.install_command(problem.missing) in text
    assert "sudo apt-get install " in text
    assert _headless_commands_named(text)


@linux_only
def test_an_x_display_that_does_not_answer_is_reported():
    problem = platform_check.startup_problem([], {"DISPLAY": ":987"})
    assert problem is not None  # a missing library, or else the silent display
    assert problem.missing or ":987 does not answer" in str(problem)


@linux_only
def test_wayland_without_its_display_is_reported_and_with_it_left_to_qt():
    problem = platform_check.startup_problem([], {"QT_QPA_PLATFORM": "wayland"})
    assert problem is not None and "there is no display" in str(problem)
    assert platform_check.startup_problem([], {"WAYLAND_DISPLAY": "wayland-0"}) is None


def test_offscreen_and_other_chosen_platforms_are_left_to_qt():
    for env in ({"QT_QPA_PLATFORM": "offscreen"}, {"QT_QPA_PLATFORM": "wayland;xcb"}):
        assert platform_check.startup_problem([], env) is None
    assert platform_check.startup_problem(["-platform", "offscreen"], {}) is None


def test_the_platform_is_picked_as_qt_picks_it():
    pick = platform_check.qt_platform
    assert pick([], {"DISPLAY": ":0"}) == "xcb"
    assert pick([], {}) == "xcb"
    assert pick([], {"WAYLAND_DISPLAY": "wayland-0"}) == "wayland"
    assert pick([], {"DISPLAY": ":0", "WAYLAND_DISPLAY": "w", "XDG_SESSION_TYPE": "wayland"}) \
        == "wayland"
    assert pick([], {"QT_QPA_PLATFORM": "vnc:size=800x600"}) == "vnc"
    assert pick(["-platform", "minimal"], {"QT_QPA_PLATFORM": "xcb"}) == "minimal"


@pytest.mark.parametrize(("soname", "package"), [
    ("libxcb-icccm.so.4", "libxcb-icccm4"), ("libxcb-keysyms.so.1", "libxcb-keysyms1"),
    ("libxkbcommon-x11.so.0", "libxkbcommon-x11-0"), ("libGL.so.1", "libgl1"),
    ("libEGL.so.1", "libegl1"), ("libdbus-1.so.3", "libdbus-1-3"),
    ("libX11-xcb.so.1", "libx11-xcb1"), ("libglib-2.0.so.0", "libglib2.0-0"),
    ("libfontconfig.so.1", "libfontconfig1"), ("libxcb-render-util.so.0", "libxcb-render-util0"),
])
def test_libraries_map_to_their_debian_packages(soname: str, package: str):
    assert platform_check.debian_package(soname) == package
