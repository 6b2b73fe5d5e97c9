"""What the script-style tests (run by ctest as `SCRIPT OODBENCH_BINARY DATA_DIR`) share: counting checks, and
writing safetensors files from the format's spec. A script puts this folder on sys.path and imports it."""
import json
import pathlib
import struct
import sys

import numpy as np

_counts = {"passed": 0, "failed": 0}


def report(name, ok, detail=""):
    """Counts one check and prints it as 'ok   name: detail' or 'FAIL name: detail'."""
    _counts["passed" if ok else "failed"] += 1
    print(("ok   " if ok else "FAIL ") + f"{name}{': ' + detail if detail else ''}")


def finish():
    """Prints 'N passed, M failed' and exits with 1 if any check failed."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    sys.exit(1 if _counts["failed"] else 0)


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
