#!/usr/bin/env python3
"""The paper sweep's autoencoder part, timed for two oodbench binaries in one run (issue 21, part 5).

Runs configs/paper.json restricted to its autoencoder detectors (mars, ae_l2, mars (diagonal), mars (centred): every
dataset, 5 seeds, bootstrap intervals and kept scores as in the paper) with binary OLD and binary NEW, alternating
OLD, NEW for --reps rounds, each into a fresh output folder, and prints a Markdown table of wall times. Then compares
their numbers: whether every record is identical except its timings and run information (records carry the content
hash of their kept scores, so kept scores are compared by content), and if not, the largest AUROC
difference per detector variant against the seed-to-seed std.

Usage: bench/ae_seeds_sweep.py OLD_OODBENCH NEW_OODBENCH [--reps N] [--datasets chestxray,breastus]
"""
import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parent.parent
AUTOENCODER_DETECTORS = {"mars", "ae_l2"}


def make_config(folder, modalities):
    config = json.loads((ROOT / "configs/paper.json").read_text())
    config.pop("$schema", None)
    config["name"] = "paper-autoencoders"
    config["data_root"] = str(ROOT / "data/medood-mini")
    config["detectors"] = [d for d in config["detectors"] if d["name"] in AUTOENCODER_DETECTORS]
    if modalities:
        config["datasets"] = [d for d in config["datasets"] if d["modality"] in modalities]
    path = folder / "paper-autoencoders.json"
    path.write_text(json.dumps(config, indent=2))
    return path, config


def run(binary, config, out):
    start = time.perf_counter()
    subprocess.run([binary, "run", str(config), "--out", str(out), "--quiet"], check=True)
    return time.perf_counter() - start


def numbers(out):
    """Records by cell, without what legitimately differs between runs."""
    records = {}
    for line in (out / "records.jsonl").read_text().splitlines():
        r = json.loads(line)
        r.pop("timings", None)
        r.pop("run", None)
        records[r["cell"]] = r
    return records


def report_differences(old, new):
    """Largest |AUROC(new) - AUROC(old)| per detector variant, and the seed-to-seed std of AUROC for scale."""
    by_label = {}
    for cell, r in old.items():
        for o, n in zip(r["ood"], new[cell]["ood"]):
            d = abs(o["metrics"]["auroc"] - n["metrics"]["auroc"])
            entry = by_label.setdefault(r["label"], {"max": 0.0, "per_set": {}})
            entry["max"] = max(entry["max"], d)
            entry["per_set"].setdefault((r["dataset"]["name"], o["name"]), []).append(o["metrics"]["auroc"])
    print("\n| variant | largest AUROC difference | median seed-to-seed AUROC std |\n| --- | ---: | ---: |")
    for label, entry in sorted(by_label.items()):
        stds = [statistics.stdev(v) for v in entry["per_set"].values() if len(v) > 1]
        print(f"| {label} | {entry['max']:.4f} | {statistics.median(stds) if stds else float('nan'):.4f} |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("--reps", type=int, default=1)
    parser.add_argument("--datasets", default="", help="comma-separated modalities (default: all of paper.json)")
    args = parser.parse_args()
    modalities = [m for m in args.datasets.split(",") if m]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = pathlib.Path(tmp)
        config_path, config = make_config(tmp, modalities)
        times = {"old": [], "new": []}
        outs = {}
        for rep in range(args.reps):
            for side, binary in (("old", args.old), ("new", args.new)):
                out = tmp / f"{side}-{rep}"
                times[side].append(run(binary, config_path, out))
                outs[side] = out
                print(f"round {rep + 1}: {side} {times[side][-1]:.1f} s", file=sys.stderr, flush=True)
        old_records, new_records = numbers(outs["old"]), numbers(outs["new"])
        cells = len(old_records)
        datasets = len({r["dataset"]["name"] for r in old_records.values()})
        old_s, new_s = statistics.median(times["old"]), statistics.median(times["new"])
        print(f"{cells} cells ({datasets} datasets x {len(config['detectors'])} autoencoder detector variants x "
              f"{len(config['seeds'])} seeds), median of {args.reps} round(s), old and new alternating:\n")
        print("| binary | wall (s) | speed-up |\n| --- | ---: | ---: |")
        print(f"| old | {old_s:.1f} | 1.00x |\n| new | {new_s:.1f} | {old_s / new_s:.2f}x |")
        same = old_records == new_records
        if not same:
            report_differences(old_records, new_records)
        differing = [c for c in old_records if old_records.get(c) != new_records.get(c)]
        print(f"\nrecords identical (except timings and run; kept scores by hash): {same}"
              f"{'' if not differing else ' (differ: ' + ', '.join(differing[:5]) + ')'}")
        return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
