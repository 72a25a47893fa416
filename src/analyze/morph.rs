//! Korean morphological analysis: mecab-ko-dic 2.1.1 with a MeCab-compatible lattice,
//! compiled into the binary.
//!
//! The dictionary (`models/ko-dic/*.zst`, about 16 MB compressed, 86 MB unpacked) is lindera's
//! build of mecab-ko-dic. It is included with `include_bytes!` and unpacked once, on first
//! use, into memory that lindera-dictionary reads in place, so there is no dictionary file to
//! install, find or keep in sync at run time. `models/ko-dic/README.md` says where it comes
//! from; `scripts/build-ko-dic.sh` rebuilds it.
//!
//! The Viterbi search is our own rather than lindera's `Segmenter`, because lindera keeps a
//! space as a lattice node and connects the words around it through that node, while MeCab,
//! whose semantics mecab-ko-dic's costs were trained for, skips whitespace and connects the
//! words directly (then adds mecab-ko's left-space penalty to particles and endings that
//! follow a space). On 20,000 NSMC reviews lindera's segmenter agreed with mecab-ko on 43% of
//! spaced reviews (92% of morphemes, with errors like `나/NP 서/JKB` for `나/VX 서/EC`); this
//! lattice reproduces mecab-ko's lookup, unknown-word and connection rules and agrees on
//! both spaced and unspaced text (see the tests and `models/ko-dic/README.md`).
//!
//! Tags are mecab-ko-dic's (Sejong-based): `NNG` common noun, `NNP` proper noun, `NNB` bound
//! noun, `VV` verb, `VA` adjective, `VX` auxiliary, `XR` root, `J*` particles, `E*` endings,
//! `SL` Latin/foreign, `SN` number, `SH` hanja, `SF`/`SY`/... punctuation and symbols, and
//! `UNKNOWN` for Hangul the dictionary does not know. An inflected form carries a compound
//! tag such as `VV+EP+EF`, with its dictionary stem in [`Morpheme::reading_or_lemma`].
//!
//! [`KoreanMorphology::analyze_raw`] is mecab-ko's analysis. [`KoreanMorphology::analyze`]
//! departs from it in one place, for search: an unspaced noun run that the model reads as a
//! one-syllable surname plus a given name, where the run splits entirely into dictionary
//! common nouns of two or more syllables across the name's edges, is read as those nouns
//! (`배송지연`: mecab-ko says `배/NNP 송지연/NNP`, sori says `배송/NNG 지연/NNG`; likewise
//! `광기어린`, `상황정리`). On 200,000 NSMC reviews this changes 27, nearly all for the better;
//! looser rules also split real foreign names (`크리스|토퍼`) and were dropped.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use lindera_dictionary::dictionary::character_definition::{CategoryData, CharacterDefinition};
use lindera_dictionary::dictionary::connection_cost_matrix::ConnectionCostMatrix;
use lindera_dictionary::dictionary::metadata::Metadata;
use lindera_dictionary::dictionary::prefix_dictionary::PrefixDictionary;
use lindera_dictionary::dictionary::unknown_dictionary::UnknownDictionary;
use lindera_dictionary::dictionary::Dictionary;

/// The lindera dictionary built from mecab-ko-dic, one zstd frame per file.
macro_rules! ko_dic {
    ($file:literal) => {
        include_bytes!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/models/ko-dic/",
            $file,
            ".zst"
        ))
    };
}

static METADATA_ZST: &[u8] = ko_dic!("metadata.json");
static CHAR_DEF_ZST: &[u8] = ko_dic!("char_def.bin");
static MATRIX_ZST: &[u8] = ko_dic!("matrix.mtx");
static TRIE_ZST: &[u8] = ko_dic!("dict.trie");
static VALS_IDX_ZST: &[u8] = ko_dic!("dict.valsidx");
static VALS_ZST: &[u8] = ko_dic!("dict.vals");
static WORDS_IDX_ZST: &[u8] = ko_dic!("dict.wordsidx");
static WORDS_ZST: &[u8] = ko_dic!("dict.words");
static UNK_ZST: &[u8] = ko_dic!("unk.bin");

/// Connection ids of user-dictionary words per tag, from mecab-ko-dic's left/right-id.def
/// (written by `tools/kodic`): `pos, left_id, right_id (ends in a consonant), right_id (open)`.
static POS_CONTEXT_IDS: &str = include_str!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/models/ko-dic/pos-context-ids.tsv"
));

/// Word cost of user-dictionary entries. mecab-ko-dic's nouns cost 2,000-5,000 and a split
/// into two or three words adds that much again plus connections, so a cost this low makes
/// a listed word win wherever it occurs, which is what a CX team listing its brands means.
const USER_WORD_COST: i16 = -2000;

/// Tags whose morphemes carry meaning worth indexing (see [`is_content_tag`]).
const CONTENT_TAGS: [&str; 8] = ["NNG", "NNP", "XR", "VV", "VA", "SL", "SN", "SH"];

/// One morpheme of an analysis.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Morpheme {
    /// The text as written in the input (`&input[start..end]`).
    pub surface: String,
    /// The first tag of [`Morpheme::tag`]: `VV` for `VV+EP+EF`.
    pub pos: String,
    /// The full mecab-ko-dic tag, e.g. `NNG`, `XSV+EC`, `VV+EP+EF`.
    pub tag: String,
    /// Byte offset of the morpheme in the analyzed text.
    pub start: usize,
    /// Byte offset one past the morpheme's end.
    pub end: usize,
    /// The normalized form, where it differs from the surface: the stem of an inflected
    /// form (`됨` -> `되`, `드려요` -> `드리`), the Hangul reading of a hanja word, the
    /// lowercase of a Latin word (`iPhone` -> `iphone`).
    pub reading_or_lemma: Option<String>,
}

impl Morpheme {
    /// The form to index and count: [`Morpheme::reading_or_lemma`] or else the surface.
    pub fn term(&self) -> &str {
        self.reading_or_lemma.as_deref().unwrap_or(&self.surface)
    }
}

/// Whether a morpheme with this tag is a content word worth indexing: common and proper
/// nouns, verb and adjective stems (also inflected: `VV+EC`), roots (`XR`: 깔끔 in 깔끔하다),
/// Latin-script words, numbers and hanja. Bound nouns (`NNB`: 것, 수), pronouns, numerals
/// spelled in Hangul, auxiliaries (`VX`), adverbs, particles and endings are not: they occur
/// in nearly every review and would only dilute search and keywords.
pub fn is_content_tag(tag: &str) -> bool {
    let first = tag.split('+').next().unwrap_or(tag);
    CONTENT_TAGS.contains(&first)
}

/// Why a [`KoreanMorphology`] could not be made.
#[derive(Debug, thiserror::Error)]
pub enum MorphError {
    /// The dictionary compiled into the binary failed to unpack or load.
    #[error(
        "the built-in Korean dictionary is unusable ({0}); rebuild models/ko-dic with \
         scripts/build-ko-dic.sh and recompile"
    )]
    EmbeddedDictionary(String),
    /// The user dictionary file could not be read.
    #[error("cannot read the user dictionary: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A line of the user dictionary is malformed.
    #[error("line {line}, {field}: {message} (hint: {hint})")]
    UserDictionary {
        path: PathBuf,
        line: usize,
        field: &'static str,
        message: String,
        hint: String,
    },
}

/// A morpheme plus the dictionary facts the analysis steps need.
#[derive(Debug, Clone)]
struct Analyzed {
    morpheme: Morpheme,
    /// An inflected form (mecab-ko-dic type `Inflect`: 해 = 하/XSV + 아/EC).
    inflected: bool,
    /// The tag is `NNP` and the meaning class `인명` (person's name).
    person_name: bool,
}

impl Analyzed {
    /// Builds the morpheme for `text[start..end]` from mecab-ko-dic's feature fields:
    /// tag, meaning, final consonant, reading, type, first tag, last tag, expression.
    fn new(text: &str, start: usize, end: usize, details: &[&str]) -> Self {
        let surface = &text[start..end];
        let field = |i: usize| details.get(i).copied().unwrap_or("*");
        let tag = match field(0) {
            // lindera's fallback for an entry it cannot decode.
            "UNK" | "*" => "UNKNOWN",
            t => t,
        };
        let pos = tag.split('+').next().unwrap_or(tag);
        let inflected = field(4) == "Inflect";
        let reading_or_lemma = if inflected {
            // The expression's first morpheme is the stem: 드리/VV/*+어요/EC/* -> 드리.
            field(7)
                .split('+')
                .next()
                .and_then(|first| first.split('/').next())
                .filter(|lemma| !lemma.is_empty() && *lemma != "*" && *lemma != surface)
                .map(str::to_owned)
        } else if pos == "SL" {
            let lower = surface.to_lowercase();
            (lower != surface).then_some(lower)
        } else {
            let reading = field(3);
            (reading != "*" && !reading.is_empty() && reading != surface)
                .then(|| reading.to_owned())
        };
        Analyzed {
            morpheme: Morpheme {
                surface: surface.to_owned(),
                pos: pos.to_owned(),
                tag: tag.to_owned(),
                start,
                end,
                reading_or_lemma,
            },
            inflected,
            person_name: tag == "NNP" && field(1) == "인명",
        }
    }

    /// Nouns eligible for the person-name correction.
    fn is_plain_noun(&self) -> bool {
        !self.inflected && matches!(self.morpheme.tag.as_str(), "NNG" | "NNP")
    }

    fn is_content(&self) -> bool {
        is_content_tag(&self.morpheme.tag)
            || (self.morpheme.tag == "UNKNOWN" && hangul_syllables(&self.morpheme.surface) >= 2)
    }
}

fn hangul_syllables(s: &str) -> usize {
    s.chars()
        .filter(|c| ('\u{AC00}'..='\u{D7A3}').contains(c))
        .count()
}

/// mecab-ko-dic's final-consonant flag: `T` when the last syllable has a 받침.
fn has_final_consonant(s: &str) -> bool {
    s.chars()
        .last()
        .filter(|c| ('\u{AC00}'..='\u{D7A3}').contains(c))
        .is_some_and(|c| !(c as u32 - 0xAC00).is_multiple_of(28))
}

/// MeCab's `max-grouping-size`: the longest run of same-class characters (beyond the first)
/// that becomes one unknown word.
const MAX_GROUPING: usize = 24;

/// Lines longer than this many characters are analyzed in pieces cut at whitespace, which
/// bounds the lattice's memory (a few hundred bytes a character) on pathological input.
const MAX_SEGMENT_CHARS: usize = 4096;

/// No node / end of a linked list.
const NONE: u32 = u32::MAX;

/// mecab-ko's `left-space-penalty-factor` (mecab-ko-dic's dicrc) for a candidate that starts
/// after whitespace. mecab-ko keys it on pos-id.def ids; this is the same mapping spelled out
/// over the feature fields: particles 6000, endings, the copula and derivational suffixes
/// 3000, whether plain or as the first part of an inflected form; compounds and
/// pre-analysed entries never.
fn left_space_penalty(tag: &str, kind: &str, first: &str) -> i64 {
    let by_tag = |t: &str| match t {
        "JC" | "JKB" | "JKC" | "JKG" | "JKO" | "JKQ" | "JKS" | "JKV" | "JX" => 6000,
        "EC" | "EF" | "EP" | "ETM" | "ETN" | "VCP" | "XSA" | "XSN" | "XSV" => 3000,
        _ => 0,
    };
    match kind {
        "Compound" | "Preanalysis" => 0,
        "Inflect" => by_tag(first),
        _ if tag == "UNKNOWN" => 0,
        _ => by_tag(tag),
    }
}

/// A word of the user dictionary, already in the system dictionary's context-id space.
#[derive(Debug, Clone)]
struct UserWord {
    chars: Vec<char>,
    left_id: u16,
    right_id: u16,
    /// The eight mecab-ko-dic feature fields.
    details: Vec<String>,
}

/// What the lattice searches: the dictionary plus user words indexed by first character.
struct Lexicon {
    dict: Dictionary,
    user_words: Vec<UserWord>,
    /// User word indices by first character, shortest first (MeCab's lookup order).
    user_by_first: HashMap<char, Vec<u32>>,
    categories: Vec<CategoryData>,
    /// Unknown-word entries per character category: (id, cost, left id, right id).
    unknown: Vec<Vec<(u32, i16, u16, u16)>>,
    space_mask: u32,
}

/// A character's classes in char.def: the default category and the set of all categories.
#[derive(Clone, Copy, Default)]
struct CharClass {
    default: u16,
    kinds: u32,
}

/// Which lexicon a lattice node's word comes from.
#[derive(Clone, Copy, Debug)]
enum WordRef {
    Bos,
    System(u32),
    User(u32),
    Unknown(u32),
}

#[derive(Clone, Copy)]
struct Node {
    /// Character span of the surface (leading whitespace excluded).
    start: u32,
    end: u32,
    right_id: u16,
    word: WordRef,
    path_cost: i64,
    prev: u32,
    /// Next node ending at the same position (most recent first, as in MeCab).
    enext: u32,
}

/// A candidate word found at one lattice position, before it is connected.
#[derive(Clone, Copy)]
struct Candidate {
    end: u32,
    left_id: u16,
    right_id: u16,
    cost: i16,
    word: WordRef,
}

/// Reusable buffers for one analysis; pooled because allocating them costs more than
/// analysing a short review.
#[derive(Default)]
struct Scratch {
    chars: Vec<char>,
    classes: Vec<CharClass>,
    byte_at: Vec<usize>,
    nodes: Vec<Node>,
    end_head: Vec<u32>,
    candidates: Vec<Candidate>,
}

impl Lexicon {
    fn new(dict: Dictionary, mut user_words: Vec<UserWord>) -> Self {
        let chardef: &CharacterDefinition = &dict.character_definition;
        let categories: Vec<CategoryData> = (0..chardef.categories().len())
            .map(|i| {
                *chardef.lookup_definition(
                    lindera_dictionary::dictionary::character_definition::CategoryId(i),
                )
            })
            .collect();
        let unknown = (0..categories.len())
            .map(|i| {
                dict.unknown_dictionary
                    .lookup_word_ids(
                        lindera_dictionary::dictionary::character_definition::CategoryId(i),
                    )
                    .iter()
                    .map(|&id| {
                        let e = dict.unknown_dictionary.word_entry(id);
                        (id, e.word_cost(), e.left_id() as u16, e.right_id() as u16)
                    })
                    .collect()
            })
            .collect();
        let space_mask = chardef
            .category_id_by_name("SPACE")
            .map_or(0, |id| 1u32 << id.0);
        // User words are written in mecab-ko-dic's original context ids; the system
        // dictionary was built with lindera's frequency-ordered remapping.
        if let Some(map) = dict.metadata.context_id_map.as_ref() {
            for w in &mut user_words {
                w.left_id = map.map_left(w.left_id);
                w.right_id = map.map_right(w.right_id);
            }
        }
        let mut user_by_first: HashMap<char, Vec<u32>> = HashMap::new();
        for (i, w) in user_words.iter().enumerate() {
            user_by_first.entry(w.chars[0]).or_default().push(i as u32);
        }
        for ids in user_by_first.values_mut() {
            ids.sort_by_key(|&i| user_words[i as usize].chars.len());
        }
        Lexicon {
            dict,
            user_words,
            user_by_first,
            categories,
            unknown,
            space_mask,
        }
    }

    fn class_of(&self, c: char) -> CharClass {
        let cats = self.dict.character_definition.lookup_categories(c);
        CharClass {
            default: cats.first().map_or(0, |c| c.0 as u16),
            kinds: cats
                .iter()
                .fold(0, |m, c| m | 1u32.checked_shl(c.0 as u32).unwrap_or(0)),
        }
    }

    fn is_space(&self, class: CharClass) -> bool {
        class.kinds & self.space_mask != 0
    }

    /// The mecab-ko-dic feature fields of a lattice word.
    fn details(&self, word: WordRef) -> Vec<&str> {
        match word {
            WordRef::System(id) => self.dict.word_details_iter(id as usize).collect(),
            WordRef::Unknown(id) => self.dict.unknown_word_details_iter(id as usize).collect(),
            WordRef::User(i) => self.user_words[i as usize]
                .details
                .iter()
                .map(String::as_str)
                .collect(),
            WordRef::Bos => Vec::new(),
        }
    }

    /// The left-space penalty of a system word (user and unknown words carry no penalised tag).
    fn penalty(&self, word: WordRef) -> i64 {
        let WordRef::System(id) = word else {
            return 0;
        };
        let mut f = self.dict.word_details_iter(id as usize);
        let tag = f.next().unwrap_or("*");
        let mut rest = f.skip(3);
        let kind = rest.next().unwrap_or("*");
        let first = rest.next().unwrap_or("*");
        left_space_penalty(tag, kind, first)
    }

    /// Appends the candidates starting at character `b` to `out` in MeCab's creation order:
    /// dictionary words by length, then user words, then unknown words as MeCab makes them
    /// (`Tokenizer::lookup`): only when nothing was found or the character class is
    /// `invoke`; a grouped run of compatible characters; then 1..=LENGTH character prefixes.
    fn lookup(&self, chars: &[char], classes: &[CharClass], b: usize, out: &mut Vec<Candidate>) {
        let n = chars.len();
        for (entries, len) in self
            .dict
            .prefix_dictionary
            .common_prefix_search(&chars[b..])
        {
            for e in entries.chunks_exact(10) {
                out.push(Candidate {
                    end: (b + len) as u32,
                    word: WordRef::System(u32::from_le_bytes([e[0], e[1], e[2], e[3]])),
                    cost: i16::from_le_bytes([e[4], e[5]]),
                    left_id: u16::from_le_bytes([e[6], e[7]]),
                    right_id: u16::from_le_bytes([e[8], e[9]]),
                });
            }
        }
        if let Some(ids) = self.user_by_first.get(&chars[b]) {
            for &i in ids {
                let w = &self.user_words[i as usize];
                if chars[b..].starts_with(&w.chars) {
                    out.push(Candidate {
                        end: (b + w.chars.len()) as u32,
                        word: WordRef::User(i),
                        cost: USER_WORD_COST,
                        left_id: w.left_id,
                        right_id: w.right_id,
                    });
                }
            }
        }

        let class = classes[b];
        let Some(category) = self.categories.get(class.default as usize) else {
            return;
        };
        let found = !out.is_empty();
        if found && !category.invoke {
            return;
        }
        let unknown = self
            .unknown
            .get(class.default as usize)
            .map_or(&[][..], Vec::as_slice);
        let add = |end: usize, out: &mut Vec<Candidate>| {
            for &(id, cost, left_id, right_id) in unknown {
                out.push(Candidate {
                    end: end as u32,
                    word: WordRef::Unknown(id),
                    cost,
                    left_id,
                    right_id,
                });
            }
        };
        let before = out.len();
        let mut group_end = None;
        if category.group {
            // MeCab's seekToOtherType: each character must share a class with the previous one.
            let (mut p, mut kinds) = (b + 1, class.kinds);
            while p < n && classes[p].kinds & kinds != 0 {
                kinds = classes[p].kinds;
                p += 1;
            }
            if p - (b + 1) <= MAX_GROUPING {
                add(p, out);
            }
            group_end = Some(p);
        }
        // Prefixes of 1..=LENGTH characters of the first character's class, except the one
        // the group already made.
        for end in (b + 1..).take(category.length as usize) {
            if end > n || Some(end) == group_end {
                break;
            }
            add(end, out);
            if end >= n || classes[end].kinds & class.kinds == 0 {
                break;
            }
        }
        if !found && out.len() == before {
            add(b + 1, out);
        }
    }

    /// MeCab's Viterbi over one piece of text: the best path as (start, end, word) in
    /// character positions. Whitespace is skipped, not a node: a candidate's connection cost
    /// is taken against whatever ended before the whitespace.
    fn best_path(&self, s: &mut Scratch) -> Vec<(usize, usize, WordRef)> {
        let n = s.chars.len();
        let matrix: &ConnectionCostMatrix = &self.dict.connection_cost_matrix;
        s.nodes.clear();
        s.end_head.clear();
        s.end_head.resize(n + 1, NONE);
        s.nodes.push(Node {
            start: 0,
            end: 0,
            right_id: 0,
            word: WordRef::Bos,
            path_cost: 0,
            prev: NONE,
            enext: NONE,
        });
        s.end_head[0] = 0;

        for pos in 0..n {
            if s.end_head[pos] == NONE {
                continue;
            }
            let mut b = pos;
            while b < n && self.is_space(s.classes[b]) {
                b += 1;
            }
            if b == n {
                continue;
            }
            s.candidates.clear();
            self.lookup(&s.chars, &s.classes, b, &mut s.candidates);
            let after_space = b > pos;
            // MeCab links each position's candidates newest first and connects them in that
            // order; keeping the order keeps its tie-breaks.
            for c in s.candidates.iter().rev() {
                let row = matrix.row(u32::from(c.left_id));
                let (mut best, mut best_prev) = (i64::MAX, NONE);
                let mut l = s.end_head[pos];
                while l != NONE {
                    let left = &s.nodes[l as usize];
                    let cost = left.path_cost
                        + i64::from(row.get(left.right_id as usize).copied().unwrap_or(i16::MAX));
                    if cost < best {
                        best = cost;
                        best_prev = l;
                    }
                    l = left.enext;
                }
                let penalty = if after_space { self.penalty(c.word) } else { 0 };
                let idx = s.nodes.len() as u32;
                s.nodes.push(Node {
                    start: b as u32,
                    end: c.end,
                    right_id: c.right_id,
                    word: c.word,
                    path_cost: best + i64::from(c.cost) + penalty,
                    prev: best_prev,
                    enext: s.end_head[c.end as usize],
                });
                s.end_head[c.end as usize] = idx;
            }
        }

        // EOS joins the last position anything ends at (trailing whitespace is skipped).
        let Some(last) = (1..=n).rev().find(|&p| s.end_head[p] != NONE) else {
            return Vec::new();
        };
        let eos_row = matrix.row(0);
        let (mut best, mut node) = (i64::MAX, NONE);
        let mut l = s.end_head[last];
        while l != NONE {
            let left = &s.nodes[l as usize];
            let cost = left.path_cost
                + i64::from(
                    eos_row
                        .get(left.right_id as usize)
                        .copied()
                        .unwrap_or(i16::MAX),
                );
            if cost < best {
                best = cost;
                node = l;
            }
            l = left.enext;
        }
        let mut path = Vec::new();
        while node != NONE && node != 0 {
            let x = &s.nodes[node as usize];
            path.push((x.start as usize, x.end as usize, x.word));
            node = x.prev;
        }
        path.reverse();
        path
    }
}

/// Pieces of `text` to analyze separately: lines, and over-long lines cut at whitespace.
fn segments(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut offset = 0;
    std::iter::from_fn(move || {
        while !rest.is_empty() {
            let line_end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            let mut cut = line_end;
            if let Some((limit, _)) = rest[..line_end].char_indices().nth(MAX_SEGMENT_CHARS) {
                cut = rest[..limit]
                    .rfind(char::is_whitespace)
                    .filter(|&i| i > 0)
                    .unwrap_or(limit);
            }
            let piece = &rest[..cut];
            let at = offset;
            rest = &rest[cut..];
            offset += cut;
            if !piece.trim().is_empty() {
                return Some((at, piece));
            }
        }
        None
    })
}

struct Inner {
    lexicon: Lexicon,
    scratch: Mutex<Vec<Scratch>>,
    /// What the user dictionary holds, hashed; None without one.
    user_words: Option<u64>,
}

/// Korean morphological analyzer over the built-in mecab-ko-dic, optionally with a user
/// dictionary. Cheap to clone (one `Arc`) and safe to share between threads.
#[derive(Clone)]
pub struct KoreanMorphology {
    inner: Arc<Inner>,
}

impl fmt::Debug for KoreanMorphology {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KoreanMorphology")
            .field("user_words", &self.inner.lexicon.user_words.len())
            .finish()
    }
}

fn unpack(name: &str, packed: &[u8]) -> Result<Vec<u8>, MorphError> {
    let fail = |e: String| MorphError::EmbeddedDictionary(format!("{name}: {e}"));
    // Single-shot into a buffer of the frame's declared size: streaming into a growing Vec
    // costs a third more for the repeated reallocation and copying.
    let size = zstd::zstd_safe::get_frame_content_size(packed)
        .ok()
        .flatten()
        .ok_or_else(|| fail("zstd frame without a content size".into()))?;
    zstd::bulk::decompress(packed, size as usize).map_err(|e| fail(e.to_string()))
}

fn lindera_error(
    name: &'static str,
) -> impl Fn(lindera_dictionary::error::LinderaError) -> MorphError {
    move |e| MorphError::EmbeddedDictionary(format!("{name}: {e}"))
}

/// Unpacks the built-in dictionary; what lindera's `embed-ko-dic` loader does, from our bytes.
fn load_embedded_dictionary() -> Result<Dictionary, MorphError> {
    // The four large files unpack in parallel: 240 ms in a row, about half that on two cores.
    let joined = |r: std::thread::Result<Result<Vec<u8>, MorphError>>, name: &str| {
        r.unwrap_or_else(|_| {
            Err(MorphError::EmbeddedDictionary(format!(
                "{name}: unpacking panicked"
            )))
        })
    };
    let (words, matrix, trie, vals) = std::thread::scope(|scope| {
        let words = scope.spawn(|| unpack("dict.words", WORDS_ZST));
        let matrix = scope.spawn(|| unpack("matrix.mtx", MATRIX_ZST));
        let trie = scope.spawn(|| unpack("dict.trie", TRIE_ZST));
        let vals = unpack("dict.vals", VALS_ZST);
        (
            joined(words.join(), "dict.words"),
            joined(matrix.join(), "matrix.mtx"),
            joined(trie.join(), "dict.trie"),
            vals,
        )
    });
    let metadata = Metadata::load(&unpack("metadata.json", METADATA_ZST)?)
        .map_err(lindera_error("metadata.json"))?;
    metadata
        .validate_format_version()
        .map_err(lindera_error("metadata.json"))?;
    let prefix_dictionary = PrefixDictionary::load(
        trie?,
        unpack("dict.valsidx", VALS_IDX_ZST)?,
        vals?,
        unpack("dict.wordsidx", WORDS_IDX_ZST)?,
        words?,
    )
    .map_err(lindera_error("dict.*"))?;
    let connection_cost_matrix =
        ConnectionCostMatrix::load(matrix?).map_err(lindera_error("matrix.mtx"))?;
    let character_definition = CharacterDefinition::load(&unpack("char_def.bin", CHAR_DEF_ZST)?)
        .map_err(lindera_error("char_def.bin"))?;
    let unknown_dictionary =
        UnknownDictionary::load(&unpack("unk.bin", UNK_ZST)?).map_err(lindera_error("unk.bin"))?;
    Ok(Dictionary {
        prefix_dictionary: Arc::new(prefix_dictionary),
        connection_cost_matrix: Arc::new(connection_cost_matrix),
        character_definition: Arc::new(character_definition),
        unknown_dictionary: Arc::new(unknown_dictionary),
        metadata: Arc::new(metadata),
    })
}

/// The unpacked built-in dictionary, shared (its parts are `Arc`s) by every analyzer.
fn embedded_dictionary() -> Result<&'static Dictionary, MorphError> {
    static DICTIONARY: OnceLock<Result<Dictionary, String>> = OnceLock::new();
    DICTIONARY
        .get_or_init(|| load_embedded_dictionary().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|e| MorphError::EmbeddedDictionary(e.clone()))
}

impl KoreanMorphology {
    /// The analyzer with the built-in dictionary. The first call unpacks it (about a tenth
    /// of a second); later calls return the same shared analyzer.
    pub fn embedded() -> Result<Self, MorphError> {
        static EMBEDDED: OnceLock<Result<KoreanMorphology, String>> = OnceLock::new();
        EMBEDDED
            .get_or_init(|| {
                embedded_dictionary()
                    .map(|d| Self::from_parts(d.clone(), Vec::new()))
                    .map_err(|e| e.to_string())
            })
            .clone()
            .map_err(MorphError::EmbeddedDictionary)
    }

    /// The built-in dictionary plus the words listed in a user dictionary file.
    ///
    /// The format is a UTF-8 text file, one word a line, `surface,pos[,reading]`:
    ///
    /// ```text
    /// # brands and products (lines starting with # are comments)
    /// 쿠팡이츠,NNP
    /// 갤럭시버즈,NNP
    /// 새벽배송,NNG
    /// 로켓와우,NNP,로켓와우
    /// ```
    ///
    /// - `surface`: the word as customers write it, without spaces, commas or quotes.
    /// - `pos`: its tag, one of `NNG` (common noun), `NNP` (proper noun: brands, products,
    ///   places), `NP`, `NR`, `VV`, `VA`, `MAG`, `MAJ`, `MM`, `IC`, `XR`, `SL`, `SH`, `SN`. For
    ///   a verb or adjective list the stem (`먹`, not `먹다`).
    /// - `reading`: optional; defaults to the surface.
    ///
    /// A first line `surface,pos,reading` is taken as a header and skipped. A listed word
    /// becomes one morpheme wherever it occurs, even where the built-in dictionary would
    /// split it (`쿠팡이츠` is otherwise `쿠팡/NNP 이/JKS 츠/NNP`); particles after it attach
    /// by the usual rules, choosing 이/가 and 을/를 by its final consonant
    /// (`쿠팡이츠에서` -> `쿠팡이츠/NNP 에서/JKB`).
    pub fn with_user_dictionary(csv_path: &Path) -> Result<Self, MorphError> {
        let text = std::fs::read_to_string(csv_path).map_err(|source| MorphError::Io {
            path: csv_path.to_path_buf(),
            source,
        })?;
        let words = parse_user_dictionary(&text, csv_path)?;
        if words.is_empty() {
            return Self::embedded();
        }
        Ok(Self::from_parts(embedded_dictionary()?.clone(), words))
    }

    fn from_parts(dictionary: Dictionary, user_words: Vec<UserWord>) -> Self {
        let fingerprint = (!user_words.is_empty()).then(|| {
            use std::hash::{Hash, Hasher};
            let mut entries: Vec<(&Vec<char>, u16, u16, &Vec<String>)> = user_words
                .iter()
                .map(|w| (&w.chars, w.left_id, w.right_id, &w.details))
                .collect();
            entries.sort();
            // `DefaultHasher::new()` has fixed keys, so the value is the same run to run; a new
            // Rust release may change it, which costs one re-analysis on re-ingest.
            let mut h = std::collections::hash_map::DefaultHasher::new();
            entries.hash(&mut h);
            h.finish()
        });
        KoreanMorphology {
            inner: Arc::new(Inner {
                lexicon: Lexicon::new(dictionary, user_words),
                scratch: Mutex::new(Vec::new()),
                user_words: fingerprint,
            }),
        }
    }

    /// A name for the dictionaries in use that changes with the user dictionary's words, so
    /// that documents analyzed with other words are re-analyzed on re-ingest.
    pub fn dictionary_version(&self) -> String {
        match self.inner.user_words {
            Some(h) => format!("ko-dic+user-{h:016x}"),
            None => "ko-dic".to_owned(),
        }
    }

    /// All morphemes of `text` in order, whitespace excluded, offsets into `text`. Handles
    /// any input (empty, emoji, Latin, digits, ㅋㅋ) without panicking.
    pub fn analyze(&self, text: &str) -> Vec<Morpheme> {
        self.analyzed(text)
            .into_iter()
            .map(|a| a.morpheme)
            .collect()
    }

    /// mecab-ko's analysis, without sori's correction of misread names. For comparisons and
    /// debugging.
    pub fn analyze_raw(&self, text: &str) -> Vec<Morpheme> {
        self.segment(text).into_iter().map(|a| a.morpheme).collect()
    }

    /// The content morphemes of `text`, for indexing and keywords: nouns (`NNG`, `NNP`),
    /// verb and adjective stems (`VV`, `VA`, inflected forms included, with the stem as
    /// [`Morpheme::term`]), roots (`XR`), Latin words (lowercased in `term`), numbers (`SN`),
    /// hanja (`SH`), and unknown Hangul words of two or more syllables (new words, slang;
    /// jamo runs such as ㅋㅋ are left out). A dictionary compound stays one term (`상품권`,
    /// `화장품`): its parts are often single syllables (`권`, `품`) or change meaning (`화장`),
    /// which would hurt keywords more than the lost partial matches help search.
    pub fn content_terms(&self, text: &str) -> Vec<Morpheme> {
        self.analyzed(text)
            .into_iter()
            .filter(Analyzed::is_content)
            .map(|a| a.morpheme)
            .collect()
    }

    fn analyzed(&self, text: &str) -> Vec<Analyzed> {
        let mut tokens = self.segment(text);
        self.reread_name_runs(text, &mut tokens);
        tokens
    }

    fn segment(&self, text: &str) -> Vec<Analyzed> {
        let lexicon = &self.inner.lexicon;
        let mut s = self
            .inner
            .scratch
            .lock()
            .ok()
            .and_then(|mut pool| pool.pop())
            .unwrap_or_default();
        let mut out = Vec::new();
        for (base, piece) in segments(text) {
            s.chars.clear();
            s.classes.clear();
            s.byte_at.clear();
            for (i, c) in piece.char_indices() {
                s.chars.push(c);
                s.classes.push(lexicon.class_of(c));
                s.byte_at.push(base + i);
            }
            s.byte_at.push(base + piece.len());
            for (start, end, word) in lexicon.best_path(&mut s) {
                let details = lexicon.details(word);
                out.push(Analyzed::new(
                    text,
                    s.byte_at[start],
                    s.byte_at[end],
                    &details,
                ));
            }
        }
        if let Ok(mut pool) = self.inner.scratch.lock() {
            pool.push(s);
        }
        out
    }

    /// Re-reads a run of adjacent nouns read as a one-syllable surname plus a given name as
    /// common nouns, when the whole run splits into dictionary common nouns of two or more
    /// syllables whose boundaries cross the name's.
    fn reread_name_runs(&self, text: &str, tokens: &mut Vec<Analyzed>) {
        let mut i = 0;
        while i < tokens.len() {
            if !tokens[i].is_plain_noun() {
                i += 1;
                continue;
            }
            let mut j = i + 1;
            while j < tokens.len()
                && tokens[j].is_plain_noun()
                && tokens[j].morpheme.start == tokens[j - 1].morpheme.end
            {
                j += 1;
            }
            // The misreading's signature: a one-syllable "surname" followed by a "given
            // name" (배|송지연, 광|기어린), where the nouns would have been cheaper to say.
            let surname_split = tokens[i..j].windows(2).any(|w| {
                w[0].person_name
                    && w[1].person_name
                    && w[0].morpheme.surface.chars().nth(1).is_none()
                    // 최|전성기 is a prefix and a real noun, only mistagged.
                    && !self.is_common_noun(&w[1].morpheme.surface)
            });
            if surname_split {
                let (start, end) = (tokens[i].morpheme.start, tokens[j - 1].morpheme.end);
                // Only a name that cuts through the nouns is a misreading (배|송지연 against
                // 배송|지연). A split that keeps every name edge only subdivides names or
                // relabels them (크리스|토퍼, 조지|머리통) and is worse than the name.
                let cuts_through = |nouns: &[Analyzed]| {
                    tokens[i..j].iter().filter(|t| t.person_name).any(|t| {
                        [t.morpheme.start, t.morpheme.end].iter().any(|&edge| {
                            edge != start
                                && edge != end
                                && !nouns.iter().any(|n| n.morpheme.start == edge)
                        })
                    })
                };
                if let Some(nouns) = self
                    .common_noun_split(text, start, end)
                    .filter(|nouns| cuts_through(nouns))
                {
                    let n = nouns.len();
                    tokens.splice(i..j, nouns);
                    i += n;
                    continue;
                }
            }
            i = j;
        }
    }

    fn is_common_noun(&self, surface: &str) -> bool {
        let dictionary = &self.inner.lexicon.dict;
        dictionary
            .prefix_dictionary
            .find_surface(surface)
            .iter()
            .any(|e| {
                dictionary
                    .word_details_iter(e.word_id().id() as usize)
                    .next()
                    == Some("NNG")
            })
    }

    /// The split of `text[start..end]` into the fewest system-dictionary common nouns
    /// (`NNG`, two or more characters each; cheapest on ties), if there is one with at
    /// least two nouns.
    fn common_noun_split(&self, text: &str, start: usize, end: usize) -> Option<Vec<Analyzed>> {
        let dictionary = &self.inner.lexicon.dict;
        let run = &text[start..end];
        // best[b]: (nouns, total cost, previous boundary, word id) of a split of run[..b].
        let mut best: Vec<Option<(u32, i32, usize, u32)>> = vec![None; run.len() + 1];
        best[0] = Some((0, 0, 0, 0));
        for (b, _) in run.char_indices() {
            let Some((count, cost, _, _)) = best[b] else {
                continue;
            };
            for (len, entry) in dictionary.prefix_dictionary.prefix(&run[b..]) {
                let word_id = entry.word_id().id();
                if run[b..b + len].chars().nth(1).is_none()
                    || dictionary.word_details_iter(word_id as usize).next() != Some("NNG")
                {
                    continue;
                }
                let candidate = (count + 1, cost + i32::from(entry.word_cost()), b, word_id);
                if best[b + len].is_none_or(|(c, k, _, _)| (candidate.0, candidate.1) < (c, k)) {
                    best[b + len] = Some(candidate);
                }
            }
        }
        let (count, ..) = best[run.len()]?;
        if count < 2 {
            return None;
        }
        let mut nouns = Vec::with_capacity(count as usize);
        let mut b = run.len();
        while b > 0 {
            let (_, _, prev, word_id) = best[b]?;
            let details = dictionary.word_details(word_id as usize);
            nouns.push(Analyzed::new(text, start + prev, start + b, &details));
            b = prev;
        }
        nouns.reverse();
        Some(nouns)
    }
}

/// Parses a user dictionary (see [`KoreanMorphology::with_user_dictionary`]) into words with
/// the context ids mecab-ko-dic gives a plain word of that tag (from left/right-id.def via
/// `pos-context-ids.tsv`), so they connect to particles and endings like dictionary words.
fn parse_user_dictionary(text: &str, path: &Path) -> Result<Vec<UserWord>, MorphError> {
    let ids: Vec<(&str, u16, u16, u16)> = POS_CONTEXT_IDS
        .lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| {
            let mut f = l.split('\t');
            let pos = f.next()?;
            let mut id = || f.next()?.trim().parse::<u16>().ok();
            Some((pos, id()?, id()?, id()?))
        })
        .collect();
    let tags = || ids.iter().map(|i| i.0).collect::<Vec<_>>().join(", ");
    let err = |line: usize, field: &'static str, message: String, hint: String| {
        MorphError::UserDictionary {
            path: path.to_path_buf(),
            line,
            field,
            message,
            hint,
        }
    };

    let mut words = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let line_no = n + 1;
        let line = raw.trim_start_matches('\u{feff}').trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if line_no == 1 && fields[0].eq_ignore_ascii_case("surface") {
            continue;
        }
        if !(2..=3).contains(&fields.len()) {
            return Err(err(
                line_no,
                "line",
                format!(
                    "expected 2 or 3 comma-separated fields, found {}",
                    fields.len()
                ),
                "write `surface,pos` or `surface,pos,reading`, e.g. `쿠팡이츠,NNP`".into(),
            ));
        }
        let surface = fields[0];
        if surface.is_empty() || surface.contains(|c: char| c.is_whitespace() || c == '"') {
            return Err(err(
                line_no,
                "field 1 (surface)",
                format!("`{surface}` is empty or contains a space or quote"),
                "write the word without spaces, as it appears unspaced in text".into(),
            ));
        }
        let pos = fields[1];
        let Some(&(_, left_id, right_closed, right_open)) = ids.iter().find(|i| i.0 == pos) else {
            return Err(err(
                line_no,
                "field 2 (pos)",
                format!("unknown or unsupported tag `{pos}`"),
                format!("use one of {} (NNP for brands and products)", tags()),
            ));
        };
        let reading = fields
            .get(2)
            .copied()
            .filter(|r| !r.is_empty())
            .unwrap_or(surface);
        let (right_id, final_consonant) = if has_final_consonant(surface) {
            (right_closed, "T")
        } else {
            (right_open, "F")
        };
        words.push(UserWord {
            chars: surface.chars().collect(),
            left_id,
            right_id,
            details: [pos, "*", final_consonant, reading, "*", "*", "*", "*"]
                .map(str::to_owned)
                .to_vec(),
        });
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn morph() -> KoreanMorphology {
        KoreanMorphology::embedded().expect("built-in dictionary loads")
    }

    fn terms(m: &KoreanMorphology, text: &str) -> Vec<String> {
        m.content_terms(text)
            .iter()
            .map(|t| t.term().to_owned())
            .collect()
    }

    fn tagged(morphemes: &[Morpheme]) -> Vec<String> {
        morphemes
            .iter()
            .map(|m| format!("{}/{}", m.surface, m.tag))
            .collect()
    }

    /// Every morpheme's offsets must cut its surface out of the input.
    fn assert_offsets(text: &str, morphemes: &[Morpheme]) {
        for m in morphemes {
            assert_eq!(
                &text[m.start..m.end],
                m.surface,
                "offsets of {m:?} in {text:?}"
            );
        }
    }

    #[test]
    fn matches_mecab_ko_on_an_inflected_request() {
        // mecab-ko 1.0.3 with this dictionary: 환불/NNG 해/XSV+EC 주/VX 세요/EP+EF
        let m = morph().analyze("환불해주세요");
        assert_eq!(tagged(&m), ["환불/NNG", "해/XSV+EC", "주/VX", "세요/EP+EF"]);
        assert_eq!(m[1].reading_or_lemma.as_deref(), Some("하"));
    }

    #[test]
    fn refund_is_a_term_however_it_is_phrased() {
        let m = morph();
        assert_eq!(terms(&m, "환불해주세요"), ["환불"]);
        assert_eq!(terms(&m, "환불 요청합니다"), ["환불", "요청"]);
        assert_eq!(terms(&m, "환불요청"), ["환불", "요청"]);
    }

    #[test]
    fn delivery_delay_spaced_and_unspaced() {
        let m = morph();
        assert_eq!(terms(&m, "배송이 지연되어"), ["배송", "지연"]);
        assert_eq!(terms(&m, "배송지연"), ["배송", "지연"]);
        assert_eq!(terms(&m, "배송지연이 심해요"), ["배송", "지연", "심하"]);
    }

    #[test]
    fn names_stay_names_when_they_do_not_split_into_nouns() {
        let m = morph();
        // The raw path reads 배송지연 as a name; analyze corrects it, analyze_raw does not.
        assert_eq!(tagged(&m.analyze_raw("배송지연")), ["배/NNP", "송지연/NNP"]);
        assert_eq!(tagged(&m.analyze("배송지연")), ["배송/NNG", "지연/NNG"]);
        let actor = m.analyze("송강호 연기가 좋다");
        assert_eq!(actor[0].surface, "송강호");
        assert_eq!(actor[0].tag, "NNP");
    }

    #[test]
    fn inflected_predicates_yield_their_stems() {
        let m = morph();
        let t = m.content_terms("교환요청드려요 연락이 안 돼요");
        let got: Vec<&str> = t.iter().map(Morpheme::term).collect();
        assert_eq!(got, ["교환", "요청", "드리", "연락", "되"]);
        // The surface stays what the customer wrote, for highlighting.
        let ask = &t[2];
        assert_eq!(
            (ask.surface.as_str(), ask.pos.as_str(), ask.tag.as_str()),
            ("드려요", "VV", "VV+EC")
        );
        assert_eq!(terms(&m, "깔끔하고 좋네요"), ["깔끔", "좋"]);
        assert_eq!(terms(&m, "너무 재밌다"), ["재밌"]);
    }

    #[test]
    fn spaced_text_matches_mecab_ko() {
        // Expected output from mecab-ko 1.0.3 with the same mecab-ko-dic 2.1.1 (python
        // mecab_ko.Tagger("-d <python-mecab-ko-dic>/dictionary")). lindera's own Segmenter
        // gets the first three wrong (나/NP 서/JKB, 참/NNG, 언제/NP 들/XSN 어도/JX) because it
        // connects words through the space.
        let m = morph();
        for (text, mecab) in [
            (
                "결혼하고 나서 봤을 때 느낌이 달라요",
                "결혼/NNG 하/XSV 고/EC 나/VX 서/EC 봤/VX+EP 을/ETM 때/NNG 느낌/NNG 이/JKS 달라요/VA+EC",
            ),
            ("참 흡인력 있는 영화다", "참/MAG 흡인력/NNG 있/VV 는/ETM 영화/NNG 다/VCP+EC"),
            ("언제 들어도 좋은 음악", "언제/MAG 들어도/VV+EC 좋/VA 은/ETM 음악/NNG"),
            (
                "배송은 빠른데 포장이 엉망이네요 ㅠㅠ",
                "배송/NNG 은/JX 빠른데/VA+EC 포장/NNG 이/JKS 엉망/NNG 이/VCP 네요/EF ㅠㅠ/UNKNOWN",
            ),
            (
                "고객센터 연결이 너무 안 돼요.. 환불 언제 되나요?",
                "고객/NNG 센터/NNG 연결/NNG 이/JKS 너무/MAG 안/MAG 돼요/VV+EF ./SF ./SY \
                 환불/NNG 언제/MAG 되/VV 나요/EF ?/SF",
            ),
        ] {
            assert_eq!(tagged(&m.analyze_raw(text)).join(" "), mecab.split_whitespace().collect::<Vec<_>>().join(" "));
        }
    }

    #[test]
    fn offsets_point_into_the_original_text() {
        let m = morph();
        for text in [
            "배송이   지연되어\t환불 요청합니다.\n다시는 안 시킴",
            "  앞뒤 공백  ",
            "iPhone15 케이스 🙂 배송 빠름!!",
            "ㅋㅋㅋㅋ 존잼 ㅠㅠ",
            "가격: 12,900원 / 배송비 3,000원",
            "１２３ ＡＢＣ 全角 漢字",
        ] {
            let all = m.analyze(text);
            assert!(!all.is_empty(), "{text:?}");
            assert_offsets(text, &all);
            assert!(all.iter().all(|w| !w.surface.trim().is_empty()), "{all:?}");
            assert!(
                all.windows(2).all(|w| w[0].end <= w[1].start),
                "ordered: {all:?}"
            );
            assert_offsets(text, &m.content_terms(text));
        }
        let text = "배송이   지연되어";
        let all = m.analyze(text);
        let delay = all.iter().find(|w| w.surface == "지연").unwrap();
        assert_eq!((delay.start, delay.end), (12, 18));
    }

    #[test]
    fn odd_input_never_panics() {
        let m = morph();
        assert!(m.analyze("").is_empty());
        assert!(m.analyze("   \n\t ").is_empty());
        assert!(m.content_terms("ㅋㅋㅋㅋㅋ").is_empty());
        assert_eq!(tagged(&m.analyze("😀")), ["😀/SY"]);
        let long = "좋아요".repeat(20_000);
        assert!(m.analyze(&long).len() >= 20_000);
        let mixed = m.analyze("\u{0}\u{feff}a\u{301}ㄱ\u{1F600}\u{10FFFF}");
        assert!(!mixed.is_empty());
    }

    #[test]
    fn foreign_words_numbers_and_hanja() {
        let m = morph();
        let t = m.content_terms("iPhone15 배터리 100% 學校");
        let got: Vec<(&str, &str)> = t.iter().map(|x| (x.term(), x.pos.as_str())).collect();
        assert_eq!(
            got,
            [
                ("iphone", "SL"),
                ("15", "SN"),
                ("배터리", "NNG"),
                ("100", "SN"),
                ("학교", "NNG")
            ]
        );
    }

    #[test]
    fn compounds_stay_whole() {
        let m = morph();
        let t = m.content_terms("상품권 환불 문의");
        let got: Vec<(&str, usize, usize)> = t.iter().map(|p| (p.term(), p.start, p.end)).collect();
        assert_eq!(got, [("상품권", 0, 9), ("환불", 10, 16), ("문의", 17, 23)]);
    }

    #[test]
    fn content_tags() {
        for tag in [
            "NNG", "NNP", "VV", "VA+EC", "VV+EP+EF", "XR", "SL", "SN", "SH",
        ] {
            assert!(is_content_tag(tag), "{tag}");
        }
        for tag in [
            "NNB", "JKS", "XSV+EC", "VX", "EP+EF", "MAG", "SF", "UNKNOWN", "",
        ] {
            assert!(!is_content_tag(tag), "{tag}");
        }
    }

    #[test]
    fn user_dictionary_joins_brand_names() {
        let m = morph();
        assert_eq!(
            tagged(&m.analyze("쿠팡이츠")),
            ["쿠팡/NNP", "이/JKS", "츠/NNP"],
            "base dictionary splits the brand"
        );
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("user-dict.csv");
        std::fs::write(
            &path,
            "surface,pos,reading\n# brands\n쿠팡이츠,NNP\n갤럭시버즈,NNP,갤럭시버즈\n\n새벽배송,NNG\n",
        )
        .unwrap();
        let u = KoreanMorphology::with_user_dictionary(&path).unwrap();
        assert_eq!(tagged(&u.analyze("쿠팡이츠")), ["쿠팡이츠/NNP"]);
        assert_eq!(
            tagged(&u.analyze("쿠팡이츠에서 주문")),
            ["쿠팡이츠/NNP", "에서/JKB", "주문/NNG"]
        );
        assert_eq!(
            terms(&u, "갤럭시버즈가 고장났어요"),
            ["갤럭시버즈", "고장나"]
        );
        assert_eq!(terms(&u, "새벽배송 최고"), ["새벽배송", "최고"]);
        // The built-in analyzer is unaffected.
        assert_eq!(
            tagged(&m.analyze("쿠팡이츠")),
            ["쿠팡/NNP", "이/JKS", "츠/NNP"]
        );
    }

    #[test]
    fn user_dictionary_errors_name_line_and_field() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("bad.csv");
        std::fs::write(&path, "쿠팡이츠,NNP\n갤럭시 버즈,NNP\n").unwrap();
        let e = KoreanMorphology::with_user_dictionary(&path).unwrap_err();
        assert!(
            matches!(
                e,
                MorphError::UserDictionary {
                    line: 2,
                    field: "field 1 (surface)",
                    ..
                }
            ),
            "{e}"
        );
        std::fs::write(&path, "쿠팡이츠,BRAND\n").unwrap();
        let e = KoreanMorphology::with_user_dictionary(&path).unwrap_err();
        assert!(e.to_string().contains("line 1, field 2 (pos)"), "{e}");
        assert!(e.to_string().contains("NNP"), "{e}");
        std::fs::write(&path, "쿠팡이츠\n").unwrap();
        let e = KoreanMorphology::with_user_dictionary(&path).unwrap_err();
        assert!(e.to_string().contains("expected 2 or 3"), "{e}");
        let missing = dir.path().join("missing.csv");
        assert!(matches!(
            KoreanMorphology::with_user_dictionary(&missing),
            Err(MorphError::Io { .. })
        ));
        // Comments and blank lines only: the built-in analyzer.
        std::fs::write(&path, "# nothing yet\n\n").unwrap();
        assert!(KoreanMorphology::with_user_dictionary(&path).is_ok());
    }

    #[test]
    fn analyzer_is_shareable() {
        fn assert_send_sync<T: Send + Sync + Clone>() {}
        assert_send_sync::<KoreanMorphology>();
        let m = morph();
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let m = m.clone();
                std::thread::spawn(move || terms(&m, "배송이 지연되어 환불해주세요"))
            })
            .collect();
        for h in handles {
            assert_eq!(h.join().unwrap(), ["배송", "지연", "환불"]);
        }
    }

    #[test]
    fn final_consonant() {
        assert!(has_final_consonant("쿠팡"));
        assert!(!has_final_consonant("쿠팡이츠"));
        assert!(!has_final_consonant("버즈S"));
        assert!(!has_final_consonant(""));
    }
}
