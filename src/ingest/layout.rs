//! The layout of a file that does not state it: its format, whether its first row names the
//! columns, and which column holds the text or the label.
//!
//! Korean review benchmarks and hand-made exports rarely follow the `.csv` + header convention:
//! the Steam and shopping review corpora are `label<TAB>text` lines in a `.txt` file with no
//! header row, and a list of reviews is often one review per line. Reading those as JSONL (or
//! their first review as column names) failed every row, so the layout is guessed from the
//! first lines instead, and every guess is reported so that a wrong one is visible.

use super::mapping::{aliases, find, label_word_class, pick_column, Format};
use super::reader::{Row, Rows};
use crate::error::Error;
use crate::record::RatingScale;

/// Lines of the head looked at to guess the format.
const FORMAT_LINES: usize = 50;
/// Rows looked at to guess which column of a headerless file is which.
pub const SAMPLE_ROWS: usize = 200;

/// A column picked for a role, and whether it was found by its values rather than by its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Picked {
    pub column: String,
    pub by_values: bool,
}

/// The text column of `rows`: the one `--text-col` names, else the first with a usual name,
/// else (a file without a header row, or headers no list knows: `Review Text`, `리뷰내용`)
/// the one whose values read as text.
pub fn pick_text_column(
    rows: &mut Rows,
    named: Option<&String>,
    file: &str,
) -> Result<Picked, Error> {
    let by_name = |column| Picked {
        column,
        by_values: false,
    };
    if named.is_some() || (!rows.positional && find(&rows.header, aliases::TEXT).is_some()) {
        return pick_column(&rows.header, named, &[aliases::TEXT], "--text-col", file).map(by_name);
    }
    let sample = rows.sample(SAMPLE_ROWS);
    match text_column(&rows.header, &sample) {
        Some(column) => Ok(Picked {
            column,
            by_values: true,
        }),
        None if rows.positional => Err(crate::error::bad_argument(
            format!("{file} has no header row, and no column of it reads as text"),
            format!(
                "name the text column by its position with --text-col (1 to {})",
                rows.header.len()
            ),
        )),
        // An empty file, or no wordy column: the usual error, with the columns listed.
        None => pick_column(&rows.header, None, &[aliases::TEXT], "--text-col", file).map(by_name),
    }
}

/// The format of a file from its first (decoded) bytes: JSON objects, tab- or comma-separated
/// columns, or else one text per line.
pub fn format_of(head: &str) -> Format {
    // The head may end inside a line; that line is not evidence.
    let complete = match head.rfind('\n') {
        Some(end) if end + 1 < head.len() => &head[..end],
        _ => head,
    };
    let lines: Vec<&str> = complete
        .lines()
        .map(|l| l.trim_start_matches('\u{feff}'))
        .filter(|l| !l.trim().is_empty())
        .take(FORMAT_LINES)
        .collect();
    let Some(first) = lines.first() else {
        return Format::Lines;
    };
    // JSON Lines, or a JSON array of objects (`[{...` or `[` alone on its line), which the
    // JSONL reader also takes; not a text that starts with a tag such as "[광고]".
    let opening = first.trim();
    let array = opening
        .strip_prefix('[')
        .map(str::trim_start)
        .is_some_and(|rest| rest.is_empty() || rest.starts_with('{'));
    if opening.starts_with('{') || array {
        return Format::Jsonl;
    }
    // A tab in nearly every line: reviews themselves almost never contain one.
    let tabbed = lines.iter().filter(|l| l.contains('\t')).count();
    if first.contains('\t') && tabbed * 10 >= lines.len() * 9 {
        return Format::Tsv;
    }
    if first.contains(',') && looks_like_csv(&lines) {
        return Format::Csv;
    }
    Format::Lines
}

/// Commas are common inside Korean prose ("배송 빠르고, 포장도 좋아요"), so CSV needs every
/// sampled line to parse into the same number (> 1) of fields, and either a first row with a
/// usual column name or a column of numbers (a label, a rating, an id) below it.
fn looks_like_csv(lines: &[&str]) -> bool {
    let text = lines.join("\n");
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let Ok(rows) = reader
        .records()
        .map(|r| r.map(|r| r.iter().map(str::to_owned).collect::<Vec<_>>()))
        .collect::<Result<Vec<_>, _>>()
    else {
        return false;
    };
    let width = rows[0].len();
    if rows.len() < 2 || width < 2 || rows.iter().any(|r| r.len() != width) {
        return false;
    }
    let named = rows[0].iter().any(|c| is_usual_name(c));
    let numeric_column = (0..width).any(|i| rows[1..].iter().all(|r| is_number(&r[i])));
    named || numeric_column
}

/// Whether the first row of a delimited file is a record rather than column names: one of its
/// cells is a number (a 0/1 label, a star rating, an id), which column names never are, and
/// none of them is a usual column name.
pub fn is_data_row(cells: &[String]) -> bool {
    cells.iter().any(|c| is_number(c)) && !cells.iter().any(|c| is_usual_name(c))
}

fn is_usual_name(cell: &str) -> bool {
    let c = cell.trim().to_lowercase();
    [
        aliases::ID,
        aliases::TEXT,
        aliases::LABEL,
        aliases::RATING,
        aliases::CUSTOMER,
        aliases::CREATED,
        aliases::CHANNEL,
        aliases::PRODUCT,
    ]
    .iter()
    .any(|names| names.contains(&c.as_str()))
}

fn is_number(cell: &str) -> bool {
    let c = cell.trim();
    let digits = c.strip_prefix(['-', '+']).unwrap_or(c);
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Column names for a file without a header row: positions from 1, as `cut -f` counts, so
/// that `--text-col 2` names the second column.
pub fn positional_header(columns: usize) -> Vec<String> {
    (1..=columns).map(|i| i.to_string()).collect()
}

/// The column of a headerless file that holds the text: of the columns whose values are mostly
/// words, the one with the longest values.
pub fn text_column(header: &[String], sample: &[Row]) -> Option<String> {
    header
        .iter()
        .filter_map(|col| {
            let values: Vec<&str> = values_of(sample, col).collect();
            let wordy = values
                .iter()
                .filter(|v| !is_number(v) && v.chars().any(char::is_alphabetic))
                .count();
            if values.is_empty() || wordy * 2 < values.len() {
                return None;
            }
            let chars: usize = values.iter().map(|v| v.chars().count()).sum();
            Some((chars as f64 / values.len() as f64, col))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, col)| col.clone())
}

/// The column of a headerless file that holds the gold label. Under a label scheme: a column
/// of class codes (-1 to 2) or label words, the one with the fewest distinct values (a 0/1
/// label beside an id), else a column of ratings, so that the error names it and points to a
/// stars scheme. Under a ratings scheme: a column of integer ratings up to 10, the one that
/// reaches highest (stars 1-5 beside a 0/1 label).
pub fn label_column(
    header: &[String],
    sample: &[Row],
    skip: &str,
    ratings: bool,
) -> Option<String> {
    let columns: Vec<(&String, Vec<&str>)> = header
        .iter()
        .filter(|c| *c != skip)
        .map(|c| (c, values_of(sample, c).collect::<Vec<_>>()))
        .filter(|(_, values)| !values.is_empty())
        .collect();
    let number = |v: &str| v.parse::<i32>().ok();
    let rating_column = |values: &[&str]| {
        values
            .iter()
            .map(|v| number(v).filter(|n| (0..=10).contains(n)))
            .collect::<Option<Vec<i32>>>()
            .map(|ns| ns.into_iter().max().unwrap_or(0))
    };
    let highest_ratings = || {
        columns
            .iter()
            .filter_map(|(c, values)| Some((rating_column(values)?, *c)))
            .max_by_key(|(top, _)| *top)
            .map(|(_, c)| c.clone())
    };
    if ratings {
        return highest_ratings();
    }
    let class_like = |v: &&str| {
        number(v).is_some_and(|n| (-1..=2).contains(&n)) || label_word_class(v).is_some()
    };
    columns
        .iter()
        .filter(|(_, values)| values.iter().all(class_like))
        .min_by_key(|(_, values)| {
            let mut distinct = values.clone();
            distinct.sort_unstable();
            distinct.dedup();
            distinct.len()
        })
        .map(|(c, _)| (*c).clone())
        .or_else(highest_ratings)
}

/// The scale of a ratings column that uses the range above 5 (at least two distinct values of
/// 6-10) and nothing above 10: 1-10 stars. None when the values stay within 1-5 (the default
/// fits), go beyond 10 (no star scale does), or stray above 5 only once, which is a typo for
/// the quarantine to show rather than a scale.
pub fn rating_scale(sample: &[Row], col: &str) -> Option<RatingScale> {
    let values: Vec<f64> = values_of(sample, col)
        .filter_map(|v| v.parse::<f64>().ok())
        .collect();
    let mut high: Vec<u64> = values
        .iter()
        .filter(|&&v| v > 5.0)
        .map(|v| v.to_bits())
        .collect();
    high.sort_unstable();
    high.dedup();
    let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (high.len() >= 2 && top <= 10.0).then_some(RatingScale::Stars10)
}

fn values_of<'a>(sample: &'a [Row], col: &'a str) -> impl Iterator<Item = &'a str> {
    sample
        .iter()
        .filter_map(move |r| r.values.get(col))
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(line: u64, cells: &[&str]) -> Row {
        Row {
            line,
            values: cells
                .iter()
                .enumerate()
                .map(|(i, v)| ((i + 1).to_string(), v.to_string()))
                .collect(),
        }
    }

    #[test]
    fn formats_are_told_apart_by_their_lines() {
        assert_eq!(format_of("{\"id\":1,\"text\":\"좋아요\"}\n"), Format::Jsonl);
        assert_eq!(format_of("\u{feff}{\"text\":\"a\"}\n"), Format::Jsonl);
        assert_eq!(format_of("[\n  {\"text\": \"a\"}\n]\n"), Format::Jsonl);
        assert_eq!(format_of("[{\"text\": \"a\"}]"), Format::Jsonl);
        assert_eq!(format_of("[광고] 이 제품 최고\n별로예요\n"), Format::Lines);
        assert_eq!(format_of("1\t재밌어요\n0\t별로\n"), Format::Tsv);
        assert_eq!(format_of("id\tdocument\tlabel\n1\t좋다\t1\n"), Format::Tsv);
        assert_eq!(
            format_of("id,text\n1,좋아요\n2,\"별로, 진짜\"\n"),
            Format::Csv
        );
        // Prose with commas in varying numbers is one review per line, not CSV.
        assert_eq!(
            format_of("배송 빠르고, 포장도 좋아요\n가격은, 음, 비싸요\n최고\n"),
            Format::Lines
        );
        assert_eq!(format_of("정말 좋아요\n별로예요\n"), Format::Lines);
        // One comma a line is still prose without a header name or a column of numbers.
        assert_eq!(
            format_of("배송 빠르고, 포장도 꼼꼼해요\n이거 불량이에요, 환불해주세요\n"),
            Format::Lines
        );
        assert_eq!(format_of("1,좋아요\n0,별로예요\n"), Format::Csv);
        assert_eq!(format_of(""), Format::Lines);
        // A line cut off at the end of the head does not count against the others.
        assert_eq!(format_of("1\t좋아요\n0\t별로\n1\t그럭"), Format::Tsv);
    }

    #[test]
    fn ratings_above_five_are_read_as_ten_stars() {
        let sample = |values: &[&str]| -> Vec<Row> {
            values
                .iter()
                .enumerate()
                .map(|(i, v)| row(i as u64 + 1, &[v]))
                .collect()
        };
        assert_eq!(
            rating_scale(&sample(&["10", "1", "8"]), "1"),
            Some(RatingScale::Stars10)
        );
        assert_eq!(rating_scale(&sample(&["5", "1", "4.5"]), "1"), None);
        assert_eq!(rating_scale(&sample(&["100", "80"]), "1"), None);
        assert_eq!(rating_scale(&sample(&["", "n/a"]), "1"), None);
        // One stray value above 5 in a five-star file is a typo, not a scale.
        assert_eq!(rating_scale(&sample(&["5", "4", "9", "2"]), "1"), None);
    }

    #[test]
    fn a_first_row_with_a_number_and_no_usual_name_is_data() {
        let cells = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(is_data_row(&cells(&["1", "배송 빠르고 좋아요"])));
        assert!(is_data_row(&cells(&["5", "배공빠르고 굿"])));
        assert!(is_data_row(&cells(&[
            "9976970",
            "아 더빙.. 진짜 짜증나네요",
            "0"
        ])));
        assert!(!is_data_row(&cells(&["id", "document", "label"])));
        assert!(!is_data_row(&cells(&["리뷰", "별점"])));
        // A numeric column name beside a usual one is still a header.
        assert!(!is_data_row(&cells(&["text", "2024"])));
        assert!(!is_data_row(&cells(&["r-001", "좋아요"])));
    }

    #[test]
    fn headerless_columns_are_picked_by_their_values() {
        let header = positional_header(3);
        assert_eq!(header, ["1", "2", "3"]);
        let sample = vec![
            row(1, &["101", "배송 빠르고 좋아요", "1"]),
            row(2, &["102", "이거 완전 불량이에요 환불해주세요", "0"]),
            row(3, &["103", "굿", "1"]),
        ];
        assert_eq!(text_column(&header, &sample).as_deref(), Some("2"));
        assert_eq!(
            label_column(&header, &sample, "2", false).as_deref(),
            Some("3")
        );
        let stars = vec![
            row(1, &["5", "배공빠르고 굿", "1"]),
            row(2, &["2", "택배가 엉망이네용", "0"]),
            row(3, &["1", "불량", "0"]),
            row(4, &["4", "괜찮아요", "1"]),
        ];
        assert_eq!(
            label_column(&header, &stars, "2", true).as_deref(),
            Some("1")
        );
        assert_eq!(
            label_column(&header, &stars, "2", false).as_deref(),
            Some("3")
        );
        // Two polar values each: the 0/1 column is the label, the 1/5 one the ratings.
        let polar = vec![row(1, &["5", "좋아요", "1"]), row(2, &["1", "별로", "0"])];
        assert_eq!(
            label_column(&header, &polar, "2", false).as_deref(),
            Some("3")
        );
        assert_eq!(
            label_column(&header, &polar, "2", true).as_deref(),
            Some("1")
        );
        // Ratings alone are still offered, for the error to point to a stars scheme.
        let only_stars = vec![row(1, &["5", "좋아요"]), row(2, &["2", "별로"])];
        assert_eq!(
            label_column(&header[..2], &only_stars, "2", false).as_deref(),
            Some("1")
        );
        // No column of words, no text column.
        assert_eq!(text_column(&header, &[row(1, &["1", "2", "3"])]), None);
    }
}
