"""Auto-layout: layers left to right, long chains wrapped onto rows, no overlaps."""

from __future__ import annotations

from projects.document import Project
from projects.layout import DEFAULT_SIZE, MAX_COLUMNS, layered_positions


def _chain(length: int, project: Project | None = None) -> tuple[Project, list[str]]:
    project = project or Project("chain")
    ids = [project.add_node("input", {"shape": [4]}).id]
    for _ in range(length - 2):
        ids.append(project.add_node("dense", {"units": 4}).id)
        project.add_link(ids[-2], "out", ids[-1], "in")
    ids.append(project.add_node("output", {}).id)
    project.add_link(ids[-2], "out", ids[-1], "in")
    return project, ids


def _rows(positions: dict[str, tuple[float, float]], ids: list[str]) -> list[list[str]]:
    rows: dict[float, list[str]] = {}
    for node in ids:
        rows.setdefault(positions[node][1], []).append(node)
    return [sorted(row, key=lambda n: positions[n][0]) for _, row in sorted(rows.items())]


def _assert_apart(positions: dict[str, tuple[float, float]]) -> None:
    width, height = DEFAULT_SIZE
    rects = [(x, y, x + width, y + height) for x, y in positions.values()]
    for i, a in enumerate(rects):
        for b in rects[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)


def test_a_chain_that_fits_stays_on_one_row() -> None:
    project, ids = _chain(MAX_COLUMNS)
    positions = layered_positions(project)
    assert _rows(positions, ids) == [ids]
    xs = [positions[n][0] for n in ids]
    assert xs == sorted(xs) and xs[0] == 0.0


def test_a_deep_chain_wraps_onto_rows_of_equal_length_read_like_text() -> None:
    project, ids = _chain(20)
    positions = layered_positions(project)
    assert _rows(positions, ids) == [ids[:7], ids[7:14], ids[14:]]
    assert {positions[ids[0]][0], positions[ids[7]][0], positions[ids[14]][0]} == {0.0}
    _assert_apart(positions)


def test_components_keep_their_own_bands_when_wrapped() -> None:
    project, first = _chain(12)
    _, second = _chain(3, project)
    positions = layered_positions(project, origin=(10.0, 20.0))
    assert [len(row) for row in _rows(positions, first)] == [6, 6]
    lowest_first = max(positions[n][1] for n in first)
    assert all(positions[n][1] > lowest_first for n in second)
    assert min(x for x, _ in positions.values()) == 10.0
    assert min(y for _, y in positions.values()) == 20.0
    _assert_apart(positions)
