"""The build context: paths, zip uploads and the tar are safe and deterministic (no Docker)."""

import io
import stat
import struct
import tarfile
import time
import zipfile
import zlib

import pytest

from labs.grading.i18n import known, t
from labs.grading.types import Limits
from labs.sandbox.context import ContextError, extract_zip, make_tar, normalize_path, validate_files

LIMITS = Limits(context_files=5, file_bytes=1_000, context_bytes=2_500)


def error_of(fn, *args, **kwargs) -> ContextError:
    with pytest.raises(ContextError) as caught:
        fn(*args, **kwargs)
    exc = caught.value
    # Every rejection is a registered bilingual message that formats with its params.
    assert known(exc.message_id), exc.message_id
    for lang in ("pt-BR", "en"):
        assert t(exc.message_id, lang, **exc.params)
    return exc


def make_zip(entries: list[tuple[str, bytes]], *, mode: int | None = None) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            if mode is not None:
                info.external_attr = mode << 16
            zf.writestr(info, data)
    return buf.getvalue()


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("Dockerfile", "Dockerfile"),
        ("./app//main.py", "app/main.py"),
        ("app/./src/x.py", "app/src/x.py"),
        ("configuração.py", "configuração.py"),
    ],
)
def test_paths_are_normalised(raw, expected):
    assert normalize_path(raw) == expected


@pytest.mark.parametrize(
    "raw, message_id",
    [
        ("/etc/passwd", "context.absolute_path"),
        ("../secret", "context.parent_ref"),
        ("app/../../x", "context.parent_ref"),
        ("", "context.empty_name"),
        ("./", "context.empty_name"),
        ("a\x00b", "context.bad_char"),
        ("a\nb", "context.bad_char"),
        ("app\\main.py", "context.backslash"),
        ("a/" * 200 + "x", "context.path_too_long"),
    ],
)
def test_unsafe_paths_are_rejected(raw, message_id):
    assert error_of(normalize_path, raw).message_id == message_id


def test_validate_files_limits():
    ok = validate_files({"./Dockerfile": b"FROM scratch\n", "app/a.py": b"x" * 1_000}, limits=LIMITS)
    assert ok == {"Dockerfile": b"FROM scratch\n", "app/a.py": b"x" * 1_000}
    assert (
        error_of(validate_files, {f"f{i}": b"" for i in range(6)}, limits=LIMITS).message_id == "context.too_many_files"
    )
    assert error_of(validate_files, {"big": b"x" * 1_001}, limits=LIMITS).message_id == "context.file_too_big"
    too_much = {f"f{i}": b"x" * 900 for i in range(3)}
    assert error_of(validate_files, too_much, limits=LIMITS).message_id == "context.too_big"
    assert error_of(validate_files, {"a": b"", "./a": b""}, limits=LIMITS).message_id == "context.duplicate"
    assert error_of(validate_files, {"app": b"", "app/x": b""}, limits=LIMITS).message_id == "context.file_dir_conflict"


def test_zip_is_extracted_with_common_folder_stripped_and_junk_skipped():
    data = make_zip(
        [
            ("projeto/", b""),
            ("projeto/Dockerfile", b"FROM scratch\n"),
            ("projeto/app/main.py", b"print(1)\n"),
            ("projeto/.DS_Store", b"junk"),
            ("__MACOSX/projeto/._Dockerfile", b"junk"),
        ]
    )
    assert extract_zip(data, limits=LIMITS) == {"Dockerfile": b"FROM scratch\n", "app/main.py": b"print(1)\n"}


def test_zip_without_common_folder_is_kept_as_is():
    data = make_zip([("Dockerfile", b"FROM scratch\n"), ("app/main.py", b"x")])
    assert set(extract_zip(data, limits=LIMITS)) == {"Dockerfile", "app/main.py"}


def patch_flags(data: bytes, change) -> bytes:
    """Rewrite the general-purpose flags of the (single) entry, local and central header."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.index(signature) + offset
        struct.pack_into("<H", patched, at, change(struct.unpack_from("<H", patched, at)[0]))
    return bytes(patched)


def test_zip_utf8_names_without_the_flag_are_recovered():
    # Some Windows tools write UTF-8 names without the UTF-8 flag; zipfile reads them as cp437.
    data = patch_flags(make_zip([("ação.py", b"1")]), lambda flags: flags & ~0x800)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() != ["ação.py"]
    assert extract_zip(data, limits=LIMITS) == {"ação.py": b"1"}


def test_zip_symlink_is_rejected():
    data = make_zip([("Dockerfile", b"FROM scratch\n"), ("link", b"/etc/passwd")], mode=stat.S_IFLNK | 0o777)
    assert error_of(extract_zip, data, limits=LIMITS).message_id == "context.zip_symlink"


def test_zip_device_is_rejected():
    data = make_zip([("dev", b"")], mode=stat.S_IFCHR | 0o644)
    assert error_of(extract_zip, data, limits=LIMITS).message_id == "context.zip_special"


@pytest.mark.parametrize(
    "name, message_id",
    [
        ("../evil", "context.parent_ref"),
        ("a/../../evil", "context.parent_ref"),
        ("/etc/cron.d/evil", "context.absolute_path"),
        ("a\\..\\evil", "context.backslash"),
    ],
)
def test_zip_escaping_entries_are_rejected(name, message_id):
    data = make_zip([("Dockerfile", b"FROM scratch\n"), (name, b"x")])
    assert error_of(extract_zip, data, limits=LIMITS).message_id == message_id


def test_zip_encrypted_entry_is_rejected():
    data = patch_flags(make_zip([("Dockerfile", b"FROM scratch\n")]), lambda flags: flags | 0x1)
    assert error_of(extract_zip, data, limits=LIMITS).message_id == "context.zip_encrypted"


def test_zip_bomb_with_honest_header_is_refused_by_ratio():
    limits = Limits(file_bytes=50_000_000, context_bytes=50_000_000)
    data = make_zip([("bomb", b"\0" * 40_000_000)])
    assert len(data) < 100_000
    assert error_of(extract_zip, data, limits=limits).message_id == "context.zip_bomb"


def test_zip_bomb_with_lying_header_cannot_blow_memory():
    """The central directory says 10 bytes; the deflate stream inflates to 200 MB. Only the
    declared (capped) bytes are ever inflated, and the upload is refused."""
    payload = zlib.compressobj(9, zlib.DEFLATED, -15)
    compressed = payload.compress(b"\0" * 200_000_000) + payload.flush()
    crc = zlib.crc32(b"\0" * 10)
    name = b"Dockerfile"
    local = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(compressed), 10, len(name), 0) + name
    central = (
        struct.pack(
            "<4s6H3L5H2L",
            b"PK\x01\x02",
            20,
            20,
            0,
            8,
            0,
            0,
            crc,
            len(compressed),
            10,
            len(name),
            0,
            0,
            0,
            0,
            0o100644 << 16,
            0,
        )
        + name
    )
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central), len(local) + len(compressed), 0)
    data = local + compressed + central + end
    started = time.monotonic()
    exc = error_of(extract_zip, data, limits=Limits())
    assert exc.message_id == "context.zip_bomb"
    assert time.monotonic() - started < 2


def test_zip_declared_too_big_is_refused_before_reading():
    data = make_zip([("big", b"x" * 1_001)])
    assert error_of(extract_zip, data, limits=LIMITS).message_id == "context.file_too_big"


def test_zip_too_many_files_and_garbage():
    data = make_zip([(f"f{i}", b"x") for i in range(6)])
    assert error_of(extract_zip, data, limits=LIMITS).message_id == "context.too_many_files"
    assert error_of(extract_zip, b"not a zip", limits=LIMITS).message_id == "context.zip_invalid"
    assert error_of(extract_zip, make_zip([("only/", b"")]), limits=LIMITS).message_id == "context.zip_empty"


def test_tar_is_deterministic_and_plain():
    files = {"b.txt": b"b", "app/main.py": b"print(1)\n", "Dockerfile": b"FROM scratch\n", "run.sh": b"#!/bin/sh\n"}
    first = make_tar(files)
    assert first == make_tar(dict(reversed(list(files.items()))))
    with tarfile.open(fileobj=io.BytesIO(first)) as tar:
        members = tar.getmembers()
        assert [m.name for m in members] == ["Dockerfile", "app", "app/main.py", "b.txt", "run.sh"]
        for member in members:
            assert (member.mtime, member.uid, member.gid, member.uname, member.gname) == (0, 0, 0, "", "")
            # Folders and scripts with a shebang are executable; data files are not.
            assert member.mode == (0o755 if member.isdir() or member.name == "run.sh" else 0o644)
            assert member.isdir() or member.isfile()
        assert tar.extractfile("app/main.py").read() == b"print(1)\n"


def test_stored_and_bzip2_entries_are_read():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("stored.txt", b"plain", compress_type=zipfile.ZIP_STORED)
        zf.writestr("packed.txt", b"packed" * 100, compress_type=zipfile.ZIP_BZIP2)
    assert extract_zip(buf.getvalue(), limits=LIMITS) == {"stored.txt": b"plain", "packed.txt": b"packed" * 100}


def test_zip_declaring_more_than_it_holds_is_invalid():
    data = bytearray(make_zip([("Dockerfile", b"FROM scratch\n")]))
    # Central directory: uncompressed size at offset 24 says 13 bytes; claim 20.
    at = data.index(b"PK\x01\x02") + 24
    struct.pack_into("<L", data, at, 20)
    assert error_of(extract_zip, bytes(data), limits=LIMITS).message_id == "context.zip_invalid"


def test_context_module_does_not_import_docker():
    import subprocess
    import sys

    code = "import sys, labs.sandbox.context; sys.exit('docker' in sys.modules or 'django' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


def lying_zip(method: int, content: bytes, *, claimed: int) -> bytes:
    """A zip whose headers claim `claimed` bytes for a member that expands to all of `content`."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("bomba.bin", content, compress_type=method)
    data = bytearray(buf.getvalue())
    struct.pack_into("<L", data, 22, claimed)  # local header: uncompressed size
    struct.pack_into("<L", data, data.index(b"PK\x01\x02") + 24, claimed)  # central directory
    return bytes(data)


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_a_member_that_lies_about_its_size_is_decompressed_with_a_bound(method):
    """Every compression method is decompressed with an output bound, whatever the header
    says: 50 MB of zeros in a few hundred bytes, claimed as 10 bytes, costs kilobytes."""
    import tracemalloc

    data = lying_zip(method, b"\0" * 50_000_000, claimed=10)
    assert len(data) < 100_000
    tracemalloc.start()
    try:
        exc = error_of(extract_zip, data, limits=Limits())
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert exc.message_id == "context.zip_bomb"
    # LZMA's decoder holds its dictionary (8 MiB for zip tools' default); nothing grows with the content.
    assert peak < 12_000_000, peak


@pytest.mark.parametrize("method", [zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA])
def test_every_accepted_method_reads_back_and_a_short_claim_is_invalid(method):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", b"print('ola')\n" * 20, compress_type=method)
    assert extract_zip(buf.getvalue(), limits=LIMITS) == {"app.py": b"print('ola')\n" * 20}
    # Within the caps but not what the header says: refused, never silently truncated.
    data = lying_zip(method, b"x" * 300, claimed=200)
    assert error_of(extract_zip, data, limits=LIMITS).message_id in {"context.zip_invalid", "context.zip_bomb"}


@pytest.mark.parametrize("kind", ["zlib", "bz2", "lzma"])
def test_a_compressed_stream_cut_short_is_invalid_not_waited_on(kind):
    """zlib says it has no more input through unconsumed_tail, bz2 and lzma through
    needs_input: each way, a member whose data ends mid-stream is refused at once."""
    import bz2
    import lzma
    import threading

    from labs.sandbox.context import _decompress_bounded

    content = bytes(range(256)) * 400
    raw_lzma = [{"id": lzma.FILTER_LZMA1}]
    decompressor: zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor
    if kind == "zlib":
        packer = zlib.compressobj(9, zlib.DEFLATED, -15)
        packed = packer.compress(content) + packer.flush()
        decompressor = zlib.decompressobj(-15)
    elif kind == "bz2":
        packed = bz2.compress(content)
        decompressor = bz2.BZ2Decompressor()
    else:
        packed = lzma.compress(content, format=lzma.FORMAT_RAW, filters=raw_lzma)
        decompressor = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=raw_lzma)
    errors: list[ContextError] = []

    def read() -> None:
        try:
            _decompress_bounded(decompressor, packed[: len(packed) // 2], "app.bin", len(content))
        except ContextError as exc:
            errors.append(exc)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=10)
    assert not reader.is_alive(), "a cut stream kept the reader waiting for input that never comes"
    assert [e.message_id for e in errors] == ["context.zip_invalid"]


def test_an_lzma_header_asking_for_a_huge_dictionary_is_refused():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("app.py", b"print(1)\n", compress_type=zipfile.ZIP_LZMA)
    data = bytearray(buf.getvalue())
    start = 30 + len("app.py")  # the member's data: version (2), props size (2), props (5)
    struct.pack_into("<I", data, start + 4 + 1, 0xFFFFFFFF)
    assert error_of(extract_zip, bytes(data), limits=LIMITS).message_id == "context.zip_invalid"


def test_an_unsupported_method_is_named():
    data = bytearray(make_zip([("app.py", b"print(1)\n")]))
    struct.pack_into("<H", data, 8, 93)  # local header: method 93 (zstandard)
    struct.pack_into("<H", data, data.index(b"PK\x01\x02") + 10, 93)
    exc = error_of(extract_zip, bytes(data), limits=LIMITS)
    assert exc.message_id == "context.zip_method"
    assert "93" in exc.params["method"] or "zst" in exc.params["method"].lower()
