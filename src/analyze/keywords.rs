//! Keyword extraction: the nouns and foreign words a document is about, most frequent first.
//! Deliberately simple and per-document; corpus-level salience belongs to topic modelling.

use super::{Term, TermClass};

/// Nouns that appear in feedback about anything and say nothing about it.
const STOP: &[&str] = &[
    "것", "수", "거", "때", "정도", "진짜", "정말", "너무", "그냥", "이거", "저", "제", "나", "좀",
    "번", "더", "등", "점", "중", "분", "개", "날", "후", "전", "안", "말", "생각", "뭐", "이번",
    "때문", "경우", "부분", "하나", "오늘", "어제", "the", "a", "it", "is", "and", "to", "i",
];

pub fn keywords(terms: &[Term], k: usize) -> Vec<String> {
    let mut counts: Vec<(String, usize, usize)> = Vec::new();
    for (i, t) in terms.iter().enumerate() {
        let useful = match t.class {
            TermClass::Noun | TermClass::Root => t.text.chars().count() >= 2,
            TermClass::Foreign => t.text.chars().count() >= 3,
            _ => false,
        };
        if !useful || STOP.contains(&t.text.as_str()) {
            continue;
        }
        match counts.iter_mut().find(|c| c.0 == t.text) {
            Some(c) => c.1 += 1,
            None => counts.push((t.text.clone(), 1, i)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.2.cmp(&b.2)));
    counts.into_iter().take(k).map(|c| c.0).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(text: &str, class: TermClass) -> Term {
        Term {
            text: text.into(),
            start: 0,
            end: 0,
            class,
        }
    }

    #[test]
    fn frequent_nouns_first_and_stopwords_out() {
        let terms = vec![
            t("배송", TermClass::Noun),
            t("너무", TermClass::Noun),
            t("늦", TermClass::Predicate),
            t("포장", TermClass::Noun),
            t("배송", TermClass::Noun),
            t("수", TermClass::Noun),
            t("app", TermClass::Foreign),
        ];
        assert_eq!(keywords(&terms, 5), vec!["배송", "포장", "app"]);
        assert_eq!(keywords(&terms, 1), vec!["배송"]);
    }
}
