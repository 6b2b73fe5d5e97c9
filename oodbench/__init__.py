"""oodbench: post-hoc OOD detection benchmarks on frozen embeddings, from Python.

The same C++/CUDA engine as the `oodbench` command:

    import oodbench
    oodbench.detectors()                              # names, parameters, defaults, needs
    det = oodbench.Detector("knn", k=50).fit(train)   # NumPy arrays or CPU tensors, float16/32/64
    s = det.score(test)                               # float32, higher = more OOD
    m = oodbench.evaluate(det.score(id_test), det.score(far))        # m["auroc"], m["fpr95"], ...
    oodbench.compare_scores((id_a, far_a), (id_b, far_b))            # A − B, paired bootstrap, p-value
    det.save("knn.oodb"); oodbench.load("knn.oodb")
    records = oodbench.run("configs/quickstart.json", detectors={"mine": MyDetector})
    oodbench.to_frame(records)

Bad input raises ValueError (oodbench.InputError) with the command line's message. See docs/python.md.
"""
from __future__ import annotations

from ._loader import load_core as _load_core, warn_if_slow_blas as _warn_if_slow_blas

_core = _load_core()
_warn_if_slow_blas(_core)

from ._arrays import load_array  # noqa: E402
from .detector import Detector, OodbenchWarning, detectors, load  # noqa: E402
from .metrics import compare_scores, evaluate, evaluate_failure  # noqa: E402
from .sweep import Records, compare, ranks, read_records, report, run, to_frame  # noqa: E402

InputError = _core.InputError
"""Raised for bad input (a ValueError subclass): the message names the argument, file or key, and what to do."""
__version__: str = _core.__version__

__all__ = [
    "Detector",
    "InputError",
    "OodbenchWarning",
    "Records",
    "compare",
    "compare_scores",
    "ranks",
    "detectors",
    "evaluate",
    "evaluate_failure",
    "load",
    "load_array",
    "read_records",
    "report",
    "run",
    "to_frame",
    "__version__",
]
