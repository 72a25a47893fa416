//! The analyst's query language, parsed into a [`Query`] tree. Words are kept exactly as typed:
//! Korean morphology happens later, when the tree is translated into index queries.
//!
//! ```text
//! 배송 지연                      both words (implicit AND)
//! 배송 OR 택배 / 배송 || 택배     either word
//! 환불 NOT 교환 / 환불 -교환      exclusion; `NOT 배송` alone means "everything except"
//! "배송이 너무 늦어요"            phrase
//! (배송 OR 택배) AND 지연         grouping; precedence NOT > AND > OR
//! channel:app  product:"갤럭시 S24"  segment:VIP  attr.지역:서울
//! rating:<=2  rating:>3  rating:5  rating:1..2  rating:4..
//! since:2024-03-01  until:2024-03-31  created:2024-03  created:>=2024-03-15
//! sentiment:negative (or 부정/중립/긍정)  flag:duplicate  flag:pii
//! ```
//!
//! Lexical decisions, so that typed text is never silently reinterpreted:
//! - Operators are the upper-case words `AND`, `OR`, `NOT` and `&&`, `||`; lower-case `and` is an
//!   ordinary word. `-` directly before a term negates it; a `-` standing alone is an error.
//! - `name:value` is a field filter only when `name` is an ASCII identifier (or `attr.NAME`, where
//!   NAME may be Korean). `http://…` (anything followed by `://`), `10:30` and `배송:느림` stay words.
//!   An identifier that is not a known field is an error, with a hint listing the known ones.
//! - Field names are case-insensitive (`Channel:App` filters channel on `App`); values keep their
//!   case. Attribute names are lower-cased with `-` as `_`, matching how customers.csv headers
//!   are stored.
//! - A field value ends at whitespace or an unmatched `)`, so `(channel:app)` works and
//!   `product:아이폰(15)` keeps its balanced parentheses. Quote values with spaces.
//! - `created:` is sugar: it becomes `since:`/`until:` filters covering the day, month or range.
//! - `“curly quotes”` (as typed by macOS and phone keyboards) work like `"straight"` ones.

use std::fmt;

use chrono::{Datelike, NaiveDate};

#[derive(Debug, Clone, PartialEq)]
pub enum Query {
    Term(String),
    Phrase(String),
    Field {
        field: Field,
        value: FieldValue,
    },
    And(Vec<Query>),
    Or(Vec<Query>),
    Not(Box<Query>),
    /// The empty query: matches every document.
    All,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Field {
    Channel,
    Segment,
    Kind,
    Lang,
    Source,
    Product,
    /// `customer:` or `customer_id:`.
    Customer,
    Rating,
    Since,
    Until,
    Sentiment,
    Topic,
    Emotion,
    Flag,
    /// `attr.NAME:`, a customer attribute; NAME is lower-cased, `-` becomes `_`.
    Attr(String),
}

#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    /// Only for `rating:`.
    Cmp(CmpOp, f64),
    /// Inclusive on both ends; only for `rating:`.
    Range(f64, f64),
    /// For `since:` the first day that matches, for `until:` the last (inclusive).
    Date(NaiveDate),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// A parse error at a character (not byte) offset of the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct QueryError {
    pub message: String,
    pub position: usize,
    pub hint: String,
}

/// Field names as the user may type them, for error hints.
pub const KNOWN_FIELDS: &[&str] = &[
    "channel",
    "segment",
    "kind",
    "lang",
    "source",
    "product",
    "customer",
    "rating",
    "since",
    "until",
    "created",
    "sentiment",
    "topic",
    "emotion",
    "flag",
    "attr.NAME",
];

/// Ratings across all scales sori knows (NPS 0-10, stars 1-5 or 1-10) fit in this range.
const RATING_MIN: f64 = 0.0;
const RATING_MAX: f64 = 10.0;

const DATE_HINT: &str = "dates are YYYY-MM-DD or YYYY-MM, e.g. since:2024-03-01 or created:2024-03";

impl Field {
    /// The canonical name, as accepted by [`parse`].
    pub fn name(&self) -> String {
        match self {
            Field::Channel => "channel".into(),
            Field::Segment => "segment".into(),
            Field::Kind => "kind".into(),
            Field::Lang => "lang".into(),
            Field::Source => "source".into(),
            Field::Product => "product".into(),
            Field::Customer => "customer".into(),
            Field::Rating => "rating".into(),
            Field::Since => "since".into(),
            Field::Until => "until".into(),
            Field::Sentiment => "sentiment".into(),
            Field::Topic => "topic".into(),
            Field::Emotion => "emotion".into(),
            Field::Flag => "flag".into(),
            Field::Attr(name) => format!("attr.{name}"),
        }
    }
}

/// What a typed field name means; `created:` has no [`Field`] of its own.
#[derive(Debug, Clone, PartialEq)]
enum FieldName {
    Plain(Field),
    Created,
}

fn lookup_field(lower: &str) -> Option<FieldName> {
    let f = match lower {
        "channel" | "channels" => Field::Channel,
        "segment" | "segments" => Field::Segment,
        "kind" => Field::Kind,
        "lang" | "language" => Field::Lang,
        "source" => Field::Source,
        "product" | "products" => Field::Product,
        "customer" | "customer_id" => Field::Customer,
        "rating" => Field::Rating,
        "since" => Field::Since,
        "until" => Field::Until,
        "sentiment" => Field::Sentiment,
        "topic" | "topics" => Field::Topic,
        "emotion" | "emotions" => Field::Emotion,
        "flag" | "flags" => Field::Flag,
        "created" | "date" => return Some(FieldName::Created),
        _ => return None,
    };
    Some(FieldName::Plain(f))
}

impl QueryError {
    fn new(message: impl Into<String>, position: usize, hint: impl Into<String>) -> Self {
        QueryError {
            message: message.into(),
            position,
            hint: hint.into(),
        }
    }

    /// The query with a caret under the error position. Hangul, CJK and emoji take two terminal
    /// columns, so the caret is placed by display width, not by character count.
    pub fn render(&self, query: &str) -> String {
        // A newline or tab in the query would break the caret's alignment.
        let line: String = query
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let column: usize = query.chars().take(self.position).map(display_width).sum();
        format!("  {line}\n  {}^", " ".repeat(column))
    }
}

fn display_width(c: char) -> usize {
    let u = c as u32;
    let zero = matches!(u,
        0x0300..=0x036F | 0x1160..=0x11FF | 0x200B..=0x200F | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF);
    if zero {
        return 0;
    }
    let wide = matches!(u,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0xA4CF
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE30..=0xFE4F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x1F300..=0x1F64F
        | 0x1F680..=0x1F6FF
        | 0x1F900..=0x1F9FF
        | 0x1FA70..=0x1FAFF
        | 0x20000..=0x3FFFD);
    if wide {
        2
    } else {
        1
    }
}

/// Parses an analyst's query. Whitespace-only input is [`Query::All`].
pub fn parse(input: &str) -> Result<Query, QueryError> {
    let tokens = Lexer::new(input).tokens()?;
    if tokens.is_empty() {
        return Ok(Query::All);
    }
    let mut parser = Parser { tokens, at: 0 };
    let query = parser.or()?;
    if let Some(t) = parser.peek() {
        // `or()` stops only before a `)` it did not open.
        return Err(QueryError::new(
            "unmatched `)`",
            t.pos,
            "remove it, or add the `(` it should close",
        ));
    }
    Ok(query)
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open,
    Close,
    And,
    Or,
    Not,
    /// A word, phrase or field filter, already validated.
    Atom(Query),
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    pos: usize,
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
}

/// Keyboards and word processors turn `"` into `“` or `”`, not always as a matched pair, so any
/// of the three opens and closes a phrase.
fn is_quote(c: char) -> bool {
    matches!(c, '"' | '“' | '”')
}

impl Lexer {
    fn new(input: &str) -> Self {
        Lexer {
            chars: input.chars().collect(),
            at: 0,
        }
    }

    fn get(&self, i: usize) -> Option<char> {
        self.chars.get(i).copied()
    }

    fn text(&self, from: usize, to: usize) -> String {
        self.chars[from..to].iter().collect()
    }

    /// `&&` and `||` split words even without spaces around them.
    fn is_double_op(&self, i: usize) -> bool {
        matches!(
            (self.get(i), self.get(i + 1)),
            (Some('&'), Some('&')) | (Some('|'), Some('|'))
        )
    }

    fn ends_word(&self, i: usize) -> bool {
        match self.get(i) {
            None => true,
            Some(c) => {
                c.is_whitespace() || c == '(' || c == ')' || is_quote(c) || self.is_double_op(i)
            }
        }
    }

    fn tokens(mut self) -> Result<Vec<Token>, QueryError> {
        let mut out = Vec::new();
        while let Some(c) = self.get(self.at) {
            let pos = self.at;
            if c.is_whitespace() {
                self.at += 1;
                continue;
            }
            let tok = match c {
                '(' => {
                    self.at += 1;
                    Tok::Open
                }
                ')' => {
                    self.at += 1;
                    Tok::Close
                }
                '&' | '|' if self.is_double_op(pos) => {
                    self.at += 2;
                    if c == '&' {
                        Tok::And
                    } else {
                        Tok::Or
                    }
                }
                _ if is_quote(c) => {
                    let (text, _) = self.quoted()?;
                    if text.trim().is_empty() {
                        return Err(QueryError::new(
                            "empty quoted phrase",
                            pos,
                            "put words between the quotes, or remove them",
                        ));
                    }
                    Tok::Atom(Query::Phrase(text))
                }
                '-' => {
                    let next = self.get(pos + 1);
                    if next.is_none_or(|n| n.is_whitespace() || n == ')') {
                        return Err(QueryError::new(
                            "`-` must be attached to the term it excludes",
                            pos,
                            "write -환불 (no space) to exclude a word, or quote \"-\" to search for it",
                        ));
                    }
                    self.at += 1;
                    Tok::Not
                }
                _ => self.word()?,
            };
            out.push(Token { tok, pos });
        }
        Ok(out)
    }

    /// Reads a quoted string starting at the opening quote; returns its text and the offset of
    /// its first character. `\"` and `\\` escape.
    fn quoted(&mut self) -> Result<(String, usize), QueryError> {
        let open = self.at;
        let mut i = open + 1;
        let mut text = String::new();
        loop {
            match self.get(i) {
                None => {
                    return Err(QueryError::new(
                        "unterminated quote",
                        open,
                        "close the phrase with a matching `\"`",
                    ))
                }
                Some('\\') if matches!(self.get(i + 1), Some('"') | Some('\\')) => {
                    text.push(self.chars[i + 1]);
                    i += 2;
                }
                Some(c) if is_quote(c) => {
                    self.at = i + 1;
                    return Ok((text, open + 1));
                }
                Some(c) => {
                    text.push(c);
                    i += 1;
                }
            }
        }
    }

    fn word(&mut self) -> Result<Tok, QueryError> {
        let start = self.at;
        if let Some((name, colon)) = self.field_name(start) {
            let is_url = self.get(colon + 1) == Some('/') && self.get(colon + 2) == Some('/');
            if !is_url {
                let name_lower = name.to_lowercase();
                let field = if let Some(attr) = attr_name(&name_lower) {
                    if attr.is_empty() {
                        return Err(QueryError::new(
                            "`attr.` needs an attribute name",
                            start,
                            "e.g. attr.region:서울 (attributes are the extra columns of customers.csv)",
                        ));
                    }
                    // Same normalisation as customers.csv headers get (`Sign-Up` -> `sign_up`).
                    FieldName::Plain(Field::Attr(attr.replace('-', "_")))
                } else {
                    lookup_field(&name_lower).ok_or_else(|| unknown_field(&name, start))?
                };
                self.at = colon + 1;
                let (value, value_pos) = self.field_value(&name)?;
                return field_query(field, &name, &value, value_pos).map(Tok::Atom);
            }
        }
        let mut i = start;
        while !self.ends_word(i) {
            i += 1;
        }
        // Callers only get here on a character that is not a delimiter; never stall regardless.
        let i = i.max(start + 1);
        self.at = i;
        let word = self.text(start, i);
        Ok(match word.as_str() {
            "AND" => Tok::And,
            "OR" => Tok::Or,
            "NOT" => Tok::Not,
            // Lucene's and Elasticsearch's "everything", typed out of habit: with filters beside
            // it (`* sentiment:negative`) it lists what they keep.
            "*" | "*:*" => Tok::Atom(Query::All),
            _ => Tok::Atom(Query::Term(word)),
        })
    }

    /// If a field name followed by `:` starts at `start`, returns it and the colon's offset.
    fn field_name(&self, start: usize) -> Option<(String, usize)> {
        let mut i = start;
        if !self.get(i)?.is_ascii_alphabetic() {
            return None;
        }
        while self
            .get(i)
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            i += 1;
        }
        if self.get(i) == Some('.') && self.text(start, i).eq_ignore_ascii_case("attr") {
            // Attribute names come from CSV headers and may be Korean.
            i += 1;
            while !self.ends_word(i) && self.get(i) != Some(':') {
                i += 1;
            }
        }
        (self.get(i) == Some(':')).then(|| (self.text(start, i), i))
    }

    /// Reads the value after `name:`; returns it and the offset of its first character.
    fn field_value(&mut self, name: &str) -> Result<(String, usize), QueryError> {
        let pos = self.at;
        let empty = || {
            QueryError::new(
                format!("`{name}:` has no value"),
                pos,
                format!(
                    "write the value right after the colon, e.g. {}",
                    example(name)
                ),
            )
        };
        match self.get(pos) {
            None => return Err(empty()),
            Some(c) if c.is_whitespace() || c == ')' => return Err(empty()),
            Some('(') => {
                return Err(QueryError::new(
                    "a field takes one value, not a group",
                    pos,
                    format!("write ({name}:a OR {name}:b)"),
                ))
            }
            Some(c) if is_quote(c) => {
                let (text, text_pos) = self.quoted()?;
                if text.trim().is_empty() {
                    return Err(empty());
                }
                return Ok((text, text_pos));
            }
            Some(_) => {}
        }
        let mut depth = 0usize;
        let mut i = pos;
        loop {
            match self.get(i) {
                None => break,
                Some(c) if c.is_whitespace() || is_quote(c) => break,
                Some(_) if self.is_double_op(i) => break,
                Some('(') => depth += 1,
                Some(')') if depth == 0 => break,
                Some(')') => depth -= 1,
                Some(_) => {}
            }
            i += 1;
        }
        self.at = i;
        Ok((self.text(pos, i), pos))
    }
}

fn attr_name(lower: &str) -> Option<&str> {
    lower.strip_prefix("attr.")
}

fn example(name: &str) -> String {
    match lookup_field(&name.to_lowercase()) {
        Some(FieldName::Plain(Field::Rating)) => "rating:<=2".into(),
        Some(FieldName::Plain(Field::Since)) => "since:2024-03-01".into(),
        Some(FieldName::Plain(Field::Until)) => "until:2024-03-31".into(),
        Some(FieldName::Created) => "created:2024-03".into(),
        Some(FieldName::Plain(Field::Sentiment)) => "sentiment:negative".into(),
        Some(FieldName::Plain(Field::Flag)) => "flag:duplicate".into(),
        _ => format!("{name}:VALUE or {name}:\"two words\""),
    }
}

fn unknown_field(name: &str, pos: usize) -> QueryError {
    let lower = name.to_lowercase();
    let closest = KNOWN_FIELDS
        .iter()
        .map(|k| (edit_distance(&lower, k), *k))
        .filter(|(d, _)| *d <= 2)
        .min();
    let suggestion = match closest {
        Some((_, k)) => format!("did you mean `{k}:`? "),
        None => String::new(),
    };
    QueryError::new(
        format!("unknown field `{name}`"),
        pos,
        format!(
            "{suggestion}known fields: {}; to search for the text itself, quote it: \"{name}:…\"",
            KNOWN_FIELDS.join(", ")
        ),
    )
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != *cb);
            row.push(substitute.min(prev[j + 1] + 1).min(row[j] + 1));
        }
        prev = row;
    }
    prev[b.len()]
}

fn field_query(field: FieldName, name: &str, raw: &str, pos: usize) -> Result<Query, QueryError> {
    let value = raw.trim();
    // Offsets inside `value` are relative to the untrimmed text.
    let pos = pos + raw.chars().take_while(|c| c.is_whitespace()).count();
    let field = match field {
        FieldName::Created => return created(value, pos),
        FieldName::Plain(f) => f,
    };
    let value = match &field {
        Field::Rating => rating(value, pos)?,
        Field::Since | Field::Until => {
            if value.starts_with(['<', '>', '=']) || value.contains("..") {
                return Err(QueryError::new(
                    format!("`{name}:` takes a single date"),
                    pos,
                    "for comparisons and ranges use created:, e.g. created:>=2024-03-01 or created:2024-03-01..2024-03-15",
                ));
            }
            let (first, last) = date_period(value, pos)?;
            FieldValue::Date(if field == Field::Since { first } else { last })
        }
        Field::Sentiment => FieldValue::Text(sentiment(value, pos)?.into()),
        Field::Emotion => FieldValue::Text(emotion(value, pos)?.into()),
        Field::Topic => {
            return Err(QueryError::new(
                "no topics are assigned yet: sori has no topic model",
                pos,
                "search the words themselves, or count the keywords with --facet keywords",
            ))
        }
        _ => FieldValue::Text(value.to_owned()),
    };
    Ok(Query::Field { field, value })
}

fn sentiment(value: &str, pos: usize) -> Result<&'static str, QueryError> {
    match value.to_lowercase().as_str() {
        "negative" | "neg" | "부정" => Ok("negative"),
        "neutral" | "neu" | "중립" => Ok("neutral"),
        "positive" | "pos" | "긍정" => Ok("positive"),
        _ => Err(QueryError::new(
            format!("unknown sentiment `{value}`"),
            pos,
            "sentiment is negative, neutral or positive (부정, 중립, 긍정); for feelings like anger use emotion:",
        )),
    }
}

/// The emotion groups of the sentiment model (`sori.emotions` in its config), by their
/// English or Korean names.
fn emotion(value: &str, pos: usize) -> Result<&'static str, QueryError> {
    const GROUPS: [(&str, &str); 8] = [
        ("anger", "분노"),
        ("disappointment", "실망"),
        ("anxiety", "불안"),
        ("sadness", "슬픔"),
        ("satisfaction", "만족"),
        ("gratitude", "감사"),
        ("joy", "기쁨"),
        ("surprise", "놀람"),
    ];
    let v = value.to_lowercase();
    GROUPS
        .iter()
        .find(|(en, ko)| v == *en || v == *ko)
        .map(|(en, _)| *en)
        .ok_or_else(|| {
            QueryError::new(
                format!("unknown emotion `{value}`"),
                pos,
                "emotion is anger, disappointment, anxiety, sadness, satisfaction, gratitude, joy or surprise (분노, 실망, 불안, 슬픔, 만족, 감사, 기쁨, 놀람)",
            )
        })
}

fn rating(value: &str, pos: usize) -> Result<FieldValue, QueryError> {
    let ops = [
        ("<=", CmpOp::Le),
        (">=", CmpOp::Ge),
        ("<", CmpOp::Lt),
        (">", CmpOp::Gt),
        ("=", CmpOp::Eq),
    ];
    if let Some((sym, op)) = ops.iter().find(|(sym, _)| value.starts_with(sym)) {
        let n = rating_number(&value[sym.len()..], pos + sym.len(), sym)?;
        return Ok(FieldValue::Cmp(*op, n));
    }
    if let Some(split) = value.find("..") {
        let (lo_text, hi_text) = (&value[..split], &value[split + 2..]);
        let hi_pos = pos + lo_text.chars().count() + 2;
        return match (lo_text.is_empty(), hi_text.is_empty()) {
            (true, true) => Err(QueryError::new(
                "a rating range needs at least one end",
                pos,
                "e.g. rating:1..2, rating:4.. or rating:..2",
            )),
            (true, false) => Ok(FieldValue::Cmp(
                CmpOp::Le,
                rating_number(hi_text, hi_pos, "..")?,
            )),
            (false, true) => Ok(FieldValue::Cmp(
                CmpOp::Ge,
                rating_number(lo_text, pos, "..")?,
            )),
            (false, false) => {
                let lo = rating_number(lo_text, pos, "..")?;
                let hi = rating_number(hi_text, hi_pos, "..")?;
                if lo > hi {
                    return Err(QueryError::new(
                        format!("rating range {lo}..{hi} is reversed"),
                        pos,
                        format!("write the smaller number first: rating:{hi}..{lo}"),
                    ));
                }
                Ok(FieldValue::Range(lo, hi))
            }
        };
    }
    Ok(FieldValue::Cmp(CmpOp::Eq, rating_number(value, pos, "")?))
}

fn rating_number(text: &str, pos: usize, after: &str) -> Result<f64, QueryError> {
    let hint = "ratings are numbers: rating:5, rating:<=2, rating:1..2";
    if text.is_empty() {
        return Err(QueryError::new(
            format!("missing number after `{after}`"),
            pos,
            hint,
        ));
    }
    // `str::parse::<f64>` also accepts `inf` and `NaN`, which are no ratings.
    let n = text
        .parse::<f64>()
        .ok()
        .filter(|n| n.is_finite() && text.chars().all(|c| c.is_ascii_digit() || c == '.'))
        .ok_or_else(|| QueryError::new(format!("`{text}` is not a number"), pos, hint))?;
    if !(RATING_MIN..=RATING_MAX).contains(&n) {
        return Err(QueryError::new(
            format!("rating {text} is out of range"),
            pos,
            format!("ratings run from {RATING_MIN} to {RATING_MAX} (stars 1-5, NPS 0-10)"),
        ));
    }
    Ok(n)
}

/// `created:` as `since:`/`until:` filters.
fn created(value: &str, pos: usize) -> Result<Query, QueryError> {
    let since = |d| Query::Field {
        field: Field::Since,
        value: FieldValue::Date(d),
    };
    let until = |d| Query::Field {
        field: Field::Until,
        value: FieldValue::Date(d),
    };
    let day_before = |d: NaiveDate| d.pred_opt().unwrap_or(d);
    let day_after = |d: NaiveDate| d.succ_opt().unwrap_or(d);
    for (sym, len) in [("<=", 2), (">=", 2), ("<", 1), (">", 1), ("=", 1)] {
        if let Some(rest) = value.strip_prefix(sym) {
            let (first, last) = date_period(rest, pos + len)?;
            return Ok(match sym {
                "<=" => until(last),
                ">=" => since(first),
                "<" => until(day_before(first)),
                ">" => since(day_after(last)),
                _ => Query::And(vec![since(first), until(last)]),
            });
        }
    }
    if let Some(split) = value.find("..") {
        let (lo_text, hi_text) = (&value[..split], &value[split + 2..]);
        let hi_pos = pos + lo_text.chars().count() + 2;
        let lo = (!lo_text.is_empty())
            .then(|| date_period(lo_text, pos))
            .transpose()?;
        let hi = (!hi_text.is_empty())
            .then(|| date_period(hi_text, hi_pos))
            .transpose()?;
        return match (lo, hi) {
            (None, None) => Err(QueryError::new(
                "a date range needs at least one end",
                pos,
                DATE_HINT,
            )),
            (Some((first, _)), None) => Ok(since(first)),
            (None, Some((_, last))) => Ok(until(last)),
            (Some((first, _)), Some((_, last))) if first > last => Err(QueryError::new(
                format!("date range {lo_text}..{hi_text} ends before it starts"),
                pos,
                "write the earlier date first",
            )),
            (Some((first, _)), Some((_, last))) => Ok(Query::And(vec![since(first), until(last)])),
        };
    }
    let (first, last) = date_period(value, pos)?;
    Ok(Query::And(vec![since(first), until(last)]))
}

/// The first and last day of `YYYY-MM-DD` (one day) or `YYYY-MM` (a month); `.` and `/` also
/// separate.
fn date_period(text: &str, pos: usize) -> Result<(NaiveDate, NaiveDate), QueryError> {
    let not_a_date = || QueryError::new(format!("`{text}` is not a date"), pos, DATE_HINT);
    if text.is_empty() {
        return Err(QueryError::new("missing date", pos, DATE_HINT));
    }
    let sep = text
        .chars()
        .find(|c| !c.is_ascii_digit())
        .ok_or_else(not_a_date)?;
    if !matches!(sep, '-' | '.' | '/') {
        return Err(not_a_date());
    }
    let parts: Vec<&str> = text.split(sep).collect();
    let well_formed = (2..=3).contains(&parts.len())
        && parts[0].len() == 4
        && parts[1..]
            .iter()
            .all(|p| (1..=2).contains(&p.len()) && p.chars().all(|c| c.is_ascii_digit()));
    if !well_formed {
        return Err(not_a_date());
    }
    // Every part is 1-4 ASCII digits, so these parse.
    let year: i32 = parts[0].parse().map_err(|_| not_a_date())?;
    let month: u32 = parts[1].parse().map_err(|_| not_a_date())?;
    let month_pos = pos + parts[0].len() + 1;
    if !(1..=12).contains(&month) {
        return Err(QueryError::new(
            format!("month {month} does not exist in `{text}`"),
            month_pos,
            DATE_HINT,
        ));
    }
    let first_of_month = NaiveDate::from_ymd_opt(year, month, 1).ok_or_else(not_a_date)?;
    let last_of_month = first_of_month
        .checked_add_months(chrono::Months::new(1))
        .and_then(|d| d.pred_opt())
        .ok_or_else(not_a_date)?;
    let Some(day_text) = parts.get(2) else {
        return Ok((first_of_month, last_of_month));
    };
    let day: u32 = day_text.parse().map_err(|_| not_a_date())?;
    let day_pos = month_pos + parts[1].len() + 1;
    let date = NaiveDate::from_ymd_opt(year, month, day).ok_or_else(|| {
        QueryError::new(
            format!(
                "day {day} does not exist in `{text}`: {year}-{month:02} has {} days",
                last_of_month.day()
            ),
            day_pos,
            DATE_HINT,
        )
    })?;
    Ok((date, date))
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

fn operator_name(tok: &Tok) -> &'static str {
    match tok {
        Tok::And => "AND",
        Tok::Or => "OR",
        Tok::Not => "NOT",
        _ => "operator",
    }
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let t = self.tokens.get(self.at).cloned();
        self.at += 1;
        t
    }

    /// True when nothing that can start an operand follows: the operator at `op` dangles.
    fn operand_missing(&self) -> bool {
        !matches!(
            self.peek().map(|t| &t.tok),
            Some(Tok::Open) | Some(Tok::Not) | Some(Tok::Atom(_))
        )
    }

    fn dangling(&self, op: &Token) -> QueryError {
        let name = operator_name(&op.tok);
        if op.tok == Tok::Not {
            QueryError::new(
                "NOT needs a term to exclude",
                op.pos,
                "e.g. 환불 NOT 교환, or NOT 교환 alone for everything except 교환",
            )
        } else {
            QueryError::new(
                format!("{name} needs a term on its right"),
                op.pos,
                format!("e.g. 배송 {name} 환불; remove the {name}, or quote \"{name}\" to search for the word"),
            )
        }
    }

    fn or(&mut self) -> Result<Query, QueryError> {
        let mut items = vec![self.and()?];
        while self.peek().is_some_and(|t| t.tok == Tok::Or) {
            let op = self.next().expect("peeked");
            if self.operand_missing() {
                return Err(self.dangling(&op));
            }
            items.push(self.and()?);
        }
        Ok(combine(items, false))
    }

    fn and(&mut self) -> Result<Query, QueryError> {
        let mut items = vec![self.unary()?];
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::And) => {
                    let op = self.next().expect("peeked");
                    if self.operand_missing() {
                        return Err(self.dangling(&op));
                    }
                }
                // Adjacent terms are ANDed.
                Some(Tok::Open) | Some(Tok::Not) | Some(Tok::Atom(_)) => {}
                _ => break,
            }
            items.push(self.unary()?);
        }
        Ok(combine(items, true))
    }

    fn unary(&mut self) -> Result<Query, QueryError> {
        if self.peek().is_some_and(|t| t.tok == Tok::Not) {
            let op = self.next().expect("peeked");
            if self.operand_missing() {
                return Err(self.dangling(&op));
            }
            return Ok(match self.unary()? {
                Query::Not(inner) => *inner,
                other => Query::Not(Box::new(other)),
            });
        }
        self.primary()
    }

    fn primary(&mut self) -> Result<Query, QueryError> {
        let Some(token) = self.next() else {
            // Callers check for an operand first; an empty input never gets here.
            return Err(QueryError::new("expected a term", 0, "e.g. 배송 지연"));
        };
        match token.tok {
            Tok::Atom(q) => Ok(q),
            Tok::Open => {
                if self.peek().is_some_and(|t| t.tok == Tok::Close) {
                    return Err(QueryError::new(
                        "empty parentheses",
                        token.pos,
                        "put terms inside, e.g. (배송 OR 택배), or remove them",
                    ));
                }
                let inner = self.or()?;
                match self.next() {
                    Some(Token {
                        tok: Tok::Close, ..
                    }) => Ok(inner),
                    _ => Err(QueryError::new(
                        "unclosed `(`",
                        token.pos,
                        "add the matching `)`",
                    )),
                }
            }
            Tok::Close => Err(QueryError::new(
                "unmatched `)`",
                token.pos,
                "remove it, or add the `(` it should close",
            )),
            Tok::And | Tok::Or => {
                let name = operator_name(&token.tok);
                Err(QueryError::new(
                    format!("{name} needs a term on its left"),
                    token.pos,
                    format!("e.g. 배송 {name} 환불; remove the {name}, or quote \"{name}\" to search for the word"),
                ))
            }
            Tok::Not => Err(self.dangling(&token)),
        }
    }
}

/// Joins operands, flattening nested groups of the same operator: `a AND (b AND c)` is one AND.
fn combine(items: Vec<Query>, and: bool) -> Query {
    let mut flat = Vec::with_capacity(items.len());
    for q in items {
        match q {
            Query::And(inner) if and => flat.extend(inner),
            Query::Or(inner) if !and => flat.extend(inner),
            other => flat.push(other),
        }
    }
    if and && flat.len() > 1 {
        // Everything AND x is x.
        flat.retain(|q| *q != Query::All);
        if flat.is_empty() {
            return Query::All;
        }
    }
    if flat.len() == 1 {
        return flat.pop().expect("one item");
    }
    if and {
        Query::And(flat)
    } else {
        Query::Or(flat)
    }
}

/// A canonical, fully parenthesised form: `(배송 AND (지연 OR 늦음))`. Handy in logs and tests.
impl fmt::Display for Query {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let join = |f: &mut fmt::Formatter<'_>, items: &[Query], op: &str| {
            write!(f, "(")?;
            for (i, q) in items.iter().enumerate() {
                if i > 0 {
                    write!(f, " {op} ")?;
                }
                write!(f, "{q}")?;
            }
            write!(f, ")")
        };
        match self {
            Query::Term(t) => write!(f, "{t}"),
            Query::Phrase(p) => write!(f, "{p:?}"),
            Query::Field { field, value } => write!(f, "{}:{value}", field.name()),
            Query::And(items) => join(f, items, "AND"),
            Query::Or(items) => join(f, items, "OR"),
            Query::Not(q) => write!(f, "NOT {q}"),
            Query::All => write!(f, "*"),
        }
    }
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(t) if t.contains(char::is_whitespace) => write!(f, "{t:?}"),
            FieldValue::Text(t) => write!(f, "{t}"),
            FieldValue::Cmp(op, n) => {
                let sym = match op {
                    CmpOp::Eq => "",
                    CmpOp::Lt => "<",
                    CmpOp::Le => "<=",
                    CmpOp::Gt => ">",
                    CmpOp::Ge => ">=",
                };
                write!(f, "{sym}{n}")
            }
            FieldValue::Range(a, b) => write!(f, "{a}..{b}"),
            FieldValue::Date(d) => write!(f, "{d}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(input: &str) -> String {
        match parse(input) {
            Ok(q) => q.to_string(),
            Err(e) => panic!("{input:?} failed: {} at {}", e.message, e.position),
        }
    }

    fn err(input: &str) -> QueryError {
        match parse(input) {
            Ok(q) => panic!("{input:?} parsed as {q}, expected an error"),
            Err(e) => e,
        }
    }

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn field(field: Field, value: FieldValue) -> Query {
        Query::Field { field, value }
    }

    fn text(s: &str) -> FieldValue {
        FieldValue::Text(s.into())
    }

    #[test]
    fn empty_query_matches_all() {
        assert_eq!(parse("").unwrap(), Query::All);
        assert_eq!(parse("   \t ").unwrap(), Query::All);
        assert_eq!(parse("*").unwrap(), Query::All);
        assert_eq!(parse("*:*").unwrap(), Query::All);
        assert_eq!(parse("* *").unwrap(), Query::All);
        assert_eq!(p("* sentiment:negative"), "sentiment:negative");
        assert_eq!(p("NOT *"), "NOT *");
        // A star inside a word is still a word.
        assert_eq!(parse("5*").unwrap(), Query::Term("5*".into()));
    }

    #[test]
    fn korean_and_emoji_words_with_implicit_and() {
        assert_eq!(
            parse("배송 지연 😡").unwrap(),
            Query::And(vec![
                Query::Term("배송".into()),
                Query::Term("지연".into()),
                Query::Term("😡".into()),
            ])
        );
        assert_eq!(parse("배송지연").unwrap(), Query::Term("배송지연".into()));
    }

    #[test]
    fn phrases_keep_spaces_and_curly_quotes_work() {
        assert_eq!(
            parse("\"배송이 너무 늦어요\"").unwrap(),
            Query::Phrase("배송이 너무 늦어요".into())
        );
        assert_eq!(
            parse("“환불 안 돼요” 앱").unwrap(),
            Query::And(vec![
                Query::Phrase("환불 안 돼요".into()),
                Query::Term("앱".into())
            ])
        );
        assert_eq!(
            parse(r#""그는 \"최악\"이라고""#).unwrap(),
            Query::Phrase("그는 \"최악\"이라고".into())
        );
    }

    #[test]
    fn precedence_not_over_and_over_or() {
        assert_eq!(p("배송 OR 택배 지연"), "(배송 OR (택배 AND 지연))");
        assert_eq!(p("환불 AND 교환 OR 반품"), "((환불 AND 교환) OR 반품)");
        assert_eq!(p("NOT 배송 AND 환불"), "(NOT 배송 AND 환불)");
        assert_eq!(p("배송 || 택배 && 지연"), "(배송 OR (택배 AND 지연))");
    }

    #[test]
    fn nested_parentheses() {
        assert_eq!(
            p("((배송 OR 택배) AND (지연 OR 늦음)) NOT (교환 OR (반품 환불))"),
            "((배송 OR 택배) AND (지연 OR 늦음) AND NOT (교환 OR (반품 AND 환불)))"
        );
        assert_eq!(p("(((앱)))"), "앱");
        assert_eq!(p("(channel:app)"), "channel:app");
    }

    #[test]
    fn minus_and_not_negate() {
        assert_eq!(
            parse("환불 -교환").unwrap(),
            Query::And(vec![
                Query::Term("환불".into()),
                Query::Not(Box::new(Query::Term("교환".into()))),
            ])
        );
        assert_eq!(p("-channel:app 배송"), "(NOT channel:app AND 배송)");
        assert_eq!(p("-\"배송 지연\""), "NOT \"배송 지연\"");
        assert_eq!(p("NOT NOT 배송"), "배송");
        // A hyphen inside a word is part of it.
        assert_eq!(p("A-B급"), "A-B급");
    }

    #[test]
    fn pure_negative_query_is_allowed() {
        assert_eq!(
            parse("NOT 배송").unwrap(),
            Query::Not(Box::new(Query::Term("배송".into())))
        );
        assert_eq!(p("-배송 -환불"), "(NOT 배송 AND NOT 환불)");
    }

    #[test]
    fn lower_case_operators_are_words() {
        assert_eq!(p("배송 and 환불"), "(배송 AND and AND 환불)");
        assert_eq!(p("\"AND\""), "\"AND\"");
    }

    #[test]
    fn double_operators_split_words() {
        assert_eq!(p("배송&&환불||교환"), "((배송 AND 환불) OR 교환)");
        // A single `&` or `|` is text.
        assert_eq!(p("A&B"), "A&B");
    }

    #[test]
    fn text_fields_case_insensitive_names_values_keep_case() {
        assert_eq!(
            parse("Channel:App segment:VIP").unwrap(),
            Query::And(vec![
                field(Field::Channel, text("App")),
                field(Field::Segment, text("VIP")),
            ])
        );
        assert_eq!(
            parse("product:\"갤럭시 S24 울트라\"").unwrap(),
            field(Field::Product, text("갤럭시 S24 울트라"))
        );
        assert_eq!(
            parse("customer_id:C-1001").unwrap(),
            field(Field::Customer, text("C-1001"))
        );
        assert_eq!(
            p("kind:review lang:ko source:playstore emotion:분노 flag:pii"),
            "(kind:review AND lang:ko AND source:playstore AND emotion:anger AND flag:pii)"
        );
        assert_eq!(p("emotion:Anger"), "emotion:anger");
        // Regression: an unknown emotion or any topic matched nothing without a word.
        assert!(err("emotion:화남").message.contains("unknown emotion"));
        assert!(err("topic:배송").hint.contains("--facet keywords"));
        assert_eq!(
            parse("product:아이폰(15)").unwrap(),
            field(Field::Product, text("아이폰(15)"))
        );
    }

    #[test]
    fn attribute_fields_take_korean_names() {
        assert_eq!(
            parse("attr.지역:서울 ATTR.Tier:Gold attr.Sign-Up:앱").unwrap(),
            Query::And(vec![
                field(Field::Attr("지역".into()), text("서울")),
                field(Field::Attr("tier".into()), text("Gold")),
                field(Field::Attr("sign_up".into()), text("앱")),
            ])
        );
        assert_eq!(err("attr.:서울").position, 0);
    }

    #[test]
    fn rating_comparisons_and_ranges() {
        let r = |v| field(Field::Rating, v);
        assert_eq!(
            parse("rating:<=2").unwrap(),
            r(FieldValue::Cmp(CmpOp::Le, 2.0))
        );
        assert_eq!(
            parse("rating:>=4").unwrap(),
            r(FieldValue::Cmp(CmpOp::Ge, 4.0))
        );
        assert_eq!(
            parse("rating:<3").unwrap(),
            r(FieldValue::Cmp(CmpOp::Lt, 3.0))
        );
        assert_eq!(
            parse("rating:>3").unwrap(),
            r(FieldValue::Cmp(CmpOp::Gt, 3.0))
        );
        assert_eq!(
            parse("rating:3").unwrap(),
            r(FieldValue::Cmp(CmpOp::Eq, 3.0))
        );
        assert_eq!(
            parse("rating:1..2").unwrap(),
            r(FieldValue::Range(1.0, 2.0))
        );
        assert_eq!(
            parse("rating:4..").unwrap(),
            r(FieldValue::Cmp(CmpOp::Ge, 4.0))
        );
        assert_eq!(
            parse("rating:..2").unwrap(),
            r(FieldValue::Cmp(CmpOp::Le, 2.0))
        );
        assert_eq!(
            parse("RATING:4.5").unwrap(),
            r(FieldValue::Cmp(CmpOp::Eq, 4.5))
        );
    }

    #[test]
    fn dates_days_and_months() {
        assert_eq!(
            parse("since:2024-03-01 until:2024-03-31").unwrap(),
            Query::And(vec![
                field(Field::Since, FieldValue::Date(date(2024, 3, 1))),
                field(Field::Until, FieldValue::Date(date(2024, 3, 31))),
            ])
        );
        // A month: since its first day, until its last.
        assert_eq!(
            p("since:2024-02 until:2024-02"),
            "(since:2024-02-01 AND until:2024-02-29)"
        );
        assert_eq!(p("until:2024.3.5"), "until:2024-03-05");
    }

    #[test]
    fn created_expands_to_since_and_until() {
        assert_eq!(
            p("created:2024-03"),
            "(since:2024-03-01 AND until:2024-03-31)"
        );
        assert_eq!(
            p("created:2024-03-15"),
            "(since:2024-03-15 AND until:2024-03-15)"
        );
        assert_eq!(p("created:>=2024-03-15"), "since:2024-03-15");
        assert_eq!(p("created:>2024-03"), "since:2024-04-01");
        assert_eq!(p("created:<2024-03-01"), "until:2024-02-29");
        assert_eq!(
            p("created:2024-01..2024-02-10 배송"),
            "(since:2024-01-01 AND until:2024-02-10 AND 배송)"
        );
    }

    #[test]
    fn sentiment_values_are_validated_and_korean_mapped() {
        assert_eq!(p("sentiment:부정"), "sentiment:negative");
        assert_eq!(p("sentiment:Positive"), "sentiment:positive");
        assert_eq!(p("sentiment:중립"), "sentiment:neutral");
        let e = err("배송 sentiment:angry");
        assert_eq!(e.position, 13);
        assert!(e.hint.contains("부정"), "{}", e.hint);
    }

    #[test]
    fn urls_times_and_korean_colons_are_words() {
        assert_eq!(
            p("https://shop.example.com/a:b"),
            "https://shop.example.com/a:b"
        );
        assert_eq!(p("10:30 배송:느림"), "(10:30 AND 배송:느림)");
    }

    #[test]
    fn error_unbalanced_parentheses() {
        let e = err("(배송 OR (택배 지연)");
        assert_eq!((e.message.as_str(), e.position), ("unclosed `(`", 0));
        let e = err("배송 OR 택배) 지연");
        assert_eq!((e.message.as_str(), e.position), ("unmatched `)`", 8));
        let e = err(")");
        assert_eq!(e.position, 0);
        assert_eq!(err("배송 ()").message, "empty parentheses");
    }

    #[test]
    fn error_unterminated_quote() {
        let e = err("환불 \"배송이 늦어요");
        assert_eq!(e.message, "unterminated quote");
        assert_eq!(e.position, 3);
        assert_eq!(err("channel:\"app").position, 8);
    }

    #[test]
    fn error_dangling_operators() {
        let e = err("배송 AND");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("AND needs a term on its right", 3)
        );
        let e = err("OR 배송");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("OR needs a term on its left", 0)
        );
        assert_eq!(err("배송 OR OR 환불").position, 3);
        assert_eq!(err("(배송 AND) 환불").position, 4);
        assert_eq!(err("배송 ||").message, "OR needs a term on its right");
    }

    #[test]
    fn error_not_alone() {
        let e = err("NOT");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("NOT needs a term to exclude", 0)
        );
        assert_eq!(err("배송 NOT").position, 3);
        assert_eq!(err("배송 AND NOT").position, 7);
        assert_eq!(err("환불 - 교환").position, 3);
    }

    #[test]
    fn error_empty_field_value() {
        let e = err("channel:");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("`channel:` has no value", 8)
        );
        assert_eq!(err("channel: app").position, 8);
        assert_eq!(err("(segment:)").position, 9);
        assert_eq!(err("product:\"\"").message, "`product:` has no value");
        assert!(err("channel:(app OR web)")
            .hint
            .contains("(channel:a OR channel:b)"));
    }

    #[test]
    fn error_bad_numbers_and_ranges() {
        let e = err("rating:<=abc");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("`abc` is not a number", 9)
        );
        assert_eq!(err("rating:<=").message, "missing number after `<=`");
        assert_eq!(err("rating:inf").message, "`inf` is not a number");
        let e = err("rating:11");
        assert_eq!(e.message, "rating 11 is out of range");
        assert_eq!(err("rating:1..20").position, 10);
        assert_eq!(err("rating:4..2").message, "rating range 4..2 is reversed");
        assert_eq!(err("rating:-1").message, "`-1` is not a number");
    }

    #[test]
    fn error_bad_dates() {
        let e = err("since:2024-13-01");
        assert_eq!(e.message, "month 13 does not exist in `2024-13-01`");
        assert_eq!(e.position, 11);
        let e = err("until:2023-02-29");
        assert_eq!(
            e.message,
            "day 29 does not exist in `2023-02-29`: 2023-02 has 28 days"
        );
        assert_eq!(e.position, 14);
        assert_eq!(err("since:어제").message, "`어제` is not a date");
        assert_eq!(err("since:24-03-01").message, "`24-03-01` is not a date");
        assert!(err("since:>=2024-03-01").hint.contains("created:>="));
        assert_eq!(
            err("created:2024-03-10..2024-03-01").message,
            "date range 2024-03-10..2024-03-01 ends before it starts"
        );
    }

    #[test]
    fn error_unknown_field_lists_known_ones() {
        let e = err("배송 chanel:app");
        assert_eq!(
            (e.message.as_str(), e.position),
            ("unknown field `chanel`", 3)
        );
        assert!(e.hint.starts_with("did you mean `channel:`?"), "{}", e.hint);
        assert!(e.hint.contains("sentiment") && e.hint.contains("attr.NAME"));
        assert!(!err("colour:red").hint.contains("did you mean"));
    }

    #[test]
    fn render_puts_caret_under_position_by_display_width() {
        let q = "배송 AND";
        let e = err(q);
        // `배송` is four columns wide, plus the space.
        assert_eq!(e.render(q), "  배송 AND\n       ^");
        let q = "channel:";
        assert_eq!(err(q).render(q), "  channel:\n          ^");
        let q = "😡\t\"환불";
        assert_eq!(err(q).render(q), "  😡 \"환불\n     ^");
    }

    #[test]
    fn display_round_trips_through_parse() {
        for q in [
            "(배송 OR 택배) 지연 -교환 rating:<=2 product:\"갤럭시 S24\"",
            "created:2024-03 sentiment:부정 NOT (flag:duplicate OR attr.지역:서울)",
        ] {
            let once = parse(q).unwrap();
            assert_eq!(parse(&once.to_string()).unwrap(), once, "{once}");
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        const PIECES: &[&str] = &[
            "배송",
            "😡",
            " ",
            " ",
            "\t",
            "(",
            ")",
            "\"",
            "“",
            "”",
            "-",
            "&&",
            "||",
            "&",
            "|",
            ":",
            "..",
            ".",
            "<",
            ">=",
            "=",
            "1",
            "0",
            "13",
            "2024-02-30",
            "AND",
            "OR",
            "NOT",
            "\\",
            "rating:",
            "since:",
            "created:",
            "sentiment:",
            "attr.",
            "channel:",
            "http://",
            "a",
        ];
        // A fixed linear congruential generator: reproducible without a dependency.
        let mut state: u64 = 0x5EED;
        for _ in 0..20_000 {
            let mut q = String::new();
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            for _ in 0..(state >> 60) {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                q.push_str(PIECES[(state >> 33) as usize % PIECES.len()]);
            }
            if let Err(e) = parse(&q) {
                assert!(e.position <= q.chars().count(), "{q:?}: {e:?}");
                assert!(!e.hint.is_empty(), "{q:?}");
                e.render(&q);
            }
        }
    }
}
