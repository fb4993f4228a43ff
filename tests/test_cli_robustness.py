"""The command line under stress: Ctrl-C and killed parents, bugs, progress bars, and the small
usage defects of issue 10 (-j, --out '', flags given a value, --version, list columns)."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from endodecide import __version__
from endodecide.disclaimer import DISCLAIMER
from endodecide.parallel import available_cpus, plan_workers
from endodecide.progress import on_terminal, progress
from endodecide.render.text import table, wrap
from tests.conftest import EXE, PROFILES, ROOT, RULES, cli

P001 = "profiles/P001-de-novo-endocrine-naive.yaml"
needs_proc = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")


# -- Ctrl-C and killed parents --------------------------------------------------------------


def _stat(pid: str) -> list[str] | None:
    """Fields of /proc/PID/stat after the command name: state, ppid, pgrp, ..."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:  # gone meanwhile
        return None
    return text[text.rindex(")") + 2 :].split()


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of a process group."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields and int(fields[2]) == pgid and fields[0] != "Z":
            found.append(int(entry.name))
    return found


def _workers_of(pid: int) -> list[int]:
    """Child processes of ``pid`` that are multiprocessing workers."""
    found = []
    for entry in Path("/proc").iterdir():
        fields = _stat(entry.name) if entry.name.isdigit() else None
        if fields and int(fields[1]) == pid:
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def _wait_until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@contextmanager
def _coverage_in_its_own_group() -> Iterator[subprocess.Popen[str]]:
    """``endodecide coverage`` in a new process group, running until its workers exist; the
    whole group is killed afterwards whatever happened, so no test leaves a process behind."""
    process = subprocess.Popen(
        [str(EXE), "coverage", "--rules", str(RULES), "-j", "2"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        started = _wait_until(lambda: _workers_of(process.pid) or process.poll() is not None, 60)
        assert started and process.poll() is None, (
            f"coverage ended early or started no worker: {process.returncode}"
        )
        time.sleep(0.5)  # let them get going
        yield process
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        try:
            process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.mark.slow
@needs_proc
def test_ctrl_c_during_coverage_ends_at_once_with_one_line_and_no_process_left() -> None:
    """SIGINT to the whole group (as a terminal sends it): exit 130 within 5 s, 'interrupted',
    no traceback from the parent or the workers, and every process of the group gone."""
    with _coverage_in_its_own_group() as process:
        os.killpg(process.pid, signal.SIGINT)
        _, stderr = process.communicate(timeout=5)
        assert process.returncode == 130
        assert stderr == "endodecide: interrupted\n"
        assert _wait_until(lambda: not _group(process.pid), 5), _group(process.pid)


@pytest.mark.slow
@needs_proc
def test_workers_exit_by_themselves_when_the_main_process_is_killed() -> None:
    """SIGKILL to the main process only (no chance to clean up): its workers notice and exit
    within a few seconds instead of running on as orphans."""
    with _coverage_in_its_own_group() as process:
        assert _workers_of(process.pid)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=5)
        assert _wait_until(lambda: not _group(process.pid), 5), _group(process.pid)


# -- bugs: one line, exit 3 -------------------------------------------------------------------

_INJECT = textwrap.dedent(
    """
    import sys
    import endodecide.batch

    def broken(*args, **kwargs):
        raise RuntimeError("injected\\nfailure")

    endodecide.batch.evaluate_paths = broken
    from endodecide.cli import main

    sys.argv = ["endodecide", "run", "{profile}"]
    main()
    """
)


def _run_with_injected_bug(debug: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "ENDODECIDE_DEBUG"}
    if debug is not None:
        env["ENDODECIDE_DEBUG"] = debug
    return subprocess.run(
        [sys.executable, "-c", _INJECT.format(profile=P001)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=120,
        env=env,
    )


@pytest.mark.slow
def test_an_unexpected_exception_is_one_line_and_exit_3() -> None:
    """A bug inside a command: exit 3 and exactly one line naming the exception, no traceback."""
    done = _run_with_injected_bug(None)
    assert done.returncode == 3
    assert done.stderr.splitlines() == [
        "endodecide: internal error, please report: RuntimeError: injected failure"
    ]
    assert done.stdout == ""


@pytest.mark.slow
def test_endodecide_debug_shows_the_traceback() -> None:
    """ENDODECIDE_DEBUG=1 re-raises the bug so a developer sees the traceback."""
    done = _run_with_injected_bug("1")
    assert done.returncode not in (0, 3)
    assert "Traceback" in done.stderr and "RuntimeError: injected" in done.stderr
    assert "internal error, please report" not in done.stderr


# -- progress bars ----------------------------------------------------------------------------


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_is_drawn_on_a_terminal_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """The helper draws on a terminal, and writes nothing at all to a pipe or file or on a
    terminal that says it cannot draw (TERM=dumb)."""
    monkeypatch.setenv("TERM", "xterm-256color")
    piped, terminal = io.StringIO(), _FakeTerminal()
    assert not on_terminal(piped) and on_terminal(terminal)
    for stream in (piped, terminal):
        with progress("work", 10, stream) as advance:
            advance(10)
    assert piped.getvalue() == ""
    assert "work" in terminal.getvalue()
    monkeypatch.setenv("TERM", "dumb")
    assert not on_terminal(_FakeTerminal())


@pytest.mark.slow
def test_a_piped_batch_prints_no_progress(tmp_path: Path) -> None:
    """run on 200 files (spread over processes, behind a progress bar on a terminal) prints no
    bar characters or escape codes when stdout and stderr are pipes."""
    for index in range(200):
        (tmp_path / f"p{index:03d}.yaml").write_text((PROFILES / Path(P001).name).read_text())
    done = cli("run", str(tmp_path), "--summary", "-j", "2")
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "\x1b" not in done.stdout and "━" not in done.stdout
    assert "Summary: 200 profile(s)" in done.stdout


# -- -j ---------------------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize("value", ["0", "-1"])
def test_workers_below_one_are_a_usage_error(value: str) -> None:
    """-j 0 and -j -1 are refused before any work: exit 2."""
    done = cli("coverage", "-j", value)
    assert done.returncode == 2
    assert "--workers" in done.stderr and "Traceback" not in done.stderr


def test_workers_are_capped_at_the_cpus() -> None:
    """-j asks for at most the CPUs: more is capped (and fewer jobs mean fewer processes)."""
    cpus = available_cpus()
    assert plan_workers(1000) == cpus
    assert plan_workers(None) == cpus
    assert plan_workers(1000, jobs=1) == 1
    assert plan_workers(1) == 1


@pytest.mark.slow
def test_more_workers_than_cpus_says_what_is_used() -> None:
    """-j 1000 prints one note naming the number of processes really used."""
    done = cli("run", P001, "-j", "1000")
    assert done.returncode == 0, done.stderr
    cpus = available_cpus()
    assert done.stderr.splitlines() == [
        f"note: -j 1000 is more than the {cpus} CPU(s) here; using at most {cpus} process(es)."
    ]


# -- flags, --out, --version ------------------------------------------------------------------


@pytest.mark.slow
def test_boolean_options_are_flags_without_a_type_in_help() -> None:
    """--explain and --summary show no '<bool>' value in help: they are given alone."""
    done = cli("run", "--help")
    assert done.returncode == 0
    lines = [
        line for line in done.stdout.splitlines() if "--explain" in line or "--summary" in line
    ]
    assert len(lines) == 2 and not any("<bool>" in line for line in lines), lines
    top = [line for line in cli("--help").stdout.splitlines() if "--version" in line]
    assert top and "<bool>" not in top[0]


@pytest.mark.slow
def test_a_flag_given_a_value_is_a_usage_error() -> None:
    """'--explain false' is exit 2 with a message saying the flag takes no value, not an
    attempt to read a file called 'false'."""
    done = cli("run", "--explain", "false", P001)
    assert done.returncode == 2
    text = " ".join(done.stderr.replace("│", " ").split())
    assert "'false' is not a file or folder; --explain and --summary are flags" in text
    assert "take no value" in text


@pytest.mark.slow
@pytest.mark.parametrize(
    "args",
    [
        ("report", P001, "--out", ""),
        ("report", P001, "--out", "  "),
        ("handout", "--out", ""),
        ("rules", "catalog", "--out", ""),
        ("coverage", "--out", ""),
    ],
    ids=["report", "report-blank", "handout", "catalog", "coverage"],
)
def test_an_empty_out_is_a_usage_error(args: tuple[str, ...], tmp_path: Path) -> None:
    """An empty --out is exit 2 and writes nothing, instead of meaning the current folder."""
    done = cli(
        *(str(ROOT / a) if a == P001 else a for a in args),
        cwd=tmp_path,
        env={**os.environ, "ENDODECIDE_RULES": str(RULES)},
        timeout=120,
    )
    assert done.returncode == 2
    assert "must name a folder or file, not be empty" in done.stderr
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_version_prints_the_package_and_the_rule_pack() -> None:
    """--version: the package version, the rule pack's name and version, the disclaimer; exit 0."""
    from endodecide.sources import read_document

    manifest = read_document(RULES / "pack.yaml").data  # type: ignore[union-attr]
    done = cli("--version")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == f"endodecide {__version__}"
    assert lines[1] == (
        f"rule pack {manifest['name']} {manifest['version']} at rules, "
        f"evidence as of {manifest['evidence_as_of']}"
    )
    assert "\n".join(lines[2:]) == wrap(DISCLAIMER)


@pytest.mark.slow
def test_handout_output_carries_the_disclaimer(tmp_path: Path) -> None:
    """The handout's closing line is followed by the disclaimer, like every other output."""
    done = cli("handout", "--out", str(tmp_path / "handout.html"), P001)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("Wrote the handout (1 cases, ")
    assert "\n".join(lines[-len(wrap(DISCLAIMER).splitlines()) :]) == wrap(DISCLAIMER)


@pytest.mark.slow
def test_validate_with_errors_ends_with_counts_and_the_disclaimer(tmp_path: Path) -> None:
    """validate on one good and one bad file: the bad one named, then the counts and the
    disclaimer, exit 1."""
    (tmp_path / "good.yaml").write_text((PROFILES / Path(P001).name).read_text())
    (tmp_path / "bad.yaml").write_text("label: [unclosed\n")
    done = cli("validate", str(tmp_path))
    assert done.returncode == 1
    assert done.stdout.splitlines()[:2] == [
        f"ok: {tmp_path / 'good.yaml'}",
        "Checked 2 file(s): 1 profile(s) valid, 1 with problems.",
    ]
    assert done.stdout.endswith(wrap(DISCLAIMER) + "\n")
    assert "bad.yaml" in done.stderr


# -- tables -------------------------------------------------------------------------------------


def _columns_line_up(output: str, header_start: str) -> list[str]:
    """Rows under the header: every column starts exactly where its header starts, after a
    space, so no two columns run into each other."""
    lines = output.splitlines()
    top = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    header, rule = lines[top], lines[top + 1]
    starts = [i for i, char in enumerate(rule) if char == "-" and (i == 0 or rule[i - 1] == " ")]
    assert [header[s - 1 : s] for s in starts[1:]] == [" "] * (len(starts) - 1)
    rows = []
    for line in lines[top + 2 :]:
        if not line.strip():
            break
        for start in starts[1:]:
            assert line[start - 2 : start] == "  " and line[start] != " ", line
        rows.append(line)
    return rows


@pytest.mark.slow
def test_rules_list_columns_never_touch() -> None:
    """rules list: one row per rule in aligned columns, two spaces apart even for the longest
    status (evidence_against)."""
    done = cli("rules", "list")
    rows = _columns_line_up(done.stdout, "ID ")
    assert any(" evidence_against  " in row for row in rows)
    assert all(row[:2] == "ED" for row in rows)


@pytest.mark.slow
def test_evidence_list_columns_never_touch() -> None:
    """evidence list: one row per entry in aligned columns, even for meta_analysis and the
    longest DOIs."""
    done = cli("evidence", "list")
    rows = _columns_line_up(done.stdout, "ID ")
    assert any(" meta_analysis  " in row for row in rows)
    assert all(row[:1].islower() for row in rows)


def test_table_wraps_the_chosen_column_and_escapes_control_characters() -> None:
    """table(): widths from the content, numbers right-aligned, the chosen column wrapped
    (continuation indented) to fit the width, control characters shown as escapes."""
    lines = table(
        ["name", "n"],
        [["a-long-file-name-with-hyphens.yaml", "7"], ["evil\x1b[2J.yaml", "12"]],
        right=[1],
        wrap_column=0,
        width=24,
        min_width=10,
    )
    assert lines == [
        "name                   n",
        "--------------------  --",
        "a-long-file-name-      7",
        "  with-hyphens.yaml",
        "evil\\x1b[2J.yaml      12",
    ]
