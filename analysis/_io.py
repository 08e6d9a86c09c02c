"""Atomic writes: every output appears whole or not at all, with the permissions of the user's umask."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from analysis.errors import InputError

RUN_MARKER = "report.html"  # every run writes it: a directory holding it is an earlier run's output


def is_missing(value) -> bool:
    """None, pandas' NA, or a NaN or NaT (a scalar that differs from itself); a list or an array never is."""
    return value is None or value is pd.NA or (pd.api.types.is_scalar(value) and value != value)


def plural(count: int, word: str) -> str:
    """``1 digest``, ``2 digests``."""
    return f"{count} {word}" + ("" if count == 1 else "s")


def evict_least_recent(directory: Path, limit: int, pattern: str = "[!.]*", companions: tuple[str, ...] = ()) -> None:
    """Remove the least recently used files of ``directory`` (a cache) matching ``pattern`` beyond ``limit`` bytes.
    ``companions``: suffixes of files that belong to each (a shard's key list), counted in its size and removed
    with it. Other runs may share the cache: their temporary files (named from a dot) are theirs to rename, and a
    file another run evicted since the listing is passed over."""
    entries = []
    for file in directory.glob(pattern):
        try:
            info = file.stat()
        except FileNotFoundError:
            continue
        size = info.st_size + sum(_size(file.with_suffix(suffix)) for suffix in companions)
        entries.append((info.st_mtime, file.name, size, file))
    total = 0
    for _, _, size, file in sorted(entries, reverse=True):
        total += size
        if total > limit:
            file.unlink(missing_ok=True)
            for suffix in companions:
                file.with_suffix(suffix).unlink(missing_ok=True)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return 0


def _umask() -> int:
    """The process umask, read without changing it where the system allows (Linux), else set and restored."""
    with contextlib.suppress(OSError, ValueError, StopIteration):
        status = Path("/proc/self/status").read_text().splitlines()
        return int(next(line for line in status if line.startswith("Umask:")).split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _as_created(path: Path, mode: int) -> None:
    """Give ``path`` (made private by :mod:`tempfile`) the mode a plain ``open`` / ``mkdir`` would have."""
    os.chmod(path, mode & ~_umask())


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it is renamed onto ``target``, else removed."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        _as_created(tmp_path, 0o666)
        os.replace(tmp_path, target)
    finally:
        tmp_path.unlink(missing_ok=True)


@contextlib.contextmanager
def quiet_logger(name: str) -> Iterator[None]:
    """Only errors from the logger ``name`` while the block runs; its level is restored afterwards."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def check_out_dir(target: str | Path, flag: str = "--out") -> None:
    """Raise ``InputError`` unless ``target`` can take a run's outputs: new, an empty directory, or the output
    directory of an earlier run (which the run replaces whole)."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise InputError(f"{target}: {flag} names an existing file; give a directory for the outputs")
    if target.is_dir() and any(target.iterdir()) and not (target / RUN_MARKER).is_file():
        raise InputError(
            f"{target}: {flag} is a directory with other files in it (no {RUN_MARKER} from an earlier run); "
            "give a new or empty directory, since a run replaces everything in it"
        )


@contextlib.contextmanager
def atomic_dir(target: str | Path) -> Iterator[Path]:
    """Yield an empty staging directory; on success it replaces ``target`` whole, so that ``target`` holds
    exactly this run's files (none left from an earlier run); on error ``target`` is left as it was."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    old = staging.with_name(staging.name[: -len(".tmp")] + ".old")
    try:
        yield staging
        _as_created(staging, 0o777)
        _sync_tree(staging)  # the files reach the disk before the names point at them
        moved = target.exists()
        if moved:
            os.replace(target, old)
        try:
            os.replace(staging, target)
        except BaseException:
            if moved:  # the earlier output goes back where it was, never deleted below
                os.replace(old, target)
            raise
        _sync(target.parent)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def _sync(path: Path) -> None:
    """fsync a file or directory (a directory's entries: where the OS allows opening one)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:  # a platform that cannot open directories
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _sync_tree(root: Path) -> None:
    for folder, _, files in os.walk(root):
        for name in files:
            _sync(Path(folder) / name)
        _sync(Path(folder))


def file_stem(name: str) -> str:
    """``name`` (a column's, chosen by the user) as a file-name stem and an HTML id: letters, digits, ``_`` and
    ``-`` only, so that it can neither leave the output folder (``../``) nor end an attribute (``"``).

    >>> file_stem("../../escaped"), file_stem('<img src=x onerror="a">'), file_stem("digest")
    ('escaped', 'img_src_x_onerror_a', 'digest')
    """
    return re.sub(r"[^A-Za-z0-9_-]+", "_", name).strip("_-") or "group"


def check_frame_path(path: str | Path) -> None:
    """Refuse a path a frame cannot be written to: not ``.csv`` or ``.parquet``, or a directory."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet"}:
        raise InputError(f"{path}: output must end in .csv or .parquet, got {suffix or 'no suffix'!r}")
    if path.is_dir():
        raise InputError(f"{path}: output is a directory; give a .csv or .parquet file name")


def write_frame(frame: pd.DataFrame, path: str | Path) -> None:
    """Write a frame as CSV or Parquet (by suffix), atomically."""
    check_frame_path(path)
    path = Path(path)
    with atomic_path(path) as tmp:
        if path.suffix.lower() == ".csv":
            frame.to_csv(tmp, index=False, lineterminator="\n")
        else:
            frame.to_parquet(tmp, index=False)
