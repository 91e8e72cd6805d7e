#!/bin/sh
# Runs benches/simpy_mm1.py in a virtual environment with SimPy from PyPI.
# Usage: benches/run_simpy.sh [simpy_mm1.py options]; VENV (default /tmp/hbsim-simpy-venv) is
# where the environment is kept between runs.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
venv=${VENV:-/tmp/hbsim-simpy-venv}
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --upgrade pip
    "$venv/bin/pip" install --quiet "simpy>=4,<5"
fi
"$venv/bin/python" --version
exec "$venv/bin/python" "$here/simpy_mm1.py" "$@"
