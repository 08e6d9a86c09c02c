"""The command line and the files it writes: usage, argument checks before any work, grammar, permissions,
a rerun replacing the earlier run's files, digest names."""

import os
import stat
import subprocess
import sys

import pandas as pd
import pytest
from helpers import DATA, ROOT, SEED_A, SEED_B

from analysis._io import atomic_dir, atomic_path, check_out_dir
from analysis.digests import DigestError, load_digests
from analysis.errors import InputError


def _cli(*args, umask=None):
    preexec = (lambda: os.umask(umask)) if umask is not None else None
    return subprocess.run(
        [sys.executable, "-m", "analysis", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        preexec_fn=preexec,
    )


def _checked_before_work(*args):
    """Run the CLI in a fresh process and report whether it got as far as importing the heavy libraries."""
    code = (
        "import sys; from analysis.__main__ import main; rc = main(sys.argv[1:]); "
        "print(rc, any(m in sys.modules for m in ('torch', 'bertopic', 'sentence_transformers')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True, cwd=ROOT, check=False
    )
    return result.stdout.split(), result.stderr.strip()


def test_no_arguments_shows_the_commands_and_version():
    result = _cli()
    assert result.returncode == 2
    for command in ("load", "run", "evaluate"):
        assert f"    {command} " in result.stderr
    assert _cli("--version").stdout.strip() == "digest-topics 0.1.0"


def test_installed_command_names_itself():
    script = os.path.join(os.path.dirname(sys.executable), "digest-topics")
    result = subprocess.run([script, "run", "--help"], capture_output=True, text=True, check=True)
    assert result.stdout.startswith("usage: digest-topics run ") and "python -m analysis" not in result.stdout


def test_one_digest_one_paper_grammar(tmp_path):
    one = tmp_path / "one.csv"
    one.write_text("title,abstract\nA title,An abstract.\n")
    assert _cli("load", one, "--out", tmp_path / "p.csv").stdout.strip().startswith("wrote 1 paper from 1 digest to")
    assert _cli("load", SEED_A, "--out", tmp_path / "p.csv").stdout.startswith("wrote 108 papers from 1 digest to")


@pytest.mark.parametrize(
    "args, message",
    [
        (["--out", "{tmp}/file.txt"], "--out names an existing file"),
        (["--out", "{root}/analysis"], "is a directory with other files in it"),
        (["--out", "{tmp}/o", "--model", "{tmp}/run"], "did you mean {tmp}/run/model?"),
        (["--out", "{tmp}/o", "--model", "{tmp}/nope"], "no such directory"),
        (["--out", "{tmp}/o", "--n-topics", "3", "--n-broad", "5"], "--n-broad (5) cannot exceed --n-topics (3)"),
        (["--out", "{tmp}/o", "--name", "x.txt=X"], "x.txt: no input file or digest has this name"),
    ],
)
@pytest.mark.slow
def test_argument_mistakes_fail_before_any_work(tmp_path, args, message):
    (tmp_path / "file.txt").write_text("mine")
    (tmp_path / "run" / "model").mkdir(parents=True)
    (tmp_path / "run" / "model" / "digest_topics.json").write_text("{}")
    fill = {"tmp": tmp_path, "root": ROOT}
    (rc, imported), stderr = _checked_before_work("run", DATA, *[a.format(**fill) for a in args])
    assert rc == "1" and imported == "False"
    assert stderr.startswith("error: ") and len(stderr.splitlines()) == 1
    assert message.format(**fill) in stderr
    assert not (tmp_path / "o").exists() and (tmp_path / "file.txt").read_text() == "mine"


def test_files_follow_the_umask(tmp_path):
    out = tmp_path / "p.csv"
    out.write_text("old")
    out.chmod(0o644)
    assert _cli("load", DATA, "--out", out, umask=0o022).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    assert _cli("load", DATA, "--out", out, umask=0o027).returncode == 0
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    before = os.umask(0o022)
    try:
        with atomic_dir(tmp_path / "dir") as staging:
            (staging / "a.txt").write_text("a")
        with atomic_path(tmp_path / "b.txt") as tmp:
            tmp.write_text("b")
    finally:
        os.umask(before)
    assert stat.S_IMODE((tmp_path / "dir").stat().st_mode) == 0o755
    assert stat.S_IMODE((tmp_path / "b.txt").stat().st_mode) == 0o644


def test_a_rerun_leaves_exactly_its_own_files(tmp_path):
    target = tmp_path / "out"
    with atomic_dir(target) as staging:
        (staging / "figures").mkdir()
        (staging / "figures" / "digest_butterfly.png").write_bytes(b"two digests")
        (staging / "report.html").write_text("first")
    check_out_dir(target)  # an earlier run's output may be replaced
    with atomic_dir(target) as staging:
        (staging / "report.html").write_text("second")
    assert sorted(p.name for p in target.rglob("*")) == ["report.html"]
    with pytest.raises(RuntimeError), atomic_dir(target) as staging:
        (staging / "report.html").write_text("third")
        raise RuntimeError("a stage failed")
    assert (target / "report.html").read_text() == "second"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no staging left behind


def test_a_swap_that_fails_half_way_keeps_the_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "out"
    with atomic_dir(target) as staging:
        (staging / "report.html").write_text("first")
    real, calls = os.replace, []

    def second_rename_fails(src, dst):
        calls.append((os.path.basename(src), os.path.basename(dst)))
        if len(calls) == 2:  # the staging folder onto the target
            raise OSError("disk full")
        real(src, dst)

    monkeypatch.setattr(os, "replace", second_rename_fails)
    with pytest.raises(OSError, match="disk full"), atomic_dir(target) as staging:
        (staging / "report.html").write_text("second")
    monkeypatch.undo()
    assert (target / "report.html").read_text() == "first"  # put back, not deleted with the .old folder
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"] and len(calls) == 3


def test_digest_names():
    papers = load_digests(DATA, names={str(SEED_A.relative_to(ROOT)): "Digest A", SEED_B.stem: "Digest B"})
    assert papers.groupby("digest").size().to_dict() == {"Digest A": 108, "Digest B": 78}
    assert load_digests(SEED_A, names={SEED_A.name: "A"})["digest"].unique().tolist() == ["A"]
    with pytest.raises(DigestError, match="Same: two digests would share this name"):
        load_digests(DATA, names={SEED_A.name: "Same", SEED_B.name: "Same"})
    with pytest.raises(DigestError, match="nope.txt: no input file or digest has this name"):
        load_digests(DATA, names={"nope.txt": "X"})
    # Unnamed digests keep their file name with a hash cut short; the short name is a key as well.
    assert load_digests(DATA, names={"000_b07f67": "A"})["digest"].unique().tolist() == ["A", "002_b41ed8"]


def test_hash_like_file_names_are_shortened_unless_they_would_collide(tmp_path):
    row = "title,abstract\nA title,An abstract that ends. It has two sentences.\n"
    for name in ["2024-05-01_0123456789abcdef.csv", "notes_deadbeef.csv", "b_0123456789abcdef.csv"]:
        (tmp_path / name).write_text(row)
    assert load_digests(tmp_path)["digest"].tolist() == ["2024-05-01_012345", "b_012345", "notes_deadbeef"]
    (tmp_path / "b_0123456789abcdff.csv").write_text(row)  # would also be b_012345: keep every full name
    assert load_digests(tmp_path)["digest"].tolist()[1:3] == ["b_0123456789abcdef", "b_0123456789abcdff"]


def test_cli_name_reaches_the_tables(tmp_path):
    out = tmp_path / "p.csv"
    result = _cli("load", DATA, "--out", out, "--name", f"{SEED_A.name}=Early", "--name", f"{SEED_B.stem}=Late")
    assert result.returncode == 0, result.stderr
    assert pd.read_csv(out)["digest"].drop_duplicates().tolist() == ["Early", "Late"]
    bad = _cli("load", DATA, "--out", out, "--name", "no-equals-sign")
    assert bad.returncode == 2 and "expected FILE=NAME" in bad.stderr


def test_errors_a_user_can_fix_are_one_line_and_anything_else_keeps_its_traceback(monkeypatch, capsys, tmp_path):
    import analysis
    from analysis import __main__ as cli
    from analysis.errors import AnalysisError, EmbeddingError, ExportError, InputError, NoBrowserError

    for error in (DigestError, InputError, EmbeddingError, ExportError, NoBrowserError):
        assert issubclass(error, AnalysisError) and getattr(analysis, error.__name__) is error
    assert issubclass(DigestError, ValueError) and issubclass(ExportError, OSError)  # what callers catch today
    out = tmp_path / "papers.csv"
    for error in (InputError("--n-topics must be between 1 and 3, got 9"), EmbeddingError("weights are missing")):

        def fail(args, error=error):
            raise error

        monkeypatch.setattr(cli, "_cmd_load", fail)
        assert cli.main(["load", str(SEED_A), "--out", str(out)]) == 1
        assert capsys.readouterr().err == f"error: {error}\n"

    import errno

    for error in (FileNotFoundError(errno.ENOENT, "No such file or directory", "x.csv"), OSError(errno.ENOSPC, "full")):

        def fail(args, error=error):
            raise error

        monkeypatch.setattr(cli, "_cmd_load", fail)  # a named file, or the disk: the user's to fix
        assert cli.main(["load", str(SEED_A), "--out", str(out)]) == 1
        assert capsys.readouterr().err == f"error: {error}\n"

    for error in (ValueError("a bug, not the user's doing"), OSError("a bug in an OSError"), ConnectionResetError()):

        def bug(args, error=error):
            raise error

        monkeypatch.setattr(cli, "_cmd_load", bug)
        with pytest.raises(type(error)):
            cli.main(["load", str(SEED_A), "--out", str(out)])

    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_cmd_fetch", interrupted)  # Ctrl-C: one line and exit 130, no traceback
    assert cli.main(["fetch", "--since", "2025-01-01", "--until", "2025-01-02", "--out", str(tmp_path / "f")]) == 130
    assert capsys.readouterr().err == "interrupted: nothing was half-written (fetch resumes from the days it wrote)\n"


def test_run_flags_become_its_options_one_for_one(monkeypatch):
    from analysis import __main__ as cli
    from analysis import pipeline

    seen = []
    monkeypatch.setattr(pipeline, "run", lambda paths, out, options: seen.append((paths, out, options)))
    assert cli.main(["run", "a.txt", "--out", "o", "--model", "m", "--adopt", "--no-static", "--name", "a.txt=A"]) == 0
    assert (
        cli.main(["run", "a.txt", "b.txt", "--out", "o", "--n-topics", "9", "--seed", "3", "--precision", "fp32"]) == 0
    )
    (paths, out, update), (_, _, fit) = seen
    assert (paths, out) == (["a.txt"], "o")
    assert update == pipeline.RunOptions(model_dir="m", adopt=True, static=False, names={"a.txt": "A"})
    # no --precision: None, so that an update embeds as the saved topics were (not the CPU's auto choice)
    assert update.precision is None
    assert fit == pipeline.RunOptions(n_topics=9, seed=3, precision="fp32", names={})


def test_load_out_is_checked_before_any_work_with_the_rule_the_writer_uses(tmp_path, monkeypatch, capsys):
    from analysis import __main__ as cli
    from analysis._io import write_frame

    monkeypatch.setattr(cli, "_cmd_load", lambda args: pytest.fail("loaded before the --out check"))
    (tmp_path / "dir.csv").mkdir()
    for out, said in [
        (tmp_path / "papers.txt", "output must end in .csv or .parquet, got '.txt'"),
        (tmp_path / "dir.csv", "output is a directory; give a .csv or .parquet file name"),
    ]:
        assert cli.main(["load", str(SEED_A), "--out", str(out)]) == 1
        assert capsys.readouterr().err == f"error: {out}: {said}\n"
        with pytest.raises(InputError, match=said):  # the same rule, from the writer itself
            write_frame(pd.DataFrame({"a": [1]}), out)
