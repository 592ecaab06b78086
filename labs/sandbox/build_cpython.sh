#!/bin/sh
# Builds CPython under /usr/local the way the official `python` images do (docker-library,
# 3.11 bookworm / slim-bookworm), inside a throwaway container with no network:
#   /in/python.tar.gz   the upstream source (Debian's .orig tarball of python3.11)
#   /in/wheels/*.whl    pip, setuptools and wheel
# and leaves in /out:
#   full.tar              usr/local as the full image has it (symbols kept, gdb helper)
#   slim.tar              usr/local with every ELF file stripped, as the slim image has it
#   runtime-packages      the Debian packages whose libraries the result links against
#   version, pip-version  what was built
# Differences from the official recipe: no --enable-optimizations (PGO) and no --with-lto,
# which cost several times the build time and change speed, not behaviour; and ensurepip
# bundles the same current pip the interpreter gets, as the official image's ensurepip
# bundles the pip it installs (so a venv's pip is the system's pip in both).
set -eux

SRC=/usr/src/python
mkdir -p "$SRC" /out
tar -xzf /in/python.tar.gz -C "$SRC" --strip-components=1
cd "$SRC"

pip_wheel=$(ls /in/wheels/pip-*.whl)
pip_version=$(basename "$pip_wheel" | cut -d- -f2)
rm -f Lib/ensurepip/_bundled/pip-*.whl
cp "$pip_wheel" Lib/ensurepip/_bundled/
sed -i "s/^_PIP_VERSION = .*/_PIP_VERSION = \"$pip_version\"/" Lib/ensurepip/__init__.py
grep -q "^_PIP_VERSION = \"$pip_version\"" Lib/ensurepip/__init__.py

arch=$(dpkg-architecture --query DEB_BUILD_GNU_TYPE)
./configure \
	--build="$arch" \
	--enable-loadable-sqlite-extensions \
	--enable-option-checking=fatal \
	--enable-shared \
	--with-ensurepip=upgrade
jobs=$(nproc)
cflags=$(dpkg-buildflags --get CFLAGS)
ldflags=$(dpkg-buildflags --get LDFLAGS)
nice -n 10 make -j "$jobs" "EXTRA_CFLAGS=$cflags" "LDFLAGS=$ldflags"
# The interpreter is linked again so it finds its own libpython (../lib) before any other
# libpython3.11 on the system, as the official images do.
rm python
nice -n 10 make -j "$jobs" "EXTRA_CFLAGS=$cflags" "LDFLAGS=$ldflags -Wl,-rpath='\$\$ORIGIN/../lib'" python
make install

# gdb's helper for the interpreter, which the full image ships.
interpreter=$(readlink -ve /usr/local/bin/python3)
mkdir -p "/usr/share/gdb/auto-load$(dirname "$interpreter")"
cp -L Tools/gdb/libpython.py "/usr/share/gdb/auto-load$interpreter-gdb.py"

cd /
rm -rf "$SRC"
# The official images ship neither the test suite nor bytecode nor the static library.
find /usr/local -depth \( \( -type d \( -name test -o -name tests -o -name idle_test \) \) \
	-o \( -type f \( -name '*.pyc' -o -name '*.pyo' -o -name 'libpython*.a' \) \) \) -exec rm -rf '{}' +
ldconfig

export PYTHONDONTWRITEBYTECODE=1
python3 --version
# The wheel files themselves, so ensurepip's older setuptools is replaced by the pinned one.
pip3 install --disable-pip-version-check --no-cache-dir --no-compile --no-index \
	/in/wheels/setuptools-*.whl /in/wheels/wheel-*.whl
pip3 --version
for name in idle3 pip3 pydoc3 python3 python3-config; do
	short=$(echo "$name" | tr -d 3)
	test -s "/usr/local/bin/$name"
	test ! -e "/usr/local/bin/$short"
	ln -s "$name" "/usr/local/bin/$short"
done

# Runtime libraries: every shared object something under /usr/local needs that lives
# elsewhere, mapped to its Debian package (tkinter left out, as the slim image leaves it).
find /usr/local -type f -perm -u+x ! -name '*tkinter*' -exec ldd '{}' ';' 2>/dev/null \
	| awk '$2 == "=>" && $3 ~ /^\// && index($3, "/usr/local/") != 1 { print $3 }' \
	| sort -u \
	| while read -r lib; do dpkg-query --search "*/${lib##*/}"; done \
	| sed 's/: .*//' | tr ',' '\n' | sed 's/:.*//; s/ //g' | sort -u > /out/runtime-packages
test -s /out/runtime-packages

python3 -c 'import platform; print(platform.python_version())' > /out/version
pip3 --version | cut -d' ' -f2 > /out/pip-version

tar -C / -cf /out/full.tar usr/local usr/share/gdb/auto-load
find /usr/local -type f -exec sh -c 'for f; do [ "$(head -c 4 "$f" | od -An -c | tr -d " ")" = "177ELF" ] && strip --strip-all "$f"; done; true' sh '{}' +
tar -C / -cf /out/slim.tar usr/local
