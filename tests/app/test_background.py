"""Background jobs: results come back on the GUI thread, in order, failures included."""

from __future__ import annotations

import threading

import pytest

from app.background import BackgroundJobs


def test_jobs_run_off_the_gui_thread_and_report_on_it_in_order(qtbot) -> None:
    jobs = BackgroundJobs("test")
    seen: list = []
    gui = threading.current_thread()

    def job(value: int):
        return lambda: (value, threading.current_thread() is gui)

    for value in range(3):
        jobs.submit(job(value), lambda result: seen.append((result, threading.current_thread())))
    assert jobs.busy
    qtbot.waitUntil(lambda: len(seen) == 3, timeout=10_000)
    assert [result for result, _ in seen] == [(0, False), (1, False), (2, False)]
    assert all(thread is gui for _, thread in seen)
    assert not jobs.busy
    jobs.close()
    assert not any(t.name == "deepwire-test" for t in threading.enumerate())


def test_a_failing_job_reaches_its_error_callback_and_the_next_job_still_runs(qtbot) -> None:
    jobs = BackgroundJobs("failing")
    errors: list = []
    done: list = []

    def fail():
        raise ValueError("no such run")

    jobs.submit(fail, done.append, errors.append)
    jobs.submit(lambda: 7, done.append)
    assert jobs.wait()
    assert [str(e) for e in errors] == ["no such run"] and done == [7]
    jobs.close()
    jobs.submit(lambda: 8, done.append)  # closed: refused quietly
    assert done == [7]


def test_a_failure_without_an_error_callback_is_raised_on_the_gui_thread(qtbot) -> None:
    jobs = BackgroundJobs("raising")

    def fail():
        raise RuntimeError("boom")

    jobs.submit(fail, lambda _: None)
    with pytest.raises(RuntimeError, match="boom"):
        jobs.wait()
    jobs.close()
