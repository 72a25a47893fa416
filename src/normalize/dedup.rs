//! Duplicate detection: exact copies by a canonical content hash, near copies by SimHash.

use std::collections::{HashMap, HashSet};

use xxhash_rust::xxh3::xxh3_64;

use super::text::{is_compat_jamo, is_pictographic, is_skin_tone};

/// Whether a character survives into the canonical form. Chat jamo (ㅋㅋ, ㅠㅠ), punctuation,
/// emoji and whitespace are how re-posts usually differ, so they are left out.
fn is_canonical(c: char) -> bool {
    c.is_alphanumeric() && !is_compat_jamo(c)
}

/// Appends the canonical form: lowercase, canonical characters only, runs of the same
/// character collapsed to one (digits excepted: 100 and 1000 are different amounts).
fn canonical_into(text: &str, keep: impl Fn(char) -> bool, out: &mut String) {
    let mut last: Option<char> = None;
    for c in text
        .chars()
        .filter(|&c| keep(c))
        .flat_map(char::to_lowercase)
    {
        if last == Some(c) && !c.is_numeric() {
            continue;
        }
        out.push(c);
        last = Some(c);
    }
}

/// Fallback for texts with nothing canonical in them: their jamo and emoji.
fn is_expressive(c: char) -> bool {
    c.is_alphanumeric() || is_pictographic(c) || is_skin_tone(c)
}

/// xxh3 of a canonical form of normalized text, so trivially different copies ("좋아요!!" vs
/// "좋아요 ㅋㅋ") collide. A text with nothing canonical in it (ㅋㅋ, 👍) is hashed on its
/// jamo and emoji instead (then on any non-blank character), so "ㅋㅋ" and "👍" differ.
pub fn content_hash(normalized_text: &str) -> u64 {
    let mut canon = String::with_capacity(normalized_text.len());
    canonical_into(normalized_text, is_canonical, &mut canon);
    if canon.is_empty() {
        canonical_into(normalized_text, is_expressive, &mut canon);
    }
    if canon.is_empty() {
        canonical_into(normalized_text, |c| !c.is_whitespace(), &mut canon);
    }
    xxh3_64(canon.as_bytes())
}

/// Fewer features than this give no fingerprint: with a handful of votes one shared word
/// decides most bits, and "명작" would be a near copy of "명작중에 명작".
pub const MIN_SIMHASH_FEATURES: usize = 6;

/// 64-bit SimHash: every feature votes on every bit with its xxh3 hash; repeated features
/// vote repeatedly. Returns 0 ("no fingerprint", ignored by [`DuplicateDetector`]) for fewer
/// than [`MIN_SIMHASH_FEATURES`] features; such short texts are still caught as exact copies
/// by [`content_hash`].
pub fn simhash64<'a>(features: impl IntoIterator<Item = &'a str>) -> u64 {
    let mut votes = [0i32; 64];
    let mut count = 0;
    for f in features {
        count += 1;
        let h = xxh3_64(f.as_bytes());
        for (bit, v) in votes.iter_mut().enumerate() {
            *v += if h >> bit & 1 == 1 { 1 } else { -1 };
        }
    }
    if count < MIN_SIMHASH_FEATURES {
        return 0;
    }
    votes
        .iter()
        .enumerate()
        .filter(|(_, &v)| v > 0)
        .fold(0u64, |acc, (bit, _)| acc | 1 << bit)
}

/// Distinct character n-grams, in order of first appearance, of the canonical characters
/// (lowercased; whitespace, punctuation, emoji and chat jamo dropped unless nothing else is
/// left), for SimHash on texts too short for morphemes. Distinct, because in junk like
/// "9000000000점" or "최고!최고!최고!" one repeated gram would outvote everything else.
/// A text shorter than `n` gives one gram of all its characters.
pub fn char_ngrams(text: &str, n: usize) -> Vec<String> {
    if n == 0 {
        return Vec::new();
    }
    let lower = |c: char| c.to_lowercase();
    let mut chars: Vec<char> = text
        .chars()
        .filter(|&c| is_canonical(c))
        .flat_map(lower)
        .collect();
    if chars.is_empty() {
        chars = text
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(lower)
            .collect();
    }
    if chars.is_empty() {
        return Vec::new();
    }
    if chars.len() <= n {
        return vec![chars.into_iter().collect()];
    }
    let mut seen = HashSet::new();
    chars
        .windows(n)
        .filter(|w| seen.insert(*w))
        .map(|w| w.iter().collect())
        .collect()
}

pub fn hamming(a: u64, b: u64) -> u32 {
    (a ^ b).count_ones()
}

/// The verdict for one inserted document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DupFlag {
    Unique,
    /// Same canonical content as the earlier document `of`.
    Exact {
        of: String,
    },
    /// SimHash within the detector's Hamming threshold of the earlier document `of`.
    Near {
        of: String,
        distance: u32,
    },
}

struct Entry {
    id: String,
    content_hash: u64,
    simhash: u64,
}

/// In-memory duplicate index, seeded with what is already stored and fed new documents in
/// order; the first document seen is the original, later copies point at it.
///
/// Near duplicates are found by banding: the 64 SimHash bits are cut into `max_hamming + 1`
/// bands (4 x 16 bits for the usual threshold of 3). Two hashes within the threshold agree
/// exactly on at least one band (pigeonhole), so only documents sharing a band value are
/// compared, and an insert stays O(bucket size) for hundreds of thousands of documents.
pub struct DuplicateDetector {
    max_hamming: u32,
    /// (shift, mask) per band.
    bands: Vec<(u32, u64)>,
    tables: Vec<HashMap<u64, Vec<u32>>>,
    entries: Vec<Entry>,
    by_id: HashMap<String, u32>,
    by_content: HashMap<u64, u32>,
}

impl DuplicateDetector {
    pub fn new(max_hamming: u32) -> Self {
        let n_bands = max_hamming.saturating_add(1).min(64);
        let bands = (0..n_bands)
            .map(|k| {
                let lo = 64 * k / n_bands;
                let hi = 64 * (k + 1) / n_bands;
                let width = hi - lo;
                let mask = if width == 64 {
                    u64::MAX
                } else {
                    (1u64 << width) - 1
                };
                (lo, mask)
            })
            .collect::<Vec<_>>();
        DuplicateDetector {
            max_hamming,
            tables: vec![HashMap::new(); bands.len()],
            bands,
            entries: Vec::new(),
            by_id: HashMap::new(),
            by_content: HashMap::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Records a document and says whether it duplicates an earlier, different document.
    /// Re-inserting an id (re-ingest of the same record) never flags it as a copy of itself;
    /// its hashes are updated if they changed. A SimHash of 0 means "no features" and takes
    /// no part in near-duplicate detection.
    pub fn insert(&mut self, id: &str, content_hash: u64, simhash: u64) -> DupFlag {
        let own = self.by_id.get(id).copied();
        let flag = self.check(own, content_hash, simhash);

        let idx = match own {
            Some(idx) => {
                let e = &mut self.entries[idx as usize];
                if e.content_hash == content_hash && e.simhash == simhash {
                    return flag;
                }
                if self.by_content.get(&e.content_hash) == Some(&idx) {
                    self.by_content.remove(&e.content_hash);
                }
                e.content_hash = content_hash;
                e.simhash = simhash;
                idx
            }
            None => {
                let idx = u32::try_from(self.entries.len()).unwrap_or(u32::MAX);
                self.entries.push(Entry {
                    id: id.to_owned(),
                    content_hash,
                    simhash,
                });
                self.by_id.insert(id.to_owned(), idx);
                idx
            }
        };
        self.by_content.entry(content_hash).or_insert(idx);
        if simhash != 0 {
            for (table, &(shift, mask)) in self.tables.iter_mut().zip(&self.bands) {
                let bucket = table.entry(simhash >> shift & mask).or_default();
                // Stale entries of an updated id may remain; `check` re-verifies each hit.
                if !bucket.contains(&idx) {
                    bucket.push(idx);
                }
            }
        }
        flag
    }

    fn check(&self, own: Option<u32>, content_hash: u64, simhash: u64) -> DupFlag {
        if let Some(&idx) = self.by_content.get(&content_hash) {
            if Some(idx) != own {
                return DupFlag::Exact {
                    of: self.entries[idx as usize].id.clone(),
                };
            }
        }
        if simhash == 0 {
            return DupFlag::Unique;
        }
        // The earliest matching document is the original.
        let mut best: Option<(u32, u32)> = None;
        for (table, &(shift, mask)) in self.tables.iter().zip(&self.bands) {
            let Some(bucket) = table.get(&(simhash >> shift & mask)) else {
                continue;
            };
            for &idx in bucket {
                if Some(idx) == own || best.is_some_and(|(b, _)| b <= idx) {
                    continue;
                }
                let e = &self.entries[idx as usize];
                let d = hamming(e.simhash, simhash);
                if e.simhash != 0 && d <= self.max_hamming {
                    best = Some((idx, d));
                }
            }
        }
        match best {
            Some((idx, distance)) => DupFlag::Near {
                of: self.entries[idx as usize].id.clone(),
                distance,
            },
            None => DupFlag::Unique,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::Normalizer;
    use super::*;

    fn fingerprint(n: &Normalizer, raw: &str) -> (u64, u64) {
        let t = n.normalize(raw).text;
        let grams = char_ngrams(&t, 2);
        (
            content_hash(&t),
            simhash64(grams.iter().map(String::as_str)),
        )
    }

    #[test]
    fn canonical_hash_ignores_noise() {
        let base = content_hash("배송 빠르고 좋아요");
        assert_eq!(content_hash("배송빠르고  좋아요!!"), base);
        assert_eq!(content_hash("배송 빠르고 좋아요 ㅋㅋ 😍"), base);
        assert_ne!(content_hash("배송 느리고 별로예요"), base);
        assert_eq!(content_hash("GOOD 제품"), content_hash("good 제품."));
        assert_ne!(content_hash("100원"), content_hash("1000원"));
        // Nothing canonical: hashed on the symbols themselves.
        assert_eq!(content_hash("ㅋㅋ"), content_hash("ㅋㅋ!"));
        assert_ne!(content_hash("ㅋㅋ"), content_hash("👍"));
        assert_eq!(content_hash("👍👍"), content_hash("👍 !"));
        assert_ne!(content_hash("?"), content_hash("!"));
    }

    #[test]
    fn ngrams() {
        assert_eq!(char_ngrams("좋아요!! ㅋㅋ", 2), vec!["좋아", "아요"]);
        assert_eq!(char_ngrams("Good 굿", 3), vec!["goo", "ood", "od굿"]);
        assert_eq!(char_ngrams("짱", 2), vec!["짱"]);
        assert_eq!(char_ngrams("최고!최고!최고!", 2), vec!["최고", "고최"]);
        assert_eq!(char_ngrams("ㅋㅋ", 2), vec!["ㅋㅋ"]);
        assert!(char_ngrams("", 2).is_empty());
        assert!(char_ngrams("abc", 0).is_empty());
    }

    #[test]
    fn simhash_properties() {
        assert_eq!(simhash64(std::iter::empty()), 0);
        assert_eq!(simhash64(["명작"]), 0);
        assert_eq!(simhash64(["배송", "빠르다", "포장", "꼼꼼", "만족"]), 0);
        let a = simhash64(["배송", "빠르다", "포장", "꼼꼼", "만족", "재구매"]);
        assert_ne!(a, 0);
        assert_eq!(
            a,
            simhash64(["배송", "빠르다", "포장", "꼼꼼", "만족", "재구매"])
        );
        let b = simhash64(["환불", "거부", "고객센터", "불친절", "최악", "신고"]);
        assert!(hamming(a, b) > 10);
    }

    #[test]
    fn banding_layout() {
        let d = DuplicateDetector::new(3);
        assert_eq!(
            d.bands,
            vec![(0, 0xFFFF), (16, 0xFFFF), (32, 0xFFFF), (48, 0xFFFF)]
        );
        assert_eq!(DuplicateDetector::new(0).bands, vec![(0, u64::MAX)]);
    }

    #[test]
    fn reposts_are_flagged_and_different_reviews_are_not() {
        let n = Normalizer::default();
        let mut d = DuplicateDetector::new(3);
        let original =
            "한 달 써보고 남기는 후기입니다. 하늘몰에서 산 무선청소기인데 흡입력이 좋고 \
                        소음도 생각보다 작아요. 배송은 이틀 만에 왔고 포장도 꼼꼼했습니다. 먼지통 \
                        비우기도 편하고 배터리도 40분 정도 가요. 가격 대비 만족합니다";
        let (c, s) = fingerprint(&n, original);
        assert_eq!(d.insert("r1", c, s), DupFlag::Unique);

        // Re-posted with chat noise and more punctuation: the same canonical content.
        let noisy = format!("{}!!! ㅋㅋㅋㅋ 😊😊", original.replace(". ", ".... "));
        let (c, s) = fingerprint(&n, &noisy);
        assert_eq!(d.insert("r2", c, s), DupFlag::Exact { of: "r1".into() });

        // Re-posted with a word added: a near copy (SimHash distance 1 on char bigrams).
        let (c, s) = fingerprint(&n, &format!("{original} 추천"));
        assert_eq!(
            d.insert("r3", c, s),
            DupFlag::Near {
                of: "r1".into(),
                distance: 1
            }
        );

        // Another customer on the same product and topics.
        let other = "무선청소기 샀는데 흡입력이 약하고 배터리가 금방 닳아요. 하늘몰 배송은 \
                     빨랐고 포장도 괜찮았어요. 가격 대비 그냥 그래요";
        let (c, s) = fingerprint(&n, other);
        assert_eq!(d.insert("r4", c, s), DupFlag::Unique);
    }

    #[test]
    fn short_texts_are_only_exact_copies() {
        let n = Normalizer::default();
        let mut d = DuplicateDetector::new(3);
        let (c, s) = fingerprint(&n, "명작");
        assert_eq!(s, 0);
        assert_eq!(d.insert("s1", c, s), DupFlag::Unique);
        let (c, s) = fingerprint(&n, "명작중에 명작");
        assert_eq!(d.insert("s2", c, s), DupFlag::Unique);
        let (c, s) = fingerprint(&n, "명작!!!");
        assert_eq!(d.insert("s3", c, s), DupFlag::Exact { of: "s1".into() });
    }

    #[test]
    fn reingest_of_the_same_id_is_unique() {
        let mut d = DuplicateDetector::new(3);
        assert_eq!(d.insert("a", 1, 0xF0F0_F0F0), DupFlag::Unique);
        assert_eq!(d.insert("a", 1, 0xF0F0_F0F0), DupFlag::Unique);
        assert_eq!(d.insert("b", 1, 0x1234), DupFlag::Exact { of: "a".into() });
        // Re-ingesting the copy still points at the original, and the original stays unique.
        assert_eq!(d.insert("b", 1, 0x1234), DupFlag::Exact { of: "a".into() });
        assert_eq!(d.insert("a", 1, 0xF0F0_F0F0), DupFlag::Unique);
        assert_eq!(
            d.insert("c", 2, 0xF0F0_F0F1),
            DupFlag::Near {
                of: "a".into(),
                distance: 1
            }
        );
        assert_eq!(d.len(), 3);
    }

    #[test]
    fn edited_record_moves_its_hashes() {
        let mut d = DuplicateDetector::new(3);
        d.insert("a", 1, 0xAAAA_0000_0000_0000);
        // "a" was edited: its old content is free again, its new content is taken.
        assert_eq!(d.insert("a", 2, 0x5555_0000_0000_5555), DupFlag::Unique);
        assert_eq!(d.insert("b", 1, 0xAAAA_0000_0000_0000), DupFlag::Unique);
        assert_eq!(d.insert("c", 2, 0x1), DupFlag::Exact { of: "a".into() });
    }

    #[test]
    fn near_search_scales() {
        let mut d = DuplicateDetector::new(3);
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        for i in 0..100_000u64 {
            // xorshift: well-spread simhashes
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            d.insert(&format!("doc{i}"), i, x);
        }
        let probe = x ^ 0b101;
        assert_eq!(
            d.insert("probe", u64::MAX, probe),
            DupFlag::Near {
                of: "doc99999".into(),
                distance: 2
            }
        );
    }
}
