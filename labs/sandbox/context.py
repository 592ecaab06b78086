"""The build context: validated learner files, zip uploads and the tar sent to the daemon.

Pure Python (no docker import) so it can run in the web process before anything is queued.
Everything here assumes hostile input: paths that escape the context, symlinks that point
at the host, zip bombs whose headers lie. Every rejection is a `ContextError` carrying a
message id (its text is in labs/grading/sandbox_messages.py), because the learner must be
told what to change.
"""

import bz2
import io
import lzma
import stat
import struct
import tarfile
import zipfile
import zlib
from typing import Any

from labs.grading.types import Limits

# Linux allows 4096, but nobody needs more in a lab and USTAR/PAX headers stay small.
MAX_PATH_BYTES = 255
# Small files may legitimately compress extremely well (a file of spaces); only large
# ones with an absurd ratio are bombs.
MAX_RATIO = 100
# xz's strongest preset uses 64 MiB; zip tools use 8 MiB or less.
LZMA_MAX_DICTIONARY = 64 * 1024 * 1024
RATIO_MIN_BYTES = 1_000_000
# Finder and Windows add these to zips; they are never part of a learner's project.
SKIPPED_PREFIXES = ("__MACOSX/",)
SKIPPED_NAMES = (".DS_Store", "Thumbs.db")


class ContextError(Exception):
    """The submitted files cannot become a build context; the message says why."""

    def __init__(self, message_id: str, **params: Any):
        super().__init__(message_id, params)
        self.message_id = message_id
        self.params = params


def _mb(n: int) -> str:
    return f"{n / 1_000_000:g}"


def normalize_path(raw: str) -> str:
    """'./app//main.py' -> 'app/main.py'; raise ContextError for anything unsafe."""
    if not isinstance(raw, str):
        raise ContextError("context.bad_char", path=repr(raw))
    shown = raw[:120]
    if "\x00" in raw or any(ord(ch) < 32 or ord(ch) == 127 for ch in raw):
        raise ContextError("context.bad_char", path=shown.replace("\x00", "\\0"))
    if "\\" in raw:
        raise ContextError("context.backslash", path=shown)
    if raw.startswith("/"):
        raise ContextError("context.absolute_path", path=shown)
    parts = [part for part in raw.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise ContextError("context.parent_ref", path=shown)
    if not parts:
        raise ContextError("context.empty_name")
    path = "/".join(parts)
    if len(path.encode("utf-8", "surrogatepass")) > MAX_PATH_BYTES:
        raise ContextError("context.path_too_long", path=shown, max=MAX_PATH_BYTES)
    return path


def _check_layout(paths: list[str]) -> None:
    """No path may be both a file and a folder: the tar would be ambiguous."""
    files = set(paths)
    for path in paths:
        parts = path.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in files:
                raise ContextError("context.file_dir_conflict", path=prefix)


def validate_files(files: dict[str, bytes], *, limits: Limits) -> dict[str, bytes]:
    """Normalised copy of `files`, or ContextError naming the first problem."""
    if len(files) > limits.context_files:
        raise ContextError("context.too_many_files", count=len(files), max=limits.context_files)
    result: dict[str, bytes] = {}
    total = 0
    for raw, content in files.items():
        path = normalize_path(raw)
        if path in result:
            raise ContextError("context.duplicate", path=path)
        if not isinstance(content, bytes | bytearray):
            raise TypeError(f"content of {path!r} must be bytes")
        if len(content) > limits.file_bytes:
            raise ContextError("context.file_too_big", path=path, max_mb=_mb(limits.file_bytes))
        total += len(content)
        if total > limits.context_bytes:
            raise ContextError("context.too_big", max_mb=_mb(limits.context_bytes))
        result[path] = bytes(content)
    _check_layout(list(result))
    return result


def _entry_name(info: zipfile.ZipInfo) -> str:
    """Many zip tools write UTF-8 names without setting the UTF-8 flag; zipfile then decodes
    them as cp437 and 'configuração.py' turns into mojibake. Undo that when it round-trips."""
    name = info.filename
    if not info.flag_bits & 0x800:
        try:
            name = name.encode("cp437").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            pass
    return name


def _skipped(name: str) -> bool:
    return name.startswith(SKIPPED_PREFIXES) or name.rsplit("/", 1)[-1] in SKIPPED_NAMES


def _read_entry(data: bytes, info: zipfile.ZipInfo, path: str, cap: int) -> bytes:
    """The entry's content, never decompressing more than cap + 1 bytes, whatever the
    headers say.

    Every accepted method is decompressed here from the raw bytes with an output bound per
    call (zipfile's own readers trust the declared size: a bzip2 member whose header claims a
    few bytes expands to gigabytes in 64 KB reads). A header that lies about the size or the
    CRC is caught, since the result is checked against both."""
    raw = _raw_entry(data, info)
    method = info.compress_type
    if method == zipfile.ZIP_STORED:
        out = bytes(raw)
        if len(out) > cap:
            raise ContextError("context.zip_bomb", path=path)
    elif method == zipfile.ZIP_DEFLATED:
        out = _decompress_bounded(zlib.decompressobj(-15), bytes(raw), path, cap)
    elif method == zipfile.ZIP_BZIP2:
        out = _decompress_bounded(bz2.BZ2Decompressor(), bytes(raw), path, cap)
    elif method == zipfile.ZIP_LZMA:
        out = _decompress_bounded(_zip_lzma_decompressor(raw), bytes(raw[4 + _lzma_props_size(raw) :]), path, cap)
    else:
        name = zipfile.compressor_names.get(method, f"#{method}")  # type: ignore[attr-defined]  # not in typeshed
        raise ContextError("context.zip_method", path=path, method=name)
    if len(out) != info.file_size or zlib.crc32(out) != info.CRC:
        raise ContextError("context.zip_invalid")
    return out


def _lzma_props_size(raw: memoryview) -> int:
    # A zip's LZMA member starts with a 2-byte version and a 2-byte size of the properties.
    if len(raw) < 4:
        raise ContextError("context.zip_invalid")
    size: int = struct.unpack("<H", bytes(raw[2:4]))[0]
    return size


def _zip_lzma_decompressor(raw: memoryview) -> lzma.LZMADecompressor:
    size = _lzma_props_size(raw)
    props = bytes(raw[4 : 4 + size])
    # The properties name the dictionary size, which the decoder allocates up front: a
    # crafted header asking for gigabytes is a memory bomb of its own.
    if len(props) != 5 or struct.unpack("<I", props[1:5])[0] > LZMA_MAX_DICTIONARY:
        raise ContextError("context.zip_invalid")
    try:
        # The same raw LZMA1 set-up as zipfile's own reader.
        filters = [lzma._decode_filter_properties(lzma.FILTER_LZMA1, props)]  # type: ignore[attr-defined]  # noqa: SLF001 - private, not in typeshed
        return lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=filters)
    except (lzma.LZMAError, ValueError) as exc:
        raise ContextError("context.zip_invalid") from exc


def _decompress_bounded(
    decompressor: "zlib._Decompress | bz2.BZ2Decompressor | lzma.LZMADecompressor", raw: bytes, path: str, cap: int
) -> bytes:
    """Feed `raw` to a zlib, bz2 or lzma decompressor, asking at most cap + 1 - len(out)
    bytes of each call (their `max_length`), so a bomb is refused after cap + 1 bytes."""
    out = bytearray()
    pending = raw
    try:
        while True:
            chunk = decompressor.decompress(pending, cap + 1 - len(out))
            # zlib hands back the input max_length held over (unconsumed_tail); bz2 and lzma
            # keep it themselves and say whether they need more (needs_input).
            if isinstance(decompressor, bz2.BZ2Decompressor | lzma.LZMADecompressor):
                pending, starved = b"", decompressor.needs_input
            else:
                pending, starved = decompressor.unconsumed_tail, True
            out += chunk
            if len(out) > cap:
                raise ContextError("context.zip_bomb", path=path)
            if decompressor.eof:
                return bytes(out)
            if not chunk and not pending and starved:
                raise ContextError("context.zip_invalid")  # the stream is cut short
    except (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError) as exc:
        raise ContextError("context.zip_invalid") from exc


def _raw_entry(data: bytes, info: zipfile.ZipInfo) -> memoryview:
    offset = info.header_offset
    header = data[offset : offset + 30]
    if len(header) != 30 or header[:4] != b"PK\x03\x04":
        raise ContextError("context.zip_invalid")
    name_len, extra_len = struct.unpack("<2H", header[26:30])
    start = offset + 30 + name_len + extra_len
    raw = memoryview(data)[start : start + info.compress_size]
    if len(raw) != info.compress_size:
        raise ContextError("context.zip_invalid")
    return raw


def extract_zip(data: bytes, *, limits: Limits) -> dict[str, bytes]:
    """Files of a zip upload, validated like `validate_files`, extracted in memory."""
    if len(data) > limits.context_bytes:
        raise ContextError("context.too_big", max_mb=_mb(limits.context_bytes))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
        raise ContextError("context.zip_invalid") from exc
    # Directory entries are skipped, but a zip of a million of them is still abuse.
    if len(infos) > 4 * limits.context_files + 100:
        raise ContextError("context.too_many_files", count=len(infos), max=limits.context_files)

    wanted: list[tuple[str, zipfile.ZipInfo]] = []
    declared_total = 0
    for info in infos:
        name = _entry_name(info)
        mode = info.external_attr >> 16
        kind = stat.S_IFMT(mode)
        if info.is_dir() or kind == stat.S_IFDIR or _skipped(name):
            continue
        path = normalize_path(name)
        if kind == stat.S_IFLNK:
            raise ContextError("context.zip_symlink", path=path)
        if kind not in (0, stat.S_IFREG):
            raise ContextError("context.zip_special", path=path)
        if info.flag_bits & 0x1:
            raise ContextError("context.zip_encrypted", path=path)
        if info.file_size > limits.file_bytes:
            raise ContextError("context.file_too_big", path=path, max_mb=_mb(limits.file_bytes))
        declared_total += info.file_size
        if declared_total > limits.context_bytes:
            raise ContextError("context.too_big", max_mb=_mb(limits.context_bytes))
        if info.file_size >= RATIO_MIN_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise ContextError("context.zip_bomb", path=path)
        wanted.append((path, info))
    if not wanted:
        raise ContextError("context.zip_empty")
    if len(wanted) > limits.context_files:
        raise ContextError("context.too_many_files", count=len(wanted), max=limits.context_files)

    files: dict[str, bytes] = {}
    total = 0
    for path, info in wanted:
        if path in files:
            raise ContextError("context.duplicate", path=path)
        # Never trust the declared size beyond what the limits allow anyway.
        content = _read_entry(data, info, path, min(info.file_size, limits.file_bytes))
        total += len(content)
        if total > limits.context_bytes:
            raise ContextError("context.too_big", max_mb=_mb(limits.context_bytes))
        files[path] = content
    return validate_files(_strip_common_folder(files), limits=limits)


def _strip_common_folder(files: dict[str, bytes]) -> dict[str, bytes]:
    """Zipping a folder from a file manager puts everything under 'projeto/'; the learner
    means the folder's content to be the context."""
    tops = {path.split("/", 1)[0] for path in files}
    if len(tops) != 1 or any("/" not in path for path in files):
        return files
    return {path.split("/", 1)[1]: content for path, content in files.items()}


def file_mode(content: bytes) -> int:
    """0755 for scripts with a shebang and ELF binaries, 0644 for the rest.

    Uploads from a browser carry no permissions, yet a learner's `ENTRYPOINT ["./start.sh"]`
    works on their machine because the file is executable there (and `docker build` from
    Windows marks every file 0755 for the same reason). Deciding from the content keeps the
    tar deterministic."""
    return 0o755 if content.startswith((b"#!", b"\x7fELF")) else 0o644


def make_tar(files: dict[str, bytes]) -> bytes:
    """A deterministic tar of already validated files: sorted, mtime 0, owner 0, mode from
    `file_mode`, explicit parent folders. Identical submissions give identical bytes, so the
    daemon's build cache (keyed on content and metadata) is hit."""
    buf = io.BytesIO()
    seen_dirs: set[str] = set()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in sorted(files):
            parts = path.split("/")
            for i in range(1, len(parts)):
                folder = "/".join(parts[:i])
                if folder not in seen_dirs:
                    seen_dirs.add(folder)
                    tar.addfile(_tarinfo(folder, tarfile.DIRTYPE, 0o755, 0))
            content = files[path]
            tar.addfile(_tarinfo(path, tarfile.REGTYPE, file_mode(content), len(content)), io.BytesIO(content))
    return buf.getvalue()


def _tarinfo(name: str, kind: bytes, mode: int, size: int) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.mode = mode
    info.size = size
    info.mtime = 0
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info
