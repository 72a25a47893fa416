//! Korean-aware sentence splitting for sentence-level sentiment.
//!
//! Customer feedback rarely punctuates: sentences end in a final verb ending ("빨라요 포장도"),
//! laughter or crying jamo ("ㅋㅋ", "ㅠㅠ"), emoji or "^^" just as often as in ". ! ?". A splitter
//! that only looks at punctuation returns one long "sentence" for most reviews, which makes
//! sentence-level scores useless; one that splits on every "요"/"다" cuts nouns such as "필요" or
//! "바다". The rules below aim for precision: a boundary needs a clear signal, and ambiguous
//! signals (an ellipsis, "~") count only after a sentence-final ending.
//!
//! Mixed feedback mostly turns on a contrastive clause inside one sentence ("배송은 빨랐는데
//! 품질이 별로예요", "비싸지만 맛있어요", "맛있어요 근데 양이 적어요"). Such clauses are split
//! too, so that each side gets its own score and the mix shows; [`sentence_scoring_form`]
//! says how each side is scored.

use super::morph::KoreanMorphology;

/// Splits `text` into sentences, returned as byte ranges into `text` with surrounding
/// whitespace trimmed. Fragments shorter than two characters are merged into a neighbour.
pub fn split_sentences(text: &str) -> Vec<(usize, usize)> {
    let words = words(text);
    let mut cuts: Vec<usize> = Vec::new();
    // End of a word that closes a sentence; the cut waits there so that trailing laughter,
    // emoji or punctuation written as separate words ("좋아요 ㅋㅋ") stays with its sentence.
    let mut pending: Option<usize> = None;
    for (i, w) in words.iter().enumerate() {
        let s = &text[w.start..w.end];
        let tail = is_tail(s);
        if !tail {
            if let Some(p) = pending.take() {
                cuts.push(p);
            } else if i > 0
                && (is_list_marker(s) || (i + 1 < words.len() && is_contrastive_connective(s)))
            {
                // "1. 배송이 느림 2. 포장 불량": a numbered item starts a new sentence;
                // "근데 양이 적어요": so does a contrastive connective.
                cuts.push(w.start);
            }
            if !is_url(s) {
                cuts.extend(inner_breaks(s).into_iter().map(|off| w.start + off));
            }
        }
        let clause_end = i + 1 < words.len() && ends_in_contrastive_ending(s);
        if is_terminal(s) || clause_end || (tail && pending.is_some()) {
            pending = Some(w.end);
        }
        if w.newline_after || i + 1 == words.len() {
            cuts.push(pending.take().unwrap_or(w.end));
        }
    }

    let mut ranges: Vec<(usize, usize)> = Vec::new();
    let mut start = 0;
    for cut in cuts {
        if let Some(r) = trim(text, start, cut) {
            ranges.push(r);
        }
        start = cut;
    }
    merge_short(text, ranges)
}

struct Word {
    start: usize,
    end: usize,
    newline_after: bool,
}

/// Maximal runs of non-whitespace, noting whether a line break follows (a hard boundary).
fn words(text: &str) -> Vec<Word> {
    let mut out: Vec<Word> = Vec::new();
    let mut start: Option<usize> = None;
    for (i, c) in text.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push(Word {
                    start: s,
                    end: i,
                    newline_after: false,
                });
            }
            if is_line_break(c) {
                if let Some(last) = out.last_mut() {
                    last.newline_after = true;
                }
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push(Word {
            start: s,
            end: text.len(),
            newline_after: false,
        });
    }
    out
}

fn is_line_break(c: char) -> bool {
    matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}' | '\u{85}')
}

fn trim(text: &str, start: usize, end: usize) -> Option<(usize, usize)> {
    let s = &text[start..end];
    let lead = s.len() - s.trim_start().len();
    let trimmed = s.trim();
    (!trimmed.is_empty()).then(|| (start + lead, start + lead + trimmed.len()))
}

/// A one-character "sentence" ("ㅋ", "!") carries no sentiment of its own; it joins the
/// sentence before it, or the one after it when it comes first.
fn merge_short(text: &str, ranges: Vec<(usize, usize)>) -> Vec<(usize, usize)> {
    let short = |r: &(usize, usize)| {
        text[r.0..r.1]
            .chars()
            .filter(|c| !c.is_whitespace())
            .count()
            < 2
    };
    let mut out: Vec<(usize, usize)> = Vec::with_capacity(ranges.len());
    let mut carry: Option<usize> = None;
    for r in ranges {
        if short(&r) {
            match out.last_mut() {
                Some(last) => last.1 = r.1,
                None => {
                    carry.get_or_insert(r.0);
                }
            }
        } else {
            out.push((carry.take().unwrap_or(r.0), r.1));
        }
    }
    if let Some(c) = carry {
        // Every fragment was short: keep the whole text as one sentence.
        let end = text.trim_end().len();
        out.push((c, end));
    }
    out
}

fn is_list_marker(word: &str) -> bool {
    let digits = word.trim_end_matches(['.', ')']);
    (1..=2).contains(&digits.len())
        && word.len() == digits.len() + 1
        && digits.bytes().all(|b| b.is_ascii_digit())
}

fn is_url(word: &str) -> bool {
    word.contains("://")
        || word
            .get(..4)
            .is_some_and(|p| p.eq_ignore_ascii_case("www."))
}

fn is_hangul_syllable(c: char) -> bool {
    ('\u{AC00}'..='\u{D7A3}').contains(&c)
}

/// Compatibility jamo as typed alone: ㅋ ㅎ ㅠ ㅜ ㅡ ...
fn is_jamo(c: char) -> bool {
    ('\u{3131}'..='\u{318E}').contains(&c)
}

fn is_emoji(c: char) -> bool {
    matches!(c,
        '\u{1F300}'..='\u{1FAFF}' | '\u{2600}'..='\u{27BF}' | '\u{1F000}'..='\u{1F2FF}'
        | '\u{2B50}' | '\u{2B55}' | '\u{FE0F}' | '\u{200D}')
}

fn is_strong_punct(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | '。' | '！' | '？')
}

fn is_end_punct(c: char) -> bool {
    is_strong_punct(c) || matches!(c, '…' | '~' | '～')
}

fn is_closer(c: char) -> bool {
    matches!(
        c,
        ')' | ']' | '}' | '"' | '\'' | '”' | '’' | '」' | '』' | '》' | '〉' | '>'
    )
}

/// Words that are only trailing noise: laughter, crying, emoji, emoticons, end punctuation.
fn is_tail(word: &str) -> bool {
    word.chars().all(|c| {
        is_jamo(c) || is_emoji(c) || is_end_punct(c) || is_closer(c) || matches!(c, '^' | ';')
    })
}

/// Common words ending in a syllable that is also a sentence-final ending ("처음" is not
/// "~음", "필요" is not "~요"). Matched as suffixes so compounds ("그다음") are covered.
const NOT_FINAL: &[&str] = &[
    "처음", "마음", "다음", "얼음", "웃음", "울음", "걸음", "믿음", "죽음", "젊음", "싸움", "필요",
    "중요", "주요", "수요", "포함", "동네", "그네", "바다",
];

/// Whether `s` (a word without trailing punctuation) ends in a sentence-final ending:
/// 요 다 죠 음 함 네 ("좋아요", "좋다", "그렇죠", "좋음", "만족함", "좋네").
fn ends_in_final_ending(s: &str) -> bool {
    let mut chars = s.chars().rev();
    let Some(last) = chars.next() else {
        return false;
    };
    // A one-syllable word ("다 좋아요", "네 개") is an adverb or numeral, not an ending.
    let Some(prev) = chars.next() else {
        return false;
    };
    matches!(last, '요' | '다' | '죠' | '음' | '함' | '네')
        && is_hangul_syllable(prev)
        && !NOT_FINAL.iter().any(|w| s.ends_with(w))
}

fn ends_in_jamo_run(s: &str) -> bool {
    s.chars().rev().take_while(|&c| is_jamo(c)).count() >= 2
}

/// Whether the text before an ellipsis or "~" closes a sentence: "좋아요..." does,
/// "좋았지만..." does not.
fn weak_break_after(before: &str) -> bool {
    ends_in_final_ending(before)
        || ends_in_jamo_run(before)
        || before.chars().next_back().is_some_and(is_emoji)
}

/// Whether the word ends its sentence when followed by a space or line end.
fn is_terminal(word: &str) -> bool {
    let core = word.trim_end_matches(is_closer);
    let Some(last) = core.chars().next_back() else {
        return false;
    };
    if is_end_punct(last) {
        let before = core.trim_end_matches(is_end_punct);
        let run = &core[before.len()..];
        if before.is_empty() {
            return false;
        }
        if run
            .chars()
            .any(|c| matches!(c, '!' | '?' | '！' | '？' | '。'))
        {
            return true;
        }
        if run == "." {
            // "1. 배송은" is a list marker, not the end of a sentence.
            return !before.chars().all(|c| c.is_ascii_digit());
        }
        return weak_break_after(before);
    }
    if is_jamo(last) {
        return ends_in_jamo_run(core);
    }
    is_emoji(last) || core.ends_with("^^") || ends_in_final_ending(core)
}

/// Words that open a contrasting clause: "맛있어요 근데 양이 적어요".
const CONTRASTIVE_CONNECTIVES: &[&str] = &[
    "근데",
    "그런데",
    "하지만",
    "그러나",
    "그렇지만",
    "그치만",
    "다만",
    "반면",
    "반면에",
];

/// The same for English feedback ("clean but the staff were rude"). "though" and "yet" are
/// left out: "even though", "not yet" do not open a contrasting clause.
const ENGLISH_CONTRASTIVE_CONNECTIVES: &[&str] = &["but", "however", "although", "whereas"];

fn is_contrastive_connective(word: &str) -> bool {
    let core = word.trim_end_matches([',', '.', '…', '~']);
    CONTRASTIVE_CONNECTIVES.contains(&core)
        || ENGLISH_CONTRASTIVE_CONNECTIVES
            .iter()
            .any(|c| core.eq_ignore_ascii_case(c))
}

/// Whether the word ends in a contrastive or background connective ending, which closes a
/// clause: -지만 ("비싸지만"), -는데/-은데/-던데 ("빨랐는데", "좋은데"), -ㄴ데 ("비싼데").
fn ends_in_contrastive_ending(word: &str) -> bool {
    let core = word
        .trim_end_matches([',', '…', '~'])
        .trim_end_matches(is_closer);
    if is_contrastive_connective(core) {
        return false;
    }
    let syllables: Vec<char> = core.chars().collect();
    let n = syllables.len();
    if n < 2 || !syllables.iter().all(|&c| is_hangul_syllable(c)) {
        return false;
    }
    let (prev, last) = (syllables[n - 2], syllables[n - 1]);
    match last {
        '만' => prev == '지' && n >= 3,
        // A syllable closed by ㄴ before 데 is the ending -ㄴ데 (는, 은, 던, 싼, 인, 한 ...).
        '데' => (u32::from(prev) - 0xAC00) % 28 == 4,
        _ => false,
    }
}

/// The text that sentence-level sentiment scores in place of one sentence of a
/// multi-sentence document, or `None` when the sentence is scored as written.
///
/// Scored as written, the sides of a contrast read as hedges rather than as what they say:
/// the models learned from whole reviews, where "연기는 좋았는데" or "연기는 좋았어요" on its
/// own means "the acting was good, but...", so 0.6.0 scored "배송은 빨랐는데" neutral and
/// "디자인은 예쁜데" negative. Both the connective ending and the contrastive topic particle
/// 은/는 carry that reading (measured: "배송은 빨랐어요" and "배송은 빨랐다" are neutral too,
/// "배송 빨랐다" positive). Inside a document the contrast is already visible in the other
/// sentence, so each sentence is scored as the plain statement it makes: 은/는 after a noun
/// is dropped and a clause-final contrastive ending becomes the plain declarative -다
/// ("배송은 빨랐는데" -> "배송 빨랐다", "사이즈는 딱 맞아요" -> "사이즈 딱 맞아요"). The
/// morphology finds the particles, so that modifiers spelled the same way stay ("좋은 점은
/// 많은데" -> "좋은 점 많다"). `morph` is only called for a sentence that has a contrastive
/// ending or a word ending in 은/는, so a caller can load the morphology lazily.
pub fn sentence_scoring_form<'m>(
    sentence: &str,
    morph: impl FnOnce() -> Option<&'m KoreanMorphology>,
) -> Option<String> {
    let sentence = sentence.trim_end();
    let (head, tail) = if is_contrastive_clause(sentence) {
        let last_start = last_word_start(sentence);
        let core = sentence[last_start..]
            .trim_end_matches([',', '…', '~'])
            .trim_end_matches(is_closer);
        (&sentence[..last_start], declarative_form(core)?)
    } else if may_have_topic_particle(sentence) {
        (sentence, String::new())
    } else {
        return None;
    };
    let morph = morph()?;
    let mut out = String::with_capacity(sentence.len());
    let mut copied = 0;
    for pair in morph.analyze(head).windows(2) {
        let (prev, m) = (&pair[0], &pair[1]);
        let topic = m.tag == "JX" && matches!(m.surface.as_str(), "은" | "는");
        if topic && prev.end == m.start && is_nominal(&prev.pos) {
            out.push_str(&head[copied..m.start]);
            copied = m.end;
        }
    }
    if copied == 0 && tail.is_empty() {
        return None;
    }
    out.push_str(&head[copied..]);
    out.push_str(&tail);
    Some(out)
}

/// Whether a word before the last ends in 은 or 는: a cheap check, so that the morphology
/// only runs (and only loads) where a topic particle can be.
fn may_have_topic_particle(sentence: &str) -> bool {
    let sentence = sentence.trim_end();
    sentence[..last_word_start(sentence)]
        .split_whitespace()
        .any(|w| w.ends_with('은') || w.ends_with('는'))
}

/// Whether the clause ends in a contrastive connective ending (-지만, -는데, -ㄴ데).
fn is_contrastive_clause(clause: &str) -> bool {
    let clause = clause.trim_end();
    ends_in_contrastive_ending(&clause[last_word_start(clause)..])
}

fn last_word_start(text: &str) -> usize {
    text.char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace())
        .map_or(0, |(i, c)| i + c.len_utf8())
}

/// The word with its contrastive connective ending replaced by the plain declarative -다:
/// 빨랐는데 -> 빨랐다, 좋은데 -> 좋다, 예쁜데 -> 예쁘다, 비싸지만 -> 비싸다, 좋던데 -> 좋다.
fn declarative_form(word: &str) -> Option<String> {
    let stem = if let Some(stem) = word.strip_suffix("지만") {
        stem.to_owned()
    } else if let Some(stem) = ["는데", "은데", "던데"]
        .iter()
        .find_map(|e| word.strip_suffix(e))
    {
        stem.to_owned()
    } else {
        // -ㄴ데 after a vowel stem: the ㄴ is the final consonant of the stem's last syllable
        // (예쁜 = 예쁘 + ㄴ); taking it off gives the stem back.
        let before = word.strip_suffix('데')?;
        let last = before.chars().next_back()?;
        if !is_hangul_syllable(last) || (u32::from(last) - 0xAC00) % 28 != 4 {
            return None;
        }
        let open = char::from_u32(u32::from(last) - 4)?;
        let mut stem = before[..before.len() - last.len_utf8()].to_owned();
        stem.push(open);
        stem
    };
    (!stem.is_empty()).then(|| stem + "다")
}

/// Tags after which 은/는 is the topic particle: nouns, pronouns, numerals, foreign words,
/// noun suffixes and nominalised verbs.
fn is_nominal(pos: &str) -> bool {
    matches!(
        pos,
        "NNG" | "NNP" | "NNB" | "NNBC" | "NP" | "NR" | "SL" | "SN" | "SH" | "XSN" | "ETN"
    )
}

/// Byte offsets (within `word`) of sentence boundaries inside a word, where the writer left
/// out the space: "좋아요.배송도", "느낍니다~~그리고", "최고ㅋㅋ다음에도".
fn inner_breaks(word: &str) -> Vec<usize> {
    let chars: Vec<(usize, char)> = word.char_indices().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i].1;
        let kind = if is_end_punct(c) {
            Some(0)
        } else if is_jamo(c) || is_emoji(c) {
            Some(1)
        } else {
            None
        };
        let Some(kind) = kind else {
            i += 1;
            continue;
        };
        let run_start = i;
        while i < chars.len()
            && (if kind == 0 {
                is_end_punct(chars[i].1)
            } else {
                is_jamo(chars[i].1) || is_emoji(chars[i].1)
            })
        {
            i += 1;
        }
        let run_end = i;
        while i < chars.len() && is_closer(chars[i].1) {
            i += 1;
        }
        // Only a Hangul syllable right after the run starts a new sentence; digits ("3.5"),
        // Latin ("naver.com") and more symbols do not.
        if run_start == 0 || i >= chars.len() || !is_hangul_syllable(chars[i].1) {
            continue;
        }
        let before = &word[..chars[run_start].0];
        let run = &word[chars[run_start].0..chars.get(run_end).map_or(word.len(), |c| c.0)];
        let prev = chars[run_start - 1].1;
        let is_break = if kind == 1 {
            is_hangul_syllable(prev) && (run.chars().any(is_emoji) || run.chars().count() >= 2)
        } else if run
            .chars()
            .any(|c| matches!(c, '!' | '?' | '！' | '？' | '。'))
        {
            true
        } else if run == "." {
            is_hangul_syllable(prev) || is_closer(prev)
        } else {
            weak_break_after(before)
        };
        if is_break {
            out.push(chars[i].0);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrastive_endings_become_plain_declaratives() {
        for (word, plain) in [
            ("빨랐는데", "빨랐다"),
            ("좋은데", "좋다"),
            ("좋던데", "좋다"),
            ("예쁜데", "예쁘다"),
            ("친절한데", "친절하다"),
            ("학생인데", "학생이다"),
            ("비싸지만", "비싸다"),
            ("친절했지만", "친절했다"),
        ] {
            assert_eq!(declarative_form(word).as_deref(), Some(plain), "{word}");
        }
        // A word that only ends in 데 without an -ㄴ before it is left alone.
        assert_eq!(declarative_form("바다데"), None);
        assert_eq!(declarative_form("데"), None);
    }

    #[test]
    fn sentence_scoring_form_drops_topic_particles_after_nouns_only() {
        let morph = KoreanMorphology::embedded().unwrap();
        let form = |s: &str| sentence_scoring_form(s, || Some(&morph));
        assert_eq!(form("배송은 빨랐는데").as_deref(), Some("배송 빨랐다"));
        assert_eq!(
            form("가격은 좀 비싸지만,").as_deref(),
            Some("가격 좀 비싸다")
        );
        assert_eq!(
            form("사이즈는 딱 맞는데").as_deref(),
            Some("사이즈 딱 맞다")
        );
        assert_eq!(form("디자인은 예쁜데").as_deref(), Some("디자인 예쁘다"));
        assert_eq!(form("비싸지만").as_deref(), Some("비싸다"));
        assert_eq!(form("맛은 확실해요").as_deref(), Some("맛 확실해요"));
        // 은/는 of a modifier is not a particle; 도 and 이/가 are not contrastive.
        assert_eq!(form("좋은 점은 많은데").as_deref(), Some("좋은 점 많다"));
        assert_eq!(form("맛도 좋은데").as_deref(), Some("맛도 좋다"));
        assert_eq!(form("작은 사이즈가 좋아요"), None);
        assert_eq!(form("품질이 별로예요"), None);
        assert_eq!(form("그런데"), None);
        assert!(is_contrastive_clause("배송은 빨랐는데 "));
        assert!(!is_contrastive_clause("품질이 별로예요"));
        // Sentences with nothing to rewrite never ask for the morphology.
        assert_eq!(
            sentence_scoring_form("품질이 별로예요", || panic!("morphology loaded")),
            None
        );
    }

    fn split(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|(s, e)| &text[s..e])
            .collect()
    }

    #[test]
    fn empty_and_blank_input() {
        assert!(split_sentences("").is_empty());
        assert!(split_sentences("  \n\t ").is_empty());
    }

    #[test]
    fn single_sentence_is_whole_trimmed_text() {
        let text = "  배송이 빨라서 정말 좋아요  ";
        assert_eq!(split_sentences(text), vec![(2, text.len() - 2)]);
    }

    #[test]
    fn splits_on_punctuation() {
        assert_eq!(
            split("포장은 꼼꼼했어요. 그런데 제품이 불량이네요! 환불 되나요? 답변 주세요"),
            vec![
                "포장은 꼼꼼했어요.",
                "그런데 제품이 불량이네요!",
                "환불 되나요?",
                "답변 주세요"
            ]
        );
    }

    #[test]
    fn splits_after_final_endings_without_punctuation() {
        assert_eq!(
            split("배송 빨라요 포장도 꼼꼼하고 맛있네 재구매 의사 있음 가격은 좀 비쌈"),
            vec![
                "배송 빨라요",
                "포장도 꼼꼼하고 맛있네",
                "재구매 의사 있음",
                "가격은 좀 비쌈"
            ]
        );
        assert_eq!(
            split("사이즈가 작다 교환 신청했죠 응대는 친절함"),
            vec!["사이즈가 작다", "교환 신청했죠", "응대는 친절함"]
        );
    }

    #[test]
    fn nouns_that_look_like_endings_do_not_split() {
        assert_eq!(
            split("처음 써본 날부터 마음에 들어요"),
            vec!["처음 써본 날부터 마음에 들어요"]
        );
        assert_eq!(
            split("설명서가 필요 없을 만큼 쉬워요"),
            vec!["설명서가 필요 없을 만큼 쉬워요"]
        );
        assert_eq!(
            split("배송비 포함 가격이 비싸요"),
            vec!["배송비 포함 가격이 비싸요"]
        );
    }

    #[test]
    fn laughter_crying_and_emoji_close_sentences_and_stay_attached() {
        assert_eq!(
            split("배송 완전 빠름ㅋㅋ 근데 포장이 찢어져 왔어요ㅠㅠ 다음엔 신경 써주세요"),
            vec![
                "배송 완전 빠름ㅋㅋ",
                "근데 포장이 찢어져 왔어요ㅠㅠ",
                "다음엔 신경 써주세요"
            ]
        );
        assert_eq!(
            split("너무 예뻐요 😍😍 또 살게요 ^^ 감사합니다"),
            vec!["너무 예뻐요 😍😍", "또 살게요 ^^", "감사합니다"]
        );
        assert_eq!(split("좋아요 ㅋㅋ 강추"), vec!["좋아요 ㅋㅋ", "강추"]);
    }

    #[test]
    fn numbers_urls_and_mid_sentence_ellipsis_do_not_split() {
        assert_eq!(split("평점 3.5점 드려요"), vec!["평점 3.5점 드려요"]);
        assert_eq!(
            split("자세한 건 https://shop.example.co.kr/item?id=3 참고하세요"),
            vec!["자세한 건 https://shop.example.co.kr/item?id=3 참고하세요"]
        );
        assert_eq!(
            split("www.naver.com 에서 샀어요"),
            vec!["www.naver.com 에서 샀어요"]
        );
        assert_eq!(
            split("연기는 좋았지만... 스토리가 너무 뻔해서 아쉬웠다"),
            vec!["연기는 좋았지만... 스토리가 너무 뻔해서 아쉬웠다"]
        );
        assert_eq!(
            split("1. 배송이 느림 2. 포장 불량"),
            vec!["1. 배송이 느림", "2. 포장 불량"]
        );
    }

    #[test]
    fn ellipsis_and_tilde_after_final_ending_split() {
        assert_eq!(
            split("정말 감동이었어요... 또 보고 싶네요~ 강력 추천합니다"),
            vec!["정말 감동이었어요...", "또 보고 싶네요~", "강력 추천합니다"]
        );
        assert_eq!(split("정말~ 맛있어요"), vec!["정말~ 맛있어요"]);
    }

    #[test]
    fn splits_inside_words_when_the_space_is_missing() {
        assert_eq!(
            split("좋아요.배송도 빨라요!!재구매할게요"),
            vec!["좋아요.", "배송도 빨라요!!", "재구매할게요"]
        );
        assert_eq!(
            split("느낌이 다르네요. 토토의 첫사랑이 참 풋풋했음을 느낍니다~~그리고 음악도 최고!"),
            vec![
                "느낌이 다르네요.",
                "토토의 첫사랑이 참 풋풋했음을 느낍니다~~",
                "그리고 음악도 최고!"
            ]
        );
        assert_eq!(
            split("최고ㅋㅋ다음에도 살게요"),
            vec!["최고ㅋㅋ", "다음에도 살게요"]
        );
    }

    #[test]
    fn contrastive_clauses_split_so_mixed_feedback_shows() {
        assert_eq!(
            split("배송은 빨랐는데 품질이 별로예요"),
            ["배송은 빨랐는데", "품질이 별로예요"]
        );
        assert_eq!(
            split("가격은 좀 비싸지만 맛은 확실해요"),
            ["가격은 좀 비싸지만", "맛은 확실해요"]
        );
        assert_eq!(
            split("디자인은 예쁜데, 너무 무거움"),
            ["디자인은 예쁜데,", "너무 무거움"]
        );
        assert_eq!(
            split("맛있어요 근데 양이 적어요"),
            ["맛있어요", "근데 양이 적어요"]
        );
        assert_eq!(
            split("친절했음 하지만 해결은 안 됨"),
            ["친절했음", "하지만 해결은 안 됨"]
        );
        assert_eq!(
            split("The room was clean but the staff were rude."),
            ["The room was clean", "but the staff were rude."]
        );
        assert_eq!(
            split("Fast delivery, however the box was damaged"),
            ["Fast delivery,", "however the box was damaged"]
        );
        // A closing "but" and words that only contain one stay whole.
        assert_eq!(
            split("Good app, nothing else but"),
            ["Good app, nothing else but"]
        );
        assert_eq!(
            split("It works even though the butter knife broke"),
            ["It works even though the butter knife broke"]
        );
    }

    #[test]
    fn contrastive_look_alikes_do_not_split() {
        // Sentence-final -는데요, a trailing -지만 with nothing after it, and nouns ending in 데.
        assert_eq!(split("이거 좋은데요"), ["이거 좋은데요"]);
        assert_eq!(split("가격이 좀 그렇지만"), ["가격이 좀 그렇지만"]);
        assert_eq!(split("포장 데이터 만 오류"), ["포장 데이터 만 오류"]);
        assert_eq!(
            split("어디 가는 데 필요한 물건"),
            ["어디 가는 데 필요한 물건"]
        );
    }

    #[test]
    fn newlines_always_split() {
        assert_eq!(
            split("장점: 가볍다\n단점: 배터리가 빨리 닳는\n\n총평 그럭저럭"),
            vec!["장점: 가볍다", "단점: 배터리가 빨리 닳는", "총평 그럭저럭"]
        );
    }

    #[test]
    fn short_fragments_merge_into_neighbours() {
        assert_eq!(split("별로예요. ㅠ"), vec!["별로예요. ㅠ"]);
        assert_eq!(split("!\n괜찮아요"), vec!["!\n괜찮아요"]);
        assert_eq!(split("ㅋ"), vec!["ㅋ"]);
    }

    #[test]
    fn ranges_are_valid_byte_ranges_for_any_input() {
        let inputs = [
            "😀",
            "...",
            "a.b.c. d! e? f",
            "ㅋㅋㅋ\r\nㅎㅎㅎ",
            "끝났다.\u{2028}다음",
            "“좋아요!” 그녀가 말했다. 정말요?",
        ];
        for text in inputs {
            let ranges = split_sentences(text);
            let mut prev_end = 0;
            for &(s, e) in &ranges {
                assert!(
                    s < e && e <= text.len() && s >= prev_end,
                    "{text:?}: {ranges:?}"
                );
                assert!(text.is_char_boundary(s) && text.is_char_boundary(e));
                prev_end = e;
            }
        }
        assert_eq!(
            split("“좋아요!” 그녀가 말했다. 정말요?"),
            vec!["“좋아요!”", "그녀가 말했다.", "정말요?"]
        );
    }
}
