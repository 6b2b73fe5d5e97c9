"""What the script-style tests (run by ctest as `SCRIPT OODBENCH_BINARY DATA_DIR`) share: counting checks, and
writing safetensors files from the format's spec. A script puts this folder on sys.path and imports it."""
import json
import pathlib
import struct
import sys

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from check_counter import Checks  # noqa: E402

_checks = Checks()


def report(name, ok, detail=""):
    """Counts one check and prints it as 'ok   name: detail' or 'FAIL name: detail'."""
    _checks.check(name, ok, detail)


def finish():
    """Prints 'N passed, M failed' and exits with 1 if any check failed."""
    _checks.exit()


def write_safetensors(path, tensors, metadata=None, pad=True):
    """The reference layout: u64 little-endian header length, JSON header, then each tensor's raw bytes in order.
    `tensors`: name -> (dtype such as "F32", array). `pad`: pad the header to 8 bytes with spaces, as the reference
    implementation does (readers must not rely on it)."""
    header, blobs, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, (dtype, array) in tensors.items():
        raw = np.ascontiguousarray(array).tobytes()
        header[name] = {"dtype": dtype, "shape": list(array.shape), "data_offsets": [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    text = json.dumps(header).encode()
    if pad:
        text += b" " * (-len(text) % 8)
    pathlib.Path(path).write_bytes(struct.pack("<Q", len(text)) + text + b"".join(blobs))
