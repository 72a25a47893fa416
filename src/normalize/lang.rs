//! Script-based language identification: Korean, English, mixed, or other.

use serde::Serialize;

use super::entities::URL_PLACEHOLDER;
use super::pii::PiiKind;
use super::text::is_compat_jamo;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Ko,
    En,
    Mixed,
    Other,
}

impl Lang {
    pub fn as_str(&self) -> &'static str {
        match self {
            Lang::Ko => "ko",
            Lang::En => "en",
            Lang::Mixed => "mixed",
            Lang::Other => "other",
        }
    }
}

fn is_hangul(c: char) -> bool {
    matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{1100}'..='\u{11FF}' | '\u{A960}'..='\u{A97F}' | '\u{D7B0}'..='\u{D7FF}')
        || is_compat_jamo(c)
}

fn is_latin(c: char) -> bool {
    c.is_ascii_alphabetic() || (matches!(c, '\u{00C0}'..='\u{024F}') && c.is_alphabetic())
}

/// Letter and word counts of one script.
struct Script {
    /// Shortest run of letters that counts as a word.
    min_word: usize,
    /// Shortest word that reads as language rather than as a name or acronym.
    min_plain: usize,
    letters: usize,
    words: usize,
    /// Words that read as language: for Latin, a lowercase start and 4+ letters ("fast" is
    /// English; "Apple", "LG" and a lowercase "ost" are names).
    plain_words: usize,
    current: usize,
    current_plain: bool,
}

impl Script {
    fn new(min_word: usize, min_plain: usize) -> Self {
        Script {
            min_word,
            min_plain,
            letters: 0,
            words: 0,
            plain_words: 0,
            current: 0,
            current_plain: false,
        }
    }

    fn letter(&mut self, plain_start: bool) {
        if self.current == 0 {
            self.current_plain = plain_start;
        }
        self.letters += 1;
        self.current += 1;
    }

    fn end_word(&mut self) {
        if self.current >= self.min_word {
            self.words += 1;
        }
        if self.current_plain && self.current >= self.min_plain {
            self.plain_words += 1;
        }
        self.current = 0;
    }

    /// Present beyond an isolated name or letter: two words, or a fifth of the letters with
    /// one plain word among them ("배송 완전 fast 했어요").
    fn substantial(&self, total: usize) -> bool {
        self.words >= 2 || (self.letters * 5 >= total && self.plain_words > 0)
    }
}

/// Language by script share of the letters: `Ko` when Hangul (jamo-only chat like ㅋㅋ
/// included) makes up >= 80%, `En` when Latin does, `Mixed` when both are substantial,
/// `Other` for other scripts (Japanese, Chinese) or no letters at all (emoji, digits).
/// Redaction placeholders (`[전화번호]`, `[URL]`) are not the author's words and are skipped.
pub fn detect_lang(text: &str) -> Lang {
    // A two-syllable Hangul word says about as much as a three-letter Latin one.
    let mut ko = Script::new(2, 2);
    let mut en = Script::new(3, 4);
    let mut other = 0usize;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        if rest.starts_with('[') {
            if let Some(p) = placeholder_len(rest) {
                ko.end_word();
                en.end_word();
                i += p;
                continue;
            }
        }
        let Some(c) = rest.chars().next() else { break };
        i += c.len_utf8();
        if is_hangul(c) {
            en.end_word();
            ko.letter(true);
        } else if is_latin(c) {
            ko.end_word();
            en.letter(c.is_lowercase());
        } else {
            ko.end_word();
            en.end_word();
            if c.is_alphabetic() {
                other += 1;
            }
        }
    }
    ko.end_word();
    en.end_word();

    let total = ko.letters + en.letters + other;
    if total == 0 || other * 2 >= total {
        return Lang::Other;
    }
    if ko.letters * 5 >= total * 4 {
        return Lang::Ko;
    }
    if en.letters * 5 >= total * 4 {
        return Lang::En;
    }
    match (ko.substantial(total), en.substantial(total)) {
        (true, true) => Lang::Mixed,
        (true, false) => Lang::Ko,
        (false, true) => Lang::En,
        (false, false) if ko.letters >= en.letters && ko.letters > 0 => Lang::Ko,
        (false, false) if en.letters > 0 => Lang::En,
        (false, false) => Lang::Other,
    }
}

fn placeholder_len(s: &str) -> Option<usize> {
    PiiKind::ALL
        .iter()
        .map(PiiKind::placeholder)
        .chain([URL_PLACEHOLDER])
        .find(|p| s.starts_with(p))
        .map(str::len)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn korean_english_mixed_other() {
        assert_eq!(detect_lang("배송이 빠르고 포장도 꼼꼼해요"), Lang::Ko);
        assert_eq!(detect_lang("ㅋㅋㅋ"), Lang::Ko);
        assert_eq!(detect_lang("ㅠㅠ 환불해주세요!!"), Lang::Ko);
        assert_eq!(detect_lang("Fast shipping, great quality!"), Lang::En);
        assert_eq!(detect_lang("배송 완전 fast 했어요"), Lang::Mixed);
        assert_eq!(
            detect_lang("가성비 good, 디자인 nice 근데 배터리가 so so"),
            Lang::Mixed
        );
        assert_eq!(detect_lang("とても良い商品でした"), Lang::Other);
        assert_eq!(detect_lang("非常好的产品"), Lang::Other);
        assert_eq!(detect_lang("😍😍👍"), Lang::Other);
        assert_eq!(detect_lang("12,900 / 5"), Lang::Other);
        assert_eq!(detect_lang(""), Lang::Other);
    }

    #[test]
    fn brand_names_do_not_make_korean_mixed() {
        assert_eq!(detect_lang("LG 최고"), Lang::Ko);
        assert_eq!(detect_lang("TV 화면이 선명해요"), Lang::Ko);
        assert_eq!(
            detect_lang("아이폰 케이스 샀는데 Apple 정품이랑 똑같아요"),
            Lang::Ko
        );
        assert_eq!(detect_lang("Great product 짱"), Lang::En);
        assert_eq!(detect_lang("ost진짜 맘에든다"), Lang::Ko);
        assert_eq!(detect_lang("ebs는 사랑입니다."), Lang::Ko);
    }

    #[test]
    fn placeholders_are_ignored() {
        assert_eq!(detect_lang("[URL]"), Lang::Other);
        assert_eq!(detect_lang("[URL] 여기서 샀어요"), Lang::Ko);
        assert_eq!(detect_lang("Call me at [전화번호] please"), Lang::En);
    }

    #[test]
    fn serde_names() {
        assert_eq!(serde_json::to_string(&Lang::Mixed).unwrap(), "\"mixed\"");
        assert_eq!(Lang::Ko.as_str(), "ko");
    }
}
