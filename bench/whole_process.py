#!/usr/bin/env python3
"""`oodbench score` as a whole process against OpenOOD's postprocessors with their data already in memory.

For every detector both have, the peer below follows OpenOOD's postprocessor (openood/postprocessors/*.py) on
penultimate features and the same linear head, written with Debian's PyTorch, NumPy, scikit-learn and faiss, as
OpenOOD itself computes: torch for logits and softmax, sklearn's EmpiricalCovariance for Mahalanobis-type fits and
ViM, faiss IndexFlatL2 for kNN. The peer's time is its fit (what `setup` computes) plus scoring every test set,
inputs already in memory: no Python start-up, no imports, no reading. oodbench's time is the wall time of the whole
process: start-up, reading the .npy/.npz inputs, fitting, scoring, writing one .npy per test set. Both use the same
head (W, b: class means as weights, a linear discriminant), given to oodbench with --head/--bias, so neither trains
a probe. GradNorm's peer is its closed form (OpenOOD back-propagates sample by sample, far slower). Medians of
--repeats after a warm-up; the CPU, 2 threads for both (OpenBLAS and torch).

Data: the bundled quickstart arrays (chest X-ray MobileNetV2: 3882 x 1280 train, the ID test set and six OOD sets)
and a synthetic 100k x 1024 train set (10 classes) with 10k test rows.
A second column times the peer as a whole process too, as a researcher's script runs it: Python's start-up, the
imports, np.load of what it uses, fit, scoring and np.save.
Usage: bench/whole_process.py [--binary build/harness/oodbench] [--repeats 3] [--data quickstart|large|both]
"""
import native_blas  # noqa: F401  (before NumPy: the same OpenBLAS as oodbench)
import argparse
import math
import pathlib
import statistics
import subprocess
import tempfile
import time

import faiss
import numpy as np
import torch
from sklearn.covariance import EmpiricalCovariance

parser = argparse.ArgumentParser()
parser.add_argument("--binary", default="build/harness/oodbench")
parser.add_argument("--repeats", type=int, default=3)
parser.add_argument("--data", default="both", choices=["quickstart", "large", "both"])
parser.add_argument("--detectors", default="")
parser.add_argument("--peer-process", nargs=3, metavar=("DETECTOR", "FOLDER", "TESTS"),
                    help="(internal) run the peer as a whole process on the files in FOLDER, as a script would")
args = parser.parse_args()
torch.set_num_threads(2)
faiss.omp_set_num_threads(2)
DATA = pathlib.Path(__file__).resolve().parents[1] / "data" / "medood-mini"


def linear(x, head):
    return torch.nn.functional.linear(x, head[0], head[1])


def energy(logits):
    return -torch.logsumexp(logits, 1)


# Each peer: fit(train, labels, head) -> state; score(state, x, head) -> scores (higher = more OOD).
def msp(_, x, head): return -torch.softmax(linear(x, head), 1).max(1).values
def maxlogit(_, x, head): return -linear(x, head).max(1).values
def energy_score(_, x, head): return energy(linear(x, head))


def react_fit(train, labels, head): return np.percentile(train.numpy().ravel(), 90)
def react(t, x, head): return energy(linear(x.clip(max=t), head))


def top_k_scale(x, percentile, prune):
    k = x.shape[1] - round(x.shape[1] * percentile / 100)
    values, indices = torch.topk(x, k, dim=1)
    s1, s2 = x.sum(1), values.sum(1)
    scale = torch.exp(s1 / s2)[:, None]
    if not prune:
        return x * scale
    out = torch.zeros_like(x)
    return out.scatter_(1, indices, values * scale)


def ash(_, x, head): return energy(linear(top_k_scale(x, 90, True), head))
def scale(_, x, head): return energy(linear(top_k_scale(x, 85, False), head))


def dice_fit(train, labels, head):
    contribution = train.mean(0)[None, :] * head[0]
    mask = contribution > np.percentile(contribution.numpy(), 90)
    return head[0] * mask


def dice(w, x, head): return energy(torch.nn.functional.linear(x, w, head[1]))


def gen(_, x, head):
    p = torch.softmax(linear(x, head), 1)
    p = torch.topk(p, min(100, p.shape[1]), dim=1).values
    return -(p ** 0.1 * (1 - p) ** 0.1).sum(1) * -1


def fdbd_fit(train, labels, head):
    w = head[0]
    return train.mean(0), torch.cdist(w, w)


def fdbd(state, x, head):
    mean, distances = state
    logits = linear(x, head)
    top = logits.argmax(1)
    gaps = (logits[torch.arange(len(x)), top][:, None] - logits).abs() / distances[top].clamp(min=1e-12)
    gaps[torch.arange(len(x)), top] = 0
    return -(gaps.sum(1) / (logits.shape[1] - 1)) / torch.norm(x - mean, dim=1)


def gradnorm(_, x, head):
    p = torch.softmax(linear(x, head), 1)
    return -(p - 1 / p.shape[1]).abs().sum(1) * x.abs().sum(1)


def knn_fit(train, labels, head):
    index = faiss.IndexFlatL2(train.shape[1])
    index.add(np.ascontiguousarray((train / train.norm(dim=1, keepdim=True)).numpy()))
    return index


def knn(index, x, head):
    distances, _ = index.search(np.ascontiguousarray((x / x.norm(dim=1, keepdim=True)).numpy()), 50)
    return torch.from_numpy(distances[:, -1])


def class_fit(train, labels):
    means = torch.stack([train[labels == c].mean(0) for c in range(int(labels.max()) + 1)])
    centred = (train - means[labels]).numpy()
    precision = torch.from_numpy(EmpiricalCovariance(assume_centered=False).fit(centred).precision_).float()
    return means, precision


def min_class_distance(means, precision, x):
    distances = []
    for mean in means:
        d = x - mean
        distances.append(((d @ precision) * d).sum(1))
    return torch.stack(distances, 1).min(1).values


def mahalanobis_fit(train, labels, head): return class_fit(train, labels)
def mahalanobis(state, x, head): return min_class_distance(*state, x)


def rmds_fit(train, labels, head):
    mean = train.mean(0)
    precision = torch.from_numpy(EmpiricalCovariance(assume_centered=False).fit(train.numpy()).precision_).float()
    return class_fit(train, labels), (mean, precision)


def rmds(state, x, head):
    (means, precision), (mean, global_precision) = state
    d = x - mean
    return min_class_distance(means, precision, x) - ((d @ global_precision) * d).sum(1)


def vim_fit(train, labels, head):
    w, b = head[0].numpy().astype(np.float64), head[1].numpy().astype(np.float64)
    u = -np.linalg.pinv(w) @ b
    covariance = EmpiricalCovariance(assume_centered=True).fit(train.numpy() - u).covariance_
    values, vectors = np.linalg.eig(covariance)
    dims = train.shape[1] // 2
    null_space = np.ascontiguousarray(vectors.T[np.argsort(values * -1)[dims:]].T).real
    logits = linear(train, head).numpy()
    virtual = np.linalg.norm((train.numpy() - u) @ null_space, axis=-1)
    alpha = logits.max(axis=-1).mean() / virtual.mean()
    return torch.from_numpy(u).float(), torch.from_numpy(null_space).float(), alpha


def vim(state, x, head):
    u, null_space, alpha = state
    return torch.norm((x - u) @ null_space, dim=1) * alpha + energy(linear(x, head))


def neco_fit(train, labels, head):
    mean, std = train.mean(0), train.std(0)
    std[std == 0] = 1  # as scikit-learn's StandardScaler, which OpenOOD uses
    standardised = ((train - mean) / std).numpy()
    _, _, vt = np.linalg.svd(standardised - standardised.mean(0), full_matrices=False)
    return mean, std, torch.from_numpy(vt[:100].T.copy()), torch.from_numpy(standardised.mean(0))


def neco(state, x, head):
    mean, std, components, centre = state
    z = (x - mean) / std
    ratio = torch.norm((z - centre) @ components, dim=1) / torch.norm(z, dim=1)
    return -ratio * linear(x, head).max(1).values


def she_fit(train, labels, head):
    predicted = linear(train, head).argmax(1)
    return torch.stack([train[(labels == c) & (predicted == c)].mean(0) for c in range(head[0].shape[0])])


def she(patterns, x, head): return -(x * patterns[linear(x, head).argmax(1)]).sum(1)


PEERS = {"msp": (None, msp), "maxlogit": (None, maxlogit), "energy": (None, energy_score),
         "react": (react_fit, react), "ash": (None, ash), "scale": (None, scale), "dice": (dice_fit, dice),
         "gen": (None, gen), "fdbd": (fdbd_fit, fdbd), "gradnorm": (None, gradnorm), "knn": (knn_fit, knn),
         "mahalanobis": (mahalanobis_fit, mahalanobis), "rmds": (rmds_fit, rmds), "vim": (vim_fit, vim),
         "neco": (neco_fit, neco), "she": (she_fit, she)}


def peer_process(detector, folder, tests):
    """The peer as a researcher's script runs it: this interpreter's start-up and imports (above), np.load of the
    inputs it uses (train only where it fits something), fit, score, np.save of each test set's scores."""
    fit, score = PEERS[detector]
    folder = pathlib.Path(folder)
    load = lambda name: torch.from_numpy(np.load(folder / f"{name}.npy"))  # noqa: E731
    head = (load("W"), load("b"))
    state = fit(load("train"), load("labels"), head) if fit else None
    with torch.no_grad():
        for i in range(int(tests)):
            np.save(folder / f"peer{i}.npy", score(state, load(f"test{i}"), head).numpy())


def median_seconds(run):
    seconds = []
    for r in range(args.repeats + 1):
        start = time.perf_counter()
        run()
        if r:
            seconds.append(time.perf_counter() - start)
    return statistics.median(seconds)


def write_case(tmp, name, train, labels, tests):
    """The arrays as oodbench reads them (float32 .npy), the class-mean head, and the in-memory tensors."""
    classes = int(labels.max()) + 1
    means = np.stack([train[labels == c].mean(0) for c in range(classes)])
    weight, bias = means.astype(np.float32), (-0.5 * (means ** 2).sum(1)).astype(np.float32)
    folder = tmp / name
    folder.mkdir()
    for array_name, array in [("train", train), ("labels", labels.astype(np.int64)), ("W", weight), ("b", bias)]:
        np.save(folder / f"{array_name}.npy", array)
    for i, t in enumerate(tests):
        np.save(folder / f"test{i}.npy", t)
    memory = (torch.from_numpy(train), torch.from_numpy(labels.astype(np.int64)),
              (torch.from_numpy(weight), torch.from_numpy(bias)), [torch.from_numpy(t) for t in tests])
    return folder, memory


def bench(name, folder, memory, detectors):
    train, labels, head, tests = memory
    print(f"\n{name}: train {tuple(train.shape)}, {len(tests)} test sets of {sum(len(t) for t in tests)} rows\n")
    print("| detector | OpenOOD peer, in memory s | the peer as a whole process s | oodbench score, whole process s "
          "| speed-up vs in memory | speed-up vs whole process |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    ratios, process_ratios = [], []
    for detector in detectors:
        fit, score = PEERS[detector]

        def peer():
            state = fit(train, labels, head) if fit else None
            with torch.no_grad():
                for t in tests:
                    score(state, t, head)

        command = [args.binary, "--device", "cpu", "score", "--detector", detector, "--train", f"{folder}/train.npy",
                   "--train-labels", f"{folder}/labels.npy", "--head", f"{folder}/W.npy", "--bias", f"{folder}/b.npy"]
        for i in range(len(tests)):
            command += ["--test", f"{folder}/test{i}.npy", "--out", f"{folder}/out{i}.npy"]
        peer_command = ["/usr/bin/python3", __file__, "--peer-process", detector, str(folder), str(len(tests))]
        theirs = median_seconds(peer)
        theirs_process = median_seconds(lambda: subprocess.run(peer_command, check=True))
        ours = median_seconds(lambda: subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                                                     stderr=subprocess.DEVNULL))
        ratios.append(theirs / ours)
        process_ratios.append(theirs_process / ours)
        print(f"| {detector} | {theirs:.4f} | {theirs_process:.3f} | {ours:.4f} | {theirs / ours:.2f}x "
              f"| {theirs_process / ours:.0f}x |")
    for name, r in (("in memory", ratios), ("as a whole process", process_ratios)):
        geometric = math.exp(sum(math.log(x) for x in r) / len(r))
        print(f"\nagainst the peer {name}: geometric mean speed-up {geometric:.2f}x; slowest {min(r):.2f}x; "
              f"faster on {sum(x > 1 for x in r)} of {len(r)}")


if args.peer_process:
    peer_process(*args.peer_process)
    raise SystemExit(0)
detectors = args.detectors.split(",") if args.detectors else list(PEERS)
with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    if args.data in ("quickstart", "both"):
        features, labels = np.load(DATA / "mobilenet_v2.npz"), np.load(DATA / "labels.npz")
        tests = [features[k].astype(np.float32) for k in ("chestxray_test", "breastus_test", "mnist_far", "fashion_far",
                                                           "chestxray_noise", "chestxray_blur", "chestxray_contrast")]
        folder, memory = write_case(tmp, "quickstart", features["chestxray_train"].astype(np.float32),
                                    labels["chestxray_train"], tests)
        bench("quickstart (chest X-ray, MobileNetV2)", folder, memory, detectors)
    if args.data in ("large", "both"):
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 10, 100_000)
        centres = rng.normal(size=(10, 1024)).astype(np.float32)
        train = np.abs(centres[labels] + rng.normal(size=(100_000, 1024)).astype(np.float32))
        test = np.abs(centres[rng.integers(0, 10, 10_000)] + rng.normal(size=(10_000, 1024)).astype(np.float32))
        folder, memory = write_case(tmp, "large", train, labels, [test])
        bench("100k x 1024 (synthetic, 10 classes)", folder, memory, detectors)
