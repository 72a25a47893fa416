//! From morphemes to index terms: which morphemes are searchable, and in what form.

use once_cell::sync::Lazy;
use rust_stemmers::{Algorithm, Stemmer};

use super::morph::{KoreanMorphology, Morpheme};
use super::{Term, TermClass};

static ENGLISH: Lazy<Stemmer> = Lazy::new(|| Stemmer::create(Algorithm::English));

pub fn class_of(tag: &str) -> TermClass {
    let first = tag.split('+').next().unwrap_or(tag);
    match first {
        "NNG" | "NNP" | "NNB" | "NR" | "NP" => TermClass::Noun,
        "VV" | "VA" | "VX" | "VCN" => TermClass::Predicate,
        "XR" => TermClass::Root,
        "SL" | "SH" => TermClass::Foreign,
        "SN" => TermClass::Number,
        _ => TermClass::Other,
    }
}

fn to_term(m: &Morpheme) -> Term {
    let class = class_of(&m.tag);
    let text = match class {
        TermClass::Foreign => {
            let lower = m.surface.to_lowercase();
            if lower.is_ascii() {
                ENGLISH.stem(&lower).into_owned()
            } else {
                lower
            }
        }
        _ => m.term().to_owned(),
    };
    Term {
        text,
        start: m.start,
        end: m.end,
        class,
    }
}

/// The searchable terms of `text`: content morphemes (see [`KoreanMorphology::content_terms`]),
/// lowercased, English words stemmed.
pub fn index_terms(morph: &KoreanMorphology, text: &str) -> Vec<Term> {
    morph
        .content_terms(text)
        .iter()
        .map(to_term)
        .filter(|t| !t.text.is_empty())
        .collect()
}
