//! Entities and expressive markers: URLs, @mentions, #hashtags, emoji, emoticons and the
//! Korean chat markers (ㅋㅋ, ㅠㅠ, ㅡㅡ, ;;, !!, ??).

use once_cell::sync::Lazy;
use regex::Regex;
use serde::Serialize;

use super::pii::{self, PiiCounts};
use super::text::emoji_cluster_len;

/// Placeholder that replaces a URL in text; the URL itself goes to `Normalized::urls`.
pub const URL_PLACEHOLDER: &str = "[URL]";

/// How often each chat-style marker occurs; a run (ㅋㅋㅋ) counts once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ChatMarkers {
    /// ㅋㅋ, ㅎㅎ (2+ jamo), 하하하, 크크크, 흐흐흐 (3+ syllables).
    pub laugh: u32,
    /// ㅠ, ㅜㅜ, T_T, ㅠ_ㅠ, ㅜ.ㅜ.
    pub cry: u32,
    /// ㅡㅡ, ;;, -_-, ㅡ_ㅡ, =_=.
    pub annoyed: u32,
    /// Runs of 2+ '!' / '?' ("!?" counts for both).
    pub exclaim: u32,
    pub question: u32,
}

impl ChatMarkers {
    pub fn total(&self) -> u32 {
        self.laugh + self.cry + self.annoyed + self.exclaim + self.question
    }
}

/// Scheme and www URLs stop at whitespace and Hangul, since particles are glued on
/// ("링크https://a.kr에서"); bare domains need a well-known TLD, so "3.5점" or "Mr.Kim" never
/// match.
static URL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(concat!(
        r#"(?i)(?:https?://|www\.)[^\s<>"'`\[\]{}|\\^\p{Hangul}]+"#,
        r#"|(?:[a-z0-9](?:[a-z0-9\-]*[a-z0-9])?\.)+"#,
        r"(?:com|net|org|kr|io|ly|me|co|shop|app|gl|gg|tv|info|biz|store|link|xyz|site|page|to|be|jp)",
        r#"(?::\d{2,5})?(?:/[^\s<>"'`\[\]{}|\\^\p{Hangul}]*)?"#,
    ))
    .expect("static URL pattern is valid")
});

pub(super) fn init() {
    Lazy::force(&URL);
}

fn may_contain_url(text: &str) -> bool {
    let b = text.as_bytes();
    b.windows(2)
        .any(|w| (w[0] == b'.' && w[1].is_ascii_alphabetic()) || (w[0] == b':' && w[1] == b'/'))
}

fn push_unique(list: &mut Vec<String>, item: &str) {
    if !list.iter().any(|x| x == item) {
        list.push(item.to_owned());
    }
}

/// Moves URLs from `text` into `urls` (PII inside them redacted when `counts` is given) and
/// leaves [`URL_PLACEHOLDER`] behind. Returns `None` when there was no URL.
pub(super) fn extract_urls(
    text: &str,
    urls: &mut Vec<String>,
    mut counts: Option<&mut PiiCounts>,
) -> Option<String> {
    if !may_contain_url(text) {
        return None;
    }
    let mut out: Option<String> = None;
    let mut last = 0;
    for m in URL.find_iter(text) {
        let prev = text[..m.start()].chars().next_back();
        // Glued to a word or an address ("x_naver.com", "id@naver.com"); a '.' before is
        // sentence punctuation ("그랬다는.http://...").
        if prev.is_some_and(|c| c.is_ascii_alphanumeric() || "@_-/".contains(c)) {
            continue;
        }
        let next = text[m.end()..].chars().next();
        if next.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '@') {
            continue;
        }
        let url = trim_url(m.as_str());
        if url.len() < 4 {
            continue;
        }
        let end = m.start() + url.len();
        let stored = match counts.as_deref_mut() {
            Some(c) => pii::redact(url, pii::IN_URL, c).unwrap_or_else(|| url.to_owned()),
            None => url.to_owned(),
        };
        push_unique(urls, &stored);
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[last..m.start()]);
        o.push_str(URL_PLACEHOLDER);
        last = end;
    }
    let mut o = out?;
    o.push_str(&text[last..]);
    Some(o)
}

/// Sentence punctuation after a URL belongs to the sentence; ')' only when unbalanced.
fn trim_url(url: &str) -> &str {
    let mut u = url;
    loop {
        let Some(c) = u.chars().next_back() else {
            return u;
        };
        let strip = match c {
            '.' | ',' | '!' | '?' | ';' | ':' | '\'' | '"' | '~' | '*' => true,
            ')' => u.matches('(').count() < u.matches(')').count(),
            _ => false,
        };
        if !strip {
            return u;
        }
        u = &u[..u.len() - c.len_utf8()];
    }
}

fn is_tag_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Collects #hashtags (without '#') and @mentions (without '@'). Hashtags keep their word in
/// the text so search finds it: "#내돈내산" -> "내돈내산"; glued tags (#하늘몰#내돈내산) are
/// split by a space. Mentions are ASCII handles (Instagram/X style) only: Korean reviewers
/// use '@' as a quotation mark ("@인생 영화@"), so "@" before Hangul is not a mention.
/// Returns the new text when a hashtag was rewritten.
pub(super) fn extract_tags(
    text: &str,
    hashtags: &mut Vec<String>,
    mentions: &mut Vec<String>,
) -> Option<String> {
    if !text.contains(['#', '@']) {
        return None;
    }
    let mut out: Option<String> = None;
    let mut copied = 0;
    let mut last_tag_end = usize::MAX;
    let mut i = 0;
    while i < text.len() {
        let rest = &text[i..];
        let Some(c) = rest.chars().next() else { break };
        if c != '#' && c != '@' {
            i += c.len_utf8();
            continue;
        }
        let prev = text[..i].chars().next_back();
        let body_start = i + 1;
        if c == '#' {
            // "##태그" is one sigil; never start a tag in the middle of a '#' run.
            let sigils = rest.bytes().take_while(|&x| x == b'#').count();
            let body_start = i + sigils;
            let after_tag = i == last_tag_end;
            let free = prev.is_none_or(|p| !(is_tag_char(p) || p == '&' || p == '#')) || after_tag;
            let len: usize = text[body_start..]
                .chars()
                .take_while(|&ch| is_tag_char(ch))
                .map(char::len_utf8)
                .sum();
            let tag = &text[body_start..body_start + len];
            if free && !tag.is_empty() && !tag.bytes().all(|b| b.is_ascii_digit()) {
                push_unique(hashtags, tag);
                let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
                o.push_str(&text[copied..i]);
                if after_tag {
                    o.push(' ');
                }
                o.push_str(tag);
                copied = body_start + len;
                last_tag_end = copied;
                i = copied;
                continue;
            }
            i = body_start;
            continue;
        } else if prev.is_none_or(|p| !(p.is_alphanumeric() || "._-@".contains(p))) {
            let len = text[body_start..]
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
                .count();
            let handle = text[body_start..body_start + len].trim_end_matches('.');
            // "@죽음@" and "@_@" are quoting and a face, not handles.
            let quoted = text[body_start + len..].starts_with('@');
            if handle.bytes().any(|b| b.is_ascii_alphabetic()) && !quoted {
                push_unique(mentions, handle);
                i = body_start + handle.len();
                continue;
            }
        }
        i += 1;
    }
    let mut o = out?;
    o.push_str(&text[copied..]);
    Some(o)
}

fn strip_presentation(cluster: &str) -> &str {
    // ❤️ and ❤ are one feature; multi-part sequences keep their selectors.
    match cluster.strip_suffix('\u{FE0F}') {
        Some(base) if base.chars().count() == 1 => base,
        _ => cluster,
    }
}

#[derive(Clone, Copy)]
enum Mood {
    Neutral,
    Cry,
    Annoyed,
}

/// Emoticon starting at byte `i`: (length, mood). Faces made of Latin letters need
/// non-letters around them so words like "OTT_TV" do not match.
fn emoticon_at(text: &str, i: usize) -> Option<(usize, Mood)> {
    let rest = &text[i..];
    let prev = text[..i].chars().next_back();
    let mut cs = rest.chars();
    let a = cs.next()?;
    let b = cs.next()?;
    let c = cs.next();
    let three = |eyes: &[char], mouths: &[char]| -> Option<usize> {
        let c = c?;
        (eyes.contains(&a) && mouths.contains(&b) && c == a)
            .then(|| a.len_utf8() + b.len_utf8() + c.len_utf8())
    };
    let latin_free = |len: usize| {
        !prev.is_some_and(|p| p.is_ascii_alphanumeric())
            && !rest[len..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphanumeric())
    };
    match a {
        '^' => {
            if b == '^' {
                return Some((
                    rest.bytes().take_while(|&x| x == b'^').count(),
                    Mood::Neutral,
                ));
            }
            three(
                &['^'],
                &['_', '-', 'o', 'O', '.', 'ㅅ', 'ㅂ', 'ㅇ', '▽', 'ω', '0'],
            )
            .map(|l| (l, Mood::Neutral))
        }
        ':' if !prev.is_some_and(|p| p.is_ascii_digit()) => {
            let (nose, mouth) = if b == '-' { (1, c?) } else { (0, b) };
            let len = 1 + nose + mouth.len_utf8();
            match mouth {
                ')' | '(' => Some((len, Mood::Neutral)),
                'D' | 'P' if latin_free(len) => Some((len, Mood::Neutral)),
                _ => None,
            }
        }
        ';' if b == ')' => Some((2, Mood::Neutral)),
        'T' => three(&['T'], &['_', '.', 'ㅅ', '^'])
            .filter(|&l| latin_free(l))
            .map(|l| (l, Mood::Cry)),
        'ㅠ' | 'ㅜ' => three(&['ㅠ', 'ㅜ'], &['_', '.', 'ㅅ', 'ㅡ']).map(|l| (l, Mood::Cry)),
        '-' | 'ㅡ' | '=' => three(&['-', 'ㅡ', '='], &['_', '.']).map(|l| (l, Mood::Annoyed)),
        '>' => three(&['>'], &['_', '.', 'ㅅ'])
            .or_else(|| {
                (c? == '<' && matches!(b, '_' | '.' | 'ㅅ'))
                    .then_some(a.len_utf8() + b.len_utf8() + 1)
            })
            .map(|l| (l, Mood::Neutral)),
        'o' | 'O' | '0' => {
            let c = c?;
            (b == '_' && matches!(c, 'o' | 'O' | '0'))
                .then_some(3)
                .filter(|&l| latin_free(l))
                .map(|l| (l, Mood::Neutral))
        }
        'ㅇ' => three(&['ㅇ'], &['_', 'ㅅ']).map(|l| (l, Mood::Neutral)),
        '@' => three(&['@'], &['_', '.']).map(|l| (l, Mood::Neutral)),
        _ => None,
    }
}

fn is_laugh_syllable(c: char) -> bool {
    matches!(
        c,
        '하' | '호' | '히' | '헤' | '크' | '키' | '흐' | '캬' | '큭' | '킥'
    )
}

/// Collects emoji clusters and emoticons (unique, in order of appearance) and counts chat
/// markers. Emoticons are canonical: "^^^" -> "^^", ";;;" -> ";;".
pub(super) fn scan_expressive(text: &str, emoji: &mut Vec<String>, chat: &mut ChatMarkers) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < text.len() {
        let byte = b[i];
        // Spaces and ASCII letters are most of the non-Hangul text; only T, o, O and digits
        // among them can start an emoticon or a keycap.
        if byte == b' '
            || (byte.is_ascii_alphanumeric() && !matches!(byte, b'T' | b'o' | b'O' | b'0'..=b'9'))
        {
            i += 1;
            continue;
        }
        if let Some(len) = emoji_cluster_len(text, i) {
            push_unique(emoji, strip_presentation(&text[i..i + len]));
            i += len;
            continue;
        }
        if let Some((len, mood)) = emoticon_at(text, i) {
            let face = &text[i..i + len];
            push_unique(emoji, if face.starts_with("^^") { "^^" } else { face });
            match mood {
                Mood::Cry => chat.cry += 1,
                Mood::Annoyed => chat.annoyed += 1,
                Mood::Neutral => {}
            }
            i += len;
            continue;
        }
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        // (characters, bytes) of the run of `pred` characters starting here.
        let run_of = |pred: &dyn Fn(char) -> bool| -> (usize, usize) {
            text[i..]
                .chars()
                .take_while(|&ch| pred(ch))
                .fold((0, 0), |(n, len), ch| (n + 1, len + ch.len_utf8()))
        };
        let (n, len) = match c {
            'ㅋ' | 'ㅎ' => run_of(&|ch| ch == 'ㅋ' || ch == 'ㅎ'),
            'ㅠ' | 'ㅜ' => run_of(&|ch| ch == 'ㅠ' || ch == 'ㅜ'),
            'ㅡ' => run_of(&|ch| ch == 'ㅡ'),
            ';' => run_of(&|ch| ch == ';'),
            '!' | '?' => run_of(&|ch| ch == '!' || ch == '?'),
            _ if is_laugh_syllable(c) => run_of(&is_laugh_syllable),
            _ => (1, c.len_utf8()),
        };
        match c {
            'ㅋ' | 'ㅎ' if n >= 2 => chat.laugh += 1,
            'ㅠ' | 'ㅜ' => chat.cry += 1,
            'ㅡ' if n >= 2 => chat.annoyed += 1,
            ';' if n >= 2 => {
                chat.annoyed += 1;
                push_unique(emoji, ";;");
            }
            '!' | '?' if n >= 2 => {
                let run = &text[i..i + len];
                chat.exclaim += u32::from(run.contains('!'));
                chat.question += u32::from(run.contains('?'));
            }
            _ if n >= 3 && is_laugh_syllable(c) => chat.laugh += 1,
            _ => {}
        }
        i += len.max(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn urls(s: &str) -> (String, Vec<String>) {
        let mut v = Vec::new();
        let mut c = PiiCounts::default();
        let t = extract_urls(s, &mut v, Some(&mut c)).unwrap_or_else(|| s.to_owned());
        (t, v)
    }

    fn tags(s: &str) -> (String, Vec<String>, Vec<String>) {
        let (mut h, mut m) = (Vec::new(), Vec::new());
        let t = extract_tags(s, &mut h, &mut m).unwrap_or_else(|| s.to_owned());
        (t, h, m)
    }

    fn expressive(s: &str) -> (Vec<String>, ChatMarkers) {
        let mut e = Vec::new();
        let mut c = ChatMarkers::default();
        scan_expressive(s, &mut e, &mut c);
        (e, c)
    }

    #[test]
    fn urls_are_replaced_and_kept() {
        let (t, v) = urls("후기 https://blog.naver.com/abc/220354895392 참고하세요.");
        assert_eq!(t, "후기 [URL] 참고하세요.");
        assert_eq!(v, vec!["https://blog.naver.com/abc/220354895392"]);

        let (t, v) = urls("링크https://smartstore.naver.com/haneul/products/123에서 샀어요!");
        assert_eq!(t, "링크[URL]에서 샀어요!");
        assert_eq!(v, vec!["https://smartstore.naver.com/haneul/products/123"]);

        let (t, v) = urls("실화가 아니래요.http://news.chosun.com/2010/02/11/2010021101634.html");
        assert_eq!(t, "실화가 아니래요.[URL]");
        assert_eq!(
            v,
            vec!["http://news.chosun.com/2010/02/11/2010021101634.html"]
        );

        let (t, v) = urls("(www.haneulmall.co.kr) 또는 bit.ly/3abcDEF, naver.com.");
        assert_eq!(t, "([URL]) 또는 [URL], [URL].");
        assert_eq!(
            v,
            vec!["www.haneulmall.co.kr", "bit.ly/3abcDEF", "naver.com"]
        );
    }

    #[test]
    fn url_lookalikes_are_not_urls() {
        for s in [
            "평점 4.5점... 별로",
            "Mr.Kim 추천",
            "문의 help@haneul.co.kr",
            "v1.2.3 업데이트",
            "abc.company 제품",
        ] {
            assert_eq!(urls(s).1, Vec::<String>::new(), "{s}");
        }
    }

    #[test]
    fn pii_inside_urls_is_redacted() {
        let (t, v) = urls("https://shop.kr/order?tel=01012345678&id=20240305123");
        assert_eq!(t, "[URL]");
        assert_eq!(
            v,
            vec!["https://shop.kr/order?tel=[전화번호]&id=20240305123"]
        );
    }

    #[test]
    fn korean_hashtags_and_mentions() {
        let (t, h, m) = tags("#하늘몰 #내돈내산 후기 @haneul_official 님 감사 #재구매각#존맛");
        assert_eq!(
            t,
            "하늘몰 내돈내산 후기 @haneul_official 님 감사 재구매각 존맛"
        );
        assert_eq!(h, vec!["하늘몰", "내돈내산", "재구매각", "존맛"]);
        assert_eq!(m, vec!["haneul_official"]);
    }

    #[test]
    fn hash_and_at_that_are_not_tags() {
        let (t, h, m) = tags("C# 책, 1위 #1 상품, 가격#은?, [이메일] @ 오후");
        assert_eq!(t, "C# 책, 1위 #1 상품, 가격#은?, [이메일] @ 오후");
        assert!(h.is_empty());
        assert!(m.is_empty());
        let (_, _, m) =
            tags("@kim.min.ji. 님 @홍길동 @인생 영화@ 잼잇네요@_@ @@최고 고화질있으신분@naver.com");
        assert_eq!(m, vec!["kim.min.ji"]);
    }

    #[test]
    fn emoji_and_emoticons() {
        let (e, _) = expressive(
            "배송 😡😡 최악 👍🏻 ❤️ ❤ 👩\u{200D}💻 🇰🇷 ^^ ^_^ :) :( :-( T_T ㅠ_ㅠ -_- >_< ;; @_@",
        );
        assert_eq!(
            e,
            vec![
                "😡",
                "👍🏻",
                "❤",
                "👩\u{200D}💻",
                "🇰🇷",
                "^^",
                "^_^",
                ":)",
                ":(",
                ":-(",
                "T_T",
                "ㅠ_ㅠ",
                "-_-",
                ">_<",
                ";;",
                "@_@"
            ]
        );
        // Chat jamo are markers, not emoji; Latin look-alikes are words.
        let (e, _) = expressive("ㅋㅋ ㅠㅠ ㅡㅡ OTT_TV 10:30) Too");
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn chat_markers() {
        let (_, c) =
            expressive("ㅋㅋ 웃기네 ㅎㅎ 근데 ㅠㅠ 배송이 ㅡㅡ;; 왜?? 진짜!! 뭐지?! T_T 하하하");
        assert_eq!(
            c,
            ChatMarkers {
                laugh: 3,
                cry: 2,
                annoyed: 2,
                exclaim: 2,
                question: 2
            }
        );
        let (_, c) = expressive("ㅇㅋ ㅎㅇ 호호바 오일 하하 좋아요! 네?");
        assert_eq!(c, ChatMarkers::default());
    }
}
