//! RFM segments from an order history (`orders.csv`): how recently, how often and how much each
//! customer buys, scored 1-5 against the other customers and named by [`SEGMENT_RULES`].
//!
//! Input decisions:
//! - Columns are found by name (see [`OrderColumns`]; defaults accept English and Korean
//!   headers); the file format rules are those of [`super::customers`] (UTF-8, BOM, tabs).
//! - Dates: `YYYY-MM-DD`, `YYYY.MM.DD` (also `2024. 3. 1.`), `YYYY/MM/DD`, `YYYYMMDD`,
//!   `2024년 3월 1일`, or an ISO date-time; the calendar date is taken as written, without
//!   converting time zones.
//! - Amounts: `12,900원`, `₩15000`, `￦ 15,000`, `KRW 15000`, `15000.5`; commas must group
//!   thousands (`12,90` is ambiguous and rejected).
//! - A negative amount is a refund: it reduces monetary value but is no order, so it counts
//!   toward neither frequency nor recency. A customer with only refunds is not scored.
//! - With an `order_id` column, rows sharing an id are line items of one order: frequency counts
//!   distinct orders, monetary sums every row. Without it, every row is an order.
//!
//! Scoring: `as_of` defaults to the day after the latest date in the file, so the same file always
//! gives the same scores; orders after an explicit `as_of` are ignored. Each of R, F and M is
//! `1 + ⌊5·k/n⌋` where `k` is the number of customers strictly worse on that measure and `n` the
//! number of customers: exact quintiles when values are distinct, and customers with equal values
//! always share a score (so with many one-order customers, F jumps from 1 straight to 4 or 5).

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

use chrono::{DateTime, Datelike, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::customers::{LoadError, Rejected, Table};
use crate::ingest::mapping::name_key;

#[derive(Debug, Clone, PartialEq)]
pub struct Order {
    pub customer_id: String,
    pub order_id: Option<String>,
    pub date: NaiveDate,
    /// Negative for a refund.
    pub amount: f64,
    pub line: u64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Orders {
    pub orders: Vec<Order>,
    pub rejected: Vec<Rejected>,
}

/// Accepted header names per column, matched after normalisation (trim, lower-case, spaces and
/// `-` as `_`); the first present wins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderColumns {
    pub customer_id: Vec<String>,
    pub order_date: Vec<String>,
    pub amount: Vec<String>,
    /// Optional: without it every row is its own order.
    pub order_id: Vec<String>,
}

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

impl Default for OrderColumns {
    fn default() -> Self {
        OrderColumns {
            customer_id: names(&[
                "customer_id",
                "customer",
                "member_id",
                "user_id",
                "고객id",
                "고객번호",
                "회원id",
                "회원번호",
            ]),
            order_date: names(&[
                "order_date",
                "date",
                "ordered_at",
                "order_datetime",
                "purchase_date",
                "주문일",
                "주문일자",
                "주문일시",
                "구매일",
            ]),
            amount: names(&[
                "amount",
                "total",
                "price",
                "order_amount",
                "금액",
                "주문금액",
                "결제금액",
                "구매금액",
            ]),
            order_id: names(&["order_id", "order_no", "주문번호"]),
        }
    }
}

impl OrderColumns {
    pub fn with_customer_id(mut self, name: &str) -> Self {
        self.customer_id = vec![name.to_owned()];
        self
    }

    pub fn with_order_date(mut self, name: &str) -> Self {
        self.order_date = vec![name.to_owned()];
        self
    }

    pub fn with_amount(mut self, name: &str) -> Self {
        self.amount = vec![name.to_owned()];
        self
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RfmScore {
    pub customer_id: String,
    /// Days from the last order to `as_of`.
    pub recency_days: i64,
    /// Number of orders.
    pub frequency: u32,
    /// Net spend: orders minus refunds.
    pub monetary: f64,
    pub r: u8,
    pub f: u8,
    pub m: u8,
    pub segment: &'static str,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RfmResult {
    /// One per customer with at least one order, sorted by customer id.
    pub scores: Vec<RfmScore>,
    pub as_of: NaiveDate,
    /// Customers whose rows up to `as_of` are all refunds: not scored (no order to date).
    pub refund_only: Vec<String>,
    /// Rows dated after `as_of`, left out.
    pub after_as_of: usize,
}

/// One row of the segment map: scores within the inclusive ranges get the name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentRule {
    pub name: &'static str,
    pub r: (u8, u8),
    pub f: (u8, u8),
    pub m: (u8, u8),
}

const fn rule(name: &'static str, r: (u8, u8), f: (u8, u8), m: (u8, u8)) -> SegmentRule {
    SegmentRule { name, r, f, m }
}

const ANY: (u8, u8) = (1, 5);

/// The widely used RFM segment map over recency and frequency; monetary only separates
/// Cannot Lose from At Risk. The first matching rule wins; every (R, F, M) matches one rule,
/// except that Cannot Lose is carved out of At Risk and therefore comes first.
///
/// ```text
///          F=1             F=2                 F=3                 F=4         F=5
/// R=5      New             Potential Loyalist  Potential Loyalist  Champions   Champions
/// R=4      Promising       Potential Loyalist  Potential Loyalist  Champions   Champions
/// R=3      About To Sleep  About To Sleep      Need Attention      Loyal       Loyal
/// R=2      Hibernating     Hibernating         At Risk             At Risk     At Risk (M=5: Cannot Lose)
/// R=1      Lost            Lost                At Risk             At Risk     At Risk (M=5: Cannot Lose)
/// ```
///
/// "Loyal" (frequent, R 3-5) is left with R=3, F 4-5 once Champions take R 4-5 F 4-5 and, as in the
/// usual map, Potential Loyalist and Need Attention take F=3.
pub const SEGMENT_RULES: [SegmentRule; 11] = [
    rule("Champions", (4, 5), (4, 5), ANY),
    rule("Loyal", (3, 3), (4, 5), ANY),
    rule("Potential Loyalist", (4, 5), (2, 3), ANY),
    rule("New", (5, 5), (1, 1), ANY),
    rule("Promising", (4, 4), (1, 1), ANY),
    rule("Need Attention", (3, 3), (3, 3), ANY),
    rule("About To Sleep", (3, 3), (1, 2), ANY),
    rule("Cannot Lose", (1, 2), (5, 5), (5, 5)),
    rule("At Risk", (1, 2), (3, 5), ANY),
    rule("Hibernating", (2, 2), (1, 2), ANY),
    rule("Lost", (1, 1), (1, 2), ANY),
];

/// Only for scores outside 1-5, which [`rfm`] never produces.
pub const UNCLASSIFIED: &str = "Unclassified";

impl SegmentRule {
    pub fn matches(&self, r: u8, f: u8, m: u8) -> bool {
        let within = |(lo, hi): (u8, u8), x: u8| lo <= x && x <= hi;
        within(self.r, r) && within(self.f, f) && within(self.m, m)
    }
}

pub fn segment(r: u8, f: u8, m: u8) -> &'static str {
    SEGMENT_RULES
        .iter()
        .find(|rule| rule.matches(r, f, m))
        .map_or(UNCLASSIFIED, |rule| rule.name)
}

pub fn load_orders(path: &Path) -> Result<Orders, LoadError> {
    load_orders_with(path, &OrderColumns::default())
}

pub fn load_orders_with(path: &Path, columns: &OrderColumns) -> Result<Orders, LoadError> {
    let name = path.display().to_string();
    let file = super::customers::open_table_file(path, &name)?;
    read_orders(file, &name, columns)
}

/// Reads orders from any reader; `file` names it in errors.
pub fn read_orders(
    input: impl Read,
    file: &str,
    columns: &OrderColumns,
) -> Result<Orders, LoadError> {
    let mut table = Table::open(input, file)?;
    let find = |candidates: &[String]| {
        candidates.iter().find_map(|c| {
            let c = name_key(c);
            table.keys.iter().position(|k| name_key(k) == c)
        })
    };
    let required = |candidates: &[String], what: &str| {
        find(candidates).ok_or_else(|| {
            table.error(
                Some(1),
                format!("no {what} column among {}", table.header_list()),
                format!("name it one of: {}", candidates.join(", ")),
            )
        })
    };
    let id_col = required(&columns.customer_id, "customer id")?;
    let date_col = required(&columns.order_date, "order date")?;
    let amount_col = required(&columns.amount, "amount")?;
    let order_col = find(&columns.order_id);
    let header = |col: usize| Some(table.headers[col].clone());
    let (id_name, date_name, amount_name) = (header(id_col), header(date_col), header(amount_col));

    let mut orders = Vec::new();
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
        let cell = |col: usize| cells.get(col).map_or("", |s| s.trim());
        let reject = |field: &Option<String>, reason: String| Rejected {
            line,
            field: field.clone(),
            reason,
        };
        let customer_id = cell(id_col);
        if customer_id.is_empty() {
            rejected.push(reject(&id_name, "missing customer id".into()));
            continue;
        }
        let Some(date) = parse_order_date(cell(date_col)) else {
            let reason = match cell(date_col) {
                "" => "missing order date".to_owned(),
                raw => format!(
                    "`{raw}` is not a date (use YYYY-MM-DD, YYYY.MM.DD or an ISO date-time)"
                ),
            };
            rejected.push(reject(&date_name, reason));
            continue;
        };
        let amount = match parse_amount(cell(amount_col)) {
            Ok(a) => a,
            Err(reason) => {
                rejected.push(reject(&amount_name, reason));
                continue;
            }
        };
        orders.push(Order {
            customer_id: customer_id.to_owned(),
            order_id: order_col
                .map(|c| cell(c).to_owned())
                .filter(|s| !s.is_empty()),
            date,
            amount,
            line,
        });
    }
    Ok(Orders { orders, rejected })
}

/// An order date; `None` if it is not one of the documented formats or outside 1990-2099 (older
/// dates are placeholders such as Excel's 1900-01-00).
pub fn parse_order_date(raw: &str) -> Option<NaiveDate> {
    let s = raw.trim();
    let b = s.as_bytes();
    // Plain `YYYY-MM-DD` is nearly every row; chrono's format parsing would cost more than the
    // rest of loading.
    if b.len() == 10 && b[4] == b'-' && b[7] == b'-' {
        let n = |r: std::ops::Range<usize>| -> Option<u32> {
            let part = &s[r];
            part.bytes()
                .all(|c| c.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let date = NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(5..7)?, n(8..10)?)?;
        return (1990..=2099).contains(&date.year()).then_some(date);
    }
    let date = DateTime::parse_from_rfc3339(s)
        .map(|d| d.date_naive())
        .ok()
        .or_else(|| {
            const DATETIME: &[&str] = &[
                "%Y-%m-%dT%H:%M:%S%.f",
                "%Y-%m-%d %H:%M:%S%.f",
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
                "%Y.%m.%d %H:%M:%S",
                "%Y.%m.%d %H:%M",
                "%Y/%m/%d %H:%M:%S",
                "%Y/%m/%d %H:%M",
            ];
            DATETIME
                .iter()
                .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
                .map(|dt| dt.date())
        })
        .or_else(|| {
            // `2024. 3. 1.` and `2024년 3월 1일` become `2024.3.1`/`2024-3-1`.
            let compact: String = s
                .replace(['년', '월'], "-")
                .replace('일', "")
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect();
            let compact = compact.trim_end_matches('.');
            if compact.len() == 8 && compact.bytes().all(|b| b.is_ascii_digit()) {
                let n = |r: std::ops::Range<usize>| -> Option<u32> { compact[r].parse().ok() };
                return NaiveDate::from_ymd_opt(i32::try_from(n(0..4)?).ok()?, n(4..6)?, n(6..8)?);
            }
            ["%Y-%m-%d", "%Y.%m.%d", "%Y/%m/%d"]
                .iter()
                .find_map(|f| NaiveDate::parse_from_str(compact, f).ok())
        })?;
    (1990..=2099).contains(&date.year()).then_some(date)
}

/// An amount in won (or any currency without a symbol): `12,900원`, `₩15000`, `-3,000`.
pub fn parse_amount(raw: &str) -> Result<f64, String> {
    let s: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() {
        return Err("missing amount".into());
    }
    let not_amount = || {
        format!(
            "`{}` is not an amount (e.g. 12900, 12,900원, ₩15000)",
            raw.trim()
        )
    };
    let mut rest = s.as_str();
    let mut negative = false;
    // The sign may come before or after the currency symbol: `-₩1,000`, `₩-1,000`.
    for _ in 0..2 {
        if let Some(r) = rest.strip_prefix(['-', '−']) {
            negative = !negative;
            rest = r;
        }
        for symbol in ["₩", "￦", "KRW", "krw"] {
            if let Some(r) = rest.strip_prefix(symbol) {
                rest = r;
            }
        }
    }
    for suffix in ["원", "KRW", "krw"] {
        if let Some(r) = rest.strip_suffix(suffix) {
            rest = r;
        }
    }
    let (int, frac) = rest.split_once('.').unwrap_or((rest, ""));
    let groups: Vec<&str> = int.split(',').collect();
    let digits = |g: &str| !g.is_empty() && g.bytes().all(|b| b.is_ascii_digit());
    let grouped =
        groups.len() == 1 || (groups[0].len() <= 3 && groups[1..].iter().all(|g| g.len() == 3));
    if !groups.iter().all(|g| digits(g)) || !(frac.is_empty() || digits(frac)) {
        return Err(not_amount());
    }
    if !grouped {
        return Err(format!(
            "`{}` has commas that do not group thousands; is it a decimal comma? write 12900 or 12,900",
            raw.trim()
        ));
    }
    let plain = format!(
        "{}.{}",
        groups.concat(),
        if frac.is_empty() { "0" } else { frac }
    );
    let value: f64 = plain.parse().map_err(|_| not_amount())?;
    Ok(if negative { -value } else { value })
}

#[derive(Default)]
struct Totals<'a> {
    last: Option<NaiveDate>,
    /// Counted once deduplicated; a sort is cheaper than hashing a million ids.
    order_ids: Vec<&'a str>,
    /// Orders without an order id, each its own order.
    unnamed: u32,
    monetary: f64,
}

pub fn rfm(orders: &[Order], as_of: Option<NaiveDate>) -> RfmResult {
    let as_of = as_of
        .or_else(|| {
            orders
                .iter()
                .map(|o| o.date)
                .max()
                .and_then(|d| d.succ_opt())
        })
        // No orders: nothing is scored, so the date only labels the (empty) result.
        .unwrap_or_else(|| chrono::Local::now().date_naive());

    // A hash map, not a BTreeMap: with orders in file order, every tree comparison would chase
    // a customer id somewhere else in memory (3x slower on a million orders).
    let mut totals: HashMap<&str, Totals> = HashMap::new();
    let after_as_of = orders.iter().filter(|o| o.date > as_of).count();
    for o in orders.iter().filter(|o| o.date <= as_of) {
        let t = totals.entry(o.customer_id.as_str()).or_default();
        t.monetary += o.amount;
        if o.amount < 0.0 {
            continue;
        }
        t.last = t.last.max(Some(o.date));
        match &o.order_id {
            Some(id) => t.order_ids.push(id),
            None => t.unnamed += 1,
        }
    }

    let mut refund_only: Vec<String> = totals
        .iter()
        .filter(|(_, t)| t.last.is_none())
        .map(|(id, _)| (*id).to_owned())
        .collect();
    refund_only.sort_unstable();
    let mut scores: Vec<RfmScore> = totals
        .into_iter()
        .filter_map(|(id, mut t)| {
            let last = t.last?;
            t.order_ids.sort_unstable();
            t.order_ids.dedup();
            Some(RfmScore {
                customer_id: id.to_owned(),
                recency_days: (as_of - last).num_days(),
                frequency: t.unnamed + u32::try_from(t.order_ids.len()).unwrap_or(u32::MAX),
                monetary: t.monetary,
                r: 0,
                f: 0,
                m: 0,
                segment: UNCLASSIFIED,
            })
        })
        .collect();
    scores.sort_unstable_by(|a, b| a.customer_id.cmp(&b.customer_id));

    // Fewer days since the last order is better, hence the negation.
    let r = quintiles(
        &scores
            .iter()
            .map(|s| -(s.recency_days as f64))
            .collect::<Vec<_>>(),
    );
    let f = quintiles(
        &scores
            .iter()
            .map(|s| f64::from(s.frequency))
            .collect::<Vec<_>>(),
    );
    let m = quintiles(&scores.iter().map(|s| s.monetary).collect::<Vec<_>>());
    for (i, s) in scores.iter_mut().enumerate() {
        (s.r, s.f, s.m) = (r[i], f[i], m[i]);
        s.segment = segment(s.r, s.f, s.m);
    }
    RfmResult {
        scores,
        as_of,
        refund_only,
        after_as_of,
    }
}

/// `1 + ⌊5·k/n⌋` per value, `k` being how many values are strictly smaller: higher is better,
/// and equal values get equal scores.
pub fn quintiles(values: &[f64]) -> Vec<u8> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let n = values.len();
    values
        .iter()
        .map(|v| {
            let below = sorted.partition_point(|x| x.total_cmp(v).is_lt());
            // below < n, so this is at most 4.
            1 + u8::try_from(5 * below / n).unwrap_or(4).min(4)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn order(customer: &str, date: NaiveDate, amount: f64) -> Order {
        Order {
            customer_id: customer.into(),
            order_id: None,
            date,
            amount,
            line: 0,
        }
    }

    fn read(csv: &str) -> Orders {
        read_orders(csv.as_bytes(), "orders.csv", &OrderColumns::default()).unwrap()
    }

    #[test]
    fn quintiles_exact_for_distinct_values_shared_for_ties() {
        let distinct: Vec<f64> = (1..=10).map(f64::from).collect();
        assert_eq!(quintiles(&distinct), vec![1, 1, 2, 2, 3, 3, 4, 4, 5, 5]);
        // Order of input does not matter.
        let shuffled = [7.0, 2.0, 10.0, 1.0, 5.0, 3.0, 9.0, 4.0, 8.0, 6.0];
        assert_eq!(quintiles(&shuffled), vec![4, 1, 5, 1, 3, 2, 5, 2, 4, 3]);
        // Six one-order customers share the lowest score; the next value starts at rank 6/10.
        let freq = [1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 2.0, 2.0, 3.0, 5.0];
        assert_eq!(quintiles(&freq), vec![1, 1, 1, 1, 1, 1, 4, 4, 5, 5]);
        assert_eq!(quintiles(&[42.0]), vec![1]);
        assert_eq!(quintiles(&[]), Vec::<u8>::new());
    }

    #[test]
    fn rfm_scores_a_hand_made_population() {
        // Ten customers: C0 ordered most recently and most often, C9 least.
        let last = d(2024, 6, 30);
        let mut orders = Vec::new();
        for i in 0..10u32 {
            let when = last - chrono::Days::new(u64::from(i) * 30);
            for _ in 0..(10 - i) {
                orders.push(order(&format!("C{i}"), when, 10_000.0 * f64::from(10 - i)));
            }
        }
        let result = rfm(&orders, None);
        assert_eq!(result.as_of, d(2024, 7, 1));
        let c0 = &result.scores[0];
        assert_eq!(
            (c0.customer_id.as_str(), c0.recency_days, c0.frequency),
            ("C0", 1, 10)
        );
        assert_eq!(c0.monetary, 1_000_000.0);
        let got: Vec<(&str, u8, u8, u8, &str)> = result
            .scores
            .iter()
            .map(|s| (s.customer_id.as_str(), s.r, s.f, s.m, s.segment))
            .collect();
        assert_eq!(
            got,
            vec![
                ("C0", 5, 5, 5, "Champions"),
                ("C1", 5, 5, 5, "Champions"),
                ("C2", 4, 4, 4, "Champions"),
                ("C3", 4, 4, 4, "Champions"),
                ("C4", 3, 3, 3, "Need Attention"),
                ("C5", 3, 3, 3, "Need Attention"),
                ("C6", 2, 2, 2, "Hibernating"),
                ("C7", 2, 2, 2, "Hibernating"),
                ("C8", 1, 1, 1, "Lost"),
                ("C9", 1, 1, 1, "Lost"),
            ]
        );
    }

    #[test]
    fn every_score_combination_maps_to_exactly_one_segment() {
        for r in 1..=5 {
            for f in 1..=5 {
                for m in 1..=5 {
                    let matching: Vec<&str> = SEGMENT_RULES
                        .iter()
                        .filter(|rule| rule.matches(r, f, m))
                        .map(|rule| rule.name)
                        .collect();
                    match matching.as_slice() {
                        [_] => {}
                        // The one deliberate overlap, resolved by order.
                        ["Cannot Lose", "At Risk"] => assert_eq!((f, m), (5, 5)),
                        other => panic!("R{r} F{f} M{m} matches {other:?}"),
                    }
                    assert_ne!(segment(r, f, m), UNCLASSIFIED);
                }
            }
        }
        assert_eq!(segment(0, 3, 3), UNCLASSIFIED);
    }

    #[test]
    fn every_named_segment_is_reachable() {
        let cases = [
            ((5, 5, 1), "Champions"),
            ((3, 4, 2), "Loyal"),
            ((4, 2, 3), "Potential Loyalist"),
            ((5, 1, 1), "New"),
            ((4, 1, 5), "Promising"),
            ((3, 3, 3), "Need Attention"),
            ((3, 2, 1), "About To Sleep"),
            ((1, 5, 5), "Cannot Lose"),
            ((2, 5, 4), "At Risk"),
            ((2, 1, 1), "Hibernating"),
            ((1, 2, 5), "Lost"),
        ];
        for ((r, f, m), name) in cases {
            assert_eq!(segment(r, f, m), name, "R{r} F{f} M{m}");
        }
        let all: HashSet<&str> = cases.iter().map(|(_, n)| *n).collect();
        let table: HashSet<&str> = SEGMENT_RULES.iter().map(|r| r.name).collect();
        assert_eq!(all, table);
    }

    #[test]
    fn as_of_override_ignores_later_orders() {
        let orders = vec![
            order("A", d(2024, 1, 10), 5_000.0),
            order("A", d(2024, 3, 1), 7_000.0),
            order("B", d(2024, 2, 1), 9_000.0),
        ];
        let result = rfm(&orders, Some(d(2024, 2, 11)));
        assert_eq!(result.as_of, d(2024, 2, 11));
        let a = &result.scores[0];
        assert_eq!((a.recency_days, a.frequency, a.monetary), (32, 1, 5_000.0));
        assert_eq!(result.scores[1].recency_days, 10);
        assert!(rfm(&[], None).scores.is_empty());
    }

    #[test]
    fn refunds_and_line_items() {
        let orders = read(
            "order_id,customer_id,order_date,amount\n\
             O1,C1,2024-03-01,10000\n\
             O1,C1,2024-03-01,5000\n\
             O2,C1,2024-03-05,\"20,000원\"\n\
             R1,C1,2024-03-20,-5000\n\
             R2,C2,2024-03-02,-1000\n",
        );
        assert_eq!(orders.orders[0].order_id.as_deref(), Some("O1"));
        let result = rfm(&orders.orders, None);
        assert_eq!(result.as_of, d(2024, 3, 21));
        // C2 only has a refund: no orders, no score.
        assert_eq!(result.scores.len(), 1);
        let c1 = &result.scores[0];
        // Two orders (O1 has two line items); the refund lowers spend but is not "recent buying".
        assert_eq!(
            (c1.frequency, c1.monetary, c1.recency_days),
            (2, 30_000.0, 16)
        );
    }

    #[test]
    fn loads_korean_headers_and_date_formats() {
        let orders = read(
            "\u{feff}고객ID,주문일시,결제금액\n\
             C1,2024-03-01T23:10:00+09:00,\"12,900원\"\n\
             C2,2024.03.02,₩15000\n\
             C3,2024. 3. 3.,15000.5\n\
             C4,2024/03/04 10:00,\"￦ 1,000\"\n\
             C5,20240305,KRW 3000\n\
             C6,2024년 3월 6일,\"-₩2,000\"\n",
        );
        assert!(orders.rejected.is_empty(), "{:?}", orders.rejected);
        let got: Vec<(NaiveDate, f64)> = orders.orders.iter().map(|o| (o.date, o.amount)).collect();
        assert_eq!(
            got,
            vec![
                (d(2024, 3, 1), 12_900.0),
                (d(2024, 3, 2), 15_000.0),
                (d(2024, 3, 3), 15_000.5),
                (d(2024, 3, 4), 1_000.0),
                (d(2024, 3, 5), 3_000.0),
                (d(2024, 3, 6), -2_000.0),
            ]
        );
        assert_eq!(orders.orders[5].line, 7);
    }

    #[test]
    fn amount_parsing() {
        assert_eq!(parse_amount("12,900원"), Ok(12_900.0));
        assert_eq!(parse_amount("₩15000"), Ok(15_000.0));
        assert_eq!(parse_amount("15000.5"), Ok(15_000.5));
        assert_eq!(parse_amount(" 1,234,567 원 "), Ok(1_234_567.0));
        assert_eq!(parse_amount("₩-3,000"), Ok(-3_000.0));
        assert_eq!(parse_amount("0"), Ok(0.0));
        assert_eq!(parse_amount(""), Err("missing amount".into()));
        assert!(parse_amount("12,90")
            .unwrap_err()
            .contains("do not group thousands"));
        assert!(parse_amount("1,2345").is_err());
        assert!(parse_amount("만원")
            .unwrap_err()
            .contains("is not an amount"));
        assert!(parse_amount("1.2.3").is_err());
        assert!(parse_amount("12원원").is_err());
        assert!(parse_amount("NaN").is_err());
    }

    #[test]
    fn bad_rows_are_reported_with_lines_and_fields() {
        let orders = read(
            "customer_id,date,total\n\
             C1,2024-03-01,10000\n\
             C2,2024-13-01,10000\n\
             C3,2024-03-03,만원\n\
             ,2024-03-04,5000\n\
             C5,,5000\n\
             C6,1900-01-00,5000\n\
             C7,2024-03-07,\"1,000\",extra\n\
             C8,2024-03-08,12,90\n",
        );
        assert_eq!(orders.orders.len(), 1);
        let got: Vec<(u64, Option<&str>)> = orders
            .rejected
            .iter()
            .map(|r| (r.line, r.field.as_deref()))
            .collect();
        assert_eq!(
            got,
            vec![
                (3, Some("date")),
                (4, Some("total")),
                (5, Some("customer_id")),
                (6, Some("date")),
                (7, Some("date")),
                (8, None),
                (9, None),
            ]
        );
        assert_eq!(
            orders.rejected[0].reason,
            "`2024-13-01` is not a date (use YYYY-MM-DD, YYYY.MM.DD or an ISO date-time)"
        );
        assert_eq!(orders.rejected[3].reason, "missing order date");
    }

    #[test]
    fn configurable_columns_and_missing_column_error() {
        let csv = "회원,결제일,결제액\nM1,2024-05-01,30000\n";
        let e = read_orders(csv.as_bytes(), "orders.csv", &OrderColumns::default()).unwrap_err();
        assert_eq!(e.line, Some(1));
        assert!(
            e.message.starts_with("no customer id column among `회원`"),
            "{}",
            e.message
        );
        let columns = OrderColumns::default()
            .with_customer_id("회원")
            .with_order_date("결제일")
            .with_amount("결제액");
        let orders = read_orders(csv.as_bytes(), "orders.csv", &columns).unwrap();
        assert_eq!(orders.orders[0].amount, 30_000.0);
        let e = read_orders(
            "customer_id,amount\n".as_bytes(),
            "o.csv",
            &OrderColumns::default(),
        )
        .unwrap_err();
        assert!(
            e.to_string().starts_with("o.csv:1: no order date column"),
            "{e}"
        );
    }
}
