//! Customer segments joined onto documents, and re-joined without re-analysis.

mod common;

use common::{ctx, fixture, ids, ingest};

#[test]
fn documents_carry_segments_and_unknown_customers_get_unknown() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "customer_id,region,segment\nC001,서울,VIP\nC002,부산,\n",
    )
    .unwrap();
    sori::jobs::segments_load(&c, &customers).unwrap();
    ingest(&c, &fixture("reviews.csv"));
    assert_eq!(ids(&c, "segment:vip"), vec!["t:r1", "t:r4"]);
    assert_eq!(ids(&c, "attr.customer.region:부산"), vec!["t:r2", "t:r9"]);
    // r7 has no customer id; C003 is not in customers.csv.
    let unknown = ids(&c, "segment:unknown");
    assert!(unknown.contains(&"t:r7".to_string()) && unknown.contains(&"t:r3".to_string()));
}

/// A gzip-compressed customer table is read as ingest reads a `.csv.gz`.
#[test]
fn a_gzip_customer_table_is_loaded() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let customers = dir.path().join("customers.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&customers).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all("customer_id,segment\nC001,VIP\n".as_bytes())
        .unwrap();
    gz.finish().unwrap();
    sori::jobs::segments_load(&c, &customers).unwrap();
    ingest(&c, &fixture("reviews.csv"));
    assert_eq!(ids(&c, "segment:vip"), vec!["t:r1", "t:r4"]);
}

#[test]
fn reloading_segments_rejoins_the_index_without_reingesting() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    ingest(&c, &fixture("reviews.csv"));
    assert!(ids(&c, "segment:vip").is_empty());
    let customers = dir.path().join("customers.csv");
    std::fs::write(&customers, "customer_id,segment\nC005,VIP\n").unwrap();
    let s = sori::jobs::segments_load(&c, &customers).unwrap();
    assert_eq!(s.documents_rejoined, 1);
    assert_eq!(ids(&c, "segment:vip"), vec!["t:r6"]);
    // The text analysis survived the re-join: the document is still found by its words.
    assert_eq!(ids(&c, "결제 segment:vip"), vec!["t:r6"]);
    // Re-ingest after a re-join changes nothing.
    let again = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(again.total(|f| f.unchanged), 12);
}

#[test]
fn rfm_segments_from_orders() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let orders = dir.path().join("orders.csv");
    let mut csv = String::from("order_id,customer_id,order_date,amount\n");
    // C001 buys often and recently; C002 bought once, long ago.
    for (i, d) in [
        "2024-05-01",
        "2024-05-10",
        "2024-05-20",
        "2024-05-28",
        "2024-05-30",
    ]
    .iter()
    .enumerate()
    {
        csv.push_str(&format!("o{i},C001,{d},\"59,000원\"\n"));
    }
    csv.push_str("o9,C002,2023-06-01,12000\n");
    csv.push_str("o10,C003,not-a-date,1000\n");
    for (i, cid) in ["C004", "C005", "C006", "C007"].iter().enumerate() {
        csv.push_str(&format!("p{i},{cid},2024-0{}-15,30000\n", i + 2));
    }
    std::fs::write(&orders, csv).unwrap();
    ingest(&c, &fixture("reviews.csv"));
    let s = sori::jobs::segments_rfm(&c, &orders, None).unwrap();
    assert_eq!(s.rejected.len(), 1);
    assert_eq!(s.rejected[0].line, 8);
    assert_eq!(
        ids(&c, "segment:champions customer:C001"),
        vec!["t:r1", "t:r4"]
    );
    // C002 (one order a year ago) and C004 (one order in February) are both Lost.
    assert_eq!(ids(&c, "segment:lost"), vec!["t:r2", "t:r5", "t:r9"]);

    // The same table gzip-compressed, as an export job writes it: the same segments and the
    // same rejected line.
    use std::io::Write;
    let gz_path = dir.path().join("orders.csv.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz_path).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&std::fs::read(&orders).unwrap()).unwrap();
    gz.finish().unwrap();
    let from_gz = sori::jobs::segments_rfm(&c, &gz_path, None).unwrap();
    assert_eq!(from_gz.rejected.len(), 1);
    assert_eq!(from_gz.rejected[0].line, 8);
    assert_eq!(ids(&c, "segment:lost"), vec!["t:r2", "t:r5", "t:r9"]);
    assert_eq!(
        ids(&c, "segment:champions customer:C001"),
        vec!["t:r1", "t:r4"]
    );
}

/// Regression: refund-only customers and orders after --as-of vanished from the summary
/// without a word, and a typo'd future date silently moved the as-of date.
#[test]
fn rfm_says_what_it_did_not_score() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let orders = dir.path().join("o.csv");
    std::fs::write(
        &orders,
        "customer_id,order_date,amount\nA,2024-01-05,5000\nB,2024-01-05,-5000\nC,2024-05-31,1000\nD,2024-03-01,1000\n",
    )
    .unwrap();
    let s = sori::jobs::segments_rfm(&c, &orders, Some("2024-04-01")).unwrap();
    assert_eq!(s.loaded, 2);
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("only refunds") && n.contains('B')),
        "{:?}",
        s.notes
    );
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("1 order row(s) dated after 2024-04-01")),
        "{:?}",
        s.notes
    );
    std::fs::write(
        &orders,
        "customer_id,order_date,amount\nA,2024-01-05,5000\nC,2030-12-31,1000\n",
    )
    .unwrap();
    let s = sori::jobs::segments_rfm(&c, &orders, None).unwrap();
    assert!(
        s.notes
            .iter()
            .any(|n| n.contains("in the future") && n.contains("--as-of")),
        "{:?}",
        s.notes
    );
}
