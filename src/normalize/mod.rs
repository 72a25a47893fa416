// STUB (replaced by helper)
use serde::Serialize;
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum Lang {
    Ko,
    En,
    Mixed,
    Other,
}
impl Lang {
    pub fn as_str(&self) -> &'static str {
        "ko"
    }
}
#[derive(Clone, Copy, Debug, Serialize, PartialEq, Eq)]
pub enum PiiKind {
    Phone,
}
impl PiiKind {
    pub fn as_str(&self) -> &'static str {
        "phone"
    }
}
#[derive(Clone, Debug, Serialize)]
pub struct PiiHit {
    pub kind: PiiKind,
    pub count: usize,
}
#[derive(Clone, Debug, Serialize)]
pub struct Normalized {
    pub text: String,
    pub pii: Vec<PiiHit>,
    pub pii_count: usize,
    pub urls: Vec<String>,
    pub mentions: Vec<String>,
    pub hashtags: Vec<String>,
    pub emoji: Vec<String>,
    pub lang: Lang,
}
#[derive(Default)]
pub struct Normalizer;
impl Normalizer {
    pub fn normalize(&self, raw: &str) -> Normalized {
        Normalized {
            text: raw.into(),
            pii: vec![],
            pii_count: 0,
            urls: vec![],
            mentions: vec![],
            hashtags: vec![],
            emoji: vec![],
            lang: Lang::Ko,
        }
    }
}
pub fn content_hash(_t: &str) -> u64 {
    0
}
pub fn simhash64<'a>(_f: impl IntoIterator<Item = &'a str>) -> u64 {
    0
}
pub fn char_ngrams(_t: &str, _n: usize) -> Vec<String> {
    vec![]
}
pub fn redact_only(t: &str) -> String {
    t.into()
}
pub enum DupFlag {
    Unique,
    Exact { of: String },
    Near { of: String, distance: u32 },
}
pub struct DuplicateDetector;
impl DuplicateDetector {
    pub fn new(_m: u32) -> Self {
        Self
    }
    pub fn insert(&mut self, _id: &str, _c: u64, _s: u64) -> DupFlag {
        DupFlag::Unique
    }
}
