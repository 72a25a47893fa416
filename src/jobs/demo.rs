//! `sori demo`: the whole pipeline on the bundled demo data (corpora/demo), into a fresh data
//! dir, then a summary and example searches a CX analyst would run.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Context;
use crate::error::{Error, UserError};

/// Each demo file with the mapping that describes it.
const INPUTS: &[(&str, &str)] = &[
    ("survey_nps.csv", "map-survey.toml"),
    ("reviews_app.jsonl", "map-app.toml"),
    ("reviews_shop.tsv", "map-shop.toml"),
    ("social.jsonl", "map-social.toml"),
];

const EXAMPLES: &[(&str, &str)] = &[
    (
        "배송지연",
        "an unspaced compound finds '배송이 지연되어' and '지연된 배송'",
    ),
    ("환불해주세요", "a request form finds '환불 요청합니다'"),
    (
        "sentiment:negative 배송",
        "negative feedback about delivery",
    ),
    (
        "segment:\"At Risk\" rating:<=2",
        "unhappy customers about to churn",
    ),
    (
        "channel:app (로그인 OR 결제) -업데이트",
        "app channel, login or payment, not about updates",
    ),
    ("\"이어폰\" since:2024-05-01", "a product word, from May"),
];

pub fn demo_dir() -> PathBuf {
    if let Ok(d) = std::env::var("SORI_DEMO_DIR") {
        return PathBuf::from(d);
    }
    let local = PathBuf::from("corpora/demo");
    if local.join("customers.csv").is_file() {
        return local;
    }
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("corpora/demo")
}

/// Only a data dir sori made (or an empty one) is ever wiped.
fn reset_data_dir(dir: &Path) -> Result<(), Error> {
    if !dir.exists() {
        return Ok(());
    }
    let ours = ["index", "segments.json", "quarantine", "user-dict.csv"];
    let foreign: Vec<String> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !ours.contains(&n.as_str()))
        .collect();
    if !foreign.is_empty() {
        return Err(UserError::BadArgument {
            message: format!(
                "{} holds files sori did not write ({}); not wiping it",
                dir.display(),
                foreign.join(", ")
            ),
            hint: "pass another --data-dir for the demo, or --keep".into(),
        }
        .into());
    }
    std::fs::remove_dir_all(dir)?;
    Ok(())
}

pub fn run(ctx: &Context, keep: bool, out: &mut impl Write) -> Result<(), Error> {
    let demo = demo_dir();
    if !demo.join("customers.csv").is_file() {
        return Err(UserError::UnreadableFile {
            path: demo,
            reason: "demo data not found (run from the repository root, or set SORI_DEMO_DIR)"
                .into(),
        }
        .into());
    }
    if !keep {
        reset_data_dir(&ctx.data_dir)?;
    }
    std::fs::create_dir_all(&ctx.data_dir)?;
    // The brand's own names, so 하늘몰 stays one word instead of 하늘 + 몰.
    std::fs::copy(
        demo.join("user-dict.csv"),
        ctx.data_dir.join("user-dict.csv"),
    )?;
    writeln!(
        out,
        "sori demo: data dir {}, demo data {}\n",
        ctx.data_dir.display(),
        demo.display()
    )?;

    // Segments first, so every document is joined as it is indexed.
    let customers = super::segments_load(ctx, &demo.join("customers.csv"))?;
    let rfm = super::segments_rfm(ctx, &demo.join("orders.csv"), None)?;
    writeln!(out, "== customer segments")?;
    writeln!(
        out,
        "{} customers from customers.csv; RFM for {} customers as of {}",
        customers.loaded,
        rfm.loaded,
        rfm.as_of.as_deref().unwrap_or("?")
    )?;
    let parts: Vec<String> = rfm
        .segment_counts
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    writeln!(out, "RFM segments: {}\n", parts.join(" · "))?;

    writeln!(out, "== ingest")?;
    let mut totals = Vec::new();
    for (file, map) in INPUTS {
        let summary = super::run_ingest(
            ctx,
            &super::IngestRequest {
                files: vec![demo.join(file).display().to_string()],
                kind: None,
                map: Some(demo.join(map)),
                format: None,
                source: None,
                strict: false,
                sentiment: true,
                prune: false,
            },
        )?;
        totals.push(summary);
    }
    let mut merged = totals.pop().expect("four inputs");
    for s in totals.into_iter().rev() {
        let mut files = s.files;
        files.append(&mut merged.files);
        merged.files = files;
        merged.seconds += s.seconds;
    }
    crate::report::ingest_summary(out, &merged)?;

    writeln!(out, "\n== what customers say (all feedback)")?;
    let overview = super::run_search(
        ctx,
        "",
        0,
        vec![
            "sentiment".into(),
            "channel".into(),
            "segment".into(),
            "keywords".into(),
        ],
    )?;
    for (field, counts) in &overview.facets {
        let parts: Vec<String> = counts
            .iter()
            .take(10)
            .map(|c| format!("{} {}", c.value, c.count))
            .collect();
        writeln!(out, "{field:<10} {}", parts.join(" · "))?;
    }

    for (q, why) in EXAMPLES {
        writeln!(out, "\n== sori search '{q}'   # {why}")?;
        let r = super::run_search(ctx, q, 3, vec![])?;
        crate::report::search_table(out, &r, false)?;
    }
    writeln!(
        out,
        "\nTry: sori --data-dir {} search --facet sentiment --facet product '품질'",
        ctx.data_dir.display()
    )?;
    Ok(())
}
