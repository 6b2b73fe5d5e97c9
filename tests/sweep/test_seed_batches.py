#!/usr/bin/env python3
"""A sweep trains the autoencoders of all its seeds of a dataset together (FitContext::expect_autoencoders): every
seed's records must equal those of a sweep that has that seed alone, whether the sweep runs whole, in shards, or
resumed after some of its cells finished.
Usage: test_seed_batches.py OODBENCH_BINARY DATA_DIR
"""
import json
import os
import pathlib
import sys
import tempfile

from sweep_common import Checks, by_cell, run, toy_data

binary = os.path.abspath(sys.argv[1])
c = Checks()

AE = {"epochs": 3, "hidden": 24, "bottleneck": 8, "batch": 64}

with tempfile.TemporaryDirectory() as t:
    tmp = pathlib.Path(t)
    dataset = toy_data(tmp / "data")

    def config(name, seeds):
        path = tmp / f"{name}.json"
        path.write_text(json.dumps({
            "name": name, "data_root": str(tmp / "data"), "datasets": [dataset],
            "detectors": [{"name": "ae_l2", "params": AE},
                          {"name": "mars", "params": AE},  # the same autoencoder as ae_l2: trained once
                          {"name": "mars", "label": "mars (l2)", "params": {**AE, "preprocessing": "l2"}},
                          {"name": "msp"}],
            "seeds": seeds, "metrics": ["auroc", "fpr95"], "keep_scores": False}))
        return path

    full = tmp / "full"
    run(binary, "run", config("seeds", [0, 1, 2]), "--out", full, "--no-report")
    together = by_cell(full)
    c.check("10 records (3 autoencoder variants x 3 seeds, msp)", len(together) == 10, f"{len(together)}")

    alone = {}
    for seed in (0, 1, 2):
        out = tmp / f"alone{seed}"
        run(binary, "run", config("seeds", [seed]), "--out", out, "--no-report")
        alone.update({cell: r for cell, r in by_cell(out).items() if r["detector"] != "msp" or seed == 0})
    c.check("the same cells as three one-seed sweeps", set(alone) == set(together))
    differing = [together[k]["label"] + f" seed {together[k]['seed']}" for k in together if together[k] != alone.get(k)]
    c.check("every seed's records equal its one-seed sweep's", not differing, ", ".join(differing))
    seeds_differ = len({json.dumps(r["ood"]) for r in together.values() if r["label"] == "ae_l2"}) == 3
    c.check("the seeds give different results (the comparison means something)", seeds_differ)

    sharded = {}
    for shard in ("0/3", "1/3", "2/3"):
        out = tmp / f"shard{shard[0]}"
        run(binary, "run", config("seeds", [0, 1, 2]), "--out", out, "--shard", shard, "--no-report")
        sharded.update(by_cell(out))
    c.check("three shards give the whole sweep's records", sharded == together)

    # Resume: keep the records of some cells (one seed of ae_l2 and mars done, the others not) and run again.
    resumed = tmp / "resumed"
    run(binary, "run", config("seeds", [0, 1, 2]), "--out", resumed, "--no-report")
    lines = (resumed / "records.jsonl").read_text().splitlines()
    kept = [line for line in lines if json.loads(line)["seed"] in (None, 1)]
    (resumed / "records.jsonl").write_text("\n".join(kept) + "\n")
    second = run(binary, "run", config("seeds", [0, 1, 2]), "--out", resumed, "--no-report")
    c.check("the resumed run ran only the missing cells", "4 already done, 6 to run" in second.stderr,
            second.stderr.strip().splitlines()[0] if second.stderr.strip() else "")
    c.check("a resumed sweep gives the whole sweep's records", by_cell(resumed) == together)

c.exit()
