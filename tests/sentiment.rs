//! The committed sentiment model, used for real: in the index, in `sori analyze`, in `sori eval`.

mod common;

use std::process::Command;

use common::{ctx, fixture, ids};

fn sori() -> Command {
    Command::new(env!("CARGO_BIN_EXE_sori"))
}

/// Runs a command that must succeed; its stdout.
fn stdout_of(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// Runs a command that must fail as a usage error (exit 2); its stderr.
fn usage_error(cmd: &mut Command) -> String {
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs a `--json` command that must succeed and parses its report.
fn json_report(cmd: &mut Command) -> serde_json::Value {
    serde_json::from_str(&stdout_of(cmd)).unwrap()
}

/// A path inside the repository.
fn repo(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// `sori eval sentiment [args...]` that must fail; its stderr.
fn eval_failure(args: &[&std::ffi::OsStr]) -> String {
    let out = sori()
        .args(["eval", "sentiment"])
        .args(args)
        .output()
        .unwrap();
    assert!(!out.status.success(), "eval {args:?} should fail");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `sori eval sentiment --json [extra...]` on a committed labelled file, parsed.
fn eval_file(relative: &str, extra: &[&str]) -> serde_json::Value {
    json_report(
        sori()
            .args(["eval", "sentiment", "--json"])
            .args(extra)
            .arg("--data")
            .arg(repo(relative)),
    )
}

/// `sori eval sentiment --json EXTRA --data PATH` for a file outside the repository.
fn eval_path(path: &std::path::Path, extra: &[&str]) -> serde_json::Value {
    json_report(
        sori()
            .args(["eval", "sentiment", "--json"])
            .args(extra)
            .arg("--data")
            .arg(path),
    )
}

fn eval_mini(extra: &[&str]) -> serde_json::Value {
    eval_file("corpora/eval/sentiment-mini.tsv", extra)
}

#[test]
fn ingest_fills_sentiment_and_search_filters_and_facets_by_it() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    sori::jobs::run_ingest(
        &c,
        &sori::jobs::IngestRequest {
            sentiment: true,
            ..common::request(&fixture("reviews.csv"))
        },
    )
    .unwrap();
    // Both angry delivery complaints are negative; the happy one is not.
    assert_eq!(ids(&c, "sentiment:negative 배송"), vec!["t:r1", "t:r8"]);
    assert!(ids(&c, "sentiment:positive").contains(&"t:r3".to_string()));
    assert_eq!(ids(&c, "sentiment:부정 배송"), vec!["t:r1", "t:r8"]);
    let r = sori::jobs::run_search(&c, "", 20, vec!["sentiment".into()]).unwrap();
    let total: u64 = r.facets["sentiment"].iter().map(|f| f.count).sum();
    assert_eq!(total, 12, "every document has a sentiment: {:?}", r.facets);
    let hit = r.hits.iter().find(|h| h.id == "t:r1").unwrap();
    assert_eq!(hit.sentiment.as_deref(), Some("negative"));
    assert!(hit.sentiment_score.unwrap() < -0.3);
}

#[test]
fn analyze_writes_one_json_line_per_record_with_the_documented_fields() {
    let out = common::piped(
        &["analyze"],
        "{\"id\": \"a\", \"text\": \"배송은 빨랐어요. 그런데 품질이 너무 별로라서 환불했습니다 ㅠㅠ\"}\n{\"id\": \"b\", \"text\": \"최고예요 ㅋㅋㅋㅋ 010-1234-5678\"}\n{\"id\": \"c\"}\n{\"id\": \"d\", \"text\": \"\u{200B}\u{3164}\"}\n",
    );
    assert!(out.status.success());
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 4);
    let a = lines.iter().find(|l| l["id"] == "a").unwrap();
    assert_eq!(a["lang"], "ko");
    let probs = &a["sentiment"]["probs"];
    let sum: f64 = ["negative", "neutral", "positive"]
        .iter()
        .map(|k| probs[k].as_f64().unwrap())
        .sum();
    assert!((sum - 1.0).abs() < 1e-3);
    assert_eq!(a["sentences"].as_array().unwrap().len(), 2);
    assert!(a["emotions"].is_array());
    let b = lines.iter().find(|l| l["id"] == "b").unwrap();
    assert_eq!(b["sentiment"]["label"], "positive");
    assert!(b["text"].as_str().unwrap().contains("[전화번호]"));
    assert_eq!(b["text"].as_str().unwrap().matches('ㅋ').count(), 2);
    // A record without text is reported in the stream, not dropped.
    // So is one of only invisible characters (regression: it got a neutral score).
    for line in [3, 4] {
        let c = lines.iter().find(|l| l["line"] == line).unwrap();
        assert!(c["error"].as_str().unwrap().contains("no text"), "{c}");
    }
}

/// Regression: the emotion tags took every emotion above its KOTE-tuned threshold, so most
/// complaints were tagged anger, disappointment and anxiety at once and praise with a coupon
/// in it was tagged anger (p 0.42). A tag now needs p >= 0.5, and hits show their tags.
#[test]
fn emotion_tags_hold_only_likely_emotions() {
    let dir = tempfile::tempdir().unwrap();
    let ctx = ctx(dir.path());
    let path = dir.path().join("fb.csv");
    std::fs::write(
        &path,
        "id,text\n1,쿠폰 덕분에 싸게 샀어요. ^^\n2,배송이 2주째 안 와요 진짜 화나네요\n3,직원분이 친절하게 도와주셔서 감사했어요\n4,다시는 안 삽니다 실망이에요\n",
    )
    .unwrap();
    let request = sori::jobs::IngestRequest {
        sentiment: true,
        ..common::request(&path)
    };
    sori::jobs::run_ingest(&ctx, &request).unwrap();
    let all = sori::jobs::run_search(&ctx, "", 10, vec![]).unwrap();
    assert_eq!(all.total, 4);
    let mut tagged = 0;
    for hit in &all.hits {
        for e in &hit.emotions {
            assert!(e.p >= 0.5, "{}: {e:?}", hit.id);
            let found =
                sori::jobs::run_search(&ctx, &format!("emotion:{}", e.label), 10, vec![]).unwrap();
            assert!(found.hits.iter().any(|h| h.id == hit.id), "{}", e.label);
            tagged += 1;
        }
    }
    assert!(tagged >= 4, "every text here has a clear emotion");
    let anger = sori::jobs::run_search(&ctx, "emotion:anger", 10, vec![]).unwrap();
    let ids: Vec<&str> = anger.hits.iter().map(|h| h.id.as_str()).collect();
    assert!(
        ids.contains(&"t:2") && !ids.contains(&"t:1") && !ids.contains(&"t:3"),
        "{ids:?}"
    );
}

/// Regression: re-ingesting an unchanged file with `--no-sentiment` rewrote every document
/// without its scores ("updated"); unchanged documents now keep them.
#[test]
fn reingest_without_the_model_keeps_the_scores_of_unchanged_documents() {
    let dir = tempfile::tempdir().unwrap();
    let c = ctx(dir.path());
    let path = dir.path().join("ns.csv");
    std::fs::write(
        &path,
        "id,text\n1,배송이 너무 늦어요 최악\n2,정말 만족합니다 최고\n",
    )
    .unwrap();
    let run = |sentiment: bool| {
        common::run(
            &c,
            sori::jobs::IngestRequest {
                sentiment,
                ..common::request(&path)
            },
        )
    };
    run(true);
    let again = run(false);
    assert_eq!(again.total(|f| f.unchanged), 2);
    assert_eq!(ids(&c, "sentiment:negative"), vec!["t:1"]);
    assert_eq!(ids(&c, "sentiment:positive"), vec!["t:2"]);
    // A changed row is rewritten, without scores, as asked.
    std::fs::write(
        &path,
        "id,text\n1,배송이 너무 늦어요 최악\n2,정말 만족합니다 최고예요\n",
    )
    .unwrap();
    let changed = run(false);
    assert_eq!(changed.total(|f| f.updated), 1);
    assert!(ids(&c, "sentiment:positive").is_empty());
}

/// Regression: `--id-col` naming no column was ignored (ids fell back to line numbers), and
/// plain text piped in failed every line with no word on what to pass.
#[test]
fn analyze_refuses_an_unknown_id_column_and_hints_at_plain_text_on_stdin() {
    let run = |args: &[&str], input: &str| {
        let args: Vec<&str> = std::iter::once("analyze")
            .chain(args.iter().copied())
            .collect();
        common::piped(&args, input)
    };
    let out = run(
        &["--id-col", "nope"],
        "{\"id\": \"x\", \"text\": \"좋아요\"}\n",
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("`nope`") && err.contains("--id-col"), "{err}");
    let out = run(&[], "배송 빨라요\n불량이에요\n");
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.matches("--format lines").count(), 1, "{err}");
    let out = run(&["--format", "lines"], "배송 빨라요\n불량이에요\n");
    let lines = String::from_utf8(out.stdout).unwrap();
    assert_eq!(lines.lines().count(), 2);
    assert!(
        lines.contains("\"id\":\"1\"") && !lines.contains("error"),
        "{lines}"
    );
}

#[test]
fn eval_reports_consistent_metrics_on_the_mini_set() {
    let r = eval_mini(&[]);
    assert_eq!(r["n"], 60);
    let precision = r["precision"].as_str().unwrap();
    assert!(["bf16", "int8", "f32"].contains(&precision), "{r}");
    let m = r["confusion"].as_array().unwrap();
    let diag: u64 = (0..3).map(|i| m[i][i].as_u64().unwrap()).sum();
    let all: u64 = m
        .iter()
        .flat_map(|row| row.as_array().unwrap())
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(all, 60);
    assert!((r["accuracy"].as_f64().unwrap() - diag as f64 / 60.0).abs() < 1e-9);
    // Obvious polarity: the model must get most of these right.
    assert!(r["accuracy"].as_f64().unwrap() >= 0.75, "{r}");
    let b = eval_mini(&["--scheme", "binary"]);
    assert_eq!(b["n"], 40);
    assert!(b["accuracy"].as_f64().unwrap() >= 0.9, "{b}");
}

/// `--by` breaks the scores down by a column and `--errors` lists the misread rows: the
/// groups add up to the whole, and every listed row is a real misread row of the file.
#[test]
fn eval_breaks_scores_down_by_a_column_and_lists_the_misread_rows() {
    let dir = tempfile::tempdir().unwrap();
    let errors = dir.path().join("misread.jsonl");
    let data = "corpora/feedback-ko/platform-test.tsv";
    let r = eval_file(
        data,
        &["--by", "domain", "--errors", errors.to_str().unwrap()],
    );
    let n = r["n"].as_u64().unwrap();
    let right = (r["accuracy"].as_f64().unwrap() * n as f64).round() as u64;
    let groups = r["groups"].as_array().unwrap();
    let mut names: Vec<&str> = groups
        .iter()
        .map(|g| g["value"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["app", "game", "hotel", "shopping"]);
    let group_n: u64 = groups.iter().map(|g| g["n"].as_u64().unwrap()).sum();
    let group_right: u64 = groups
        .iter()
        .map(|g| (g["accuracy"].as_f64().unwrap() * g["n"].as_f64().unwrap()).round() as u64)
        .sum();
    assert_eq!((group_n, group_right), (n, right), "{r}");
    assert_eq!(r["errors"]["rows"].as_u64().unwrap(), n - right);

    let source = std::fs::read_to_string(repo(data)).unwrap();
    let source: Vec<&str> = source.lines().collect();
    let listed = std::fs::read_to_string(&errors).unwrap();
    let listed: Vec<serde_json::Value> = listed
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(listed.len() as u64, n - right);
    for e in &listed {
        assert_ne!(e["gold"], e["predicted"], "{e}");
        // `line` is the file's own line number: the row there has this text, label and domain.
        let fields: Vec<&str> = source[e["line"].as_u64().unwrap() as usize - 1]
            .split('\t')
            .collect();
        assert_eq!(
            (fields[1], fields[3], fields[4]),
            (
                e["group"].as_str().unwrap(),
                e["gold"].as_str().unwrap(),
                e["text"].as_str().unwrap()
            )
        );
    }

    let data_path = repo(data);
    let err = eval_failure(&[
        "--by".as_ref(),
        "channel".as_ref(),
        "--data".as_ref(),
        data_path.as_os_str(),
    ]);
    assert!(
        err.contains("channel")
            && err.contains("platform-test.tsv")
            && err.contains("fix the name in --by"),
        "{err}"
    );

    // Under `binary` a misread row is one read the other way, never "neutral".
    let r = eval_file(
        data,
        &["--scheme", "binary", "--errors", errors.to_str().unwrap()],
    );
    let listed = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(
        listed.lines().count() as u64,
        r["errors"]["rows"].as_u64().unwrap()
    );
    for l in listed.lines() {
        let e: serde_json::Value = serde_json::from_str(l).unwrap();
        assert!(
            e["predicted"] == "negative" || e["predicted"] == "positive",
            "{e}"
        );
    }

    // A path that cannot be written fails before the model runs, naming the path.
    let nowhere = dir.path().join("no-such-dir").join("misread.jsonl");
    let err = eval_failure(&[
        "--errors".as_ref(),
        nowhere.as_os_str(),
        "--data".as_ref(),
        data_path.as_os_str(),
    ]);
    assert!(
        err.contains("no-such-dir") && err.contains("hint:"),
        "{err}"
    );
}

/// Regression for 0.3.0 reading fact-only complaints ("업데이트 후 로그인이 안돼요",
/// "환불 요청합니다") as neutral: on the held-out problem-report set it scored 0.787 with
/// 0.849 of the complaints found; the default model must now do better on both.
#[test]
fn problem_reports_are_read_as_complaints() {
    let r = eval_file("corpora/feedback-ko/reports-test.tsv", &[]);
    assert_eq!(r["n"], 357);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.80, "{r}");
    assert!(recall(&r, "negative") >= 0.86, "{r}");
}

/// Regression for 0.4.0 reading praise phrased as an absent problem ("발진 한 번 없었어요",
/// "프라이팬 안눌어붙음", "컵에 잘 안 묻어나요") as negative: on the held-out platform-style
/// reviews (app, shopping, hotel, game) it scored 0.834 with 0.832 of the positives found.
#[test]
fn platform_reviews_read_negated_problems_as_praise() {
    let r = eval_file("corpora/feedback-ko/platform-test.tsv", &[]);
    assert_eq!(r["n"], 463);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.86, "{r}");
    assert!(recall(&r, "positive") >= 0.85, "{r}");
}

/// Held-out short, colloquial store reviews (feedback-ko's fifth pass: slang, 음슴체, implicit
/// verdicts), scored by 0.6.0 before any model saw the pass's training half: 0.840 in sori.
#[test]
fn colloquial_store_reviews_stay_above_the_unseen_data_score() {
    let r = eval_file("corpora/feedback-ko/colloquial-test.tsv", &[]);
    assert_eq!(r["n"], 356);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.82, "{r}");
    assert!(r["macro_f1"].as_f64().unwrap() >= 0.82, "{r}");
}

/// Regression for 0.7.1 reading verdicts carried by pragmatics by their words ("재구매 의사
/// 없습니다" -0.13, praise as "이 가격에 이건 반칙", a complaint as "예전 그 맛이 그리워요"): on
/// feedback-ko's held-out pragmatics rows, written by a session that wrote no training row
/// about product types no training session was given, it scored 0.657 (negatives found 0.614,
/// positives 0.677).
#[test]
fn intentions_hyperbole_and_feelings_are_read_as_the_verdict_they_carry() {
    let r = eval_file("corpora/feedback-ko/pragmatics-test.tsv", &[]);
    assert_eq!(r["n"], 420);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.75, "{r}");
    assert!(recall(&r, "negative") >= 0.70, "{r}");
    assert!(recall(&r, "positive") >= 0.75, "{r}");
}

/// Regression for 0.6.0 reading praise phrased as an absent problem as a complaint ("렉 하나도
/// 없음", "버그 없어요", "흠집 하나 없음" all at -0.85 or below): the held-out composition set
/// names only aspects no training row names, and 0.6.0 scored 0.728 there with 0.532 of the
/// positives found (0.348 of the absent problems).
#[test]
fn an_absent_problem_reads_as_praise_for_aspects_never_trained_on() {
    let r = eval_file("corpora/feedback-ko/composition-test.tsv", &[]);
    assert_eq!(r["n"], 408);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.85, "{r}");
    assert!(recall(&r, "positive") >= 0.80, "{r}");
    // Not by reading every "없음" as praise: absent wanted things stay complaints.
    assert!(recall(&r, "negative") >= 0.85, "{r}");
    let probe = eval_file(
        "corpora/eval/composition-probe.tsv",
        &["--scheme", "binary"],
    );
    assert_eq!(probe["n"], 40);
    assert!(probe["accuracy"].as_f64().unwrap() >= 0.75, "{probe}");
}

/// Regression for long reviews losing their verdict: the model read only a review's first
/// 128 tokens (~200 characters), so a hotel or game review that lists details first and
/// judges in its last sentences ("... 다시는 안 갑니다") was read by its details. On the
/// project's long-review set that got 5 of the 90 end-verdict reviews right (0.056) and 0.650
/// of all; head and tail (`head_and_tail`) reads 0.53 of them, the others within two rows,
/// and with the closing view (the last two sentences scored on their own, their geometric
/// mean multiplied in, `with_closing_view`) 0.74, 0.888 of all; on a second set written to
/// check it (`long-reviews-2.tsv`, a quarter of it ending on a side remark) level at 116 of
/// 120.
#[test]
fn a_long_review_is_judged_by_its_end_as_well_as_its_start() {
    let r = eval_file("corpora/eval/long-reviews.tsv", &["--by", "verdict"]);
    assert_eq!(r["n"], 260);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.85, "{r}");
    assert!(group_accuracy(&r, "end") >= 0.68, "{r}");
    // Hearing the end must not hand the score to a side remark after the verdict.
    let r = eval_file("corpora/eval/long-reviews-2.tsv", &["--by", "verdict"]);
    assert_eq!(r["n"], 120);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.93, "{r}");
    assert!(group_accuracy(&r, "sidenote") >= 0.88, "{r}");
    assert!(group_accuracy(&r, "end") >= 0.85, "{r}");
    // Mid-length reviews are read whole, start and end alike (0.917 when written).
    let r = eval_file("corpora/eval/mid-reviews.tsv", &["--by", "verdict"]);
    assert_eq!(r["n"], 120);
    assert!(r["accuracy"].as_f64().unwrap() >= 0.88, "{r}");
    assert!(group_accuracy(&r, "end") >= 0.78, "{r}");
    assert!(group_accuracy(&r, "start") >= 0.90, "{r}");
    assert!(group_accuracy(&r, "throughout") >= 0.90, "{r}");
}

/// Regression for sentence-level sentiment hiding mixed feedback: scored as written, the
/// first clause of "배송은 빨랐는데 품질이 별로예요" read as a hedge (neutral), and on the
/// 200 two-clause reviews of corpora/eval/clauses.tsv 0.6.0 got 64 first clauses right and
/// showed the mix (one positive, one negative sentence) in 47.
#[test]
fn contrastive_clauses_get_their_own_polarity() {
    let data = repo("corpora/eval/clauses.tsv");
    let stdout = stdout_of(sori().args(["analyze", "--text-col", "text"]).arg(&data));
    let gold: Vec<(String, String)> = std::fs::read_to_string(&data)
        .unwrap()
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            (f[2].to_owned(), f[3].to_owned())
        })
        .collect();
    let lines: Vec<serde_json::Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 200);
    let (mut first, mut second, mut mixed) = (0, 0, 0);
    for (line, (want1, want2)) in lines.iter().zip(&gold) {
        let s = line["sentences"].as_array().unwrap();
        if s.len() != 2 {
            continue;
        }
        let (l1, l2) = (&s[0]["sentiment"]["label"], &s[1]["sentiment"]["label"]);
        first += usize::from(l1 == want1.as_str());
        second += usize::from(l2 == want2.as_str());
        mixed += usize::from(l1 != l2 && l1 != "neutral" && l2 != "neutral");
        // What is reported is the text as written, not the form that was scored.
        let text = line["text"].as_str().unwrap();
        assert!(text.starts_with(s[0]["text"].as_str().unwrap()), "{line}");
    }
    assert!(first >= 140, "first clauses right: {first} of 200");
    assert!(second >= 160, "second clauses right: {second} of 200");
    assert!(mixed >= 125, "mix visible in {mixed} of 200");
}

/// One group's accuracy from `sori eval --json --by COL`'s group rows.
fn group_accuracy(report: &serde_json::Value, value: &str) -> f64 {
    report_row(report, "groups", "value", value)["accuracy"]
        .as_f64()
        .unwrap()
}

/// One class's recall from `sori eval --json`'s per-class rows.
fn recall(report: &serde_json::Value, label: &str) -> f64 {
    report_row(report, "per_class", "label", label)["recall"]
        .as_f64()
        .unwrap()
}

/// The row of `report[list]` whose `key` is `value`.
fn report_row<'r>(
    report: &'r serde_json::Value,
    list: &str,
    key: &str,
    value: &str,
) -> &'r serde_json::Value {
    report[list]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row[key] == value)
        .unwrap_or_else(|| panic!("no {key} {value} in {list} of {report}"))
}

#[test]
fn cli_errors_name_the_problem_and_give_a_hint() {
    let dir = tempfile::tempdir().unwrap();
    let out = sori()
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["search", "배송"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no index") && err.contains("hint:"), "{err}");

    let out = sori()
        .args(["--data-dir"])
        .arg(dir.path())
        .args(["ingest", "--strict"])
        .arg(fixture("bad.csv"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.csv:3") && err.contains("created_at"),
        "{err}"
    );
}

/// The default is the committed 6-layer model (built in; `accurate` names it too); `--model
/// fast` is the 4-layer model, read from models/sentiment-fast. They agree on obvious cases.
#[test]
fn fast_model_is_loaded_from_disk_and_agrees_with_the_default_on_obvious_cases() {
    let fast = sori::jobs::load_model("fast").unwrap();
    assert!(
        fast.name().starts_with("sori-sentiment-ko-small"),
        "{}",
        fast.name()
    );
    let default = sori::jobs::load_model("default").unwrap();
    assert!(
        default.name().starts_with("sori-sentiment-ko-0."),
        "{}",
        default.name()
    );
    assert_eq!(
        sori::jobs::load_model("accurate").unwrap().name(),
        default.name()
    );
    let texts = [
        "배송이 빨라서 정말 만족합니다!",
        "포장이 엉망이고 제품도 깨져서 왔어요. 환불 요청합니다.",
        "앱이 자꾸 튕겨서 짜증나네요 ㅡㅡ",
        "직원분들이 친절하셔서 감사했어요 ^^",
        "Great value, works perfectly.",
        "The battery died after two days, very disappointed.",
    ];
    let f = fast.predict_batch(&texts).unwrap();
    let d = default.predict_batch(&texts).unwrap();
    for ((f, d), text) in f.iter().zip(&d).zip(texts) {
        assert_eq!(f.label, d.label, "{text}: {f:?} vs {d:?}");
        assert!((f.probs.iter().sum::<f32>() - 1.0).abs() < 1e-4);
    }
    let r = eval_mini(&["--model", "fast"]);
    assert!(r["model"].as_str().unwrap().contains("small"), "{r}");
    // Since 0.3.0 the fast model mixes in an n-gram model (its own copy of 0.6.0's).
    assert!(r["ngram_weight"].as_f64().unwrap() > 0.0, "{r}");
    assert!(r["accuracy"].as_f64().unwrap() >= 0.75, "{r}");
}

/// `sori bench --model fast` times the named model in its doc-level stage, `--repeat` times
/// with the median and the best run reported (the corpus is a small nsmc-raw-shaped file, so
/// the test does not need ../shared).
#[test]
fn bench_times_the_named_model() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let corpus = dir.path().join("reviews.tsv.gz");
    {
        let f = std::fs::File::create(&corpus).unwrap();
        let mut gz = flate2::write::GzEncoder::new(f, flate2::Compression::fast());
        writeln!(gz, "review_id\tmovie_id\tdate\trating\ttext").unwrap();
        let texts = ["정말 재밌어요 강추", "시간 아까움 ㅡㅡ", "그냥 볼만했어요"];
        for i in 0..30 {
            writeln!(gz, "{i}\t7\t2020-01-01\t5\t{}", texts[i % texts.len()]).unwrap();
        }
        gz.finish().unwrap();
    }
    let report = json_report(
        sori()
            .arg("--data-dir")
            .arg(dir.path().join("data"))
            .args(["bench", "--json", "--with-sentiment", "--model", "fast"])
            .args(["--repeat", "3", "--reviews", "20", "--corpus"])
            .arg(&corpus),
    );
    assert_eq!(report["reviews"], 20, "{report}");
    for stage in report["stages"].as_array().unwrap() {
        let name = stage["name"].as_str().unwrap();
        let runs = if name.starts_with("ingest") { 1 } else { 3 };
        assert_eq!(stage["runs"], runs, "{stage}");
        let (median, best) = (
            stage["docs_per_second"].as_f64().unwrap(),
            stage["best_docs_per_second"].as_f64().unwrap(),
        );
        assert!(best >= median && median > 0.0, "{stage}");
    }
    let stages: Vec<&str> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        stages
            .iter()
            .any(|s| s.starts_with("sentiment model sori-sentiment-ko-small")),
        "{stages:?}"
    );
    assert!(report["peak_rss_mb"].as_f64().unwrap() > 0.0, "{report}");
    let zero = sori()
        .args(["bench", "--repeat", "0", "--corpus"])
        .arg(&corpus)
        .output()
        .unwrap();
    assert_eq!(zero.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&zero.stderr).contains("--repeat"));
}

/// The default model mixes a character n-gram model into the transformer's distribution
/// (models/sentiment/MODEL.md). Ablation on the held-out platform-style reviews and problem
/// reports: the same directory without its `ngram` block scores lower (0.8.0 in the runtime:
/// 734 of 820 rows alone, 747 mixed), so the companion is loaded and used; a config naming a
/// missing n-gram file fails with the file's path.
#[test]
fn ngram_companion_is_used_and_helps_on_held_out_reviews() {
    let (dir, src) = model_copy(&[
        "model.safetensors",
        "tokenizer.json",
        "config.json",
        "emotion.safetensors",
    ]);
    let err = sori::analyze::sentiment::SentimentModel::load(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("ngram.safetensors") && err.contains("hint:"),
        "{err}"
    );

    let mut config: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src.join("config.json")).unwrap()).unwrap();
    let sori_block = config["sori"].as_object_mut().unwrap();
    assert!(
        sori_block.remove("ngram").is_some(),
        "the default model has no n-gram block"
    );
    // The emotion head's n-gram block reads the companion's features, so without the
    // companion the head trained with the encoder (in model.safetensors) stands in.
    sori_block.remove("emotion_head");
    std::fs::write(dir.path().join("config.json"), config.to_string()).unwrap();

    // Two held-out files together: on one file of ~460 rows the companion's margin is a few
    // rows (0.8.0: 2 on platform-test, 11 on reports-test), too close to noise to gate on.
    let right = |r: &serde_json::Value| r["accuracy"].as_f64().unwrap() * r["n"].as_f64().unwrap();
    let (mut right_mixed, mut right_alone, mut rows) = (0.0, 0.0, 0.0);
    for data in [
        "corpora/feedback-ko/platform-test.tsv",
        "corpora/feedback-ko/reports-test.tsv",
    ] {
        let mixed = eval_file(data, &[]);
        let alone = eval_file(data, &["--model", dir.path().to_str().unwrap()]);
        assert!(mixed["ngram_weight"].as_f64().unwrap() > 0.0, "{mixed}");
        assert!(alone["ngram_weight"].is_null(), "{alone}");
        right_mixed += right(&mixed);
        right_alone += right(&alone);
        rows += mixed["n"].as_f64().unwrap();
    }
    assert!(
        right_mixed >= right_alone + 0.01 * rows,
        "mixed {right_mixed} vs alone {right_alone} of {rows}"
    );
}

/// A three-class file coded 0/1/2 is scored as three classes, not as a 0/1 binary file whose
/// 2s are unreadable: the same rows with words and with codes give the same report.
#[test]
fn eval_reads_class_codes_by_the_whole_column() {
    let dir = tempfile::tempdir().unwrap();
    let words = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    let mut lines = words.lines();
    let mut coded = format!("{}\n", lines.next().unwrap());
    for line in lines {
        let (rest, label) = line.rsplit_once('\t').unwrap();
        let code = ["negative", "neutral", "positive"]
            .iter()
            .position(|&l| l == label)
            .unwrap();
        coded.push_str(&format!("{rest}\t{code}\n"));
    }
    let path = dir.path().join("coded.tsv");
    std::fs::write(&path, coded).unwrap();
    let by_code = eval_path(&path, &[]);
    let by_word = eval_mini(&[]);
    assert_eq!(by_code["label_coding"], "0 negative, 1 neutral, 2 positive");
    assert!(by_code.get("notes").is_none(), "{by_code}");
    assert_eq!(by_code["n"], 60);
    assert_eq!(by_code["confusion"], by_word["confusion"]);

    // The same rows as 1 / 3 / 5 stars, scored as binary with the 3s left out.
    let stars: String = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .enumerate()
        .map(|(i, line)| match (i, line.rsplit_once('\t')) {
            (0, _) | (_, None) => format!("{line}\n"),
            (_, Some((rest, code))) => format!("{rest}\t{}\n", 1 + 2 * code.parse::<u8>().unwrap()),
        })
        .collect();
    std::fs::write(&path, stars).unwrap();
    let by_stars = json_report(
        sori()
            .args([
                "eval",
                "sentiment",
                "--json",
                "--scheme",
                "stars-binary",
                "--data",
            ])
            .arg(&path),
    );
    let binary = eval_mini(&["--scheme", "binary"]);
    assert_eq!(by_stars["n"], 40);
    assert_eq!(by_stars["skipped"], 20);
    assert_eq!(by_stars["confusion"], binary["confusion"]);

    // A 1 / 2 column may be a one-based binary coding: read as 0/1/2, with a note.
    let one_two = dir.path().join("one_two.tsv");
    std::fs::write(
        &one_two,
        "text\tlabel\n좋아요\t2\n별로\t1\n\u{200B}\u{3164}\t2\n",
    )
    .unwrap();
    let r = eval_path(&one_two, &[]);
    // A text of only invisible characters is left out, and counted.
    assert_eq!((&r["n"], &r["skipped"]), (&2.into(), &1.into()));
    assert!(
        r["notes"][0]
            .as_str()
            .unwrap()
            .contains("relabel them 0 and 1"),
        "{r}"
    );

    // Without a scheme the same file is read as ratings (no 3 left: binary), as a
    // shopping benchmark with its middle stars removed is meant to be scored.
    let std::process::Output { stdout, .. } = sori()
        .args(["eval", "sentiment", "--data"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&stdout).into_owned();
    let unchanged = std::fs::read_to_string(&path).unwrap();
    let without_middle: String = unchanged
        .lines()
        .filter(|l| !l.ends_with("\t3"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&path, without_middle).unwrap();
    let auto = eval_path(&path, &[]);
    assert_eq!(
        (&auto["scheme"], &auto["scheme_auto"]),
        (&"stars-binary".into(), &true.into())
    );
    assert_eq!(
        auto["label_coding"],
        "stars 1-2 negative, 3 neutral, 4-5 positive"
    );
    assert_eq!(auto["confusion"], binary["confusion"]);
    assert!(stdout.contains("scheme: stars (auto)"), "{stdout}");

    // Under an explicit class scheme, ratings are refused, naming the file and column; a 0-10
    // column under auto is an NPS score, read in its own bands rather than the stars'.
    let err = eval_failure(&[
        "--scheme".as_ref(),
        "three".as_ref(),
        "--data".as_ref(),
        path.as_os_str(),
    ]);
    assert!(
        err.contains("coded.tsv, column `label`") && err.contains("--scheme stars"),
        "{err}"
    );
    std::fs::write(&path, "text\tlabel\n좋아요\t10\n별로\t0\n그냥\t7\n").unwrap();
    assert_eq!(eval_path(&path, &[])["scheme"], "nps");
}

/// A survey export, free text beside its 0-10 recommendation score, is scored in the NPS bands
/// (0-6 / 7-8 / 9-10) without being told; 0-10 scores are not read as ten stars.
#[test]
fn eval_reads_an_nps_column_in_its_bands() {
    let dir = tempfile::tempdir().unwrap();
    let mini = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    let survey: String = mini
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (text, label) = line.rsplit_once('\t').unwrap();
            let score = match (i, label) {
                (0, _) => "추천 점수",
                (_, "negative") if i % 2 == 0 => "0",
                (_, "negative") => "6",
                (_, "neutral") => "7",
                _ => "9",
            };
            format!("{text}\t{score}\n")
        })
        .collect();
    let path = dir.path().join("survey.tsv");
    std::fs::write(&path, survey).unwrap();
    let r = eval_path(&path, &[]);
    assert_eq!(
        (&r["scheme"], &r["scheme_auto"]),
        (&"nps".into(), &true.into())
    );
    assert_eq!(r["label_col"], "추천 점수");
    assert!(r["label_coding"].as_str().unwrap().starts_with("NPS 0-6"));
    assert_eq!(r["confusion"], eval_mini(&[])["confusion"]);
    assert_eq!(
        eval_path(&path, &["--scheme", "nps"])["confusion"],
        r["confusion"]
    );
}

/// The text report says how the labels were read and how many rows were left out and why.
#[test]
fn eval_text_report_names_the_label_coding_and_the_rows_left_out() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("stars.tsv");
    std::fs::write(
        &path,
        "text\tlabel\n정말 좋아요\t5\n\t1\n최악이에요\t1\n그냥 그래요\t3\n",
    )
    .unwrap();
    let stdout = stdout_of(
        sori()
            .args([
                "eval",
                "sentiment",
                "-q",
                "--scheme",
                "stars-binary",
                "--data",
            ])
            .arg(&path),
    );
    let text = stdout;
    assert!(text.contains("n = 2 (left out: 2,"), "{text}");
    assert!(
        text.contains("labels    stars 1-2 negative, 3 neutral, 4-5 positive"),
        "{text}"
    );
}

/// A benchmark saved from Korean Excel (CP949, or UTF-16 "Unicode text") scores as its UTF-8
/// original does.
#[test]
fn eval_reads_cp949_and_utf16_files() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    let (cp949, _, unmappable) = encoding_rs::EUC_KR.encode(&text);
    assert!(!unmappable);
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let by_utf8 = eval_mini(&[]);
    assert_eq!(by_utf8["encoding"], "UTF-8");
    for (name, bytes, encoding) in [
        ("cp949.tsv", cp949.into_owned(), "CP949"),
        ("utf16.tsv", utf16, "UTF-16LE"),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let report = eval_path(&path, &[]);
        assert_eq!(report["encoding"], encoding);
        assert_eq!(report["n"], 60);
        assert_eq!(report["confusion"], by_utf8["confusion"], "{name}");
    }
}

/// A benchmark as it comes (NSMC's `id document label`, a review export with `별점`) is
/// scored without naming its columns; a file with ratings but no labels gets the scheme to use.
#[test]
fn eval_finds_the_text_and_label_columns_by_their_usual_names() {
    let dir = tempfile::tempdir().unwrap();
    let mini = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    let by_default = eval_mini(&[]);
    assert_eq!(
        (&by_default["text_col"], &by_default["label_col"]),
        (&"text".into(), &"label".into())
    );

    // NSMC's own layout, with a .txt name.
    let nsmc = dir.path().join("ratings_test.txt");
    let renamed = mini.replacen("text\tlabel", "document\tlabel", 1);
    std::fs::write(&nsmc, &renamed).unwrap();
    let r = eval_path(&nsmc, &[]);
    assert_eq!(r["text_col"], "document");
    assert_eq!(r["confusion"], by_default["confusion"]);

    // Ratings under a Korean header: found for a stars scheme, pointed to otherwise.
    let stars: String = mini
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let (text, label) = line.rsplit_once('\t').unwrap();
            let rating = match (i, label) {
                (0, _) => "별점",
                (_, "negative") => "1",
                (_, "neutral") => "3",
                _ => "5",
            };
            let text = if i == 0 { "id\t리뷰" } else { text };
            format!("{text}\t{rating}\n")
        })
        .collect();
    let shop = dir.path().join("shop.tsv");
    std::fs::write(&shop, stars).unwrap();
    let r = eval_path(&shop, &["--scheme", "stars"]);
    assert_eq!(
        (&r["text_col"], &r["label_col"]),
        (&"리뷰".into(), &"별점".into())
    );
    assert_eq!(r["confusion"], by_default["confusion"]);
    // Under auto, the star column is the label when nothing else is; under a class scheme
    // the error points to the stars schemes.
    let auto = eval_path(&shop, &[]);
    assert_eq!(
        (&auto["label_col"], &auto["scheme"]),
        (&"별점".into(), &"stars".into())
    );
    assert_eq!(auto["confusion"], by_default["confusion"]);
    let err = usage_error(
        sori()
            .args(["eval", "sentiment", "--scheme", "three", "--data"])
            .arg(&shop),
    );
    assert!(err.contains("`별점` looks like ratings"), "{err}");
    assert!(err.contains("--scheme stars-binary"), "{err}");

    // Headers no list knows (a Kaggle-style export): found by their values, and said so.
    let kaggle = dir.path().join("export.tsv");
    std::fs::write(
        &kaggle,
        mini.replacen("id\ttext\tlabel", "Item No\tReview Text\t평가", 1),
    )
    .unwrap();
    let r = eval_path(&kaggle, &[]);
    assert_eq!(
        (&r["text_col"], &r["label_col"], &r["columns_by_values"]),
        (&"Review Text".into(), &"평가".into(), &true.into())
    );
    assert_eq!(r["confusion"], by_default["confusion"]);
    assert_eq!(by_default["columns_by_values"], false);
}

/// A negative / positive benchmark is scored as binary unless told otherwise: three-way
/// scoring would count every neutral reading of a mild review as an error.
#[test]
fn eval_scores_a_file_without_neutral_labels_as_binary_by_default() {
    let dir = tempfile::tempdir().unwrap();
    let mini = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    let polar: String = mini
        .lines()
        .filter(|l| !l.ends_with("\tneutral"))
        .map(|l| format!("{l}\n"))
        .collect();
    let path = dir.path().join("polar.tsv");
    std::fs::write(&path, polar).unwrap();
    let auto = eval_path(&path, &[]);
    assert_eq!(
        (&auto["scheme"], &auto["scheme_auto"]),
        (&"binary".into(), &true.into())
    );
    let binary = eval_mini(&["--scheme", "binary"]);
    assert_eq!(binary["scheme_auto"], false);
    assert_eq!(auto["confusion"], binary["confusion"]);
    assert_eq!(auto["n"], binary["n"]);
    // With the neutral rows in, the default stays three-way, and reports the binary score
    // of its non-neutral rows too.
    let three = eval_mini(&[]);
    assert_eq!(
        (&three["scheme"], &three["scheme_auto"]),
        (&"three".into(), &true.into())
    );
    assert_eq!(three["non_neutral"]["n"], binary["n"]);
    assert_eq!(three["non_neutral"]["binary_accuracy"], binary["accuracy"]);
    assert!(binary.get("non_neutral").is_none());
}

/// `sori analyze` finds the text column of a survey export by its usual name (here `내용`, in
/// CP949 as Korean Excel saves it), refuses a `--text-col` the file lacks with its columns
/// listed, and reads an empty export as no rows.
#[test]
fn analyze_finds_the_text_column_and_refuses_a_wrong_one() {
    let dir = tempfile::tempdir().unwrap();
    let csv = "번호,내용,별점\n1,배송이 너무 늦어서 화가 나요,1\n2,가성비 최고예요 또 살게요,5\n";
    let (cp949, _, _) = encoding_rs::EUC_KR.encode(csv);
    let survey = dir.path().join("survey.csv");
    std::fs::write(&survey, &cp949).unwrap();
    let out = stdout_of(sori().arg("analyze").arg(&survey));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(lines[0]["text"], "배송이 너무 늦어서 화가 나요");
    assert_eq!(lines[0]["sentiment"]["label"], "negative");
    assert_eq!(lines[1]["sentiment"]["label"], "positive");

    let err = usage_error(sori().args(["analyze", "--text-col", "text"]).arg(&survey));
    assert!(err.contains("`text` named by --text-col"), "{err}");
    assert!(err.contains("번호, 내용, 별점"), "{err}");

    let empty = dir.path().join("empty.csv");
    std::fs::write(&empty, "").unwrap();
    assert_eq!(stdout_of(sori().arg("analyze").arg(&empty)), "");
}

/// Review benchmarks often come as `.txt` files without a header row (`label<TAB>text`, as the
/// Steam and shopping corpora; `rating<TAB>text`): the columns are found by their values and
/// scored as if they had been named.
#[test]
fn eval_reads_a_benchmark_without_a_header_row() {
    let dir = tempfile::tempdir().unwrap();
    let mini = std::fs::read_to_string(repo("corpora/eval/sentiment-mini.tsv")).unwrap();
    // (text, label) of the rows of `id text label` that are not neutral.
    let polar: Vec<(&str, &str)> = mini
        .lines()
        .skip(1)
        .filter_map(|l| l.split_once('\t')?.1.rsplit_once('\t'))
        .filter(|(_, label)| *label != "neutral")
        .collect();
    let named = eval_mini(&["--scheme", "binary"]);

    let steam = dir.path().join("steam.txt");
    let rows: String = polar
        .iter()
        .map(|(text, label)| format!("{}\t{text}\n", u8::from(*label == "positive")))
        .collect();
    std::fs::write(&steam, rows).unwrap();
    let r = eval_path(&steam, &[]);
    assert_eq!(
        (&r["text_col"], &r["label_col"], &r["columns_by_position"]),
        (&"2".into(), &"1".into(), &true.into())
    );
    assert_eq!((&r["scheme"], &r["n"]), (&"binary".into(), &named["n"]));
    assert_eq!(
        (&r["format"], &r["format_guessed"]),
        (&"tsv".into(), &true.into())
    );
    assert_eq!(r["confusion"], named["confusion"]);

    // Star ratings beside a 0/1 label: a stars scheme takes the ratings, auto the label.
    let shop = dir.path().join("shop.txt");
    let rows: String = polar
        .iter()
        .map(|(text, label)| {
            let (stars, code) = if *label == "positive" { (5, 1) } else { (1, 0) };
            format!("{stars}\t{text}\t{code}\n")
        })
        .collect();
    std::fs::write(&shop, rows).unwrap();
    let by_stars = eval_path(&shop, &["--scheme", "stars-binary"]);
    assert_eq!(by_stars["label_col"], "1");
    assert_eq!(by_stars["confusion"], named["confusion"]);
    assert_eq!(eval_path(&shop, &[])["label_col"], "3");

    // Columns named by position, and a wrong position, as any other column name.
    let r = eval_path(&steam, &["--text-col", "2", "--label-col", "1"]);
    assert_eq!(r["confusion"], named["confusion"]);
    let err = usage_error(
        sori()
            .args(["eval", "sentiment", "--text-col", "3", "--data"])
            .arg(&steam),
    );
    assert!(err.contains("the file's columns are: 1, 2"), "{err}");

    // A comma-separated .txt with word labels and unusual headers reads as one text per
    // line; --format says otherwise.
    let csv = dir.path().join("export.txt");
    let rows: String = std::iter::once("review body,평가\n".to_owned())
        .chain(
            polar
                .iter()
                .map(|(text, label)| format!("\"{}\",{label}\n", text.replace('"', "\"\""))),
        )
        .collect();
    std::fs::write(&csv, rows).unwrap();
    eval_failure(&["--data".as_ref(), csv.as_os_str()]);
    let r = eval_path(&csv, &["--format", "csv"]);
    assert_eq!(
        (&r["text_col"], &r["label_col"]),
        (&"review body".into(), &"평가".into())
    );
    assert_eq!(r["confusion"], named["confusion"]);
}

/// One review per line, no columns: `sori analyze` scores each non-empty line; a JSON array
/// of objects is read as JSON Lines are.
#[test]
fn analyze_reads_a_plain_list_of_reviews() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("reviews.txt");
    std::fs::write(
        &path,
        "배송 빠르고, 포장도 꼼꼼해요. 또 살게요\n\n이거 완전 불량이에요, 환불해주세요\n",
    )
    .unwrap();
    let out = stdout_of(sori().arg("analyze").arg(&path));
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        (&lines[0]["id"], &lines[1]["id"]),
        (&"1".into(), &"3".into())
    );
    assert_eq!(lines[0]["sentiment"]["label"], "positive");
    assert_eq!(lines[1]["sentiment"]["label"], "negative");

    // An API's JSON array, pretty-printed, with ids of its own.
    let array = dir.path().join("export.json");
    std::fs::write(
        &array,
        "[\n  {\"id\": \"a1\", \"text\": \"배송 빠르고 포장도 꼼꼼해요\"},\n  {\"id\": \"a2\",\n   \"text\": \"이거 완전 불량이에요\"}\n]\n",
    )
    .unwrap();
    let out = stdout_of(sori().arg("analyze").arg(&array));
    let labels: Vec<(String, String)> = out
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_owned(),
                v["sentiment"]["label"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        labels,
        [
            ("a1".into(), "positive".into()),
            ("a2".into(), "negative".into())
        ]
    );
}

/// A temp dir holding these files of models/sentiment, and models/sentiment itself.
fn model_copy(files: &[&str]) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let src = repo("models/sentiment");
    for f in files {
        std::fs::copy(src.join(f), dir.path().join(f)).unwrap();
    }
    (dir, src)
}

/// `sori eval emotion --json EXTRA --data corpora/emotion-ko/test.tsv`.
fn eval_emotion_test_set(extra: &[&str]) -> serde_json::Value {
    json_report(
        sori()
            .args(["eval", "emotion", "--json"])
            .args(extra)
            .arg("--data")
            .arg(repo("corpora/emotion-ko/test.tsv")),
    )
}

fn rule<'a>(report: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    report["rules"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["rule"] == name)
        .unwrap()
}

/// The emotion head is refitted on customer feedback labelled the way a CX analyst tags it
/// (corpora/emotion-ko) and reads the n-gram companion's features too. On the held-out
/// feedback it must keep complaints apart: anger only where the customer is angry, most rows
/// without an emotion left untagged. The KOTE-only head it replaced scored macro-F1 0.44 here
/// and tagged anger on 480 of the 1,099 rows, 139 of them angry (models/sentiment/MODEL.md).
/// Removing the n-gram block from a copy of the model scores lower, so the block is used.
#[test]
fn emotion_tags_match_held_out_feedback_and_the_ngram_block_is_used() {
    let report = eval_emotion_test_set(&[]);
    assert_eq!(report["rows"], 1099, "{report}");
    let tag = rule(&report, "tag");
    assert!(tag["macro_f1"].as_f64().unwrap() >= 0.65, "{tag}");
    assert!(tag["none_untagged"].as_f64().unwrap() >= 0.8, "{tag}");
    let anger = tag["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["label"] == "anger")
        .unwrap();
    assert!(anger["predicted"].as_u64().unwrap() <= 200, "{anger}");

    let (dir, src) = model_copy(&[
        "model.safetensors",
        "tokenizer.json",
        "config.json",
        "ngram.safetensors",
    ]);
    let head =
        candle_core::safetensors::load(src.join("emotion.safetensors"), &candle_core::Device::Cpu)
            .unwrap();
    assert!(
        head.contains_key("ngram_index"),
        "the committed head has no n-gram block"
    );
    let without: std::collections::HashMap<String, candle_core::Tensor> = head
        .into_iter()
        .filter(|(k, _)| k.starts_with("emotion_head."))
        .collect();
    candle_core::safetensors::save(&without, dir.path().join("emotion.safetensors")).unwrap();
    let alone = eval_emotion_test_set(&["--model", dir.path().to_str().unwrap()]);
    assert!(
        tag["macro_f1"].as_f64().unwrap()
            >= rule(&alone, "tag")["macro_f1"].as_f64().unwrap() + 0.03,
        "{tag}\n{}",
        rule(&alone, "tag")
    );
}

/// `--model fast` has its own feedback-fitted emotion head (0.3.1; its KOTE-only head scored
/// macro-F1 0.41 on these rows), so choosing the faster model does not bring back anger on
/// every complaint.
#[test]
fn the_fast_model_tags_held_out_feedback_as_well() {
    let report = eval_emotion_test_set(&["--model", "fast"]);
    assert!(
        report["model"].as_str().unwrap().contains("small"),
        "{report}"
    );
    let tag = rule(&report, "tag");
    assert!(tag["macro_f1"].as_f64().unwrap() >= 0.65, "{tag}");
    assert!(tag["none_untagged"].as_f64().unwrap() >= 0.8, "{tag}");
}

/// A label cell naming no group of the model is refused with the file, line and field; a
/// good file gets the table a person reads, both rules with a row per group.
#[test]
fn eval_emotion_refuses_an_unknown_group_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.tsv");
    std::fs::write(
        &good,
        "text\temotions\n상담원분 정말 감사합니다\tgratitude\n택배 잘 받았습니다\tnone\n",
    )
    .unwrap();
    let table = stdout_of(sori().args(["eval", "emotion", "--data"]).arg(&good));
    assert!(
        table.contains("n = 2 (1 without emotion)")
            && table.contains("tag: p >= max(threshold, 0.5)")
            && table.contains("listed: p >= threshold")
            && table.matches("gratitude ").count() == 2,
        "{table}"
    );
    let path = dir.path().join("emo.tsv");
    std::fs::write(&path, "text\temotions\n최고예요\tjoy\n화나요\trage\n").unwrap();
    let out = sori()
        .args(["eval", "emotion", "--data"])
        .arg(&path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("emo.tsv:3")
            && err.contains("emotions")
            && err.contains("rage")
            && err.contains("hint:"),
        "{err}"
    );
}
