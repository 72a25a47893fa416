//! Text normalization: the stage between ingest and analysis.
//!
//! [`Normalizer::normalize`] turns raw review text into the only text sori stores, in this
//! order (each step relies on the previous ones):
//! 1. invisible and control characters dropped, NFKC that keeps compatibility jamo (ㅋㅋ
//!    stays ㅋㅋ), HTML entities decoded, whitespace runs folded to ' ' (or one '\n'), trimmed;
//! 2. URLs moved to `urls` and replaced by `[URL]` (phones and e-mails inside them redacted);
//! 3. PII (phone, e-mail, 주민등록번호, card, account) replaced by typed placeholders such as
//!    `[전화번호]`, counted per kind, values discarded;
//! 4. expressive repeats squashed (ㅋㅋㅋㅋ -> ㅋㅋ, !!!!! -> !!, 하하하하 -> 하하하);
//! 5. #hashtags and @mentions collected (hashtags keep their word in the text);
//! 6. emoji, emoticons and chat markers (laugh, cry, annoyed, !!, ??) collected;
//! 7. language detected on the result.
//!
//! Policy decisions, each with tests:
//! - Business numbers (1588-1234, 080-...) and numbers right after an order/tracking label
//!   (주문번호, 송장번호, order no.) are not PII; phones always are. Prices, dates, versions
//!   and model names never match. Details in the `pii` module docs.
//! - Emoji clusters and punctuation emoticons (^^, :), T_T, ㅠ_ㅠ, -_-, ;;) go to `emoji`;
//!   chat jamo runs (ㅋㅋ, ㅠㅠ, ㅡㅡ) are only counted, in `chat`.
//! - Mentions are ASCII handles: '@' before Hangul is Korean quoting ("@인생 영화@").
//! - Rating stars (★★★☆☆) are never squashed; digits and Latin letters neither.
//! - Normalizing the output again changes nothing (tested on random input).
//!
//! [`content_hash`], [`simhash64`] and [`DuplicateDetector`] find exact and near re-posts.

mod dedup;
mod entities;
mod lang;
mod pii;
mod text;

use serde::Serialize;

pub use dedup::{
    char_ngrams, content_hash, hamming, simhash64, DupFlag, DuplicateDetector, MIN_SIMHASH_FEATURES,
};
pub use entities::{ChatMarkers, URL_PLACEHOLDER};
pub use lang::{detect_lang, Lang};
pub use pii::{PiiHit, PiiKind};
pub use text::has_visible;

/// The normalized form of one text, with everything pulled out of it.
#[derive(Clone, Debug, Serialize)]
pub struct Normalized {
    /// NFKC, whitespace-normalized, repeats squashed, URLs and PII replaced by placeholders.
    pub text: String,
    /// Redactions per kind, in [`PiiKind`] order; never the values.
    pub pii: Vec<PiiHit>,
    pub pii_count: usize,
    /// Unique, in order of appearance; PII inside them is redacted.
    pub urls: Vec<String>,
    /// Handles without the '@', unique, in order of appearance.
    pub mentions: Vec<String>,
    /// Tags without the '#', unique, in order of appearance.
    pub hashtags: Vec<String>,
    /// Emoji clusters (skin tones and ZWJ sequences as one) and emoticons (^^, :), T_T, ;;),
    /// unique, in order of appearance. Chat jamo runs (ㅋㅋ, ㅠㅠ) are counted in `chat`.
    pub emoji: Vec<String>,
    pub chat: ChatMarkers,
    pub lang: Lang,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NormalizeOptions {
    /// Replace PII by placeholders. When off, PII is neither replaced nor counted.
    pub redact_pii: bool,
    /// Squash expressive repeats (ㅋㅋㅋㅋ -> ㅋㅋ).
    pub squash_repeats: bool,
}

impl Default for NormalizeOptions {
    fn default() -> Self {
        NormalizeOptions {
            redact_pii: true,
            squash_repeats: true,
        }
    }
}

/// Normalizes texts; cheap to share across threads (the patterns are compiled once per
/// process).
#[derive(Clone, Debug)]
pub struct Normalizer {
    opts: NormalizeOptions,
}

impl Default for Normalizer {
    fn default() -> Self {
        Normalizer::new(NormalizeOptions::default())
    }
}

impl Normalizer {
    pub fn new(opts: NormalizeOptions) -> Self {
        // Compile the patterns now rather than inside the first timed call.
        pii::init();
        entities::init();
        Normalizer { opts }
    }

    pub fn options(&self) -> NormalizeOptions {
        self.opts
    }

    pub fn normalize(&self, raw: &str) -> Normalized {
        let mut s = text::clean_whitespace(&text::unicode_form(raw));

        let mut counts = pii::PiiCounts::default();
        let mut urls = Vec::new();
        let url_counts = self.opts.redact_pii.then_some(&mut counts);
        if let Some(t) = entities::extract_urls(&s, &mut urls, url_counts) {
            s = t;
        }
        if self.opts.redact_pii {
            if let Some(t) = pii::redact(&s, pii::EVERYTHING, &mut counts) {
                s = t;
            }
        }
        if self.opts.squash_repeats {
            if let Some(t) = text::squash_repeats(&s) {
                s = t;
            }
        }
        let (mut hashtags, mut mentions) = (Vec::new(), Vec::new());
        if let Some(t) = entities::extract_tags(&s, &mut hashtags, &mut mentions) {
            s = t;
        }
        let mut emoji = Vec::new();
        let mut chat = ChatMarkers::default();
        entities::scan_expressive(&s, &mut emoji, &mut chat);
        let lang = detect_lang(&s);

        Normalized {
            pii: counts.hits(),
            pii_count: counts.total(),
            text: s,
            urls,
            mentions,
            hashtags,
            emoji,
            chat,
            lang,
        }
    }
}

/// PII redaction alone, for text kept outside the pipeline (quarantined raw rows): the text
/// stays as written except that PII values become placeholders. Full-width digits are folded
/// first so "０１０-..." cannot slip through.
pub fn redact_only(text: &str) -> String {
    let folded;
    let mut t = text;
    if text.chars().any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c)) {
        let mut s = String::with_capacity(text.len());
        text::nfkc_keep_jamo(text, &mut s);
        folded = s;
        t = &folded;
    }
    let mut counts = pii::PiiCounts::default();
    pii::redact(t, pii::EVERYTHING, &mut counts).unwrap_or_else(|| t.to_owned())
}

/// Phone numbers and email addresses alone, for the structured columns kept beside the text
/// (a contact column of a survey or CRM export): their long digit runs are order ids, epoch
/// timestamps and app builds far more often than account or card numbers, so those are kept.
pub fn redact_contacts(value: &str) -> String {
    let mut counts = pii::PiiCounts::default();
    pii::redact(value, pii::IN_URL, &mut counts).unwrap_or_else(|| value.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Normalized {
        Normalizer::default().normalize(s)
    }

    #[test]
    fn full_pipeline_on_a_messy_review() {
        let n = norm(
            "  ＃하늘몰 #내돈내산 배송\u{00A0}완전 빨라요!!!!! ㅋㅋㅋㅋㅋ\u{200B}\n\n\n\
             문의는 010-1234-5678 / hong@naver.com 😂😂😂😂 https://haneul.kr/p/123 참고^^",
        );
        assert_eq!(
            n.text,
            "하늘몰 내돈내산 배송 완전 빨라요!! ㅋㅋ\n문의는 [전화번호] / [이메일] 😂😂 [URL] 참고^^"
        );
        assert_eq!(n.hashtags, vec!["하늘몰", "내돈내산"]);
        assert_eq!(n.urls, vec!["https://haneul.kr/p/123"]);
        assert_eq!(
            n.pii,
            vec![
                PiiHit {
                    kind: PiiKind::Phone,
                    count: 1
                },
                PiiHit {
                    kind: PiiKind::Email,
                    count: 1
                }
            ]
        );
        assert_eq!(n.pii_count, 2);
        assert_eq!(n.emoji, vec!["😂", "^^"]);
        assert_eq!(
            n.chat,
            ChatMarkers {
                laugh: 1,
                exclaim: 1,
                ..ChatMarkers::default()
            }
        );
        assert_eq!(n.lang, Lang::Ko);
        assert!(n.mentions.is_empty());
    }

    #[test]
    fn compat_jamo_survive_the_pipeline() {
        let n = norm("ㅋㅋㅋㅋ 너무 웃겨요 ㅠㅠㅠ");
        assert_eq!(n.text, "ㅋㅋ 너무 웃겨요 ㅠㅠ");
        assert!(n.text.contains('\u{314B}') && n.text.contains('\u{3160}'));
        assert_eq!(n.chat.laugh, 1);
        assert_eq!(n.chat.cry, 1);
        assert_eq!(n.lang, Lang::Ko);
    }

    #[test]
    fn options_turn_steps_off() {
        let raw = "ㅋㅋㅋㅋ 010-1234-5678";
        let keep = Normalizer::new(NormalizeOptions {
            redact_pii: false,
            squash_repeats: false,
        });
        let n = keep.normalize(raw);
        assert_eq!(n.text, raw);
        assert!(n.pii.is_empty());
        assert_eq!(n.pii_count, 0);
        assert_eq!(Normalizer::default().normalize(raw).text, "ㅋㅋ [전화번호]");
    }

    #[test]
    fn english_and_mixed_reviews() {
        let n = norm("Great quality :) would buy again!!");
        assert_eq!(n.lang, Lang::En);
        assert_eq!(n.emoji, vec![":)"]);
        assert_eq!(norm("배송 완전 fast 했어요").lang, Lang::Mixed);
        assert_eq!(norm("😍😍😍😍").text, "😍😍");
        assert_eq!(norm("😍😍😍😍").lang, Lang::Other);
    }

    #[test]
    fn serializes_for_the_pipeline() {
        let n = norm("주민번호 900101-1234567 유출됐어요 ㅡㅡ");
        let v = serde_json::to_value(&n).unwrap();
        assert_eq!(v["text"], "주민번호 [주민번호] 유출됐어요 ㅡㅡ");
        assert_eq!(v["pii"][0]["kind"], "resident_id");
        assert_eq!(v["pii"][0]["count"], 1);
        assert_eq!(v["lang"], "ko");
        assert_eq!(v["chat"]["annoyed"], 1);
        assert_eq!(PiiKind::Card.as_str(), "card");
    }

    #[test]
    fn redact_only_keeps_the_rest_verbatim() {
        assert_eq!(
            redact_only("10275182\t10001\t15.08.25\t10\t연락 010-1234-5678  주세요ㅋㅋㅋ"),
            "10275182\t10001\t15.08.25\t10\t연락 [전화번호]  주세요ㅋㅋㅋ"
        );
        assert_eq!(
            redact_only("전화 ０１０－１２３４－５６７８"),
            "전화 [전화번호]"
        );
    }

    #[test]
    fn empty_and_blank_input() {
        let n = norm(" \u{200B}\u{3000}\n ");
        assert_eq!(n.text, "");
        assert_eq!(n.lang, Lang::Other);
        assert!(n.emoji.is_empty());
    }

    #[test]
    fn never_panics_and_is_stable_on_its_output() {
        // Deterministic soup of everything the rules look at: jamo, digits and separators,
        // emoji parts, sigils, full-width and invisible characters.
        const POOL: &[&str] = &[
            "ㅋ",
            "ㅠ",
            "ㅡ",
            "ㅎ",
            "하",
            "좋",
            " ",
            "\n",
            "0",
            "1",
            "8",
            "2",
            "-",
            ".",
            ",",
            "+",
            "*",
            "@",
            "#",
            ":",
            ";",
            "^",
            "_",
            "T",
            "o",
            "!",
            "?",
            "~",
            "😂",
            "👍",
            "\u{1F3FB}",
            "\u{200D}",
            "\u{FE0F}",
            "\u{20E3}",
            "🇰",
            "１",
            "－",
            "\u{3000}",
            "\u{200B}",
            "\u{3164}",
            "\u{FFBB}",
            "\u{110F}",
            "\u{0301}",
            "a",
            "Z",
            "/",
            "w",
            "http://",
            "&#",
            "&amp;",
            "[",
            "]",
            "원",
            "₩",
            "★",
            "\u{FFFD}",
            "\t",
            "\r",
        ];
        let n = Normalizer::default();
        let mut x = 0x2545_F491_4F6C_DD1Du64;
        for _ in 0..4000 {
            let mut raw = String::new();
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            for _ in 0..(x % 40) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                raw.push_str(POOL[(x % POOL.len() as u64) as usize]);
            }
            let once = n.normalize(&raw);
            let twice = n.normalize(&once.text);
            assert_eq!(twice.text, once.text, "not stable for {raw:?}");
            assert_eq!(twice.pii_count, 0, "placeholders re-detected for {raw:?}");
            let _ = redact_only(&raw);
            let grams = char_ngrams(&once.text, 2);
            let _ = (
                content_hash(&once.text),
                simhash64(grams.iter().map(String::as_str)),
            );
        }
    }

    #[test]
    fn normalizer_is_send_sync() {
        fn check<T: Send + Sync>() {}
        check::<Normalizer>();
        check::<DuplicateDetector>();
    }
}
