"""The registry's errors, and how its files are read and written.

Someone who can write the registry folder can plant anything in it: a symbolic link to
``/dev/zero`` (read forever), a FIFO (an ``open`` that never returns), a folder where a file
should be, a file of many gigabytes. So every file of the registry is read here:

- only if it is a regular file, opened without following a symbolic link (``O_NOFOLLOW``) and
  without waiting for a writer (``O_NONBLOCK``), then checked with ``fstat`` on what was opened;
- at most ``cap`` bytes: a larger file is refused with its name and the cap.

Writes go aside to a temporary file in the same folder, then replace the target in one rename;
a failed write (a full disk) removes its temporary file, so nothing half-written stays behind.
Registry files are readable by everyone (0644): a model is no secret, its signature is what
makes it trustworthy, and the service reading it usually runs as another user.
"""

from __future__ import annotations

import json
import os
import stat
import tempfile
from pathlib import Path
from typing import IO, Any

MAX_JSON_BYTES = 1 << 20  # metadata.json, metadata.sig.json: a few kB in practice
MAX_STAGES_BYTES = 16 << 20  # stages.json: about 150 bytes per promotion or rollback
MAX_ARTIFACT_BYTES = 1 << 30  # model.skops, model.onnx: a few MB in practice
MAX_KEY_BYTES = 4096  # a key file: 32 raw bytes, or 44 characters of base64
FILE_MODE = 0o644
FOLDER_MODE = 0o755


class RegistryError(RuntimeError):
    """Something asked of the registry cannot be done; the message says what and why."""


class IntegrityError(RegistryError):
    """A version is not what was registered (tampered, truncated, unsigned or untrusted)."""


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISDIR: "a folder",
        stat.S_ISFIFO: "a FIFO",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISSOCK: "a socket",
    }
    return next((name for test, name in kinds.items() if test(mode)), "not a regular file")


def read_regular(path: Path, cap: int, *, follow_symlinks: bool = False) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``cap`` bytes.

    A ``FileNotFoundError`` if it does not exist; a ``RegistryError`` naming the file if it is a
    symbolic link (unless ``follow_symlinks``: a key mounted by an orchestrator may be one), not
    a regular file, or larger than ``cap``.
    """
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC
    if not follow_symlinks:
        flags |= os.O_NOFOLLOW
    try:
        descriptor = os.open(path, flags)
    except FileNotFoundError:
        raise
    except OSError as error:
        if path.is_symlink():
            raise RegistryError(
                f"{path} is a symbolic link: the registry reads only regular files; remove it"
            ) from error
        raise RegistryError(f"{path} cannot be read: {error.strerror}") from error
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise RegistryError(
                f"{path} is {_kind(status.st_mode)}, not a regular file: refused; remove it"
            )
        if status.st_size > cap:
            raise RegistryError(
                f"{path} is {status.st_size:,} bytes, more than the {cap:,} bytes allowed for "
                "it: refused"
            )
        content = bytearray()
        while len(content) <= cap:
            chunk = os.read(descriptor, min(1 << 20, cap + 1 - len(content)))
            if not chunk:
                break
            content += chunk
        if len(content) > cap:
            raise RegistryError(f"{path} grew past the {cap:,} bytes allowed for it: refused")
        return bytes(content)
    finally:
        os.close(descriptor)


def parse_json_object(raw: bytes, path: Path) -> dict[str, Any]:
    """A JSON object from the bytes read from ``path``; a ``RegistryError`` naming it if not."""
    try:
        content = json.loads(raw.decode())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise RegistryError(
            f"{path} is not valid JSON ({error}); restore it, or delete it and register again"
        ) from error
    except RecursionError:
        raise RegistryError(
            f"{path} is nested too deeply to be registry JSON; restore it, or delete it"
        ) from None
    if not isinstance(content, dict):
        raise RegistryError(f"{path} must hold a JSON object, not {type(content).__name__}")
    return content


def read_json_object(path: Path, cap: int = MAX_JSON_BYTES) -> dict[str, Any]:
    """A JSON object from the regular file ``path`` (at most ``cap`` bytes)."""
    return parse_json_object(read_regular(path, cap), path)


def is_real_folder(path: Path) -> bool:
    """Whether ``path`` is a folder itself, not a symbolic link to one."""
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except FileNotFoundError:
        return False


def open_lock_file(path: Path) -> IO[bytes]:
    """The lock file, created if missing; refused if it is anything but a regular file."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC
    try:
        descriptor = os.open(path, flags, FILE_MODE)
    except OSError as error:
        raise RegistryError(f"{path} cannot be opened as a lock file: {error.strerror}") from error
    handle = os.fdopen(descriptor, "wb")
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        handle.close()
        raise RegistryError(f"{path} is {_kind(mode)}, not a regular file: refused; remove it")
    return handle


def write_bytes_atomically(path: Path, content: bytes, mode: int = FILE_MODE) -> None:
    """Write aside, then rename: readers see the old file or the new one, never half.

    If anything fails (a full disk), the temporary file is removed and the target is untouched;
    the ``RegistryError`` names the file and the cause.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
            os.fchmod(handle.fileno(), mode)
        os.replace(temporary, path)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise RegistryError(
                f"could not write {path}: {error.strerror}; it was left as it was"
            ) from error
        raise


def write_json_atomically(path: Path, content: Any) -> None:
    """Write a JSON value atomically (see ``write_bytes_atomically``)."""
    text = json.dumps(content, indent=2, sort_keys=True) + "\n"
    write_bytes_atomically(path, text.encode())


def make_readable_by_all(folder: Path) -> None:
    """A new version's folder 0755 and files 0644: the service may run as another user."""
    folder.chmod(FOLDER_MODE)
    for path in folder.iterdir():
        path.chmod(FILE_MODE)


def move_into_place(staging: Path, target: Path) -> None:
    """Rename the staged version to its name; a folder in the way is named, not merged."""
    try:
        os.rename(staging, target)
    except OSError as error:
        raise RegistryError(
            f"cannot register {target.name}: {target} is in the way ({error.strerror}) and is "
            "not a signed version; remove it, then register again"
        ) from error
