//! Customers from a CRM export (`customers.csv`): an id, optional segments, and any other columns
//! as attributes.
//!
//! Format decisions:
//! - UTF-8, with or without a BOM, or CP949 (Excel's default "CSV" in Korean Windows) or UTF-16
//!   with a BOM, decoded by [`crate::ingest::encoding`]; comma-separated, or tab-separated when
//!   the header line has more tabs than commas. Bytes that decode in none of them are refused
//!   with the line, rather than loaded as mojibake.
//! - Header names are matched as ingest matches them ([`crate::ingest::mapping::name_key`]:
//!   case, spaces, `_` and `-` do not count). The id column is the first of [`ID_COLUMNS`]
//!   present: `customer_id`, `customer`, `id`, `고객id`, `고객번호`, `회원id`, `회원번호` (so
//!   `Customer ID`, `CustomerId` and `고객_ID` work). If several are present the earlier in that
//!   list is the id and the rest are attributes.
//! - An optional `segment`/`segments`/`세그먼트` column holds segment names separated by `|` or
//!   `;` (`VIP|신규`); blanks are dropped and repeats removed, order kept.
//! - Every other column is an attribute, keyed by its normalised header (so `attr.region:` finds
//!   a `Region` column); empty cells are left out.
//! - Rows are rejected, not fatal: a missing id, more cells than the header. A row with fewer
//!   cells than the header is kept (exports often drop trailing empty cells). A repeated id
//!   replaces the earlier row (the export's later line wins) and is reported.

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;

use crate::ingest::encoding::{binary_kind, Utf8Reader};
use crate::ingest::mapping::name_key;

/// Id column names, in order of preference (after header normalisation).
pub const ID_COLUMNS: &[&str] = &[
    "customer_id",
    "customer",
    "id",
    "고객id",
    "고객번호",
    "회원id",
    "회원번호",
];

pub const SEGMENT_COLUMNS: &[&str] = &["segment", "segments", "세그먼트"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub id: String,
    pub segments: Vec<String>,
    pub attributes: BTreeMap<String, String>,
}

/// A row that was skipped (or, for a repeated id, that replaced an earlier one).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejected {
    /// 1-based line in the file where the row starts (the header is line 1).
    pub line: u64,
    /// The column at fault, as named in the file's header.
    pub field: Option<String>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    pub customers: Vec<Customer>,
    pub rejected: Vec<Rejected>,
}

/// A problem that stops the whole file from loading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}{}: {message} ({hint})", line.map(|l| format!(":{l}")).unwrap_or_default())]
pub struct LoadError {
    pub file: String,
    pub line: Option<u64>,
    pub message: String,
    pub hint: String,
}

impl LoadError {
    pub(super) fn unreadable(file: &str, e: &std::io::Error) -> Self {
        LoadError {
            file: file.to_owned(),
            line: None,
            message: format!("cannot read the file: {e}"),
            hint: "check the path and permissions".into(),
        }
    }
}

pub fn load_customers(path: &Path) -> Result<Loaded, LoadError> {
    let name = path.display().to_string();
    read_customers(open_table_file(path, &name)?, &name)
}

/// A table file's bytes, gunzipped when it is named `.gz` (`customers.csv.gz`), as ingest does.
pub(super) fn open_table_file(path: &Path, name: &str) -> Result<Box<dyn Read>, LoadError> {
    let file = File::open(path).map_err(|e| LoadError::unreadable(name, &e))?;
    Ok(if crate::ingest::mapping::is_gzip_path(path) {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(file)))
    } else {
        Box::new(file)
    })
}

/// Reads customers from any reader; `file` names it in errors.
pub fn read_customers(input: impl Read, file: &str) -> Result<Loaded, LoadError> {
    let mut table = Table::open(input, file)?;
    let id_col = find_column(&table.headers, ID_COLUMNS).ok_or_else(|| {
        table.error(
            Some(1),
            format!("no customer id column among {}", table.header_list()),
            format!("name the id column one of: {}", ID_COLUMNS.join(", ")),
        )
    })?;
    let segment_col = find_column(&table.headers, SEGMENT_COLUMNS);
    let id_name = table.headers[id_col].clone();

    let mut customers: Vec<Customer> = Vec::new();
    let mut seen: HashMap<String, (usize, u64)> = HashMap::new();
    let mut rejected = Vec::new();
    while let Some(row) = table.next_row()? {
        let line = row.line;
        let cells = match row.cells {
            Ok(cells) => cells,
            Err(reject) => {
                rejected.push(reject);
                continue;
            }
        };
        let id = cells.get(id_col).map(|s| s.trim()).unwrap_or_default();
        if id.is_empty() {
            rejected.push(Rejected {
                line,
                field: Some(id_name.clone()),
                reason: "missing customer id".into(),
            });
            continue;
        }
        let mut segments: Vec<String> = Vec::new();
        if let Some(col) = segment_col {
            for s in cells
                .get(col)
                .map(String::as_str)
                .unwrap_or_default()
                .split(['|', ';'])
            {
                let s = s.trim();
                if !s.is_empty() && !segments.iter().any(|x| x == s) {
                    segments.push(s.to_owned());
                }
            }
        }
        let attributes = cells
            .iter()
            .enumerate()
            .filter(|(i, v)| *i != id_col && Some(*i) != segment_col && !v.trim().is_empty())
            // Contact columns of a CRM export (phone, email) are joined onto every document
            // of the customer, so they are redacted as the feedback text is.
            .map(|(i, v)| {
                (
                    table.keys[i].clone(),
                    crate::normalize::redact_contacts(v.trim()),
                )
            })
            .collect();
        let customer = Customer {
            id: id.to_owned(),
            segments,
            attributes,
        };
        match seen.get(id) {
            Some(&(index, first_line)) => {
                // The row set aside is the earlier one, so it is the one reported.
                rejected.push(Rejected {
                    line: first_line,
                    field: Some(id_name.clone()),
                    reason: format!(
                        "customer id `{id}` appears again on line {line}, whose row replaces this one"
                    ),
                });
                customers[index] = customer;
                seen.insert(id.to_owned(), (index, line));
            }
            None => {
                seen.insert(id.to_owned(), (customers.len(), line));
                customers.push(customer);
            }
        }
    }
    Ok(Loaded {
        customers,
        rejected,
    })
}

/// A header name as the key of the attribute it becomes (`attr.customer.sign_up`).
fn normalize_header(name: &str) -> String {
    name.trim_start_matches('\u{feff}')
        .trim()
        .to_lowercase()
        .chars()
        .map(|c| if c == ' ' || c == '-' { '_' } else { c })
        .collect()
}

/// The index of the first of `names` present among the normalised `headers`.
pub(super) fn find_column(headers: &[String], names: &[&str]) -> Option<usize> {
    names.iter().find_map(|name| {
        let name = name_key(name);
        headers.iter().position(|h| name_key(h) == name)
    })
}

/// One data row: its line and its cells, or why it was rejected.
pub(super) struct Row {
    pub line: u64,
    pub cells: Result<Vec<String>, Rejected>,
}

/// A CSV file with its header read, shared by the customers and orders loaders.
pub(super) struct Table<R: Read> {
    pub file: String,
    /// Header names as written (BOM and surrounding spaces removed).
    pub headers: Vec<String>,
    /// Normalised header names, unique.
    pub keys: Vec<String>,
    reader: csv::Reader<BufReader<Utf8Reader<R>>>,
    record: csv::ByteRecord,
}

impl<R: Read> Table<R> {
    pub fn open(input: R, file: &str) -> Result<Self, LoadError> {
        let input = Utf8Reader::new(input).map_err(|e| LoadError::unreadable(file, &e))?;
        let mut buffered = BufReader::with_capacity(64 * 1024, input);
        let head = buffered
            .fill_buf()
            .map_err(|e| LoadError::unreadable(file, &e))?;
        if let Some(kind) = binary_kind(head) {
            return Err(LoadError {
                file: file.to_owned(),
                line: None,
                message: format!("the file is {kind}, not a CSV table"),
                hint: "from Excel, save it as \"CSV UTF-8\" (File > Save As)".into(),
            });
        }
        let delimiter = sniff_delimiter(&mut buffered);
        // Headers are read as an ordinary record so that their line and encoding are checked
        // the same way as the data's.
        let reader = csv::ReaderBuilder::new()
            .delimiter(delimiter)
            .flexible(true)
            .has_headers(false)
            .from_reader(buffered);
        let mut record = csv::ByteRecord::new();
        let mut table = Table {
            file: file.to_owned(),
            headers: Vec::new(),
            keys: Vec::new(),
            reader,
            record: csv::ByteRecord::new(),
        };
        let has_header = table
            .reader
            .read_byte_record(&mut record)
            .map_err(|e| table.csv_error(e))?;
        if !has_header {
            return Err(table.error(
                None,
                "the file is empty",
                "the first line must be a header, e.g. customer_id,segment",
            ));
        }
        let line = record.position().map_or(1, |p| p.line());
        let headers = table.decode(&record, line)?;
        let mut keys: Vec<String> = Vec::with_capacity(headers.len());
        for (i, h) in headers.iter().enumerate() {
            let key = match normalize_header(h) {
                k if k.is_empty() => format!("column_{}", i + 1),
                k => k,
            };
            if keys.contains(&key) {
                return Err(table.error(
                    Some(line),
                    format!("column `{h}` appears twice in the header"),
                    "give every column a distinct name",
                ));
            }
            keys.push(key);
        }
        table.headers = headers
            .into_iter()
            .map(|h| h.trim_start_matches('\u{feff}').trim().to_owned())
            .collect();
        table.keys = keys;
        Ok(table)
    }

    pub fn header_list(&self) -> String {
        let names: Vec<String> = self.headers.iter().map(|h| format!("`{h}`")).collect();
        names.join(", ")
    }

    pub fn error(
        &self,
        line: Option<u64>,
        message: impl Into<String>,
        hint: impl Into<String>,
    ) -> LoadError {
        LoadError {
            file: self.file.clone(),
            line,
            message: message.into(),
            hint: hint.into(),
        }
    }

    fn csv_error(&self, e: csv::Error) -> LoadError {
        let line = e.position().map(|p| p.line());
        self.error(
            line,
            format!("cannot read CSV: {e}"),
            "check the quoting around this line",
        )
    }

    fn decode(&self, record: &csv::ByteRecord, line: u64) -> Result<Vec<String>, LoadError> {
        record
            .iter()
            .map(|cell| {
                std::str::from_utf8(cell).map(str::to_owned).map_err(|_| {
                    self.error(
                        Some(line),
                        "the file is not UTF-8 here",
                        "its start read as UTF-8, so this line is in another encoding: convert \
                         the whole file to one, e.g. re-save it from Excel as \"CSV UTF-8\"",
                    )
                })
            })
            .collect()
    }

    /// The next data row; rows with more cells than the header are rejected here.
    pub fn next_row(&mut self) -> Result<Option<Row>, LoadError> {
        let mut record = std::mem::take(&mut self.record);
        let more = self
            .reader
            .read_byte_record(&mut record)
            .map_err(|e| self.csv_error(e))?;
        if !more {
            return Ok(None);
        }
        let line = record.position().map_or(0, |p| p.line());
        let cells = self.decode(&record, line)?;
        self.record = record;
        let cells = if cells.len() > self.headers.len() {
            Err(Rejected {
                line,
                field: None,
                reason: format!(
                    "{} cells but the header has {} columns (an unquoted comma in a value?)",
                    cells.len(),
                    self.headers.len()
                ),
            })
        } else {
            Ok(cells)
        };
        Ok(Some(Row { line, cells }))
    }
}

/// Tab-separated exports are common from spreadsheets; anything else is read as commas.
fn sniff_delimiter(input: &mut impl BufRead) -> u8 {
    let Ok(buf) = input.fill_buf() else {
        return b',';
    };
    let first_line = buf.split(|&b| b == b'\n').next().unwrap_or_default();
    let count = |d: u8| first_line.iter().filter(|&&b| b == d).count();
    if count(b'\t') > count(b',') {
        b'\t'
    } else {
        b','
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(csv: &str) -> Loaded {
        read_customers(csv.as_bytes(), "customers.csv").unwrap()
    }

    #[test]
    fn loads_ids_segments_and_attributes() {
        let loaded = load(
            "\u{feff}customer_id,segment,Region,가입채널,tier\n\
             C001,VIP|신규,서울,앱,Gold\n\
             C002, 휴면 ; VIP ;,부산,웹,\n\
             C003,,,,\n",
        );
        assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
        let c = &loaded.customers;
        assert_eq!(c.len(), 3);
        assert_eq!(c[0].id, "C001");
        assert_eq!(c[0].segments, vec!["VIP", "신규"]);
        assert_eq!(c[0].attributes["region"], "서울");
        assert_eq!(c[0].attributes["가입채널"], "앱");
        assert_eq!(c[1].segments, vec!["휴면", "VIP"]);
        // Empty cells are not attributes.
        assert!(!c[1].attributes.contains_key("tier"));
        assert_eq!(c[2].segments, Vec::<String>::new());
        assert!(c[2].attributes.is_empty());
    }

    #[test]
    fn id_column_aliases() {
        for header in [
            "고객ID",
            "Customer ID",
            "CustomerId",
            "고객_ID",
            "id",
            "회원번호",
        ] {
            let loaded = load(&format!("{header},등급\nK-77,골드\n"));
            assert_eq!(loaded.customers[0].id, "K-77", "{header}");
            assert_eq!(loaded.customers[0].attributes["등급"], "골드");
        }
        // `customer_id` wins over `id`, which becomes an attribute.
        let loaded = load("id,customer_id\n9,C9\n");
        assert_eq!(loaded.customers[0].id, "C9");
        assert_eq!(loaded.customers[0].attributes["id"], "9");
    }

    #[test]
    fn excel_exports_in_cp949_and_utf16_load() {
        let csv = "고객번호,세그먼트,지역\nC001,VIP,서울\n";
        let (cp949, _, _) = encoding_rs::EUC_KR.encode(csv);
        // Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.
        let mut utf16 = vec![0xFF, 0xFE];
        utf16.extend(
            csv.replace(',', "\t")
                .encode_utf16()
                .flat_map(u16::to_le_bytes),
        );
        for bytes in [cp949.into_owned(), utf16] {
            let loaded = read_customers(bytes.as_slice(), "고객.csv").unwrap();
            let c = &loaded.customers;
            assert_eq!(c.len(), 1);
            assert_eq!(c[0].id, "C001");
            assert_eq!(c[0].segments, vec!["VIP"]);
            assert_eq!(c[0].attributes["지역"], "서울");
        }
    }

    #[test]
    fn a_workbook_saved_as_csv_by_name_only_is_refused() {
        let xlsx = b"PK\x03\x04\x14\x00\x06\x00 rest of a workbook";
        let e = read_customers(xlsx.as_slice(), "customers.csv").unwrap_err();
        assert!(e.message.contains("a ZIP archive"), "{e}");
        assert!(e.hint.contains("CSV UTF-8"), "{e}");
    }

    #[test]
    fn tab_separated_and_quoted_cells() {
        let loaded = load("customer_id\tsegment\tmemo\nC1\tVIP\t\"배송, 환불 문의\"\n");
        assert_eq!(loaded.customers[0].attributes["memo"], "배송, 환불 문의");
        let loaded = load("customer_id,memo\nC1,\"배송, 환불\n문의\"\nC2,\n");
        assert_eq!(loaded.customers[0].attributes["memo"], "배송, 환불\n문의");
        assert_eq!(loaded.customers[1].id, "C2");
    }

    #[test]
    fn missing_and_duplicate_ids_are_reported_with_lines() {
        let loaded = load(
            "고객ID,segment,지역\n\
             C1,VIP,서울\n\
             ,신규,대구\n\
             C2,신규,광주\n\
             C1,휴면,인천\n",
        );
        assert_eq!(
            loaded.rejected,
            vec![
                Rejected {
                    line: 3,
                    field: Some("고객ID".into()),
                    reason: "missing customer id".into()
                },
                Rejected {
                    line: 2,
                    field: Some("고객ID".into()),
                    reason: "customer id `C1` appears again on line 5, whose row replaces this one"
                        .into()
                },
            ]
        );
        let ids: Vec<&str> = loaded.customers.iter().map(|c| c.id.as_str()).collect();
        assert_eq!(ids, vec!["C1", "C2"]);
        assert_eq!(loaded.customers[0].segments, vec!["휴면"]);
        assert_eq!(loaded.customers[0].attributes["지역"], "인천");
    }

    #[test]
    fn ragged_rows() {
        let loaded = load("customer_id,segment,지역\nC1,VIP\nC2,VIP,서울,강남\n");
        assert_eq!(loaded.customers.len(), 1);
        assert_eq!(loaded.customers[0].segments, vec!["VIP"]);
        assert_eq!(loaded.rejected[0].line, 3);
        assert!(loaded.rejected[0]
            .reason
            .starts_with("4 cells but the header has 3"));
    }

    #[test]
    fn fatal_errors_name_file_and_line() {
        let e = read_customers("name,segment\n홍길동,VIP\n".as_bytes(), "crm.csv").unwrap_err();
        assert_eq!(e.line, Some(1));
        assert_eq!(e.message, "no customer id column among `name`, `segment`");
        assert!(e
            .to_string()
            .starts_with("crm.csv:1: no customer id column"));

        let e = read_customers("".as_bytes(), "crm.csv").unwrap_err();
        assert_eq!(e.message, "the file is empty");

        // Latin-1 "café": neither UTF-8 nor Korean CP949.
        let bytes = b"customer_id,name\nC1,caf\xe9\n";
        let e = read_customers(bytes.as_slice(), "crm.csv").unwrap_err();
        assert_eq!(
            (e.line, e.message.as_str()),
            (Some(2), "the file is not UTF-8 here")
        );
        assert!(e.hint.contains("CSV UTF-8"));

        let e = read_customers("customer_id,Tier,tier\n".as_bytes(), "crm.csv").unwrap_err();
        assert_eq!(e.message, "column `tier` appears twice in the header");

        let e = load_customers(Path::new("/nonexistent/customers.csv")).unwrap_err();
        assert!(e
            .to_string()
            .starts_with("/nonexistent/customers.csv: cannot read the file"));
    }
}
