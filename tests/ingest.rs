//! Ingest accounting, upserts, quarantine and crash safety on a real index.

mod common;

use common::{ctx, fixture, ids, ingest, ingest_with};
use sori::jobs::IngestRequest;

#[test]
fn ingesting_the_same_file_twice_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let first = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(first.total(|f| f.ingested_new), 12);
    let second = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(second.total(|f| f.unchanged), 12);
    assert_eq!(second.total(|f| f.ingested()), 0);
    assert_eq!(second.docs_in_index, 12);
}

#[test]
fn a_changed_record_replaces_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    ingest(&c, &fixture("reviews.csv"));
    let changed = dir.path().join("reviews.csv");
    let text = std::fs::read_to_string(fixture("reviews.csv")).unwrap();
    std::fs::write(
        &changed,
        text.replace("결제 오류가 계속 나요", "결제는 이제 잘 돼요"),
    )
    .unwrap();
    let s = ingest(&c, &changed);
    assert_eq!(s.total(|f| f.updated), 1);
    assert_eq!(s.total(|f| f.unchanged), 11);
    assert_eq!(s.docs_in_index, 12);
    assert_eq!(ids(&c, "오류"), Vec::<String>::new());
    assert_eq!(ids(&c, "결제"), vec!["t:r6"]);
}

#[test]
fn bad_records_are_quarantined_and_counted_never_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let s = ingest(&c, &fixture("bad.csv"));
    let f = &s.files[0];
    assert_eq!(f.records_read, f.ingested() + f.unchanged + f.quarantined);
    assert_eq!(f.ingested(), 2, "{f:?}");
    assert_eq!(f.quarantined, 5, "{f:?}");
    let q = std::fs::read_to_string(dir.path().join("quarantine/bad.csv.rejected.jsonl")).unwrap();
    let rows: Vec<serde_json::Value> = q
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(rows.len(), 5);
    let find = |line: u64| {
        rows.iter()
            .find(|r| r["line"] == line)
            .unwrap_or_else(|| panic!("line {line}: {q}"))
    };
    assert_eq!(find(3)["field"], "created_at");
    assert_eq!(find(4)["field"], "rating");
    assert!(find(5)["reason"].as_str().unwrap().contains("no text"));
    assert!(find(7)["reason"].as_str().unwrap().contains("duplicate id"));
    assert!(find(8)["reason"].as_str().unwrap().contains("fields"));
    for r in &rows {
        assert_eq!(r["file"], "bad.csv");
    }
}

/// Regression: `jan/reviews.csv` and `feb/reviews.csv` in one run were both source `reviews`,
/// and February's records silently replaced January's.
#[test]
fn two_files_that_would_share_a_source_are_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    for month in ["jan", "feb"] {
        std::fs::create_dir(dir.path().join(month)).unwrap();
        std::fs::write(
            dir.path().join(month).join("reviews.csv"),
            format!("id,text\n1,{month} 배송 느려요\n"),
        )
        .unwrap();
    }
    let files: Vec<_> = ["jan", "feb"]
        .iter()
        .map(|m| dir.path().join(m).join("reviews.csv"))
        .collect();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sori"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(["ingest", "--no-sentiment", "-q"])
        .args(&files)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("jan/reviews.csv")
            && err.contains("feb/reviews.csv")
            && err.contains("--source"),
        "{err}"
    );
    // One at a time, each under its own name, both are kept.
    for (n, (month, file)) in ["jan", "feb"].iter().zip(&files).enumerate() {
        let request = IngestRequest {
            source: Some((*month).into()),
            ..common::request(file)
        };
        let s = sori::jobs::run_ingest(&c, &request).unwrap();
        assert_eq!(s.docs_in_index as usize, n + 1);
    }
}

/// Regression: without an id column, the same short review on two lines got the same
/// content-hash id and the second was quarantined as a repeated id, so counts came out low.
#[test]
fn identical_reviews_without_ids_are_all_kept_and_flagged_duplicate() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("l.csv");
    std::fs::write(&path, "text\n배송 빨라요\n최악\n배송 빨라요\n배송 빨라요\n").unwrap();
    let s = ingest(&c, &path);
    assert_eq!((s.files[0].ingested(), s.files[0].quarantined), (4, 0));
    assert_eq!(ids(&c, "flag:duplicate").len(), 2);
    let again = ingest(&c, &path);
    assert_eq!(again.total(|f| f.unchanged), 4);
}

/// Regression: ingest refused a file whose text column has no usual name (`Comments`, `리뷰
/// 본문 내용`) that `analyze` and `eval` read by the column's values; now ingest does too, and
/// says so. A file with no column of text is still refused.
#[test]
fn a_text_column_without_a_usual_name_is_found_by_its_values() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("cm.csv");
    std::fs::write(
        &path,
        "No,Comments,평점\n1,배송이 빠르고 포장도 꼼꼼했어요,5\n2,색이 사진이랑 너무 달라요 실망,2\n",
    )
    .unwrap();
    let s = ingest(&c, &path);
    assert_eq!(s.files[0].ingested(), 2);
    assert!(
        s.files[0]
            .layout
            .as_deref()
            .unwrap_or_default()
            .contains("`Comments`, found by its values"),
        "{:?}",
        s.files[0].layout
    );
    assert_eq!(ids(&c, "포장 rating:5"), vec!["t:1"]);
    let numbers = dir.path().join("numbers.csv");
    std::fs::write(&numbers, "a,b\n1,2\n3,4\n").unwrap();
    let err = common::ingest_with(&c, &numbers, None, false).unwrap_err();
    assert!(err.to_string().contains("no free-text column"), "{err}");
}

/// `--prune`: a file that is a full snapshot of its source removes the documents whose rows
/// left it; a file with quarantined rows removes nothing (those rows may only be malformed).
#[test]
fn prune_removes_documents_whose_rows_left_the_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("snap.csv");
    let run = |prune: bool| {
        common::run(
            &c,
            IngestRequest {
                prune,
                ..common::request(&path)
            },
        )
    };
    std::fs::write(
        &path,
        "id,text\n1,배송 빨라요\n2,환불해주세요\n3,포장 꼼꼼\n",
    )
    .unwrap();
    run(false);
    std::fs::write(&path, "id,rating,text\n1,5,배송 빨라요\n3,5,포장 꼼꼼\n").unwrap();
    let kept = run(false);
    assert_eq!(kept.docs_in_index, 3, "without --prune nothing is removed");
    let pruned = run(true);
    assert_eq!(pruned.docs_in_index, 2);
    assert!(pruned.files[0]
        .pruned
        .as_deref()
        .unwrap()
        .starts_with("1 document(s)"));
    assert!(ids(&c, "환불").is_empty());
    std::fs::write(&path, "id,rating,text\n1,9,배송 빨라요\n").unwrap();
    let held = run(true);
    assert_eq!(held.docs_in_index, 2);
    assert!(held.files[0]
        .pruned
        .as_deref()
        .unwrap()
        .starts_with("not pruned"));
    // One source over several files would prune each file's documents while reading the next.
    let other = dir.path().join("snap2.csv");
    std::fs::write(&other, "id,text\n7,배송 빨라요\n").unwrap();
    let err = sori::jobs::run_ingest(
        &c,
        &IngestRequest {
            files: vec![path.display().to_string(), other.display().to_string()],
            prune: true,
            ..common::request(&path)
        },
    )
    .err()
    .unwrap();
    assert!(err.to_string().contains("--prune with one source"), "{err}");
    assert_eq!(ids(&c, "").len(), 2, "nothing was written");
}

/// Regression: a cell of only zero-width characters or Hangul fillers (a "blank" answer typed
/// to get past a required field) was indexed as an empty, neutral document.
#[test]
fn an_answer_of_invisible_characters_is_no_text() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("blank.csv");
    std::fs::write(
        &path,
        "id,text\nk1,배송 빨라요\nk2,\u{200B}\u{200B}\nk3, \u{3164}\u{3164} \nk4,좋\u{200B}아요\n",
    )
    .unwrap();
    let s = ingest(&c, &path);
    let f = &s.files[0];
    assert_eq!((f.ingested(), f.quarantined), (2, 2), "{f:?}");
    let q =
        std::fs::read_to_string(dir.path().join("quarantine/blank.csv.rejected.jsonl")).unwrap();
    let lines: Vec<u64> = q
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .inspect(|r| assert!(r["reason"].as_str().unwrap().contains("no text"), "{r}"))
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [3, 4]);
    assert_eq!(ids(&c, ""), vec!["t:k1", "t:k4"]);
}

#[test]
fn strict_mode_stops_at_the_first_bad_record_and_commits_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let err = ingest_with(&c, &fixture("bad.csv"), None, true).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("bad.csv:3"), "{msg}");
    assert!(msg.contains("created_at"), "{msg}");
    assert_eq!(err.exit_code(), 2);
    // Nothing was committed: the index is empty (or absent).
    let r = sori::jobs::run_search(&c, "", 10, vec![]);
    assert!(r.map(|r| r.total).unwrap_or(0) == 0);
}

#[test]
fn an_interrupted_ingest_leaves_the_last_commit_and_a_rerun_converges() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    ingest(&c, &fixture("bad_fixed.csv"));
    {
        // A crash mid-ingest: documents added, process gone before commit.
        let (index, morph) = sori::jobs::open_index(&c, false).unwrap();
        let mut pipeline = sori::jobs::standard_pipeline(&index, &morph, None).unwrap();
        let writer = index.writer().unwrap();
        let mut docs: Vec<sori::record::Document> = Vec::new();
        let mut d = sori_doc("t:crash", "커밋되지 않은 문서");
        pipeline.process(std::slice::from_mut(&mut d)).unwrap();
        docs.push(d);
        for d in &docs {
            index.upsert(&writer, d).unwrap();
        }
        drop(writer);
    }
    assert_eq!(ids(&c, ""), vec!["t:b1", "t:b5"]);
    let s = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(s.docs_in_index, 14);
    let s = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(s.docs_in_index, 14);
}

fn sori_doc(id: &str, text: &str) -> sori::record::Document {
    sori::record::Document {
        record: sori::record::Record {
            id: id.into(),
            response_id: id.into(),
            kind: sori::record::Kind::Review,
            source: "t".into(),
            file: "x".into(),
            line: 1,
            field: "text".into(),
            text: text.into(),
            customer_id: None,
            created_at: None,
            channel: None,
            product: None,
            rating: None,
            attributes: Default::default(),
        },
        analysis: Default::default(),
        segments: vec![],
        customer_attributes: Default::default(),
        fingerprint: 1,
        terms: vec![],
    }
}

#[test]
fn duplicates_are_flagged_not_deleted() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let f = dir.path().join("dups.csv");
    std::fs::write(
        &f,
        "id,text\nd1,배송이 정말 빠르고 포장도 꼼꼼했어요 다음에도 주문할게요\nd2,배송이 정말 빠르고 포장도 꼼꼼했어요 다음에도 주문할게요\nd3,배송이 정말 빠르고 포장도 꼼꼼했어요!! 다음에도 주문할게요 ㅋㅋ\nd4,상담원이 불친절해서 다시는 이용 안 합니다\n",
    )
    .unwrap();
    let s = ingest(&c, &f);
    assert_eq!(s.docs_in_index, 4);
    let dup = ids(&c, "flag:duplicate");
    let near = ids(&c, "flag:near_duplicate");
    assert!(dup.contains(&"t:d2".to_string()), "{dup:?}");
    assert!(
        dup.contains(&"t:d3".to_string()) || near.contains(&"t:d3".to_string()),
        "{dup:?} {near:?}"
    );
    assert!(!dup.contains(&"t:d1".to_string()) && !near.contains(&"t:d1".to_string()));
    assert!(!dup.contains(&"t:d4".to_string()) && !near.contains(&"t:d4".to_string()));
}

/// Regression: a copy kept its `duplicate` flag after the review it copied was edited or
/// removed, because an unchanged row is skipped on re-ingest and nothing revisited its flag.
#[test]
fn a_copy_is_unflagged_when_the_review_it_copied_changes_or_leaves() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let f = dir.path().join("edits.csv");
    let late = "배송이 너무 늦어서 화가 납니다 다시는 안 시켜요";
    let run = |rows: &str, prune: bool| {
        std::fs::write(&f, format!("id,text\n{rows}")).unwrap();
        common::run(
            &c,
            IngestRequest {
                prune,
                ..common::request(&f)
            },
        )
    };
    run(
        &format!("a,{late}\nb,{late}\nc,{late}\nd,포장이 꼼꼼해요\n"),
        false,
    );
    assert_eq!(ids(&c, "flag:duplicate"), vec!["t:b", "t:c"]);

    // `a` edited: `b` is now the first of the two copies left, `c` its copy.
    let s = run(
        &format!(
            "a,포장도 꼼꼼하고 배송도 빨라서 만족합니다\nb,{late}\nc,{late}\nd,포장이 꼼꼼해요\n"
        ),
        false,
    );
    assert_eq!((s.total(|f| f.updated), s.total(|f| f.unchanged)), (1, 3));
    assert_eq!(s.copies_rechecked, 2);
    assert_eq!(ids(&c, "flag:duplicate"), vec!["t:c"]);
    let copy = sori::jobs::run_search(&c, "flag:duplicate", 10, vec![]).unwrap();
    assert_eq!(copy.hits[0].text, late, "the rewritten copy keeps its text");
    assert_eq!(
        ids(&c, "늦어서"),
        vec!["t:b", "t:c"],
        "and stays searchable"
    );

    // `b` leaves the snapshot: `c` has no original left.
    let s = run(
        &format!("a,포장도 꼼꼼하고 배송도 빨라서 만족합니다\nc,{late}\nd,포장이 꼼꼼해요\n"),
        true,
    );
    assert_eq!((s.docs_in_index, s.copies_rechecked), (3, 1));
    assert!(ids(&c, "flag:duplicate").is_empty());

    // Nothing changed: nothing to check again.
    let s = run(
        &format!("a,포장도 꼼꼼하고 배송도 빨라서 만족합니다\nc,{late}\nd,포장이 꼼꼼해요\n"),
        true,
    );
    assert_eq!(s.copies_rechecked, 0);
}

/// Korean Excel saves "CSV" as CP949; before, every Korean row of such a file was quarantined
/// as invalid UTF-8.
#[test]
fn a_korean_excel_csv_in_cp949_is_ingested_like_its_utf8_twin() {
    // CP949 has no emoji.
    let utf8 = std::fs::read_to_string(fixture("reviews.csv"))
        .unwrap()
        .replace('👍', "");
    let (cp949, _, unmappable) = encoding_rs::EUC_KR.encode(&utf8);
    assert!(!unmappable);
    let (dir, twin_dir) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let excel = dir.path().join("reviews.csv");
    std::fs::write(&excel, &cp949).unwrap();
    let twin = twin_dir.path().join("reviews.csv");
    std::fs::write(&twin, &utf8).unwrap();

    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let (from_utf8, from_cp949) = (ctx(a.path()), ctx(b.path()));
    let s = ingest(&from_cp949, &excel);
    assert_eq!(s.files[0].encoding, Some("CP949"));
    assert_eq!(s.files[0].quarantined, 0, "{:?}", s.files[0]);
    assert_eq!(s.total(|f| f.ingested_new), 12);
    let mut summary = Vec::new();
    sori::report::ingest_summary(&mut summary, &s).unwrap();
    let summary = String::from_utf8(summary).unwrap();
    assert!(summary.contains("reviews.csv: read as CP949"), "{summary}");

    assert_eq!(ingest(&from_utf8, &twin).files[0].encoding, None);
    for q in ["결제", "배송", "로그인"] {
        let hits = ids(&from_cp949, q);
        assert!(!hits.is_empty(), "{q}");
        assert_eq!(hits, ids(&from_utf8, q), "{q}");
    }
}

#[test]
fn gzip_files_are_read_and_spreadsheets_refused_with_a_hint() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let gz = dir.path().join("reviews.csv.gz");
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&std::fs::read(fixture("reviews.csv")).unwrap())
        .unwrap();
    enc.finish().unwrap();
    let c = ctx(dir.path());
    let s = ingest(&c, &gz);
    assert_eq!(s.total(|f| f.ingested_new), 12, "{:?}", s.files);
    assert_eq!(s.files[0].quarantined, 0);

    // An .xlsx is a ZIP archive: refused by name, and by content when renamed .csv.
    let xlsx = dir.path().join("survey.xlsx");
    std::fs::write(&xlsx, b"PK\x03\x04\x14\x00\x06\x00rest of a workbook").unwrap();
    let renamed = dir.path().join("survey.csv");
    std::fs::copy(&xlsx, &renamed).unwrap();
    for (file, kind) in [(&xlsx, "an Excel workbook"), (&renamed, "a ZIP archive")] {
        let e = ingest_with(&c, file, None, false).unwrap_err();
        let msg = e.to_string();
        assert!(
            msg.contains(kind) && msg.contains("not a text table"),
            "{msg}"
        );
        assert_eq!(e.exit_code(), 2);
        assert!(e.hint().unwrap_or_default().contains("CSV UTF-8"), "{msg}");
    }
}

/// A `.txt` export says neither its format nor, without a header row, its columns: the
/// format comes from its lines, the text column from its values, and the summary says so.
#[test]
fn txt_files_without_a_header_row_or_columns_are_read_by_their_layout() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let shop = dir.path().join("shop.txt");
    std::fs::write(
        &shop,
        "5\t배송 빠르고 포장도 꼼꼼해요\n1\t이거 완전 불량이에요 환불해주세요\n4\t가격 대비 괜찮아요\n",
    )
    .unwrap();
    let s = ingest(&c, &shop);
    let f = &s.files[0];
    assert_eq!((f.ingested_new, f.quarantined), (3, 0), "{f:?}");
    assert_eq!(
        f.layout.as_deref(),
        Some("read as tsv without a header row; columns named by position, text from column 2")
    );
    // The first row is a record, not column names.
    assert_eq!(ids(&c, "배송").len(), 1);
    assert_eq!(ids(&c, "불량").len(), 1);

    let plain = dir.path().join("plain.txt");
    std::fs::write(
        &plain,
        "앱이 자꾸 꺼져요, 업데이트 후로\n\n결제 오류 문의합니다\n",
    )
    .unwrap();
    let s = ingest(&c, &plain);
    let f = &s.files[0];
    assert_eq!((f.ingested_new, f.quarantined), (2, 0), "{f:?}");
    assert_eq!(f.layout.as_deref(), Some("read as one text per line"));
    assert_eq!(ids(&c, "업데이트").len(), 1);
}

/// A 10-star export (Naver's layout: `rating` 1-10) without a mapping: its ratings are read
/// on the 1-10 scale, not quarantined as off the default 1-5 one, and the summary says so.
#[test]
fn ratings_above_five_are_read_as_ten_stars_not_quarantined() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("movies.tsv");
    std::fs::write(
        &path,
        "review_id\trating\ttext\n1\t10\t인생 영화입니다\n2\t1\t시간 아까워요\n3\t7\t볼만해요\n",
    )
    .unwrap();
    let s = ingest(&c, &path);
    let f = &s.files[0];
    assert_eq!((f.ingested_new, f.quarantined), (3, 0), "{f:?}");
    assert_eq!(
        f.layout.as_deref(),
        Some("ratings in `rating` read on the stars10 scale (1-10), from their values")
    );
    assert_eq!(ids(&c, "rating:>=9").len(), 1);

    // A five-star file is left on its default scale.
    let five = dir.path().join("five.tsv");
    std::fs::write(&five, "id\tstars\ttext\n1\t5\t좋아요\n2\t2\t별로\n").unwrap();
    let f = &ingest(&c, &five).files[0];
    assert_eq!((f.ingested(), f.layout.as_deref()), (2, None), "{f:?}");
}
