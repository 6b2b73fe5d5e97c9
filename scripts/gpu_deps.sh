#!/usr/bin/env bash
# Run HERE (a Debian machine with the package registry) before a GPU session: downloads the Debian packages the
# build needs and unpacks them into .deps/root (git-ignored), to be named in the device tool's `carry`.
# The GPU machine has nvcc, CMake, g++ and Python (numpy, scipy, scikit-learn) but no package registry.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(nlohmann-json3-dev libcli11-dev libopenblas-dev libopenblas-pthread-dev libopenblas0-pthread libopenblas0
          liblapacke-dev liblapacke libgfortran5 libzip-dev libzip4 liblbfgs-dev liblbfgs0
          libgtest-dev libgmock-dev pkgconf pkgconf-bin libpkgconf3 libbz2-1.0 liblzma5 libzstd1 zlib1g-dev)
rm -rf .deps && mkdir -p .deps/debs .deps/root
(cd .deps/debs && apt-get download "${packages[@]}" >/dev/null)
for deb in .deps/debs/*.deb; do dpkg -x "$deb" .deps/root; done
rm -rf .deps/debs .deps/root/usr/share/doc .deps/root/usr/share/man
# Keep the carried tree small: shared libraries only, except GoogleTest's static archives.
find .deps/root -name '*.a' ! -name 'libgtest*' ! -name 'libgmock*' -delete
# What Debian's update-alternatives would have linked: OpenBLAS as the BLAS/LAPACK provider.
lib=.deps/root/usr/lib/x86_64-linux-gnu
ln -sf ../openblas-pthread/pkgconfig/openblas.pc "$lib/pkgconfig/openblas.pc"
ln -sf ../openblas-pthread/pkgconfig/lapack-openblas.pc "$lib/pkgconfig/lapack.pc"
ln -sf ../openblas-pthread/pkgconfig/blas-openblas.pc "$lib/pkgconfig/blas.pc"
tar -cJf .deps/gpu-deps.tar.xz -C .deps root
rm -rf .deps/root
du -sh .deps/gpu-deps.tar.xz
