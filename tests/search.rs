//! Search over a real tantivy index built with the real Korean dictionary.

mod common;

use common::{ctx, fixture, ids, ingest};

fn setup() -> (tempfile::TempDir, sori::jobs::Context) {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let s = ingest(&c, &fixture("reviews.csv"));
    assert_eq!(s.docs_in_index, 12);
    (dir, c)
}

#[test]
fn korean_queries_are_analyzed_like_the_text() {
    let (_d, c) = setup();
    // An unspaced compound finds the spaced, inflected forms.
    assert_eq!(ids(&c, "배송지연"), vec!["t:r1", "t:r8"]);
    // A request form finds the noun it is about.
    assert_eq!(ids(&c, "환불해주세요"), vec!["t:r2", "t:r9"]);
    assert_eq!(ids(&c, "환불"), vec!["t:r2", "t:r9"]);
    // Particles do not stop a match: 로그인이 -> 로그인.
    assert_eq!(ids(&c, "로그인"), vec!["t:r5"]);
}

/// Regression: an adverb or negation in a typed sentence (`너무 안 돼요`) made the whole AND
/// match nothing, because the word analyzes to no term; it is now left out, with a note.
#[test]
fn words_with_nothing_to_search_are_left_out_of_an_and() {
    let (_d, c) = setup();
    assert_eq!(ids(&c, "배송이 너무 지연"), vec!["t:r1", "t:r8"]);
    assert_eq!(ids(&c, "로그인이 안 돼요"), vec!["t:r5"]);
    assert_eq!(ids(&c, "정말 환불"), ids(&c, "환불"));
    let r = sori::jobs::run_search(&c, "너무 지연", 10, vec![]).unwrap();
    assert_eq!(r.total, 2);
    assert!(
        r.warnings.iter().any(|w| w.contains("`너무` left out")),
        "{:?}",
        r.warnings
    );
    // Alone, such a word still matches nothing, and says so.
    let r = sori::jobs::run_search(&c, "너무", 10, vec![]).unwrap();
    assert_eq!(r.total, 0);
    assert!(r.warnings.iter().any(|w| w.contains("matches nothing")));
}

/// Regression: a query starting with `-` (`sori search '-배송'`) was taken for an option.
#[test]
fn a_negative_only_query_is_not_taken_for_an_option() {
    let (d, _c) = setup();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sori"))
        .arg("--data-dir")
        .arg(d.path())
        .args(["search", "--json", "-배송"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["total"], 9); // 12 reviews, 3 about 배송
}

#[test]
fn english_words_are_stemmed() {
    let (_d, c) = setup();
    assert_eq!(ids(&c, "keeping"), vec!["t:r7"]);
    assert_eq!(ids(&c, "TUMBLERS"), vec!["t:r7"]);
}

#[test]
fn boolean_operators_and_phrases() {
    let (_d, c) = setup();
    assert_eq!(ids(&c, "로그인 OR 결제"), vec!["t:r5", "t:r6"]);
    assert_eq!(ids(&c, "배송 -지연"), vec!["t:r3"]);
    assert_eq!(ids(&c, "배송 AND NOT 지연"), vec!["t:r3"]);
    assert_eq!(ids(&c, "(환불 OR 교환) 이어폰"), vec!["t:r2"]);
    // Phrase: terms adjacent in order. "지연된 배송" has them the other way round.
    assert_eq!(ids(&c, "\"배송 지연\""), vec!["t:r1"]);
}

#[test]
fn field_filters() {
    let (_d, c) = setup();
    assert_eq!(ids(&c, "rating:<=1"), vec!["t:r1", "t:r11", "t:r8"]);
    assert_eq!(ids(&c, "rating:>=5 channel:app"), vec!["t:r10"]);
    assert_eq!(ids(&c, "channel:google"), vec!["t:r5", "t:r6"]);
    assert_eq!(ids(&c, "since:2024-05-01"), vec!["t:r11", "t:r12"]);
    assert_eq!(ids(&c, "until:2024-03-06"), vec!["t:r1", "t:r2"]);
    assert_eq!(ids(&c, "lang:en"), vec!["t:r7"]);
    assert_eq!(
        ids(&c, "product:\"소리버즈 프로\" 배송"),
        vec!["t:r1", "t:r8"]
    );
    assert_eq!(ids(&c, "attr.option:270"), vec!["t:r4"]);
    assert_eq!(ids(&c, "flag:pii"), vec!["t:r11"]);
    assert_eq!(ids(&c, "customer:C002"), vec!["t:r2", "t:r9"]);
}

#[test]
fn pii_is_never_indexed_or_stored() {
    let (_d, c) = setup();
    assert!(ids(&c, "5678").is_empty());
    let r = sori::jobs::run_search(&c, "교환", 10, vec![]).unwrap();
    assert_eq!(r.hits.len(), 1);
    assert!(r.hits[0].text.contains("[전화번호]"), "{}", r.hits[0].text);
    assert!(!r.hits[0].text.contains("1234"));
}

/// Regression: a user dictionary added after ingest made a brand unfindable (the query split
/// by the new words, the documents by the old), and re-ingest left the documents unchanged.
#[test]
fn a_changed_user_dictionary_is_flagged_and_reingest_reanalyzes() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("sb.csv");
    std::fs::write(&path, "id,text\n1,소리버즈 프로 음질 좋아요\n").unwrap();
    ingest(&c, &path);
    let search = |q: &str| sori::jobs::run_search(&c, q, 10, vec![]).unwrap();
    assert_eq!(search("소리버즈").total, 1);
    assert!(search("소리버즈").warnings.is_empty());
    std::fs::write(dir.path().join("user-dict.csv"), "소리버즈,NNP\n").unwrap();
    let is_flagged = |r: &sori::query::SearchResult| {
        r.warnings
            .iter()
            .any(|w| w.contains("user-dict.csv changed"))
    };
    let stale = search("소리버즈");
    assert!(is_flagged(&stale), "{:?}", stale.warnings);
    // Regression: ingesting another file recorded the new dictionary and the note was lost,
    // though `sb.csv`'s document still carried the old analysis.
    let other = dir.path().join("other.csv");
    std::fs::write(&other, "id,text\n9,배송 빨라요\n").unwrap();
    ingest(&c, &other);
    let still = search("소리버즈");
    assert!(is_flagged(&still), "{:?}", still.warnings);
    let again = ingest(&c, &path);
    assert_eq!(again.total(|f| f.updated), 1);
    let fresh = search("소리버즈");
    assert_eq!(fresh.total, 1);
    assert!(fresh.warnings.is_empty(), "{:?}", fresh.warnings);
}

/// Regression: a contact column beside the text (연락처, email) was stored and searchable as
/// written, while the same number inside the text was redacted.
#[test]
fn pii_in_attribute_columns_is_redacted_too() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let customers = dir.path().join("customers.csv");
    std::fs::write(
        &customers,
        "customer_id,segment,phone,region\nC1,VIP,010-2222-3333,서울\n",
    )
    .unwrap();
    sori::jobs::segments_load(&c, &customers).unwrap();
    let path = dir.path().join("pii.csv");
    std::fs::write(
        &path,
        "id,customer_id,text,연락처,email,updated\n1,C1,배송 문의합니다,010-9876-5432,lee@example.com,1704170069\n",
    )
    .unwrap();
    ingest(&c, &path);
    assert_eq!(ids(&c, "attr.연락처:010"), Vec::<String>::new());
    assert_eq!(ids(&c, "attr.email:lee"), Vec::<String>::new());
    assert_eq!(ids(&c, "attr.customer.phone:010"), Vec::<String>::new());
    assert_eq!(ids(&c, "attr.customer.region:서울"), vec!["t:1"]);
    // Hits show the columns the attr. filters read, redacted as stored.
    let hit = &sori::jobs::run_search(&c, "", 1, vec![]).unwrap().hits[0];
    assert_eq!(hit.attributes["email"], "[이메일]");
    assert_eq!(hit.customer_attributes["region"], "서울");
    // Long digit runs in such columns are ids and timestamps, and are kept.
    assert_eq!(ids(&c, "attr.updated:1704170069"), vec!["t:1"]);
    let store: Vec<u8> = walk(&dir.path().join("index"));
    for secret in ["9876-5432", "lee@example.com", "2222-3333"] {
        assert!(
            !store.windows(secret.len()).any(|w| w == secret.as_bytes()),
            "{secret} is in the index files"
        );
    }
}

fn walk(dir: &std::path::Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            bytes.extend(walk(&path));
        } else {
            bytes.extend(std::fs::read(&path).unwrap());
        }
    }
    bytes
}

#[test]
fn hits_carry_highlights_and_facets_count_all_matches() {
    let (_d, c) = setup();
    let r =
        sori::jobs::run_search(&c, "배송", 1, vec!["channel".into(), "product".into()]).unwrap();
    assert_eq!(r.total, 3);
    assert_eq!(r.hits.len(), 1);
    let h = &r.hits[0];
    assert!(!h.highlights.is_empty());
    for &(s, e) in &h.highlights {
        assert_eq!(&h.snippet[s..e], "배송");
    }
    let channel: Vec<(String, u64)> = r.facets["channel"]
        .iter()
        .map(|f| (f.value.clone(), f.count))
        .collect();
    assert!(channel.contains(&("web".to_string(), 2)), "{channel:?}");
    assert!(
        channel.contains(&("app-store".to_string(), 1)),
        "{channel:?}"
    );
    // Regression: a facet named as its query field (`flag:` -> flags) was refused.
    let r = sori::jobs::run_search(&c, "", 1, vec!["flag".into(), "customer".into()]).unwrap();
    assert!(
        r.facets["flags"].iter().any(|f| f.value == "pii_redacted"),
        "{:?}",
        r.facets
    );
    assert!(r.facets["customer_id"]
        .iter()
        .any(|f| f.value == "C001" && f.count == 2));
    assert!(sori::jobs::run_search(&c, "", 1, vec!["colour".into()]).is_err());
}

#[test]
fn bad_queries_say_where_they_are_wrong() {
    let (_d, c) = setup();
    for (q, needle) in [
        ("(배송 OR 환불", "unclosed"),
        ("\"배송 지연", "quote"),
        ("rating:<=abc", "number"),
        ("since:2024-13-01", "month 13"),
        ("colour:red", "colour"),
    ] {
        let err = sori::jobs::run_search(&c, q, 10, vec![]).unwrap_err();
        let msg = err.to_string().to_lowercase();
        assert!(msg.contains(needle), "{q}: {msg}");
        assert!(err.hint().is_some(), "{q}");
    }
    let err = sori::jobs::run_search(&c, "배송", 10, vec!["colour".into()]).unwrap_err();
    assert!(err.hint().unwrap().contains("channel"));
}

#[test]
fn searching_without_an_index_is_a_user_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = sori::jobs::run_search(&ctx(dir.path()), "배송", 10, vec![]).unwrap_err();
    assert_eq!(err.exit_code(), 2);
    assert!(err.hint().unwrap().contains("sori ingest"));
}
