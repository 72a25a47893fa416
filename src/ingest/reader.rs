//! Reads CSV, TSV and JSONL into uniform rows of named string values. A row that cannot be read
//! becomes a [`Rejection`] with its line, never an error that stops the run.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};

use super::mapping::Format;
use super::Rejection;

/// One source row: column name to value. JSON numbers and booleans become strings; nested values
/// keep their JSON text so nothing is lost.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub line: u64,
    pub values: BTreeMap<String, String>,
}

pub struct Rows {
    pub header: Vec<String>,
    pub rows: Box<dyn Iterator<Item = Result<Row, Rejection>>>,
}

pub fn read(input: Box<dyn Read>, format: Format, file: &str) -> std::io::Result<Rows> {
    match format {
        Format::Csv => delimited(input, b',', file),
        Format::Tsv => delimited(input, b'\t', file),
        Format::Jsonl => jsonl(input, file),
    }
}

fn delimited(input: Box<dyn Read>, delimiter: u8, file: &str) -> std::io::Result<Rows> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        // TSV exports rarely quote, and a stray quote must not swallow the rest of the file.
        .quoting(delimiter == b',')
        .from_reader(input);
    let header: Vec<String> = reader
        .byte_headers()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let h = String::from_utf8_lossy(h);
            let h = if i == 0 {
                h.trim_start_matches('\u{feff}')
            } else {
                &h
            };
            h.trim().to_string()
        })
        .collect();
    let file = file.to_owned();
    let names = header.clone();
    let rows = reader.into_byte_records().map(move |rec| {
        let rec = rec.map_err(|e| {
            let line = e.position().map_or(0, |p| p.line());
            Rejection::new(&file, line, None, format!("unreadable row: {e}"), None)
        })?;
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != names.len() {
            return Err(Rejection::new(
                &file,
                line,
                None,
                format!("row has {} fields, header has {}", rec.len(), names.len()),
                Some(lossy_row(&rec)),
            ));
        }
        let mut values = BTreeMap::new();
        for (name, raw) in names.iter().zip(rec.iter()) {
            match std::str::from_utf8(raw) {
                Ok(v) => {
                    values.insert(name.clone(), v.to_owned());
                }
                Err(_) => {
                    return Err(Rejection::new(
                        &file,
                        line,
                        Some(name.clone()),
                        "invalid UTF-8 (is the file EUC-KR/CP949? convert it with `iconv -f cp949 -t utf-8`)".into(),
                        Some(lossy_row(&rec)),
                    ))
                }
            }
        }
        Ok(Row { line, values })
    });
    Ok(Rows {
        header,
        rows: Box::new(rows),
    })
}

fn lossy_row(rec: &csv::ByteRecord) -> String {
    rec.iter()
        .map(|f| String::from_utf8_lossy(f).into_owned())
        .collect::<Vec<_>>()
        .join("\t")
}

fn jsonl(input: Box<dyn Read>, file: &str) -> std::io::Result<Rows> {
    let mut lines = BufReader::new(input).split(b'\n').enumerate().peekable();
    // The header of a JSONL file is the keys of its first object; later objects may add keys.
    let mut header = Vec::new();
    if let Some((_, Ok(first))) = lines.peek() {
        if let Ok(serde_json::Value::Object(obj)) = serde_json::from_slice(first) {
            header = obj.keys().cloned().collect();
        }
    }
    let file = file.to_owned();
    let rows = lines.filter_map(move |(i, line)| {
        let line_no = i as u64 + 1;
        let bytes = match line {
            Ok(b) => b,
            Err(e) => {
                return Some(Err(Rejection::new(
                    &file,
                    line_no,
                    None,
                    e.to_string(),
                    None,
                )))
            }
        };
        let text = match std::str::from_utf8(&bytes) {
            Ok(t) => t.trim(),
            Err(_) => {
                return Some(Err(Rejection::new(
                    &file,
                    line_no,
                    None,
                    "invalid UTF-8".into(),
                    Some(String::from_utf8_lossy(&bytes).into_owned()),
                )))
            }
        };
        if text.is_empty() {
            return None;
        }
        let obj = match serde_json::from_str::<serde_json::Value>(text) {
            Ok(serde_json::Value::Object(obj)) => obj,
            Ok(_) => {
                return Some(Err(Rejection::new(
                    &file,
                    line_no,
                    None,
                    "line is JSON but not an object".into(),
                    Some(text.to_owned()),
                )))
            }
            Err(e) => {
                return Some(Err(Rejection::new(
                    &file,
                    line_no,
                    None,
                    format!("invalid JSON: {e}"),
                    Some(text.to_owned()),
                )))
            }
        };
        let values = obj
            .into_iter()
            .filter_map(|(k, v)| {
                let v = match v {
                    serde_json::Value::Null => return None,
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                };
                Some((k, v))
            })
            .collect();
        Some(Ok(Row {
            line: line_no,
            values,
        }))
    });
    Ok(Rows {
        header,
        rows: Box::new(rows),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &'static [u8], format: Format) -> (Vec<String>, Vec<Result<Row, Rejection>>) {
        let r = read(Box::new(data), format, "t").unwrap();
        (r.header, r.rows.collect())
    }

    #[test]
    fn csv_with_bom_multiline_field_and_line_numbers() {
        let data = "\u{feff}id,text\n1,\"배송이 빨라요\n재구매할게요\"\n2,별로\n".as_bytes();
        let (h, r) = rows(data, Format::Csv);
        assert_eq!(h, vec!["id", "text"]);
        let r: Vec<Row> = r.into_iter().map(Result::unwrap).collect();
        assert_eq!(r[0].values["text"], "배송이 빨라요\n재구매할게요");
        assert_eq!(r[0].line, 2);
        assert_eq!(r[1].line, 4);
    }

    #[test]
    fn invalid_utf8_names_line_and_field() {
        let data: &'static [u8] = b"id,text\n1,ok\n2,\xb9\xe8\xbc\xdb\n";
        let (_, r) = rows(data, Format::Csv);
        let rej = r[1].clone().unwrap_err();
        assert_eq!(rej.line, 3);
        assert_eq!(rej.field.as_deref(), Some("text"));
        assert!(rej.reason.contains("UTF-8"));
    }

    #[test]
    fn tsv_keeps_stray_quotes() {
        let data = "id\ttext\n1\t\"진짜\" 최고\n".as_bytes();
        let (_, r) = rows(data, Format::Tsv);
        assert_eq!(r[0].as_ref().unwrap().values["text"], "\"진짜\" 최고");
    }

    #[test]
    fn jsonl_bad_lines_are_rejected_and_blank_lines_skipped() {
        let data = "{\"id\": 1, \"text\": \"좋아요\", \"stars\": 5}\n\n{oops\n[1]\n".as_bytes();
        let (h, r) = rows(data, Format::Jsonl);
        assert_eq!(h, vec!["id", "stars", "text"]);
        assert_eq!(r.len(), 3);
        let ok = r[0].as_ref().unwrap();
        assert_eq!(ok.values["stars"], "5");
        assert_eq!(r[1].as_ref().unwrap_err().line, 3);
        assert!(r[2].as_ref().unwrap_err().reason.contains("not an object"));
    }

    #[test]
    fn short_csv_row_is_rejected() {
        let (_, r) = rows(b"id,text,stars\n1,hi\n", Format::Csv);
        assert!(r[0].as_ref().unwrap_err().reason.contains("2 fields"));
    }
}
