#!/usr/bin/env bash
# Installs the Debian packages oodbench needs to build and test, skipping those already present. --optional adds what
# only a few tests need (scripts/test.sh passes it): a browser for report.html, TeX for the LaTeX tables, and Slurm
# with munge for the one-node cluster that scripts/slurm_sweep.sh is tested on (no service is configured or started:
# the test runs its own daemons). --browser-and-tex is its older name.
set -euo pipefail
packages=(cmake g++ make pkg-config
          nlohmann-json3-dev libcli11-dev libopenblas-dev liblapacke-dev libzip-dev liblbfgs-dev libxxhash-dev libboost-dev libgtest-dev libbenchmark-dev
          libhdf5-dev librsvg2-dev libcairo2-dev pybind11-dev pybind11-json-dev python3-dev python3-pytest mypy
          python3-venv python3-pip python3-setuptools python3-wheel
          python3-numpy python3-sklearn python3-scipy python3-faiss python3-torch python3-jsonschema python3-h5py python3-pandas python3-pil strace)
case "${1:-}" in
  --optional | --browser-and-tex)
    packages+=(chromium texlive-latex-base texlive-latex-recommended slurmctld slurmd slurm-client munge) ;;
esac
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
[ ${#missing[@]} -eq 0 ] && exit 0
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing: ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
