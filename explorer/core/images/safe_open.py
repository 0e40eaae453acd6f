"""The one way explorer opens a file to read an image's bytes: regular files only, never blocking.

A plain ``open()`` of a FIFO waits for a writer, and a file named ``x.JPEG`` that links to
``/dev/zero`` or ``/dev/urandom`` never ends: a content hash, a thumbnail, an audit or a flag
on such a path hangs for ever. :func:`open_regular_file` opens with ``O_NONBLOCK`` (a FIFO
opens at once) and ``O_NOCTTY`` (a terminal is never adopted), then asks ``fstat`` of what it
opened, not of the path (no race with a rename), and refuses anything that is not a regular
file with :class:`NotRegularFileError`, whose text says what it is. Every reader of image
bytes goes through it: the checker, thumbnails, the content digest, the viewer, exports.

>>> os.mkfifo(tmp / "pipe")                  # no writer: a plain open() would wait for ever
>>> open_regular_file(tmp / "pipe")
Traceback (most recent call last):
explorer.core.images.safe_open.NotRegularFileError: [Errno 22] ... a FIFO: '.../pipe'
>>> open_regular_file("/dev/zero")
Traceback (most recent call last):
explorer.core.images.safe_open.NotRegularFileError: [Errno 22] ... a character device: '/dev/zero'
"""

from __future__ import annotations

import errno
import os
import stat
from typing import BinaryIO

__all__ = ["FilePath", "NotRegularFileError", "is_missing_file", "open_regular_file"]

FilePath = str | bytes | os.PathLike[str] | os.PathLike[bytes]
"""A file's name: text, bytes (a name that is not UTF-8, as a catalogue keeps it) or a path."""

_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_BINARY", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
)
_KINDS = (
    (stat.S_ISDIR, "a folder"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


class NotRegularFileError(OSError):
    """The path is a folder, FIFO, device or socket: no image bytes to read there.

    ``strerror`` says which ("not a regular file: a FIFO"); ``filename`` is the path.
    """

    def __init__(self, mode: int, path: FilePath) -> None:
        kind = next((name for is_kind, name in _KINDS if is_kind(mode)), "a special file")
        code = errno.EISDIR if stat.S_ISDIR(mode) else errno.EINVAL
        super().__init__(code, f"not a regular file: {kind}", os.fsdecode(path))


def open_regular_file(path: FilePath) -> BinaryIO:
    """``path`` opened for binary reading, once ``fstat`` shows a regular file.

    Returns at once whatever ``path`` is. Raises :class:`NotRegularFileError` for a folder,
    FIFO, device or socket (links are followed: a link to ``/dev/zero`` is a character
    device), ``OSError`` when the file cannot be opened, ``ValueError`` for a NUL in the path.
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # what open() says of a socket: name it
            try:
                mode = os.stat(path).st_mode
            except OSError:
                raise exc from None
            raise NotRegularFileError(mode, path) from None
        raise
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(mode, path)
        if hasattr(os, "O_NONBLOCK"):
            os.set_blocking(fd, True)  # as a plain open() leaves it, for whoever reads on
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def is_missing_file(error: BaseException) -> bool:
    """Whether ``error``, raised by opening or stat'ing a path, means there is no file there.

    True for "no such file" (also a link that leads nowhere) and for a folder on the way
    that is a file (``ENOTDIR``): what a catalogue row whose file was moved or deleted gives.
    False for every other failure (permission denied, a FIFO or folder, a damaged image...):
    something is there that cannot be read. The window shows the first as "missing", the
    others as "cannot show" with their reason.

    >>> try:
    ...     open_regular_file(tmp / "gone.JPEG")
    ... except OSError as exc:
    ...     is_missing_file(exc)
    True
    >>> (tmp / "file").write_bytes(b"")
    0
    >>> try:
    ...     open_regular_file(tmp / "file" / "below.JPEG")    # a file where a folder should be
    ... except OSError as exc:
    ...     is_missing_file(exc)
    True
    >>> try:
    ...     open_regular_file(tmp)                              # a folder: there, unreadable
    ... except OSError as exc:
    ...     is_missing_file(exc)
    False
    """
    return isinstance(error, OSError) and error.errno in (errno.ENOENT, errno.ENOTDIR)
