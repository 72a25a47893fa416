//! Reads CSV, TSV and JSONL into uniform rows of named string values. A row that cannot be read
//! becomes a [`Rejection`] with its line, never an error that stops the run.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;

use super::encoding::{TextEncoding, Utf8Reader};
use super::layout;
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
    /// The file had no header row, so its columns are named by position: "1", "2", ...
    pub positional: bool,
    /// What the file was decoded from (rows are always UTF-8).
    pub encoding: TextEncoding,
    pub rows: RowIter,
}

impl Rows {
    /// Up to `n` of the first readable rows, for guessing which column is which; they stay
    /// in `rows`, so nothing is skipped.
    pub fn sample(&mut self, n: usize) -> Vec<Row> {
        let mut rest = std::mem::replace(&mut self.rows, Box::new(std::iter::empty()));
        let head: Vec<Result<Row, Rejection>> = rest.by_ref().take(n).collect();
        let sample = head
            .iter()
            .filter_map(|r| r.as_ref().ok().cloned())
            .collect();
        self.rows = Box::new(head.into_iter().chain(rest));
        sample
    }
}

pub fn read(input: Box<dyn Read>, format: Format, file: &str) -> std::io::Result<Rows> {
    let input = Utf8Reader::new(input)?;
    let encoding = input.encoding();
    if encoding != TextEncoding::Utf8 {
        tracing::info!(file, encoding = encoding.name(), "decoding to UTF-8");
    }
    let input: Box<dyn Read> = Box::new(input);
    let ((header, rows), positional) = match format {
        Format::Csv => delimited(input, b',', file)?,
        Format::Tsv => delimited(input, b'\t', file)?,
        Format::Jsonl => (jsonl(input, file)?, false),
        Format::Lines => (lines(input, file), false),
    };
    Ok(Rows {
        header,
        positional,
        encoding,
        rows,
    })
}

type RowIter = Box<dyn Iterator<Item = Result<Row, Rejection>>>;

/// Rows of a delimited file and whether its columns are named by position: a first row that
/// [`layout::is_data_row`] takes for a record is read as one.
fn delimited(
    input: Box<dyn Read>,
    delimiter: u8,
    file: &str,
) -> std::io::Result<((Vec<String>, RowIter), bool)> {
    let quoting = delimiter == b',';
    let seen = Rc::new(RefCell::new(SeenBytes::default()));
    let reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .flexible(true)
        // TSV exports rarely quote, and a stray quote must not swallow the rest of the file.
        .quoting(quoting)
        .has_headers(false)
        .from_reader(RecordingReader {
            inner: input,
            seen: Rc::clone(&seen),
            // Only quoted fields can be left open; TSV input is not kept.
            record: quoting,
        });
    let mut records = reader.into_byte_records();
    let first = records
        .next()
        .transpose()
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let cells: Vec<String> = first
        .iter()
        .flat_map(|r| r.iter())
        .map(|h| String::from_utf8_lossy(h).trim().to_string())
        .collect();
    let positional = layout::is_data_row(&cells);
    let (header, first_row) = if positional {
        (layout::positional_header(cells.len()), first.map(Ok))
    } else {
        (distinct_names(cells, file), None)
    };
    let file = file.to_owned();
    let names = header.clone();
    let mut records = first_row.into_iter().chain(records);
    let mut pending: Option<(Result<Row, Rejection>, u64)> = None;
    let rows = std::iter::from_fn(move || loop {
        let Some(rec) = records.next() else {
            // The csv crate accepts a quote still open at the end of input as a field, which
            // silently folds every following line into one value: reject that last record.
            let (row, start) = pending.take()?;
            if quoting && seen.borrow().ends_inside_quotes(start, delimiter) {
                let line = match &row {
                    Ok(r) => r.line,
                    Err(r) => r.line,
                };
                let raw = seen.borrow().text_from(start);
                let swallowed = raw.lines().count().saturating_sub(1);
                return Some(Err(Rejection::new(
                    &file,
                    line,
                    None,
                    format!(
                        "unterminated quote: a field opened with \" is never closed, so the \
                         rest of the file ({swallowed} more lines) was read as one value; close \
                         the quote (write a literal quote as \"\") and ingest the file again"
                    ),
                    Some(raw),
                )));
            }
            return Some(row);
        };
        let start = match &rec {
            Ok(r) => r.position().map_or(0, |p| p.byte()),
            Err(e) => e.position().map_or(0, |p| p.byte()),
        };
        seen.borrow_mut().forget_before(start);
        let row = convert(rec, &names, &file, delimiter);
        if let Some((prev, _)) = pending.replace((row, start)) {
            return Some(prev);
        }
    });
    Ok(((header, Box::new(rows)), positional))
}

fn convert(
    rec: csv::Result<csv::ByteRecord>,
    names: &[String],
    file: &str,
    delimiter: u8,
) -> Result<Row, Rejection> {
    let rec = rec.map_err(|e| {
        let line = e.position().map_or(0, |p| p.line());
        Rejection::new(file, line, None, format!("unreadable row: {e}"), None)
    })?;
    let line = rec.position().map_or(0, |p| p.line());
    if rec.len() != names.len() {
        return Err(Rejection::new(
            file,
            line,
            None,
            format!("row has {} fields, header has {}", rec.len(), names.len()),
            Some(raw_row(&rec, delimiter)),
        ));
    }
    let mut values = BTreeMap::new();
    for (name, raw) in names.iter().zip(rec.iter()) {
        match std::str::from_utf8(raw) {
            Ok(v) => {
                values.insert(name.clone(), v.to_owned());
            }
            Err(_) => return Err(Rejection::new(
                file,
                line,
                Some(name.clone()),
                "invalid UTF-8 (the start of the file is UTF-8, so this line, written in another \
                     encoding, cannot be read; convert the whole file to one encoding, e.g. \
                     `iconv -f cp949 -t utf-8` for the CP949 part)"
                    .into(),
                Some(raw_row(&rec, delimiter)),
            )),
        }
    }
    Ok(Row { line, values })
}

/// The input bytes from the start of the current record on (the csv reader's read-ahead
/// included), so the final record can be re-scanned for a quote left open.
#[derive(Default)]
struct SeenBytes {
    /// Stream offset of `bytes[0]`.
    offset: u64,
    bytes: Vec<u8>,
}

impl SeenBytes {
    fn forget_before(&mut self, pos: u64) {
        let n = (pos.saturating_sub(self.offset) as usize).min(self.bytes.len());
        self.bytes.drain(..n);
        self.offset += n as u64;
    }

    fn from(&self, pos: u64) -> &[u8] {
        let skip = (pos.saturating_sub(self.offset) as usize).min(self.bytes.len());
        &self.bytes[skip..]
    }

    fn text_from(&self, pos: u64) -> String {
        String::from_utf8_lossy(self.from(pos))
            .trim_end()
            .to_owned()
    }

    /// The csv crate's quoting rules: a quote opens a quoted field only at a field's start,
    /// `""` inside it is a literal quote, and any other quote closes it.
    fn ends_inside_quotes(&self, pos: u64, delimiter: u8) -> bool {
        let raw = self.from(pos);
        let (mut in_quotes, mut field_start, mut i) = (false, true, 0);
        while i < raw.len() {
            let c = raw[i];
            if in_quotes {
                if c == b'"' {
                    if raw.get(i + 1) == Some(&b'"') {
                        i += 1;
                    } else {
                        in_quotes = false;
                    }
                }
            } else if c == b'"' && field_start {
                in_quotes = true;
                field_start = false;
            } else {
                field_start = c == delimiter || c == b'\n' || c == b'\r';
            }
            i += 1;
        }
        in_quotes
    }
}

struct RecordingReader {
    inner: Box<dyn Read>,
    seen: Rc<RefCell<SeenBytes>>,
    record: bool,
}

impl Read for RecordingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if self.record {
            self.seen.borrow_mut().bytes.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// The record as its file wrote it (its delimiter, CSV quoting where a field needs it), so
/// that a quarantined row can be fixed and fed back as a line of the same file.
fn raw_row(rec: &csv::ByteRecord, delimiter: u8) -> String {
    let mut out = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .quote_style(if delimiter == b',' {
            csv::QuoteStyle::Necessary
        } else {
            csv::QuoteStyle::Never
        })
        .from_writer(Vec::new());
    // Writing into memory cannot fail; a field the writer refuses still leaves its text.
    let _ = out.write_byte_record(rec);
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8_lossy(&bytes)
        .trim_end_matches(['\r', '\n'])
        .to_owned()
}

/// The non-empty lines of `input`, trimmed, with their 1-based line numbers; a line that
/// cannot be read or is not UTF-8 is a rejection.
fn text_lines(
    input: Box<dyn Read>,
    file: &str,
) -> impl Iterator<Item = Result<(u64, String), Rejection>> {
    let file = file.to_owned();
    BufReader::new(input)
        .split(b'\n')
        .enumerate()
        .filter_map(move |(i, line)| {
            let line_no = i as u64 + 1;
            let bytes = match line {
                Ok(b) => b,
                Err(e) => {
                    let reason = e.to_string();
                    return Some(Err(Rejection::new(&file, line_no, None, reason, None)));
                }
            };
            match String::from_utf8(bytes) {
                Ok(text) => {
                    let text = text.trim();
                    (!text.is_empty()).then(|| Ok((line_no, text.to_owned())))
                }
                Err(e) => Some(Err(Rejection::new(
                    &file,
                    line_no,
                    None,
                    "invalid UTF-8".into(),
                    Some(String::from_utf8_lossy(e.as_bytes()).into_owned()),
                ))),
            }
        })
}

/// One text per non-empty line, in a column named `text`.
fn lines(input: Box<dyn Read>, file: &str) -> (Vec<String>, RowIter) {
    let rows = text_lines(input, file).map(|line| {
        line.map(|(line, text)| Row {
            line,
            values: BTreeMap::from([("text".to_owned(), text)]),
        })
    });
    (vec!["text".to_owned()], Box::new(rows))
}

/// JSON Lines, or one JSON array of objects (what most APIs and `.json` exports write).
fn jsonl(input: Box<dyn Read>, file: &str) -> std::io::Result<(Vec<String>, RowIter)> {
    let mut lines = text_lines(input, file).peekable();
    if let Some(Ok((_, first))) = lines.peek() {
        if first.starts_with('[') {
            return json_array(lines, file);
        }
    }
    // The header is every key of the first objects, in the order met: exports leave out a
    // field where it is empty (no `rating` on an unrated review), and a bad first line must not
    // hide the columns of the rest. A key first seen further down is still read, as an
    // attribute of its record.
    let mut head = Vec::new();
    for line in lines.by_ref().take(HEADER_SAMPLE_LINES) {
        head.push(line);
    }
    let mut header: Vec<String> = Vec::new();
    for (_, text) in head.iter().flatten() {
        for key in keys_of(text) {
            if !header.contains(&key) {
                header.push(key);
            }
        }
    }
    let file = file.to_owned();
    let rows = head.into_iter().chain(lines).map(move |line| {
        let (line_no, text) = line?;
        let reject =
            |reason: String| Rejection::new(&file, line_no, None, reason, Some(text.clone()));
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(serde_json::Value::Object(obj)) => Ok(object_row(line_no, obj)),
            Ok(_) => Err(reject("line is JSON but not an object".into())),
            Err(e) => Err(reject(format!("invalid JSON: {e}"))),
        }
    });
    Ok((header, Box::new(rows)))
}

/// Every column gets a name of its own: rows are keyed by name, so a repeated `text` or two
/// blank header cells would keep one value and drop the other without a trace. A blank cell
/// becomes `column_N` (its position from 1), a repeat `NAME_2`, `NAME_3`, ...; the renames are
/// logged, and the names are what `--text-col` and mappings then use.
fn distinct_names(cells: Vec<String>, file: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(cells.len());
    for (i, cell) in cells.into_iter().enumerate() {
        let base = if cell.is_empty() {
            format!("column_{}", i + 1)
        } else {
            cell
        };
        let mut name = base.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{base}_{n}");
            n += 1;
        }
        if name != base || base.starts_with("column_") {
            tracing::warn!(file, column = i + 1, name = %name, "header cell renamed: blank or repeated");
        }
        names.push(name);
    }
    names
}

/// How many JSONL lines give the header.
const HEADER_SAMPLE_LINES: usize = 1000;

fn keys_of(json: &str) -> Vec<String> {
    match serde_json::from_str(json) {
        Ok(serde_json::Value::Object(obj)) => obj.keys().cloned().collect(),
        _ => Vec::new(),
    }
}

/// JSON values become strings: numbers and booleans as written, nested values as their JSON
/// text, so nothing is lost; nulls are absent.
fn object_row(line: u64, obj: serde_json::Map<String, serde_json::Value>) -> Row {
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
    Row { line, values }
}

/// A JSON array of objects, read whole (arrays are not streamed by their writers either); each
/// element is a row with the line it starts on, and an element that is not an object is a
/// rejection. A malformed element is rejected whole, up to the comma its brackets close
/// before, and the elements after it are read.
fn json_array(
    lines: impl Iterator<Item = Result<(u64, String), Rejection>>,
    file: &str,
) -> std::io::Result<(Vec<String>, RowIter)> {
    let mut rejected = Vec::new();
    // Blank lines were dropped; keep each line's number beside its start in the joined text.
    let (mut text, mut starts) = (String::new(), Vec::new());
    for line in lines {
        match line {
            Ok((no, l)) => {
                starts.push((text.len(), no));
                text.push_str(&l);
                text.push('\n');
            }
            Err(r) => rejected.push(Err(r)),
        }
    }
    let line_at = |offset: usize| {
        let i = starts.partition_point(|&(start, _)| start <= offset);
        starts[i.saturating_sub(1)].1
    };
    let mut rows = Vec::new();
    let mut header = Vec::new();
    // Walk the array's elements with a streaming parser, so each keeps its position.
    // The text starts with the `[` (lines are trimmed), so the body starts at offset 1.
    let body = text.trim_end().strip_prefix('[').unwrap_or(&text);
    let body = body.strip_suffix(']').unwrap_or(body);
    let base = 1;
    let mut pos = 0;
    loop {
        let rest = &body[pos..];
        let skipped = rest.len()
            - rest
                .trim_start_matches(|c: char| c.is_whitespace() || c == ',')
                .len();
        pos += skipped;
        if pos >= body.len() {
            break;
        }
        let line = line_at(base + pos);
        let mut stream =
            serde_json::Deserializer::from_str(&body[pos..]).into_iter::<serde_json::Value>();
        match stream.next() {
            Some(Ok(serde_json::Value::Object(obj))) => {
                if header.is_empty() {
                    header = obj.keys().cloned().collect();
                }
                rows.push(Ok(object_row(line, obj)));
                pos += stream.byte_offset();
            }
            Some(Ok(other)) => {
                rows.push(Err(Rejection::new(
                    file,
                    line,
                    None,
                    "array element is JSON but not an object".into(),
                    Some(other.to_string()),
                )));
                pos += stream.byte_offset();
            }
            Some(Err(e)) => {
                // Skip to the element's end as its brackets and strings say, so that one bad
                // record costs one record; its text goes to the quarantine whole.
                let end = element_end(&body[pos..]);
                let reason = if end.is_some() {
                    format!("invalid JSON in the array element: {e}")
                } else {
                    format!("invalid JSON in the array, no element end after it: {e}")
                };
                let len = end.unwrap_or(body.len() - pos);
                rows.push(Err(Rejection::new(
                    file,
                    line,
                    None,
                    reason,
                    Some(body[pos..pos + len].trim_end().to_owned()),
                )));
                pos += len;
            }
            None => break,
        }
    }
    rows.extend(rejected);
    Ok((header, Box::new(rows.into_iter())))
}

/// The length of the array element at the start of `text`, up to (not including) the comma
/// that ends it at bracket depth 0 outside strings; None when no such comma comes. A stray
/// closing bracket does not end the element: depth never goes below 0.
fn element_end(text: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in text.char_indices() {
        if in_string {
            match (escaped, c) {
                (true, _) => escaped = false,
                (false, '\\') => escaped = true,
                (false, '"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' | '[' => depth += 1,
            '}' | ']' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => return Some(i),
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(data: &'static [u8], format: Format) -> (Vec<String>, Vec<Result<Row, Rejection>>) {
        let r = read(Box::new(data), format, "t").unwrap();
        (r.header, r.rows.collect())
    }

    #[test]
    fn a_headerless_file_s_first_value_keeps_no_bom() {
        let (h, r) = rows("\u{feff}1\t좋아요\n0\t별로\n".as_bytes(), Format::Tsv);
        assert_eq!(h, vec!["1", "2"]);
        let first = r[0].as_ref().unwrap();
        assert_eq!((first.line, first.values["1"].as_str()), (1, "1"));
    }

    #[test]
    fn a_json_array_of_objects_is_read_with_each_element_s_line() {
        let data = "[\n  {\"id\": 1, \"text\": \"좋아요\"},\n\n  {\"id\": 2,\n   \"text\": \"별로, 진짜\", \"stars\": 2},\n  \"stray\",\n  {\"id\": 3, \"text\": null}\n]\n";
        let (h, r) = rows(data.as_bytes(), Format::Jsonl);
        assert_eq!(h, vec!["id", "text"]);
        let lines: Vec<u64> = r
            .iter()
            .map(|r| match r {
                Ok(row) => row.line,
                Err(rej) => rej.line,
            })
            .collect();
        assert_eq!(lines, [2, 4, 6, 7]);
        let second = r[1].as_ref().unwrap();
        assert_eq!(second.values["text"], "별로, 진짜");
        assert_eq!(second.values["stars"], "2");
        assert!(r[2].as_ref().unwrap_err().reason.contains("not an object"));
        assert!(!r[3].as_ref().unwrap().values.contains_key("text"));

        let (_, r) = rows(b"[{\"text\": \"a\"}, {\"text\": ", Format::Jsonl);
        assert_eq!(r.len(), 2);
        assert!(r[1].as_ref().unwrap_err().reason.contains("invalid JSON"));
    }

    /// Regression: a repeated header name kept only the last column's value, and blank header
    /// cells were merged into one `""` column.
    #[test]
    fn repeated_and_blank_header_names_get_names_of_their_own() {
        let (h, r) = rows(
            "id,text,text,,rating,\n1,첫 답변,둘째 답변,x,5,y\n".as_bytes(),
            Format::Csv,
        );
        assert_eq!(
            h,
            ["id", "text", "text_2", "column_4", "rating", "column_6"]
        );
        let row = r[0].as_ref().unwrap();
        assert_eq!(row.values["text"], "첫 답변");
        assert_eq!(row.values["text_2"], "둘째 답변");
        assert_eq!(
            (
                row.values["column_4"].as_str(),
                row.values["column_6"].as_str()
            ),
            ("x", "y")
        );
    }

    /// Regression: the header was the first object's keys alone, so a `rating` or date that
    /// only later records carry was read as an attribute, and a bad first line left no columns.
    #[test]
    fn a_jsonl_header_is_every_key_of_the_first_objects() {
        let data = b"not json\n{\"id\":\"a\",\"text\":\"x\"}\n{\"id\":\"b\",\"text\":\"y\",\"rating\":1}\n";
        let (h, r) = rows(data, Format::Jsonl);
        assert_eq!(h, vec!["id", "text", "rating"]);
        assert_eq!(r.len(), 3);
        assert!(r[0].as_ref().unwrap_err().reason.contains("invalid JSON"));
        assert_eq!(r[2].as_ref().unwrap().values["rating"], "1");
    }

    /// Regression: one malformed element used to end the read, and the quarantine kept only
    /// the first 200 characters of everything after it.
    #[test]
    fn a_bad_array_element_is_quarantined_whole_and_the_rest_is_read() {
        let long = "가".repeat(300);
        let data = format!(
            "[\n{{\"id\": 1, \"text\": \"좋아요\"}},\n{{\"id\": 2, \"text\": \"{long}\", \"tags\": [\"a, b\", {{\"k\": 1}}] \"x\": 1}},\n{{\"id\": 3, \"text\": \"별로 \\\"정말\\\", 진짜\"}}\n]\n"
        );
        let data: &'static [u8] = Box::leak(data.into_bytes().into_boxed_slice());
        let (_, r) = rows(data, Format::Jsonl);
        assert_eq!(r.len(), 3, "{r:?}");
        let bad = r[1].as_ref().unwrap_err();
        assert_eq!(bad.line, 3);
        assert!(bad.reason.contains("array element"), "{}", bad.reason);
        let raw = bad.raw.as_deref().unwrap();
        assert!(raw.contains(&long) && raw.ends_with("\"x\": 1}"), "{raw}");
        let third = r[2].as_ref().unwrap();
        assert_eq!(
            (third.line, third.values["text"].as_str()),
            (4, "별로 \"정말\", 진짜")
        );

        assert_eq!(element_end("{\"a\": \"}, {\"} , {"), Some(14));
        assert_eq!(element_end("{\"a\": [1, 2]"), None);
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
        // Latin-1 "café": neither UTF-8 nor Korean CP949, so the file is read as UTF-8.
        let data: &'static [u8] = b"id,text\n1,ok\n2,caf\xe9\n";
        let (_, r) = rows(data, Format::Csv);
        let rej = r[1].clone().unwrap_err();
        assert_eq!(rej.line, 3);
        assert_eq!(rej.field.as_deref(), Some("text"));
        assert!(rej.reason.contains("UTF-8"));
    }

    #[test]
    fn a_cp949_file_is_decoded() {
        // "배송" in CP949, as Korean Excel saves a CSV.
        let data: &'static [u8] = b"id,text\n1,ok\n2,\xb9\xe8\xbc\xdb\n";
        let read = read(Box::new(data), Format::Csv, "x.csv").unwrap();
        assert_eq!(read.encoding, TextEncoding::Cp949);
        let r: Vec<_> = read.rows.collect();
        assert_eq!(r[1].as_ref().unwrap().values["text"], "배송");
        assert_eq!(r[1].as_ref().unwrap().line, 3);
    }

    #[test]
    fn a_cp949_line_after_a_utf8_start_is_rejected_with_its_line() {
        let mut data = "id,text\n".as_bytes().to_vec();
        let filler = "1,배송이 빨라요\n";
        let lines = crate::ingest::encoding::SNIFF_BYTES / filler.len() + 1;
        for _ in 0..lines {
            data.extend(filler.as_bytes());
        }
        data.extend(b"2,\xb9\xe8\xbc\xdb\n");
        let r: Vec<_> = read(Box::new(std::io::Cursor::new(data)), Format::Csv, "x.csv")
            .unwrap()
            .rows
            .collect();
        assert_eq!(r.len(), lines + 1);
        let rej = r[lines].clone().unwrap_err();
        assert_eq!(rej.line, lines as u64 + 2);
        assert!(rej.reason.contains("iconv -f cp949"), "{}", rej.reason);
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
    fn a_row_with_the_wrong_field_count_is_quarantined_as_written() {
        // Regression: the raw text of such a row used to be re-joined with tabs, so a fixed
        // CSV line copied back from the quarantine file was no longer CSV.
        let data = "id,text,rating\n1,\"좋아요, 정말\",5,extra\n".as_bytes();
        let (_, r) = rows(data, Format::Csv);
        let rej = r[0].as_ref().unwrap_err();
        assert!(rej.reason.contains("4 fields"), "{}", rej.reason);
        assert_eq!(rej.raw.as_deref(), Some("1,\"좋아요, 정말\",5,extra"));
        let (_, r) = rows("id\ttext\n2\t별로\t\"x\"\n".as_bytes(), Format::Tsv);
        assert_eq!(
            r[0].as_ref().unwrap_err().raw.as_deref(),
            Some("2\t별로\t\"x\"")
        );
    }

    #[test]
    fn unterminated_quote_is_rejected_not_folded_into_one_row() {
        let data = "id,text\n1,좋아요\n2,\"배송이 늦어요\n3,별로\n4,최고\n".as_bytes();
        let (_, r) = rows(data, Format::Csv);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0].as_ref().unwrap().values["text"], "좋아요");
        let rej = r[1].as_ref().unwrap_err();
        assert_eq!(rej.line, 3);
        assert!(rej.reason.contains("unterminated quote"), "{}", rej.reason);
        assert!(rej.reason.contains("2 more lines"), "{}", rej.reason);
        assert!(rej.raw.as_deref().unwrap().contains("4,최고"));
    }

    #[test]
    fn closed_and_escaped_quotes_at_end_of_file_are_fine() {
        let data = "id,text\n1,\"그냥 \"\"보통\"\"\"\n2,\"a,b\"".as_bytes();
        let (_, r) = rows(data, Format::Csv);
        let r: Vec<Row> = r.into_iter().map(Result::unwrap).collect();
        assert_eq!(r[0].values["text"], "그냥 \"보통\"");
        assert_eq!(r[1].values["text"], "a,b");
    }

    #[test]
    fn short_csv_row_is_rejected() {
        let (_, r) = rows(b"id,text,stars\n1,hi\n", Format::Csv);
        assert!(r[0].as_ref().unwrap_err().reason.contains("2 fields"));
    }
}
