#!/usr/bin/env bash
# Quick GPU check of the judge: a correct kernel, a wrong one, and GPU-specific cheats, with logs.
set -u
export PYTHONPATH=$PWD/src:${PYTHONPATH:-}
export KERNELWRIGHT_HOME=${OUT:-/tmp}/kwhome
P=src/kernelwright/problems/level1/relu.py
for c in examples/relu_correct.py examples/relu_wrong.py "$@"; do
  echo "== $c"
  python3 -m kernelwright.cli verify $P $c --json --no-store > ${OUT:-/tmp}/$(basename $c .py).json 2> ${OUT:-/tmp}/$(basename $c .py).err
  echo "exit=$?"
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['verdict'], d['category'], d['timing'], [r['message'][:200] for r in d['reasons']][:3], d['seconds'])" ${OUT:-/tmp}/$(basename $c .py).json || tail -5 ${OUT:-/tmp}/$(basename $c .py).err
done
