//! PII detection and redaction: phone numbers, e-mail, 주민등록번호, card and account numbers.
//!
//! Numbers are found by one hand-written scan rather than a regex per kind: digit groups
//! joined by '-', '.' or a space form a chunk, and PII patterns are matched against whole
//! groups only, so a pattern can never cut a longer number in half. Policy decisions:
//! - Business numbers (1588-1234, 1577-..., 080-xxx-xxxx) are kept: they identify a company,
//!   not a person, and "1588 연결 안 됨" is useful feedback.
//! - Numbers right after an order/tracking label (주문번호, 송장번호, order no. ...) are kept
//!   unless they are phone numbers, so support can still find the case.
//! - Prices (12,900원, 15000원), dates (2024-03-05, 2024.03.05), versions (3.2.1) and model
//!   names glued to Latin letters (WH-1000XM4) never match.
//! - Bank accounts are recognised only as 3-4 hyphenated groups of 2-7 digits totalling
//!   10-14 (110-123-456789), or as a plain 10-14 digit run that is no phone, card,
//!   date-prefixed id, quantity (1500000000원) or filler (1234567890, 1010101010).
//! - Partly masked numbers (010-****-5678) are redacted too.

use once_cell::sync::Lazy;
use regex::Regex;
use serde::Serialize;

/// The kinds of personal data that are redacted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PiiKind {
    Phone,
    Email,
    /// 주민등록번호 (and the foreigner registration number of the same shape).
    ResidentId,
    Card,
    Account,
}

impl PiiKind {
    pub const ALL: [PiiKind; 5] = [
        PiiKind::Phone,
        PiiKind::Email,
        PiiKind::ResidentId,
        PiiKind::Card,
        PiiKind::Account,
    ];

    pub fn as_str(&self) -> &'static str {
        match self {
            PiiKind::Phone => "phone",
            PiiKind::Email => "email",
            PiiKind::ResidentId => "resident_id",
            PiiKind::Card => "card",
            PiiKind::Account => "account",
        }
    }

    /// The typed placeholder that replaces the value in text.
    pub fn placeholder(&self) -> &'static str {
        match self {
            PiiKind::Phone => "[전화번호]",
            PiiKind::Email => "[이메일]",
            PiiKind::ResidentId => "[주민번호]",
            PiiKind::Card => "[카드번호]",
            PiiKind::Account => "[계좌번호]",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How many values of one kind were redacted. The values themselves are never kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct PiiHit {
    pub kind: PiiKind,
    pub count: usize,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct PiiCounts([usize; 5]);

impl PiiCounts {
    fn add(&mut self, kind: PiiKind) {
        self.0[kind.index()] += 1;
    }

    pub(super) fn total(&self) -> usize {
        self.0.iter().sum()
    }

    pub(super) fn hits(&self) -> Vec<PiiHit> {
        PiiKind::ALL
            .iter()
            .filter(|k| self.0[k.index()] > 0)
            .map(|&kind| PiiHit {
                kind,
                count: self.0[kind.index()],
            })
            .collect()
    }
}

/// Which kinds a redaction pass looks for.
#[derive(Clone, Copy, Debug)]
pub(super) struct Scope {
    /// Resident ids, cards and accounts. Skipped inside URLs, where long digit runs are
    /// post and article ids (blog.naver.com/.../220354895392, .../2010021101634.html).
    pub ids: bool,
}

pub(super) const EVERYTHING: Scope = Scope { ids: true };
pub(super) const IN_URL: Scope = Scope { ids: false };

static EMAIL: Lazy<Regex> = Lazy::new(|| {
    Regex::new(
        r"[A-Za-z0-9_%+\-][A-Za-z0-9._%+\-]*@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
    )
    .expect("static e-mail pattern is valid")
});

pub(super) fn init() {
    Lazy::force(&EMAIL);
}

/// Replaces every PII value in `text` by its placeholder, counting them. Returns `None` when
/// nothing was found, so the common case allocates nothing.
pub(super) fn redact(text: &str, scope: Scope, counts: &mut PiiCounts) -> Option<String> {
    let emailed = redact_emails(text, counts);
    let base = emailed.as_deref().unwrap_or(text);
    match redact_numbers(base, scope, counts) {
        Some(s) => Some(s),
        None => emailed,
    }
}

fn redact_emails(text: &str, counts: &mut PiiCounts) -> Option<String> {
    if !text.contains('@') {
        return None;
    }
    let mut out: Option<String> = None;
    let mut last = 0;
    for m in EMAIL.find_iter(text) {
        let o = out.get_or_insert_with(|| String::with_capacity(text.len()));
        o.push_str(&text[last..m.start()]);
        o.push_str(PiiKind::Email.placeholder());
        counts.add(PiiKind::Email);
        last = m.end();
    }
    let mut o = out?;
    o.push_str(&text[last..]);
    Some(o)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Join {
    Space,
    Hyphen,
    Dot,
}

/// A run of digit groups, e.g. "+82 10-1234-5678" or "110-123-456789".
#[derive(Debug, Default)]
struct Chunk {
    /// Byte offset of the first digit, or of the '+' of a country code.
    start: usize,
    plus: bool,
    groups: Vec<(usize, usize)>,
    /// `joins[k]` joins `groups[k]` and `groups[k + 1]`.
    joins: Vec<Join>,
    /// A thousands separator was seen (12,900): an amount, never PII.
    amount: bool,
}

enum Verdict {
    Redact(PiiKind),
    /// A recognised non-personal number (business line, labelled order number): consumed so
    /// that no shorter pattern redacts part of it.
    Keep,
}

fn redact_numbers(text: &str, scope: Scope, counts: &mut PiiCounts) -> Option<String> {
    let b = text.as_bytes();
    if !b.iter().any(u8::is_ascii_digit) {
        return None;
    }
    let mut spans: Vec<(usize, usize, PiiKind)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let starts =
            b[i].is_ascii_digit() || (b[i] == b'+' && b.get(i + 1).is_some_and(u8::is_ascii_digit));
        if !starts {
            i += 1;
            continue;
        }
        let chunk = scan_chunk(text, i);
        let end = chunk.groups.last().map_or(i + 1, |g| g.1);
        if !chunk.amount {
            classify_chunk(text, &chunk, scope, &mut spans);
        }
        i = end.max(i + 1);
    }
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for (s, e, kind) in spans {
        out.push_str(&text[last..s]);
        out.push_str(kind.placeholder());
        counts.add(kind);
        last = e;
    }
    out.push_str(&text[last..]);
    Some(out)
}

const DASHES: [char; 6] = [
    '\u{2010}', '\u{2011}', '\u{2012}', '\u{2013}', '\u{2014}', '\u{2212}',
];

fn is_group_byte(c: u8) -> bool {
    c.is_ascii_digit() || c == b'*'
}

fn scan_chunk(text: &str, start: usize) -> Chunk {
    let b = text.as_bytes();
    let mut chunk = Chunk {
        start,
        ..Chunk::default()
    };
    let mut i = start;
    if b[i] == b'+' {
        chunk.plus = true;
        i += 1;
    }
    loop {
        let gs = i;
        while i < b.len() && is_group_byte(b[i]) {
            i += 1;
        }
        chunk.groups.push((gs, i));
        // 12,900 / 1,234,567: an amount.
        if b.get(i) == Some(&b',') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
            chunk.amount = true;
            chunk.joins.push(Join::Dot);
            i += 1;
            continue;
        }
        let mut j = i;
        let mut spaced = false;
        if b.get(j) == Some(&b' ') {
            j += 1;
            spaced = true;
        }
        let mut join = Join::Space;
        match b.get(j) {
            Some(b'-') => {
                join = Join::Hyphen;
                j += 1;
            }
            Some(b'.') => {
                join = Join::Dot;
                j += 1;
            }
            _ => {
                if let Some(d) = DASHES.iter().find(|&&d| text[j..].starts_with(d)) {
                    join = Join::Hyphen;
                    j += d.len_utf8();
                }
            }
        }
        if join != Join::Space && b.get(j) == Some(&b' ') {
            j += 1;
            spaced = true;
        }
        // "3000. 010" is a sentence end, and a bare space needs a space.
        let valid = match join {
            Join::Space => spaced,
            Join::Dot => !spaced,
            Join::Hyphen => true,
        };
        if !valid || !b.get(j).is_some_and(|&c| is_group_byte(c)) {
            break;
        }
        chunk.joins.push(join);
        i = j;
    }
    chunk
}

/// Units are the space-separated parts of a chunk; a pattern may span several units
/// ("010 1234 5678") but never split one ("978-89-546-3125-2" is atomic).
fn classify_chunk(
    text: &str,
    chunk: &Chunk,
    scope: Scope,
    spans: &mut Vec<(usize, usize, PiiKind)>,
) {
    let mut units: Vec<(usize, usize)> = Vec::with_capacity(4);
    let mut first = 0;
    for (k, j) in chunk.joins.iter().enumerate() {
        if *j == Join::Space {
            units.push((first, k + 1));
            first = k + 1;
        }
    }
    units.push((first, chunk.groups.len()));

    let n_units = units.len();
    let glued_left = glued_before(text, chunk.start);
    let glued_right = glued_after(text, chunk.groups[chunk.groups.len() - 1].1);
    let usable = |u: usize| !((u == 0 && glued_left) || (u == n_units - 1 && glued_right));

    let mut u = 0;
    while u < n_units {
        if !usable(u) {
            u += 1;
            continue;
        }
        let mut advanced = false;
        for w in (1..=(n_units - u).min(4)).rev() {
            if !(u..u + w).all(usable) {
                continue;
            }
            let (g0, g1) = (units[u].0, units[u + w - 1].1);
            let window = Window {
                text,
                groups: &chunk.groups[g0..g1],
                joins: &chunk.joins[g0..g1 - 1],
                single_unit: w == 1,
                plus: u == 0 && chunk.plus,
                label_start: if u == 0 {
                    chunk.start
                } else {
                    chunk.groups[g0].0
                },
                end: chunk.groups[g1 - 1].1,
            };
            if let Some(v) = window.classify(scope) {
                if let Verdict::Redact(kind) = v {
                    let start = if window.plus {
                        chunk.start
                    } else {
                        chunk.groups[g0].0
                    };
                    spans.push((start, window.end, kind));
                }
                u += w;
                advanced = true;
                break;
            }
        }
        if !advanced {
            u += 1;
        }
    }
}

/// Digits glued to Latin letters are model or serial codes (WH-1000XM4, SM-G991N).
fn glued_before(text: &str, start: usize) -> bool {
    let mut before = text[..start].chars().rev();
    match before.next() {
        Some(c) if c.is_ascii_alphanumeric() || c == '_' => true,
        Some('-') => before.next().is_some_and(|c| c.is_ascii_alphanumeric()),
        _ => false,
    }
}

fn glued_after(text: &str, end: usize) -> bool {
    let b = text.as_bytes();
    match b.get(end) {
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => true,
        Some(b'-') => b.get(end + 1).is_some_and(u8::is_ascii_alphabetic),
        _ => false,
    }
}

struct Window<'a> {
    text: &'a str,
    groups: &'a [(usize, usize)],
    joins: &'a [Join],
    single_unit: bool,
    plus: bool,
    label_start: usize,
    end: usize,
}

impl Window<'_> {
    fn classify(&self, scope: Scope) -> Option<Verdict> {
        let g: Vec<&str> = self.groups.iter().map(|&(s, e)| &self.text[s..e]).collect();
        if !digits(g[0]) {
            return None;
        }
        if self.plus {
            return international_phone(&g).then_some(Verdict::Redact(PiiKind::Phone));
        }
        if is_phone(&g) {
            return Some(Verdict::Redact(PiiKind::Phone));
        }
        if is_business_line(&g) {
            return Some(Verdict::Keep);
        }
        if !scope.ids {
            return None;
        }
        let plain = g.len() == 1;
        if is_resident_id(&g, self.joins) {
            // A labelled 13-digit run is an order number that merely looks like YYMMDD...
            if plain && self.labelled() {
                return Some(Verdict::Keep);
            }
            return Some(Verdict::Redact(PiiKind::ResidentId));
        }
        if is_card(&g, self.joins) {
            if plain && self.labelled() {
                return Some(Verdict::Keep);
            }
            return Some(Verdict::Redact(PiiKind::Card));
        }
        if self.single_unit && is_account(&g, self.joins) {
            if self.labelled() || (plain && self.is_quantity()) {
                return Some(Verdict::Keep);
            }
            return Some(Verdict::Redact(PiiKind::Account));
        }
        None
    }

    fn labelled(&self) -> bool {
        has_order_label(&self.text[..self.label_start])
    }

    /// "1500000000원", "₩1234567890", "1923877462번째": an amount or a count, not an account.
    fn is_quantity(&self) -> bool {
        let after = self.text[self.end..]
            .strip_prefix(' ')
            .unwrap_or(&self.text[self.end..]);
        let unit_after = after.chars().next().is_some_and(|c| {
            matches!(
                c,
                '원' | '만'
                    | '억'
                    | '천'
                    | '개'
                    | '명'
                    | '건'
                    | '회'
                    | '%'
                    | '배'
                    | '위'
                    | '점'
                    | '년'
            )
        });
        let ordinal = after.starts_with("번째");
        let currency_before = self.text[..self.label_start]
            .chars()
            .next_back()
            .is_some_and(|c| matches!(c, '₩' | '$' | '\\' | '€' | '¥'));
        unit_after || ordinal || currency_before
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

const MOBILE: [&str; 6] = ["010", "011", "016", "017", "018", "019"];
const AREA: [&str; 18] = [
    "031", "032", "033", "041", "042", "043", "044", "051", "052", "053", "054", "055", "061",
    "062", "063", "064", "070", "02",
];

fn is_mobile_prefix(s: &str) -> bool {
    MOBILE.contains(&s)
}

/// 안심번호/평생번호 0502-0508.
fn is_safe_number_prefix(s: &str) -> bool {
    s.len() == 4 && s.starts_with("050") && matches!(s.as_bytes()[3], b'2'..=b'8')
}

fn is_phone(g: &[&str]) -> bool {
    match g {
        [s] => {
            let n = s.len();
            let prefix = |k: usize| s.get(..k).filter(|p| digits(p));
            let mobile = prefix(3).is_some_and(|p| {
                is_mobile_prefix(p)
                    && if p == "010" {
                        n == 11
                    } else {
                        n == 10 || n == 11
                    }
            });
            let seoul = prefix(2) == Some("02") && (9..=10).contains(&n);
            let area = prefix(3).is_some_and(|p| p != "010" && AREA.contains(&p))
                && (10..=11).contains(&n);
            let safe = prefix(4).is_some_and(is_safe_number_prefix) && n == 12;
            mobile || seoul || area || safe
        }
        [a, b] => is_mobile_prefix(a) && (7..=8).contains(&b.len()),
        [a, b, c] => {
            let prefix_ok = is_mobile_prefix(a) || AREA.contains(a) || is_safe_number_prefix(a);
            prefix_ok && (3..=4).contains(&b.len()) && c.len() == 4
        }
        _ => false,
    }
}

/// +82 10-1234-5678, +82-2-123-4567, +821012345678: the country code replaces the leading 0.
fn international_phone(g: &[&str]) -> bool {
    let mut owned: Vec<String> = g.iter().map(|s| (*s).to_owned()).collect();
    if owned[0] == "82" {
        owned.remove(0);
    } else if let Some(rest) = owned[0].strip_prefix("82") {
        owned[0] = rest.to_owned();
    } else {
        return false;
    }
    let Some(first) = owned.first_mut() else {
        return false;
    };
    if !first.starts_with('0') {
        first.insert(0, '0');
    }
    let refs: Vec<&str> = owned.iter().map(String::as_str).collect();
    is_phone(&refs)
}

/// 1588-1234, 1577-, 1644-, 1800- and 080 free-call numbers belong to businesses.
fn is_business_line(g: &[&str]) -> bool {
    match g {
        [a, b] => {
            a.len() == 4
                && digits(a)
                && a.starts_with('1')
                && matches!(a.as_bytes()[1], b'5'..=b'9')
                && b.len() == 4
        }
        [a, b, c] => *a == "080" && (3..=4).contains(&b.len()) && c.len() == 4,
        _ => false,
    }
}

/// Loose YYMMDD check: month 01-12, day 01-31.
fn plausible_yymmdd(s: &str) -> bool {
    let Ok(v) = s.parse::<u32>() else {
        return false;
    };
    s.len() == 6 && (1..=12).contains(&(v / 100 % 100)) && (1..=31).contains(&(v % 100))
}

fn is_resident_id(g: &[&str], joins: &[Join]) -> bool {
    // 1-4: citizens born 1900-2099; 5-8: the foreigner registration number, same shape.
    let body_ok = |s: &str| {
        s.len() == 7
            && matches!(s.as_bytes()[0], b'1'..=b'8')
            && s.bytes().all(|b| b.is_ascii_digit() || b == b'*')
    };
    match g {
        [a, b] => joins[0] != Join::Dot && plausible_yymmdd(a) && body_ok(b),
        [s] => {
            s.len() == 13
                && digits(s)
                && plausible_yymmdd(&s[..6])
                && body_ok(&s[6..])
                && !starts_with_date(s)
                && !looks_made_up(s)
        }
        _ => false,
    }
}

fn luhn(s: &str) -> bool {
    let mut sum = 0;
    for (k, b) in s.bytes().rev().enumerate() {
        let mut d = u32::from(b - b'0');
        if k % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    sum % 10 == 0
}

fn is_card(g: &[&str], joins: &[Join]) -> bool {
    if joins.contains(&Join::Dot) {
        return false;
    }
    match g {
        [s] => {
            digits(s)
                && !looks_made_up(s)
                && ((s.len() == 16 && luhn(s))
                    || (s.len() == 15 && (s.starts_with("34") || s.starts_with("37")) && luhn(s)))
        }
        [a, b, c] => a.len() == 4 && b.len() == 6 && c.len() == 5,
        [_, _, _, _] => g.iter().all(|s| s.len() == 4),
        _ => false,
    }
}

/// YYYYMMDD with a 19xx/20xx year: dates, and ids that start with one (order numbers).
fn starts_with_date(s: &str) -> bool {
    if s.len() < 8 || !digits(&s[..8]) || !(s.starts_with("19") || s.starts_with("20")) {
        return false;
    }
    plausible_yymmdd(&s[2..8])
}

/// Digit strings people type as filler rather than copy from a card: few distinct digits
/// (1010101010, 1000000000, 0000000000000000), a counting run of 6 (1234567890, 9876543210)
/// or a sorted run of 8 (1122334455, 123445577900). A real number does any of this with a
/// probability around 1e-3, and over-redaction would be the cheaper mistake anyway.
fn looks_made_up(s: &str) -> bool {
    let b = s.as_bytes();
    let mut seen = [false; 10];
    for &d in b.iter().filter(|d| d.is_ascii_digit()) {
        seen[usize::from(d - b'0')] = true;
    }
    if seen.iter().filter(|&&x| x).count() <= 3 {
        return true;
    }
    let (mut up, mut down, mut rising, mut falling) = (1, 1, 1, 1);
    for w in b.windows(2) {
        up = if w[1] == w[0].wrapping_add(1) {
            up + 1
        } else {
            1
        };
        down = if w[1].wrapping_add(1) == w[0] {
            down + 1
        } else {
            1
        };
        rising = if w[1] >= w[0] { rising + 1 } else { 1 };
        falling = if w[1] <= w[0] { falling + 1 } else { 1 };
        if up >= 6 || down >= 6 || rising >= 8 || falling >= 8 {
            return true;
        }
    }
    false
}

fn is_account(g: &[&str], joins: &[Join]) -> bool {
    let total: usize = g.iter().map(|s| s.len()).sum();
    if !(10..=14).contains(&total) {
        return false;
    }
    match g {
        [s] => digits(s) && !starts_with_date(s) && !looks_made_up(s),
        _ if (3..=4).contains(&g.len()) => {
            let year_month = g[0].len() == 4
                && (g[0].starts_with("19") || g[0].starts_with("20"))
                && g[1].len() == 2
                && g[1].parse::<u32>().is_ok_and(|m| (1..=12).contains(&m));
            joins.iter().all(|j| *j == Join::Hyphen)
                && g[0].len() >= 3
                && g.iter().all(|s| (2..=7).contains(&s.len()))
                && !year_month
        }
        _ => false,
    }
}

const ORDER_LABELS: [&str; 28] = [
    "주문번호",
    "주문 번호",
    "주문",
    "송장번호",
    "송장",
    "운송장",
    "배송번호",
    "접수번호",
    "예약번호",
    "상품번호",
    "제품번호",
    "모델번호",
    "품번",
    "사업자등록번호",
    "사업자번호",
    "승인번호",
    "거래번호",
    "결제번호",
    "쿠폰번호",
    "일련번호",
    "시리얼",
    "바코드",
    "order no",
    "order number",
    "order",
    "invoice",
    "tracking",
    "isbn",
];

/// Whether the text right before a number is an order/tracking label ("주문번호: ", "송장번호는 ").
fn has_order_label(before: &str) -> bool {
    let tail_start = before.char_indices().rev().nth(15).map_or(0, |(i, _)| i);
    let tail = before[tail_start..].to_ascii_lowercase();
    let strip = |s: &str| -> String {
        s.trim_end_matches(|c: char| c.is_whitespace() || ":#=-.()[]".contains(c))
            .to_owned()
    };
    let mut t = strip(&tail);
    for particle in ["는", "은", "이", "가", "no", "#"] {
        if let Some(rest) = t.strip_suffix(particle) {
            t = strip(rest);
            break;
        }
    }
    ORDER_LABELS.iter().any(|l| t.ends_with(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn red(s: &str) -> (String, Vec<PiiHit>) {
        let mut c = PiiCounts::default();
        let out = redact(s, EVERYTHING, &mut c).unwrap_or_else(|| s.to_owned());
        (out, c.hits())
    }

    fn text(s: &str) -> String {
        red(s).0
    }

    fn untouched(s: &str) {
        let mut c = PiiCounts::default();
        assert_eq!(redact(s, EVERYTHING, &mut c), None, "should keep: {s}");
    }

    #[test]
    fn mobile_numbers_in_every_spelling() {
        assert_eq!(
            text("연락처 010-1234-5678로 주세요"),
            "연락처 [전화번호]로 주세요"
        );
        assert_eq!(text("010 1234 5678 문자 주세요"), "[전화번호] 문자 주세요");
        assert_eq!(text("번호는01012345678입니다"), "번호는[전화번호]입니다");
        assert_eq!(text("해외에서 +82 10-1234-5678"), "해외에서 [전화번호]");
        assert_eq!(text("+821012345678 로 연락"), "[전화번호] 로 연락");
        assert_eq!(
            text("옛날 번호 011-234-5678, 016 345 6789"),
            "옛날 번호 [전화번호], [전화번호]"
        );
        assert_eq!(
            text("019-9876-5432 / 017.123.4567"),
            "[전화번호] / [전화번호]"
        );
        assert_eq!(text("010 - 1234 - 5678"), "[전화번호]");
        assert_eq!(text("010-****-5678 마스킹"), "[전화번호] 마스킹");
        let (_, hits) = red("010-1234-5678 그리고 010-8765-4321");
        assert_eq!(
            hits,
            vec![PiiHit {
                kind: PiiKind::Phone,
                count: 2
            }]
        );
    }

    #[test]
    fn landlines_and_business_lines() {
        assert_eq!(text("매장 02-123-4567 로 전화"), "매장 [전화번호] 로 전화");
        assert_eq!(text("031-1234-5678 지점"), "[전화번호] 지점");
        assert_eq!(text("인터넷전화 070-1234-5678"), "인터넷전화 [전화번호]");
        assert_eq!(text("안심번호 0505-123-4567"), "안심번호 [전화번호]");
        assert_eq!(text("+82 2-123-4567"), "[전화번호]");
        untouched("고객센터 1588-1234 연결이 안돼요");
        untouched("1577 1234 상담원 연결");
        untouched("수신자부담 080-123-4567");
    }

    #[test]
    fn email() {
        let (t, hits) = red("문의는 hong.gildong+shop@naver.com 으로, 답장은 abc_12@daum.net.");
        assert_eq!(t, "문의는 [이메일] 으로, 답장은 [이메일].");
        assert_eq!(
            hits,
            vec![PiiHit {
                kind: PiiKind::Email,
                count: 2
            }]
        );
        assert_eq!(text("메일abc@gmail.com으로"), "메일[이메일]으로");
        // Sentence dots before the address stay in the sentence.
        assert_eq!(
            text("드릴께요.joon@naver.com 입니다"),
            "드릴께요.[이메일] 입니다"
        );
    }

    #[test]
    fn resident_ids() {
        assert_eq!(
            text("주민번호 900101-1234567 적었어요"),
            "주민번호 [주민번호] 적었어요"
        );
        assert_eq!(text("9001012837465"), "[주민번호]");
        assert_eq!(text("850315 2345678"), "[주민번호]");
        assert_eq!(text("900101-1******"), "[주민번호]");
        // Month 13 is no date.
        untouched("901301-1234567");
        // Gender digit 9 is no resident id; a 13-digit plain run falls back to account.
        assert_eq!(text("9001019384756"), "[계좌번호]");
    }

    #[test]
    fn cards() {
        assert_eq!(
            text("카드 1234-5678-9012-3456 결제"),
            "카드 [카드번호] 결제"
        );
        assert_eq!(text("4518 1234 5678 9012"), "[카드번호]");
        assert_eq!(text("3782-822463-10005 아멕스"), "[카드번호] 아멕스");
        assert_eq!(text("4556737586899855"), "[카드번호]"); // Luhn-valid
        assert_eq!(text("9410-****-****-1234"), "[카드번호]");
        // 16 digits failing Luhn: an id of some sort, too long for an account.
        untouched("4556737586899856");
        // Luhn-valid filler.
        untouched("0000000000000000");
    }

    #[test]
    fn accounts() {
        assert_eq!(text("신한 110-123-456789 입금"), "신한 [계좌번호] 입금");
        assert_eq!(text("국민 123456-01-123456"), "국민 [계좌번호]");
        assert_eq!(text("농협 352-1234-5678-93"), "농협 [계좌번호]");
        assert_eq!(
            text("카뱅 3333-01-1234567로 환불"),
            "카뱅 [계좌번호]로 환불"
        );
        assert_eq!(text("계좌 35204718269"), "계좌 [계좌번호]");
        let (_, hits) = red("110-123-456789, 010-1234-5678");
        assert_eq!(
            hits,
            vec![
                PiiHit {
                    kind: PiiKind::Phone,
                    count: 1
                },
                PiiHit {
                    kind: PiiKind::Account,
                    count: 1
                }
            ]
        );
    }

    #[test]
    fn non_pii_numbers_are_kept() {
        for s in [
            "12,900원인데 15000원 쿠폰",
            "가격 1,234,567,890원",
            "2024-03-05 주문, 2024.03.05 도착, 2024/03/05",
            "소니 WH-1000XM4 노캔 최고",
            "버전 3.2.1 업데이트 후 v2.10.3",
            "갤럭시 SM-G991N 모델",
            "사이즈 230 240 250 260 다 신어봄",
            "2024-03-05 14:30 배송",
            "ISBN 978-89-546-3125-2",
            "IP 192.168.0.1 접속",
            "5점 만점에 4.5점",
            "총 1500000000원 매출",
            // Filler digits, not bank data.
            "재밌다1234567890",
            "♡♡1010101010",
            "잘봤음. 1241241241",
            "내공1000000000단의 감독",
            "7점0707070707070",
            "9876543210",
            "1122334455",
            "123445577900",
            "식스센스의 1923877462번째 아류작",
            "1010101010110",
            // YYYYMMDD-prefixed 13 digits: an article or order id, not YYMMDD-G.
            "2010021101634",
        ] {
            untouched(s);
        }
    }

    #[test]
    fn labelled_order_numbers_are_kept() {
        untouched("주문번호 2024030512345 배송 언제?");
        untouched("주문번호: 1234567890123");
        untouched("송장번호는 123456789012 입니다");
        untouched("Order No. 4556737586899855");
        untouched("주문 20240305143000 취소");
        // Date-prefixed ids are kept even without a label.
        untouched("20240305000123 건 처리");
        // Phones are redacted whatever the label.
        assert_eq!(text("주문번호 01012345678"), "주문번호 [전화번호]");
        // And the label does not protect a hyphenated resident id.
        assert_eq!(text("주문 900101-1234567"), "주문 [주민번호]");
    }

    #[test]
    fn url_scope_skips_ids() {
        let mut c = PiiCounts::default();
        assert_eq!(
            redact("https://blog.naver.com/abc/220354895392", IN_URL, &mut c),
            None
        );
        assert_eq!(
            redact(
                "https://news.kr/2010/02/11/2010021151634.html",
                IN_URL,
                &mut c
            ),
            None
        );
        assert_eq!(
            redact("https://x.kr/?tel=01012345678", IN_URL, &mut c).as_deref(),
            Some("https://x.kr/?tel=[전화번호]")
        );
        assert_eq!(c.total(), 1);
    }
}
