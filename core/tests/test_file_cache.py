"""``pyfunc_core.formats.file_cache``: digests, entry names, atomic stores and pruning."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pyfunc_core.formats import file_cache


def test_a_digest_is_the_files_and_follows_a_rewrite(tmp_path: Path) -> None:
    model = tmp_path / "model.pkl"
    model.write_bytes(b"first" * 1000)
    assert file_cache.file_sha256(model) == hashlib.sha256(b"first" * 1000).hexdigest()
    assert file_cache.file_sha256(model) == hashlib.sha256(b"first" * 1000).hexdigest()  # remembered
    stat = model.stat()
    model.write_bytes(b"other" * 1000)  # same size, same inode
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_cache.file_sha256(model) == hashlib.sha256(b"other" * 1000).hexdigest()


def test_store_keeps_the_newest_entries(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYFUNC_CORE_CACHE_DIR", str(tmp_path / "cache"))
    entries = [file_cache.cache_entry("things", ["key", i], ".bin") for i in range(4)]
    assert len(set(entries)) == 4 and all(e.parent == tmp_path / "cache" / "things" for e in entries)
    for i, entry in enumerate(entries):
        assert file_cache.store(entry, lambda f, i=i: f.write(bytes([i])), keep=3)
        os.utime(entry, (1_000_000 + i, 1_000_000 + i))
    file_cache.store(entries[3], lambda f: f.write(b"\x03"), keep=3)  # prunes to the 3 newest
    assert sorted(p.name for p in entries[0].parent.iterdir()) == sorted(e.name for e in entries[1:])
    assert not list(entries[0].parent.glob(".tmp-*"))


def test_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("A_SWITCH", "off")
    monkeypatch.delenv("B_SWITCH", raising=False)
    assert file_cache.switched_off("A_SWITCH", "B_SWITCH")
    assert not file_cache.switched_off("B_SWITCH")
