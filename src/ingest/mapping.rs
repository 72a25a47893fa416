//! Mapping files say which source column holds what. Every field has defaults per kind (the column
//! names exports commonly use, English and Korean), so most files ingest without a mapping.

use std::path::Path;

use serde::Deserialize;

use crate::error::{Error, UserError};
use crate::record::{Kind, RatingScale};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Csv,
    Tsv,
    Jsonl,
    /// One text per line, no columns (a plain list of reviews).
    Lines,
}

impl Format {
    /// By extension, looking through a `.gz` (`reviews.tsv.gz` is TSV).
    pub fn from_path(path: &Path) -> Option<Format> {
        let path = if is_gzip_path(path) {
            Path::new(path.file_stem()?)
        } else {
            path
        };
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "csv" => Some(Format::Csv),
            "tsv" | "tab" => Some(Format::Tsv),
            "jsonl" | "ndjson" | "json" => Some(Format::Jsonl),
            _ => None,
        }
    }
}

pub fn is_gzip_path(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    pub fn to_vec(&self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s.clone()],
            OneOrMany::Many(v) => v.clone(),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Columns {
    pub id: Option<String>,
    pub text: Option<OneOrMany>,
    pub customer_id: Option<String>,
    pub created_at: Option<String>,
    pub rating: Option<String>,
    pub channel: Option<String>,
    /// A constant channel for files that come from one place (`app-store`, `call-center`).
    pub channel_value: Option<String>,
    pub product: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RatingSpec {
    pub scale: Option<RatingScale>,
}

#[derive(Debug, Clone, Default, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Mapping {
    pub kind: Option<Kind>,
    pub source: Option<String>,
    pub format: Option<Format>,
    /// IANA zone for timestamps without an offset; Asia/Seoul when absent.
    pub timezone: Option<String>,
    #[serde(default)]
    pub columns: Columns,
    #[serde(default)]
    pub rating: RatingSpec,
}

impl Mapping {
    pub fn load(path: &Path) -> Result<Mapping, Error> {
        let text = std::fs::read_to_string(path).map_err(|e| UserError::UnreadableFile {
            path: path.to_owned(),
            reason: e.to_string(),
        })?;
        Self::parse(&text, &path.display().to_string())
    }

    pub fn parse(text: &str, name: &str) -> Result<Mapping, Error> {
        toml::from_str(text).map_err(|e| {
            UserError::BadMapping {
                path: name.to_owned(),
                message: e.to_string(),
            }
            .into()
        })
    }
}

/// Column names tried, in order, when the mapping does not name a column.
pub mod aliases {
    pub const ID: &[&str] = &[
        "id",
        "review_id",
        "response_id",
        "post_id",
        "feedback_id",
        "ticket_id",
        "리뷰id",
        "번호",
        "no",
        "no.",
    ];
    pub const TEXT: &[&str] = &[
        "text",
        "body",
        "content",
        "comment",
        "review",
        "feedback",
        "answer",
        "message",
        "내용",
        "리뷰",
        "의견",
        "본문",
        "document",
        "sentence",
        "review_text",
        "텍스트",
        "문장",
        "후기",
        "리뷰내용",
        "후기내용",
        "상품평",
        "댓글",
        "답변",
        "의견내용",
    ];
    /// Gold sentiment labels, for `sori eval`.
    pub const LABEL: &[&str] = &[
        "label",
        "sentiment",
        "polarity",
        "class",
        "target",
        "감성",
        "감정",
        "라벨",
        "레이블",
        "긍부정",
    ];
    pub const CUSTOMER: &[&str] = &[
        "customer_id",
        "customer",
        "user_id",
        "user",
        "member_id",
        "고객id",
        "회원id",
        "고객번호",
        "회원번호",
        "고객아이디",
        "회원아이디",
        "사용자id",
    ];
    pub const CREATED: &[&str] = &[
        "created_at",
        "date",
        "created",
        "submitted_at",
        "posted_at",
        "timestamp",
        "time",
        "작성일",
        "작성일시",
        "날짜",
        "일자",
        "작성일자",
        "등록일",
        "등록일시",
        "등록일자",
        "작성시간",
        "작성시각",
    ];
    pub const RATING: &[&str] = &[
        "rating", "stars", "star", "score", "nps", "csat", "별점", "평점", "점수",
    ];
    pub const CHANNEL: &[&str] = &["channel", "platform", "store", "채널", "플랫폼"];
    pub const PRODUCT: &[&str] = &["product", "product_name", "item", "상품", "상품명", "제품"];
}

/// The class (0 negative, 1 neutral, 2 positive) a gold-label word names, in English or
/// Korean, any case.
pub fn label_word_class(raw: &str) -> Option<usize> {
    match raw.trim().to_lowercase().as_str() {
        "negative" | "neg" | "부정" => Some(0),
        "neutral" | "neu" | "중립" => Some(1),
        "positive" | "pos" | "긍정" => Some(2),
        _ => None,
    }
}

/// A mapping bound to one file's header: every role resolved to a concrete column name.
#[derive(Debug, Clone, PartialEq)]
pub struct Resolved {
    pub kind: Kind,
    pub source: String,
    pub id: Option<String>,
    pub text: Vec<String>,
    pub customer_id: Option<String>,
    pub created_at: Option<String>,
    pub rating: Option<String>,
    pub rating_scale: RatingScale,
    pub channel: Option<String>,
    pub channel_value: Option<String>,
    pub product: Option<String>,
}

impl Resolved {
    /// Columns that have a role; every other column is kept as an attribute.
    pub fn is_mapped(&self, column: &str) -> bool {
        let named = [
            &self.id,
            &self.customer_id,
            &self.created_at,
            &self.rating,
            &self.channel,
            &self.product,
        ];
        named.iter().any(|c| c.as_deref() == Some(column)) || self.text.iter().any(|t| t == column)
    }
}

pub fn find(header: &[String], candidates: &[&str]) -> Option<String> {
    candidates.iter().find_map(|c| {
        let c = name_key(c);
        header.iter().find(|h| name_key(h) == c).cloned()
    })
}

/// A column name as exports vary it: case, spaces, `_`, `-` and a BOM do not count, so
/// `Customer ID`, `customer-id` and `CustomerId` are `customer_id`, and `리뷰 내용` is
/// `리뷰내용`. Every lookup of a column by its usual names compares these keys.
pub fn name_key(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .chars()
        .filter(|c| !matches!(c, ' ' | '_' | '-'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The column a flag names, which must exist, or else the first header name in the first of
/// `usual` lists that has one. With no header (an empty file), a named column or the first
/// usual name is taken as is.
pub fn pick_column(
    header: &[String],
    named: Option<&String>,
    usual: &[&[&str]],
    flag: &str,
    file: &str,
) -> Result<String, Error> {
    if let Some(col) = named {
        if !header.is_empty() && !header.contains(col) {
            return Err(UserError::MissingColumn {
                file: file.to_owned(),
                column: col.clone(),
                named_by: flag.into(),
                available: header.to_vec(),
            }
            .into());
        }
        return Ok(col.clone());
    }
    if let Some(col) = usual.iter().find_map(|names| find(header, names)) {
        return Ok(col);
    }
    // No header at all (an empty file, or JSONL whose first line is not an object): the first
    // usual name, so that an empty export yields no rows rather than an error.
    if header.is_empty() {
        if let Some(&first) = usual.first().and_then(|names| names.first()) {
            return Ok(first.to_owned());
        }
    }
    let tried: Vec<&str> = usual.iter().flat_map(|n| n.iter().copied()).collect();
    Err(crate::error::bad_argument(
        format!(
            "{file}: no column for {flag} (looked for {})",
            tried.join(", ")
        ),
        format!(
            "name it with {flag}; the file's columns are: {}",
            header.join(", ")
        ),
    ))
}

/// Binds `mapping` to `header` (the CSV header, or the keys of the first JSONL object).
/// Columns the mapping names must exist; defaults are looked up by alias.
pub fn resolve(
    mapping: &Mapping,
    kind: Kind,
    source: &str,
    header: &[String],
    file: &str,
    strict_header: bool,
) -> Result<Resolved, Error> {
    let check = |col: &Option<String>, aliases: &[&str]| -> Result<Option<String>, Error> {
        match col {
            Some(c) if strict_header && !header.iter().any(|h| h == c) => {
                Err(UserError::MissingColumn {
                    file: file.to_owned(),
                    column: c.clone(),
                    named_by: "the mapping (--map)".into(),
                    available: header.to_vec(),
                }
                .into())
            }
            Some(c) => Ok(Some(c.clone())),
            None => Ok(find(header, aliases)),
        }
    };
    let c = &mapping.columns;
    let text = match &c.text {
        Some(t) => {
            let cols = t.to_vec();
            for col in &cols {
                check(&Some(col.clone()), &[])?;
            }
            cols
        }
        None => find(header, aliases::TEXT).into_iter().collect(),
    };
    if text.is_empty() {
        return Err(UserError::BadMapping {
            path: file.to_owned(),
            message: format!(
                "no free-text column found (tried {}); columns are: {}",
                aliases::TEXT.join(", "),
                header.join(", ")
            ),
        }
        .into());
    }
    let rating = check(&c.rating, aliases::RATING)?;
    let rating_scale = mapping
        .rating
        .scale
        .unwrap_or(match (kind, rating.as_deref()) {
            (_, Some(r)) if r.to_lowercase().contains("nps") => RatingScale::Nps,
            (_, Some(r)) if r.to_lowercase().contains("csat") => RatingScale::Csat5,
            (Kind::Survey, _) => RatingScale::Nps,
            _ => RatingScale::Stars5,
        });
    Ok(Resolved {
        kind,
        source: source.to_owned(),
        id: check(&c.id, aliases::ID)?,
        text,
        customer_id: check(&c.customer_id, aliases::CUSTOMER)?,
        created_at: check(&c.created_at, aliases::CREATED)?,
        rating,
        rating_scale,
        channel: if c.channel_value.is_some() {
            None
        } else {
            check(&c.channel, aliases::CHANNEL)?
        },
        channel_value: c.channel_value.clone(),
        product: check(&c.product, aliases::PRODUCT)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_picked_by_name_then_by_usual_name() {
        let h = header(&["id", "Document", "별점"]);
        let pick = |named: Option<&str>, usual: &[&[&str]]| {
            pick_column(&h, named.map(str::to_owned).as_ref(), usual, "--x", "f.tsv")
        };
        assert_eq!(pick(None, &[aliases::TEXT]).unwrap(), "Document");
        assert_eq!(
            pick(None, &[aliases::LABEL, aliases::RATING]).unwrap(),
            "별점"
        );
        assert_eq!(pick(Some("id"), &[aliases::TEXT]).unwrap(), "id");
        let e = pick(Some("text"), &[aliases::TEXT])
            .unwrap_err()
            .to_string();
        assert!(e.contains("column `text` named by --x"), "{e}");
        let e = pick(None, &[aliases::LABEL]).unwrap_err().to_string();
        assert!(e.contains("f.tsv: no column for --x"), "{e}");
        // An empty file has no header: its (absent) rows are read under the first usual name.
        let none = pick_column(&[], None, &[aliases::TEXT], "--x", "f.tsv").unwrap();
        assert_eq!(none, "text");
    }

    #[test]
    fn format_by_extension_looks_through_gz() {
        let f = |p: &str| Format::from_path(Path::new(p));
        assert_eq!(f("a/reviews.TSV.gz"), Some(Format::Tsv));
        assert_eq!(f("nps.csv.GZ"), Some(Format::Csv));
        assert_eq!(f("posts.jsonl"), Some(Format::Jsonl));
        assert_eq!(f("dump.gz"), None);
        assert_eq!(f("survey.xlsx"), None);
    }

    fn header(cols: &[&str]) -> Vec<String> {
        cols.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn defaults_find_common_korean_and_english_columns() {
        let h = header(&["리뷰ID", "작성일", "별점", "내용", "상품명", "옵션"]);
        let r = resolve(&Mapping::default(), Kind::Review, "shop", &h, "f.csv", true).unwrap();
        assert_eq!(r.id.as_deref(), Some("리뷰ID"));
        assert_eq!(r.text, vec!["내용"]);
        assert_eq!(r.rating.as_deref(), Some("별점"));
        assert_eq!(r.product.as_deref(), Some("상품명"));
        assert_eq!(r.rating_scale, RatingScale::Stars5);
        assert!(!r.is_mapped("옵션"));
    }

    /// Regression: `작성일자`, `회원번호` and `리뷰 내용` (as Korean shop and survey exports
    /// name them) and `Customer ID` were not found, so the date and customer were attributes
    /// and the file had no text column.
    #[test]
    fn export_spellings_of_the_usual_names_are_found() {
        let h = header(&["번호", "작성일자", "평점", "리뷰 내용", "회원번호"]);
        let r = resolve(&Mapping::default(), Kind::Review, "shop", &h, "f.csv", true).unwrap();
        assert_eq!(r.text, vec!["리뷰 내용"]);
        assert_eq!(r.created_at.as_deref(), Some("작성일자"));
        assert_eq!(r.customer_id.as_deref(), Some("회원번호"));
        let h = header(&["Review-ID", "Customer ID", "Created At", "Review Text"]);
        assert_eq!(find(&h, aliases::CUSTOMER).as_deref(), Some("Customer ID"));
        assert_eq!(find(&h, aliases::CREATED).as_deref(), Some("Created At"));
        assert_eq!(find(&h, aliases::TEXT).as_deref(), Some("Review Text"));
    }

    #[test]
    fn survey_with_several_text_columns_and_nps() {
        let m = Mapping::parse(
            r#"
kind = "survey"
source = "nps-2024"
[columns]
id = "response_id"
text = ["q_reason", "q_improve"]
rating = "nps"
channel_value = "email-survey"
"#,
            "m.toml",
        )
        .unwrap();
        let h = header(&["response_id", "q_reason", "q_improve", "nps", "region"]);
        let r = resolve(&m, Kind::Survey, "nps-2024", &h, "s.csv", true).unwrap();
        assert_eq!(r.text, vec!["q_reason", "q_improve"]);
        assert_eq!(r.rating_scale, RatingScale::Nps);
        assert_eq!(r.channel_value.as_deref(), Some("email-survey"));
    }

    #[test]
    fn a_named_column_missing_from_the_header_is_a_user_error_listing_columns() {
        let m = Mapping::parse("[columns]\ntext = \"본문\"\n", "m.toml").unwrap();
        let err = resolve(
            &m,
            Kind::Review,
            "x",
            &header(&["id", "내용"]),
            "f.csv",
            true,
        )
        .unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("본문"), "{msg}");
        assert!(err.hint().unwrap().contains("id, 내용"));
    }

    #[test]
    fn unknown_keys_in_a_mapping_are_rejected() {
        let err = Mapping::parse("[columns]\ntxt = \"body\"\n", "m.toml").unwrap_err();
        assert!(err.to_string().contains("txt"), "{err}");
    }
}
