//! Character-level cleanup: HTML entities, jamo-preserving NFKC, invisible characters,
//! whitespace, and squashing of expressive repeats.

use std::borrow::Cow;

use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// Hangul Compatibility Jamo (ㄱ..ㆎ), what Korean keyboards produce for a lone ㅋ or ㅠ.
pub(super) fn is_compat_jamo(c: char) -> bool {
    ('\u{3131}'..='\u{318E}').contains(&c) && c != '\u{3164}'
}

pub(super) fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Unicode emoji modifiers (Fitzpatrick skin tones).
pub(super) fn is_skin_tone(c: char) -> bool {
    ('\u{1F3FB}'..='\u{1F3FF}').contains(&c)
}

fn is_regional_indicator(c: char) -> bool {
    ('\u{1F1E6}'..='\u{1F1FF}').contains(&c)
}

/// An approximation of Extended_Pictographic good enough for review text. Text-style
/// symbols Korean reviewers use emotively (♥ ♡ ★ ☆ ♪) are included on purpose; arrows and
/// geometric bullets (→ ■ □ ▲), which are mostly list markup, are not.
pub(super) fn is_pictographic(c: char) -> bool {
    let u = c as u32;
    match u {
        0x1F000..=0x1FAFF => !is_regional_indicator(c) && !is_skin_tone(c),
        0x2600..=0x27BF => true,
        0x231A | 0x231B | 0x2328 | 0x23CF | 0x23E9..=0x23F3 | 0x23F8..=0x23FA => true,
        0x2B05..=0x2B07 | 0x2B1B | 0x2B1C | 0x2B50 | 0x2B55 => true,
        0x3030 | 0x303D | 0x3297 | 0x3299 => true,
        _ => false,
    }
}

/// Star glyphs double as rating notation (★★★☆☆), so their runs carry a number and must
/// never be squashed.
pub(super) fn is_rating_star(c: char) -> bool {
    matches!(
        c,
        '\u{2605}' | '\u{2606}' | '\u{2729}'..='\u{2730}' | '\u{2B50}'
    )
}

/// Byte length of the emoji cluster starting at byte `i` of `s`, if one starts there: a
/// pictograph with its variation selector, skin tone and tag characters, joined by ZWJ to
/// further pictographs; a regional-indicator flag pair; or a keycap (1️⃣).
pub(super) fn emoji_cluster_len(s: &str, i: usize) -> Option<usize> {
    let rest = &s[i..];
    let mut chars = rest.chars();
    let c = chars.next()?;
    if is_regional_indicator(c) {
        return Some(match chars.next() {
            Some(n) if is_regional_indicator(n) => c.len_utf8() + n.len_utf8(),
            _ => c.len_utf8(),
        });
    }
    if matches!(c, '0'..='9' | '#' | '*') {
        let after = &rest[1..];
        let after = after.strip_prefix('\u{FE0F}').unwrap_or(after);
        return after
            .starts_with('\u{20E3}')
            .then(|| rest.len() - after.len() + '\u{20E3}'.len_utf8());
    }
    if !is_pictographic(c) && !is_skin_tone(c) {
        return None;
    }
    let mut end = c.len_utf8();
    loop {
        let mut cs = rest[end..].chars();
        match cs.next() {
            Some(m)
                if matches!(
                    m,
                    '\u{FE0E}' | '\u{FE0F}' | '\u{20E3}' | '\u{E0020}'..='\u{E007F}'
                ) || is_skin_tone(m) =>
            {
                end += m.len_utf8()
            }
            Some('\u{200D}') => match cs.next() {
                Some(n) if is_pictographic(n) => end += '\u{200D}'.len_utf8() + n.len_utf8(),
                _ => break,
            },
            _ => break,
        }
    }
    Some(end)
}

/// Decodes the HTML entities scraped review text is full of (`&quot;`, `&amp;`, `&#39;`).
pub(super) fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(pos) = rest.find('&') {
        out.push_str(&rest[..pos]);
        rest = &rest[pos..];
        match decode_one_entity(rest) {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn decode_one_entity(s: &str) -> Option<(char, usize)> {
    const NAMED: [(&str, char); 7] = [
        ("&amp;", '&'),
        ("&lt;", '<'),
        ("&gt;", '>'),
        ("&quot;", '"'),
        ("&apos;", '\''),
        ("&nbsp;", ' '),
        ("&middot;", '·'),
    ];
    for (name, c) in NAMED {
        if s.starts_with(name) {
            return Some((c, name.len()));
        }
    }
    let body = s.strip_prefix("&#")?;
    let end = body.find(';').filter(|&e| e > 0 && e <= 8)?;
    let num = &body[..end];
    let code = match num.strip_prefix(['x', 'X']) {
        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
        None => num.parse().ok()?,
    };
    let c = char::from_u32(code).filter(|c| !c.is_control() || c.is_whitespace())?;
    Some((c, 2 + end + 1))
}

fn visible_nfkc(s: &str) -> String {
    let visible = strip_invisible(s);
    let mut out = String::with_capacity(visible.len());
    nfkc_keep_jamo(&visible, &mut out);
    out
}

/// Invisible characters dropped, jamo-preserving NFKC, HTML entities decoded. Entities are
/// decoded after NFKC (an entity can hide in full-width digits, "&#1１;") and repeatedly
/// (scrapers double-encode: "&amp;quot;"), each decoded character going through the same
/// cleanup, so that normalizing the output again changes nothing.
pub(super) fn unicode_form(raw: &str) -> String {
    let mut s = visible_nfkc(raw);
    // Each round consumes entity syntax, so a handful of rounds reaches the fixpoint.
    for _ in 0..4 {
        if !s.contains('&') {
            break;
        }
        match decode_entities(&s) {
            Cow::Borrowed(_) => break,
            Cow::Owned(d) => s = visible_nfkc(&d),
        }
    }
    s
}

/// Drops invisible formatting and control characters before NFKC, so that a hidden
/// character cannot keep a letter and its combining mark apart in one pass and let them
/// compose in the next. ZWJ survives only inside an emoji sequence (👩\u{200D}💻).
pub(super) fn strip_invisible(s: &str) -> Cow<'_, str> {
    let noise = |c: char| is_invisible(c) || (c.is_control() && !c.is_whitespace());
    if !s.chars().any(noise) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{200D}' {
            let joins_emoji = out.chars().next_back().is_some_and(|p| {
                is_pictographic(p) || is_skin_tone(p) || matches!(p, '\u{FE0F}' | '\u{FE0E}')
            }) && chars.peek().is_some_and(|&n| is_pictographic(n));
            if joins_emoji {
                out.push(c);
            }
        } else if !noise(c) {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// NFKC, except that compatibility jamo stay what the user typed: plain NFKC would turn
/// ㅋ (U+314B) into the conjoining ᄏ (U+110F), which renders oddly, breaks every ㅋㅋ/ㅠㅠ
/// rule downstream, and can even compose with neighbouring jamo into a syllable.
/// Half-width jamo (ﾡ) are mapped to their compatibility form for the same reason.
pub(super) fn nfkc_keep_jamo(s: &str, out: &mut String) {
    if s.is_ascii() {
        out.push_str(s);
        return;
    }
    let mut run_start = 0;
    for (i, c) in s.char_indices() {
        let keep = if c == '\u{3164}' || c == '\u{FFA0}' {
            // Hangul fillers are blank "invisible name" tricks, not letters.
            Some(' ')
        } else if is_compat_jamo(c) {
            Some(c)
        } else {
            halfwidth_to_compat(c)
        };
        if let Some(k) = keep {
            push_nfkc(&s[run_start..i], out);
            out.push(k);
            run_start = i + c.len_utf8();
        }
    }
    push_nfkc(&s[run_start..], out);
}

fn push_nfkc(run: &str, out: &mut String) {
    if run.is_empty() {
        return;
    }
    if is_nfkc_quick(run.chars()) == IsNormalized::Yes {
        out.push_str(run);
    } else {
        out.extend(run.nfkc());
    }
}

fn halfwidth_to_compat(c: char) -> Option<char> {
    let u = c as u32;
    let mapped = match u {
        0xFFA1..=0xFFBE => 0x3131 + (u - 0xFFA1),
        0xFFC2..=0xFFC7 => 0x314F + (u - 0xFFC2),
        0xFFCA..=0xFFCF => 0x3155 + (u - 0xFFCA),
        0xFFD2..=0xFFD7 => 0x315B + (u - 0xFFD2),
        0xFFDA..=0xFFDC => 0x3161 + (u - 0xFFDA),
        _ => return None,
    };
    char::from_u32(mapped)
}

/// Conjoining jamo left over after NFKC (they did not compose into a syllable, e.g. ᄏᄏ from
/// a decomposed macOS string) become the compatibility jamo a keyboard would have produced.
fn conjoining_to_compat(c: char) -> Option<char> {
    const CHOSEONG: [u16; 19] = [
        0x3131, 0x3132, 0x3134, 0x3137, 0x3138, 0x3139, 0x3141, 0x3142, 0x3143, 0x3145, 0x3146,
        0x3147, 0x3148, 0x3149, 0x314A, 0x314B, 0x314C, 0x314D, 0x314E,
    ];
    const JONGSEONG: [u16; 27] = [
        0x3131, 0x3132, 0x3133, 0x3134, 0x3135, 0x3136, 0x3137, 0x3139, 0x313A, 0x313B, 0x313C,
        0x313D, 0x313E, 0x313F, 0x3140, 0x3141, 0x3142, 0x3144, 0x3145, 0x3146, 0x3147, 0x3148,
        0x314A, 0x314B, 0x314C, 0x314D, 0x314E,
    ];
    let u = c as u32;
    let mapped = match u {
        0x1100..=0x1112 => u32::from(CHOSEONG[(u - 0x1100) as usize]),
        0x1161..=0x1175 => 0x314F + (u - 0x1161),
        0x11A8..=0x11C2 => u32::from(JONGSEONG[(u - 0x11A8) as usize]),
        _ => return None,
    };
    char::from_u32(mapped)
}

/// Whether anything would be left to read: a cell of only spaces, Hangul fillers, zero-width
/// or control characters (a "blank" answer typed to get past a required field) is no text.
pub fn has_visible(s: &str) -> bool {
    s.chars()
        .any(|c| !is_blank(c) && !is_invisible(c) && !c.is_control())
}

/// Zero-width and bidi formatting characters that only hide inside words (좋\u{200B}아요).
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
    )
}

fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

fn is_blank(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}')
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Gap {
    None,
    Space,
    Line,
}

/// Drops invisible and control characters, turns every whitespace run into one space (one
/// '\n' when the run holds a line break, so sentences stay separable), and trims.
pub(super) fn clean_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut gap = Gap::None;
    for c in s.chars() {
        let c = conjoining_to_compat(c).unwrap_or(c);
        if is_line_break(c) {
            gap = Gap::Line;
            continue;
        }
        if is_blank(c) {
            if gap == Gap::None {
                gap = Gap::Space;
            }
            continue;
        }
        // Normally gone already (see `strip_invisible`); kept for direct callers.
        if (is_invisible(c) && c != '\u{200D}') || c.is_control() {
            continue;
        }
        if gap != Gap::None && !out.is_empty() {
            out.push(if gap == Gap::Line { '\n' } else { ' ' });
        }
        gap = Gap::None;
        out.push(c);
    }
    out
}

/// How many copies of a repeated unit survive, or `None` to keep the run as written.
fn max_repeat(unit: &str, is_emoji: bool) -> Option<usize> {
    let c = unit.chars().next()?;
    if is_rating_star(c) {
        return None;
    }
    if is_emoji {
        return Some(2);
    }
    if c == '.' {
        return Some(3);
    }
    if is_compat_jamo(c) {
        return Some(2);
    }
    if is_hangul_syllable(c) {
        // 하하하 stays a laugh and 아아 (iced americano) a word; only 4+ runs are noise.
        return Some(3);
    }
    if c.is_alphanumeric() || c.is_whitespace() {
        // Digits carry amounts (1000000) and Latin letter runs are rare enough to keep.
        return None;
    }
    Some(2)
}

/// Squashes runs of 3+ identical symbols, jamo or emoji to two (ㅋㅋㅋㅋ -> ㅋㅋ, !!!!! -> !!,
/// 😂😂😂 -> 😂😂; dots to an ellipsis "..."), and runs of 4+ identical Hangul syllables to
/// three (하하하하하 -> 하하하). Returns `None` when nothing changed.
pub(super) fn squash_repeats(s: &str) -> Option<String> {
    let mut out: Option<String> = None;
    let mut i = 0;
    while i < s.len() {
        let (unit_len, is_emoji) = match emoji_cluster_len(s, i) {
            Some(l) => (l, true),
            None => (s[i..].chars().next().map_or(1, char::len_utf8), false),
        };
        let unit = &s[i..i + unit_len];
        let mut j = i + unit_len;
        let mut run = 1;
        while s[j..].starts_with(unit) && (!is_emoji || emoji_cluster_len(s, j) == Some(unit_len)) {
            j += unit_len;
            run += 1;
        }
        let keep = max_repeat(unit, is_emoji).map_or(run, |m| run.min(m));
        if keep < run && out.is_none() {
            out = Some(String::with_capacity(s.len()));
            if let Some(o) = out.as_mut() {
                o.push_str(&s[..i]);
            }
        }
        if let Some(o) = out.as_mut() {
            for _ in 0..keep {
                o.push_str(unit);
            }
        }
        i = j;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nfkc(s: &str) -> String {
        let mut out = String::new();
        nfkc_keep_jamo(s, &mut out);
        out
    }

    fn squash(s: &str) -> String {
        squash_repeats(s).unwrap_or_else(|| s.to_owned())
    }

    #[test]
    fn nfkc_folds_fullwidth_and_keeps_compat_jamo() {
        assert_eq!(nfkc("ＡＢＣ１２３ 주문했어요！"), "ABC123 주문했어요!");
        // Plain NFKC would produce U+110F / U+1172 here.
        assert_eq!(nfkc("웃겨ㅋㅋ 슬퍼ㅠㅠ"), "웃겨ㅋㅋ 슬퍼ㅠㅠ");
        assert!(nfkc("ㅋㅋ").chars().all(|c| c == '\u{314B}'));
        // A compatibility consonant next to a vowel must not compose into a syllable.
        assert_eq!(nfkc("ㄱㅏ"), "ㄱㅏ");
        // Half-width jamo become the ordinary compatibility jamo.
        assert_eq!(nfkc("\u{FFBB}\u{FFBB}"), "ㅋㅋ");
        assert_eq!(nfkc("배송…느림 ㈜하늘몰"), "배송...느림 (주)하늘몰");
    }

    #[test]
    fn conjoining_jamo_become_compat_jamo() {
        // Decomposed input (NFD from macOS): the syllables recompose, lone jamo map back.
        let nfd = "\u{1110}\u{1161}\u{110F}\u{110F}";
        let mut out = String::new();
        nfkc_keep_jamo(nfd, &mut out);
        assert_eq!(clean_whitespace(&out), "타ㅋㅋ");
    }

    #[test]
    fn whitespace_and_invisibles() {
        assert_eq!(
            clean_whitespace("  배송이\u{00A0}\u{3000}빨라요\u{200B}!!\t정말\r\n\r\n\n  좋아요  "),
            "배송이 빨라요!! 정말\n좋아요"
        );
        assert_eq!(clean_whitespace("좋\u{200B}아\u{FEFF}요\u{0007}"), "좋아요");
        // ZWJ survives inside an emoji sequence only.
        assert_eq!(
            strip_invisible("개발자👩\u{200D}💻 최\u{200D}고\u{200B}\u{200D}"),
            "개발자👩\u{200D}💻 최고"
        );
        assert!(matches!(strip_invisible("보이는 글자만"), Cow::Borrowed(_)));
        // The Hangul filler is a blank, not a letter.
        let mut out = String::new();
        nfkc_keep_jamo("리뷰\u{3164}\u{3164}끝", &mut out);
        assert_eq!(clean_whitespace(&out), "리뷰 끝");
    }

    #[test]
    fn entities_are_decoded() {
        assert_eq!(
            unicode_form("&amp;quot;좋아요&amp;quot; &#1１; &#x200B;끝"),
            "\"좋아요\" \u{0B} 끝"
        );
        assert_eq!(
            decode_entities("&quot;인생템&quot; 추천 &amp; 재구매 &#39;꼭&#39; &#x263A;"),
            "\"인생템\" 추천 & 재구매 '꼭' ☺"
        );
        assert_eq!(decode_entities("AT&T 요금제 & 할인"), "AT&T 요금제 & 할인");
        assert!(matches!(decode_entities("엔티티 없음"), Cow::Borrowed(_)));
    }

    #[test]
    fn squash_keeps_the_signal() {
        assert_eq!(squash("ㅋㅋㅋㅋㅋ 웃겨 ㅎㅎㅎㅎ"), "ㅋㅋ 웃겨 ㅎㅎ");
        assert_eq!(squash("환불 안돼요ㅠㅠㅠㅠ ㅜㅜㅜ"), "환불 안돼요ㅠㅠ ㅜㅜ");
        assert_eq!(squash("최고!!!!! 진짜?????"), "최고!! 진짜??");
        assert_eq!(squash("글쎄요..... 음.. 그냥~~~~"), "글쎄요... 음.. 그냥~~");
        assert_eq!(squash("😂😂😂😂 👍🏻👍🏻👍🏻"), "😂😂 👍🏻👍🏻");
        assert_eq!(squash("하하하하하 재밌다"), "하하하 재밌다");
    }

    #[test]
    fn squash_leaves_words_numbers_and_ratings() {
        for s in [
            "아아 주문했는데 하하 웃었어요",
            "1000000원 환불 받음",
            "별점 ★★★☆☆ 드려요",
            "ㅋㅋ 두 개는 그대로",
            "배송 완료... 만족",
            "Sooo good",
        ] {
            assert_eq!(squash_repeats(s), None, "{s}");
        }
        // A skin-toned thumb is a different unit from a plain one.
        assert_eq!(squash("👍👍🏻👍"), "👍👍🏻👍");
    }

    #[test]
    fn emoji_clusters() {
        let s = "👩\u{200D}💻";
        assert_eq!(emoji_cluster_len(s, 0), Some(s.len()));
        assert_eq!(emoji_cluster_len("🇰🇷!", 0), Some(8));
        assert_eq!(emoji_cluster_len("1\u{FE0F}\u{20E3}등", 0), Some(7));
        assert_eq!(emoji_cluster_len("1등", 0), None);
        assert_eq!(emoji_cluster_len("❤\u{FE0F}", 0), Some(6));
        assert_eq!(emoji_cluster_len("가", 0), None);
    }
}
