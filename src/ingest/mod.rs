//! Ingest: source files in, [`Record`]s and [`Rejection`]s out. Nothing here knows about
//! normalization or the index; it only reads, maps and validates.

pub mod dates;
pub mod encoding;
pub mod layout;
pub mod mapping;
pub mod quarantine;
pub mod reader;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use chrono_tz::Tz;
use serde::Serialize;

use crate::error::{Error, UserError};
use crate::record::{Kind, Rating, Record};
use mapping::{Format, Mapping, Resolved};

/// Texts longer than this are almost always a paste accident (a whole log file, a chat export)
/// and would dominate every statistic; they are quarantined, not truncated.
pub const MAX_TEXT_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rejection {
    pub file: String,
    pub line: u64,
    pub field: Option<String>,
    pub reason: String,
    /// The raw row, so it can be fixed and re-ingested. PII is redacted before it is written.
    pub raw: Option<String>,
}

impl Rejection {
    pub fn new(
        file: &str,
        line: u64,
        field: Option<String>,
        reason: String,
        raw: Option<String>,
    ) -> Self {
        Rejection {
            file: file.to_owned(),
            line,
            field,
            reason,
            raw,
        }
    }

    pub fn to_user_error(&self) -> Error {
        UserError::BadRecord {
            location: crate::error::Location {
                file: self.file.clone(),
                line: self.line,
                field: self.field.clone(),
            },
            reason: self.reason.clone(),
        }
        .into()
    }
}

/// A file named on the command line (`-` is stdin).
#[derive(Debug, Clone)]
pub struct InputFile {
    pub path: Option<PathBuf>,
    pub name: String,
    pub format: Format,
    /// Neither a flag nor the file name said the format, so it was read off the first lines.
    pub format_guessed: bool,
}

impl InputFile {
    pub fn new(arg: &str, format: Option<Format>) -> Result<Self, Error> {
        if arg == "-" {
            let format = format.ok_or_else(|| {
                crate::error::bad_argument(
                    "reading stdin needs a format",
                    "pass --format csv|tsv|jsonl",
                )
            })?;
            return Ok(InputFile {
                path: None,
                name: "stdin".into(),
                format,
                format_guessed: false,
            });
        }
        let path = PathBuf::from(arg);
        if path.is_dir() {
            return Err(UserError::UnreadableFile {
                path,
                reason: "is a folder; pass the files in it (e.g. `folder/*.csv`)".into(),
            }
            .into());
        }
        if !path.is_file() {
            return Err(UserError::UnreadableFile {
                path,
                reason: "no such file".into(),
            }
            .into());
        }
        let named = format.or_else(|| Format::from_path(&path));
        if named.is_none() {
            if let Some(kind) = encoding::binary_kind_by_name(&path) {
                return Err(UserError::NotText { path, kind }.into());
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| arg.to_owned());
        let mut file = InputFile {
            path: Some(path),
            name,
            format: named.unwrap_or(Format::Lines),
            format_guessed: named.is_none(),
        };
        if file.format_guessed {
            file.format = file.sniff_format()?;
            tracing::info!(file = %file.name, format = ?file.format, "format guessed from the content");
        }
        Ok(file)
    }

    /// The format of a file whose name does not say (`reviews.txt`), from its first lines.
    fn sniff_format(&self) -> Result<Format, Error> {
        let unreadable = |e: std::io::Error| UserError::UnreadableFile {
            path: self.path.clone().unwrap_or_default(),
            reason: e.to_string(),
        };
        let mut head = Vec::new();
        encoding::Utf8Reader::new(self.open()?)
            .and_then(|r| r.take(encoding::SNIFF_BYTES as u64).read_to_end(&mut head))
            .map_err(unreadable)?;
        Ok(layout::format_of(&String::from_utf8_lossy(&head)))
    }

    /// The file's bytes, gunzipped when it is named `.gz`. Spreadsheets, archives and other
    /// binary files are refused here, before a row reader turns them into garbage columns.
    pub fn open(&self) -> Result<Box<dyn Read>, Error> {
        let (raw, path): (Box<dyn Read>, &Path) = match &self.path {
            None => (Box::new(std::io::stdin()), Path::new("stdin")),
            Some(p) => {
                let f = std::fs::File::open(p).map_err(|e| UserError::UnreadableFile {
                    path: p.clone(),
                    reason: e.to_string(),
                })?;
                if mapping::is_gzip_path(p) {
                    let gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(f));
                    (Box::new(gz), p.as_path())
                } else {
                    (Box::new(f), p.as_path())
                }
            }
        };
        let mut input = BufReader::with_capacity(1 << 16, raw);
        let head = input.fill_buf().map_err(|e| UserError::UnreadableFile {
            path: path.to_path_buf(),
            reason: e.to_string(),
        })?;
        if let Some(kind) = encoding::binary_kind(head) {
            return Err(UserError::NotText {
                path: path.to_path_buf(),
                kind,
            }
            .into());
        }
        Ok(Box::new(input))
    }

    /// Default source name: the file stem, so `reviews_app.jsonl` is source `reviews_app`.
    pub fn default_source(&self) -> String {
        self.path
            .as_deref()
            .and_then(Path::file_stem)
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "stdin".into())
    }
}

/// Turns one row into its text records (one per non-empty text column).
pub struct RowMapper<'a> {
    pub resolved: &'a Resolved,
    pub tz: Tz,
    pub file: &'a str,
}

pub struct Mapped {
    pub records: Vec<Record>,
    /// Text columns that were empty in this row (an unanswered optional survey question).
    pub empty_answers: usize,
}

impl RowMapper<'_> {
    pub fn map(&self, row: &reader::Row) -> Result<Mapped, Rejection> {
        let r = self.resolved;
        let reject = |field: &str, reason: String| {
            Rejection::new(
                self.file,
                row.line,
                Some(field.to_owned()),
                reason,
                Some(raw_of(row)),
            )
        };
        let get = |col: &Option<String>| -> Option<&str> {
            col.as_deref()
                .and_then(|c| row.values.get(c))
                .map(|v| v.trim())
                .filter(|v| !v.is_empty())
        };

        let source_id = match get(&r.id) {
            Some(id) => id.to_owned(),
            None => format!(
                "h{:016x}",
                xxhash_rust::xxh3::xxh3_64(raw_of(row).as_bytes())
            ),
        };
        let created_at = match (&r.created_at, get(&r.created_at)) {
            (Some(col), Some(v)) => Some(dates::parse_datetime(v, self.tz).ok_or_else(|| {
                reject(col, format!("cannot read date `{v}` (expected e.g. 2024-03-05, 2024.03.05, 24.03.05, 2024년 3월 5일, 2024. 3. 5. 오후 2:30:00, epoch seconds)"))
            })?),
            _ => None,
        };
        let rating = match (&r.rating, get(&r.rating)) {
            (Some(col), Some(v)) => {
                let value: f64 = v
                    .trim_end_matches(['점', '★'])
                    .trim()
                    .parse()
                    .map_err(|_| reject(col, format!("rating `{v}` is not a number")))?;
                let (lo, hi) = r.rating_scale.range();
                if !(lo..=hi).contains(&value) {
                    return Err(reject(
                        col,
                        format!(
                            "rating {value} is outside the {} scale ({lo}-{hi})",
                            r.rating_scale.as_str()
                        ),
                    ));
                }
                Some(Rating {
                    value,
                    scale: r.rating_scale,
                })
            }
            _ => None,
        };

        let mut texts = Vec::new();
        let mut empty_answers = 0;
        for col in &r.text {
            match row
                .values
                .get(col)
                .map(|t| t.trim())
                .filter(|t| crate::normalize::has_visible(t))
            {
                Some(t) if t.len() > MAX_TEXT_BYTES => {
                    return Err(reject(
                        col,
                        format!(
                            "text is {} bytes, over the {MAX_TEXT_BYTES}-byte limit",
                            t.len()
                        ),
                    ))
                }
                Some(t) => texts.push((col, t)),
                None => empty_answers += 1,
            }
        }
        if texts.is_empty() {
            return Err(reject(
                &r.text.join("|"),
                "no text: the free-text field is missing or empty".into(),
            ));
        }

        let attributes: BTreeMap<String, String> = row
            .values
            .iter()
            .filter(|(k, v)| !r.is_mapped(k) && !v.trim().is_empty())
            // A contact column (연락처, email) is as private as a phone number in the text and
            // is stored and searchable too, so it gets the same redaction.
            .map(|(k, v)| (k.clone(), crate::normalize::redact_contacts(v)))
            .collect();
        let response_id = format!("{}:{}", r.source, source_id);
        let several = r.text.len() > 1;
        let records = texts
            .into_iter()
            .map(|(col, text)| Record {
                id: if several {
                    format!("{response_id}#{col}")
                } else {
                    response_id.clone()
                },
                response_id: response_id.clone(),
                kind: r.kind,
                source: r.source.clone(),
                file: self.file.to_owned(),
                line: row.line,
                field: col.clone(),
                text: text.to_owned(),
                customer_id: get(&r.customer_id).map(str::to_owned),
                created_at,
                channel: r
                    .channel_value
                    .clone()
                    .or_else(|| get(&r.channel).map(str::to_owned)),
                product: get(&r.product).map(str::to_owned),
                rating,
                attributes: attributes.clone(),
            })
            .collect();
        Ok(Mapped {
            records,
            empty_answers,
        })
    }
}

fn raw_of(row: &reader::Row) -> String {
    serde_json::to_string(&row.values).unwrap_or_default()
}

/// Resolves kind, source and mapping for one input file.
pub fn resolve_for(
    input: &InputFile,
    header: &[String],
    mapping: &Mapping,
    kind_arg: Option<Kind>,
    source_arg: Option<&str>,
) -> Result<Resolved, Error> {
    let kind = kind_arg.or(mapping.kind).unwrap_or(Kind::Review);
    let default_source = input.default_source();
    let source = source_arg
        .or(mapping.source.as_deref())
        .unwrap_or(&default_source);
    // JSONL objects may omit keys, so only delimited files must contain every named column.
    let strict_header = input.format != Format::Jsonl;
    mapping::resolve(mapping, kind, source, header, &input.name, strict_header)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_folder_is_not_an_input_file() {
        let dir = tempfile::tempdir().unwrap();
        let err = InputFile::new(&dir.path().display().to_string(), None)
            .err()
            .unwrap()
            .to_string();
        assert!(err.contains("is a folder"), "{err}");
    }
    use crate::record::RatingScale;

    fn resolved() -> Resolved {
        Resolved {
            kind: Kind::Survey,
            source: "nps".into(),
            id: Some("rid".into()),
            text: vec!["q1".into(), "q2".into()],
            customer_id: Some("cid".into()),
            created_at: Some("at".into()),
            rating: Some("nps".into()),
            rating_scale: RatingScale::Nps,
            channel: None,
            channel_value: Some("email-survey".into()),
            product: None,
        }
    }

    fn row(pairs: &[(&str, &str)]) -> reader::Row {
        reader::Row {
            line: 7,
            values: pairs
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn each_answer_becomes_a_record_linked_to_its_response() {
        let r = resolved();
        let m = RowMapper {
            resolved: &r,
            tz: dates::DEFAULT_TZ,
            file: "s.csv",
        };
        let out = m
            .map(&row(&[
                ("rid", "R1"),
                ("q1", "배송이 너무 늦어요"),
                ("q2", "포장 개선"),
                ("cid", "C9"),
                ("at", "2024.03.05"),
                ("nps", "3"),
                ("region", "부산"),
            ]))
            .unwrap();
        assert_eq!(out.records.len(), 2);
        assert_eq!(out.records[0].id, "nps:R1#q1");
        assert_eq!(out.records[1].id, "nps:R1#q2");
        assert_eq!(out.records[1].response_id, "nps:R1");
        assert_eq!(out.records[0].rating.unwrap().value, 3.0);
        assert_eq!(out.records[0].channel.as_deref(), Some("email-survey"));
        assert_eq!(
            out.records[0].attributes.get("region").map(String::as_str),
            Some("부산")
        );
        assert!(!out.records[0].attributes.contains_key("nps"));
    }

    #[test]
    fn an_unanswered_optional_question_is_counted_not_rejected() {
        let r = resolved();
        let m = RowMapper {
            resolved: &r,
            tz: dates::DEFAULT_TZ,
            file: "s.csv",
        };
        let out = m
            .map(&row(&[("rid", "R2"), ("q1", "좋아요"), ("q2", " ")]))
            .unwrap();
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.empty_answers, 1);
    }

    #[test]
    fn bad_values_are_rejected_with_field_and_reason() {
        let r = resolved();
        let m = RowMapper {
            resolved: &r,
            tz: dates::DEFAULT_TZ,
            file: "s.csv",
        };
        let cases = [
            (vec![("rid", "1"), ("q1", "")], "q1|q2", "no text"),
            (
                vec![("rid", "1"), ("q1", "ok"), ("at", "어제")],
                "at",
                "cannot read date",
            ),
            (
                vec![("rid", "1"), ("q1", "ok"), ("nps", "11")],
                "nps",
                "outside",
            ),
            (
                vec![("rid", "1"), ("q1", "ok"), ("nps", "좋음")],
                "nps",
                "not a number",
            ),
        ];
        for (pairs, field, reason) in cases {
            let rej = m.map(&row(&pairs)).err().unwrap();
            assert_eq!(rej.field.as_deref(), Some(field));
            assert!(rej.reason.contains(reason), "{}", rej.reason);
            assert_eq!(rej.line, 7);
        }
        let long = "가".repeat(MAX_TEXT_BYTES / 3 + 1);
        let rej = m.map(&row(&[("rid", "1"), ("q1", &long)])).err().unwrap();
        assert!(rej.reason.contains("limit"));
    }

    #[test]
    fn rows_without_an_id_get_a_stable_content_id() {
        let mut r = resolved();
        r.id = None;
        let m = RowMapper {
            resolved: &r,
            tz: dates::DEFAULT_TZ,
            file: "s.csv",
        };
        let a = m.map(&row(&[("q1", "별로예요")])).unwrap();
        let b = m.map(&row(&[("q1", "별로예요")])).unwrap();
        assert_eq!(a.records[0].id, b.records[0].id);
        assert!(a.records[0].id.starts_with("nps:h"));
    }
}
