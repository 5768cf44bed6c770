"""Unit tests of the grader's pieces that need no kernel: the data codec
(strict decoding), notebook proxies, the journal, file naming, reading files."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch

from course_grader import codec
from course_grader.journal import Journal, atomic_write, key
from course_grader.remote import RemoteNamespace, RemoteObject
from course_grader.submissions import parse_name, read_notebook

# --------------------------------------------------------------------- codec


def _roundtrip(value):
    return codec.decode(json.loads(json.dumps(codec.encode(value), allow_nan=False)))


def test_codec_roundtrips_data_bit_for_bit():
    tensor = torch.tensor([[0.1, -math.inf], [math.nan, 1e-300]], dtype=torch.float64)
    back = _roundtrip(tensor)
    assert type(back) is torch.Tensor and back.dtype == torch.float64
    assert torch.equal(back.view(torch.int64), tensor.view(torch.int64))  # every bit
    array = np.arange(6, dtype=np.int32).reshape(2, 3)
    assert np.array_equal(_roundtrip(array), array) and _roundtrip(array).dtype == np.int32
    assert _roundtrip(np.float32(1.5)) == np.float32(1.5)
    value = {"a": (1, 2.5, None, True, "x"), 3: [math.inf, -math.inf], "c": 1 + 2j, "b": b"\x00"}
    back = _roundtrip(value)
    assert back["a"] == (1, 2.5, None, True, "x") and back[3] == [math.inf, -math.inf]
    assert back["c"] == 1 + 2j and back["b"] == b"\x00"
    assert math.isnan(_roundtrip(math.nan))
    assert _roundtrip(torch.tensor(2.0, dtype=torch.bfloat16)).dtype == torch.float32


def test_codec_refuses_objects_unless_they_become_handles():
    class Thing:
        pass

    with pytest.raises(TypeError):
        codec.encode(Thing())
    node = codec.encode([Thing()], lambda obj: {"handle": {"id": 7, "type": "Thing"}})
    assert node == {"list": [{"handle": {"id": 7, "type": "Thing"}}]}


@pytest.mark.parametrize(
    "node",
    [
        [1, 2],  # raw lists are not data: every container is tagged
        {"list": [1], "tuple": [2]},
        {"evil": 1},
        {"float": "1e308"},
        {"ndarray": {"dtype": "object", "shape": [1], "data": ""}},
        {"ndarray": {"dtype": "float64", "shape": [2], "data": "AAAAAAAAAAA="}},  # 8 bytes
        {"ndarray": {"dtype": "float64", "shape": [-1], "data": ""}},
        {"tensor": {"dtype": "float64", "shape": [1], "data": "not base64!"}},
        {"handle": {"id": 1}},  # no handle factory given
        {"dict": [["k"]]},
    ],
)
def test_codec_rejects_malformed_data(node):
    with pytest.raises(ValueError):
        codec.decode(node)


def test_codec_bounds_depth():
    node = 1
    for _ in range(codec.MAX_DEPTH + 5):
        node = {"list": [node]}
    with pytest.raises(codec.DecodeError, match="deeper"):
        codec.decode(node)


def test_a_notebook_object_is_never_a_number_a_truth_value_or_equal():
    proxy = RemoteObject(channel=None, id_=1, type_name="Liar", is_callable=False)
    for use in (bool, float, int, lambda p: p == 42, lambda p: p + 1, lambda p: p < 1):
        with pytest.raises(TypeError, match="not a number, array or tensor"):
            use(proxy)
    assert repr(proxy) == "<notebook Liar object>"


def test_the_checker_uses_the_remote_namespace_hook():
    assert hasattr(RemoteNamespace, "_start_check")


# ------------------------------------------------------------------- journal


def test_journal_ignores_and_repairs_a_line_cut_by_a_kill(tmp_path):
    journal = Journal(tmp_path / "journal.jsonl")
    journal.append({"key": "a", "n": 1})
    with open(journal.path, "ab") as handle:
        handle.write(b'{"key": "b", "n"')  # the kill came mid-write
    assert list(Journal(journal.path).load()) == ["a"]
    fresh = Journal(journal.path)
    fresh.append({"key": "b", "n": 2})
    fresh.append({"key": "a", "n": 3})  # the last record of a key wins
    records = Journal(journal.path).load()
    assert {k: r["n"] for k, r in records.items()} == {"a": 3, "b": 2}
    assert journal.path.read_bytes().count(b"\n") == 3


def test_atomic_write_replaces_whole_files(tmp_path):
    target = tmp_path / "sub" / "gradebook.csv"
    atomic_write(target, "a,b\n")
    atomic_write(target, "a,b\n1,2\n")
    assert target.read_text() == "a,b\n1,2\n"
    assert [p.name for p in target.parent.iterdir()] == ["gradebook.csv"]


def test_journal_key_depends_on_file_content_and_tests():
    assert key("a.ipynb", "1" * 64, "2" * 64) != key("a.ipynb", "1" * 64, "3" * 64)
    assert key("a.ipynb", "1" * 64, "2" * 64) != key("a.ipynb", "4" * 64, "2" * 64)


# ------------------------------------------------------------ submissions


@pytest.mark.parametrize(
    ("filename", "student", "assignment"),
    [
        ("jdoe42.ipynb", "jdoe42", None),
        ("jane_doe.ipynb", "jane_doe", None),
        ("a.b-c.ipynb", "a.b-c", None),
        ("jdoe42__ch03_losses.ipynb", "jdoe42", "ch03_losses"),
        ("jane_doe__ch03_losses.ipynb", "jane_doe", "ch03_losses"),
        ("Bad Name.ipynb", None, None),
        ("_hidden.ipynb", None, None),
        ("jdoe.IPYNB", None, None),
        ("jdoe.ipynb.txt", None, None),
        ("jdoe_.ipynb", None, None),
    ],
)
def test_naming_convention(filename, student, assignment):
    name = parse_name(filename)
    assert (name.student, name.assignment) == (student, assignment)


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "the file is empty"),
        (b'{"cells": [], "x": "caf\xe9"}', "not UTF-8 text (byte 0xe9 at offset 23)"),
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "not a Jupyter notebook"),
        (b'{"cells": 3}', "not a Jupyter notebook"),
        (b'{"cells": [], "nbformat": 4}', "not a readable notebook"),
    ],
)
def test_unreadable_files_say_why(tmp_path, content, why):
    path = tmp_path / "s.ipynb"
    path.write_bytes(content)
    nb, reason = read_notebook(path)
    assert nb is None and why in reason, reason


# ------------------------------------------------------------------ sandbox


def _launch_with_broken_namespaces(tmp_path, *, required: bool):
    import subprocess
    import sys

    from course_grader import sandbox

    job = tmp_path / "job"
    sandbox.prepare(sandbox.Spec(job_dir=str(job), required=required))
    code = (
        "import sys, course_grader.sandbox as s\n"
        "def fail(state):\n"
        "    raise OSError(1, 'Operation not permitted')\n"
        "s._enter_namespaces = fail\n"
        "s.launch(sys.argv[1], [sys.executable, '-c', 'print(\"kernel ran\")'])\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(job)], timeout=60)
    return done.returncode, (job / sandbox.LOG_FILE).read_text(), sandbox.read_state(job)


def test_without_namespaces_grading_refuses_to_start_a_kernel(tmp_path):
    code, log, state = _launch_with_broken_namespaces(tmp_path, required=True)
    assert code == 125 and "kernel ran" not in log
    assert "cannot create the namespaces that hide the hidden tests" in log
    assert "no namespaces" in state["fallback"]


def test_a_best_effort_sandbox_falls_back_to_limits_only(tmp_path):
    code, log, state = _launch_with_broken_namespaces(tmp_path, required=False)
    assert code == 0 and "kernel ran" in log
    assert state["masked"] is False and "resource limits only" in state["fallback"]
