//! `sori bench`: throughput of each stage and of the whole ingest on real reviews. Reported in
//! the README with the machine it ran on; never asserted by tests (timings vary by machine).

use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::Context;
use crate::error::{Error, UserError};

#[derive(Debug, Serialize)]
pub struct StageTiming {
    pub name: String,
    /// The median over `runs` runs (see `--repeat`).
    pub seconds: f64,
    pub docs_per_second: f64,
    pub chars_per_second: f64,
    pub runs: usize,
    /// The fastest run: on a shared machine single runs spread by +-10 %, and the best of
    /// several is what the code can do.
    pub best_docs_per_second: f64,
}

#[derive(Debug, Serialize)]
pub struct BenchReport {
    pub corpus: String,
    pub reviews: usize,
    pub chars: usize,
    pub machine: String,
    pub stages: Vec<StageTiming>,
    pub peak_rss_mb: f64,
}

/// Reads the text column of nsmc-raw's `reviews.tsv.gz` (review_id, movie_id, date, rating, text).
pub fn read_nsmc(path: &Path, limit: usize) -> Result<Vec<String>, Error> {
    let f = std::fs::File::open(path).map_err(|e| UserError::UnreadableFile {
        path: path.to_owned(),
        reason: format!("{e} (the benchmark reads ../shared/corpora/nsmc-raw; pass --corpus)"),
    })?;
    let reader = BufReader::new(flate2::read::GzDecoder::new(f));
    let mut out = Vec::with_capacity(limit);
    for line in reader.lines().skip(1) {
        let line = line?;
        if let Some(text) = line.splitn(5, '\t').nth(4) {
            if !text.trim().is_empty() {
                out.push(text.to_owned());
            }
        }
        if out.len() >= limit {
            break;
        }
    }
    Ok(out)
}

pub fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}

pub fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}

fn timing(name: &str, started: Instant, docs: usize, chars: usize) -> StageTiming {
    timing_of_runs(name, &[started.elapsed().as_secs_f64()], docs, chars)
}

/// Times `stage` `repeat` times (at least once); returns the times and the last run's output.
fn timed<T>(
    repeat: usize,
    mut stage: impl FnMut() -> Result<T, Error>,
) -> Result<(Vec<f64>, T), Error> {
    let mut seconds = Vec::with_capacity(repeat.max(1));
    loop {
        let t = Instant::now();
        let output = stage()?;
        seconds.push(t.elapsed().as_secs_f64());
        if seconds.len() >= repeat {
            return Ok((seconds, output));
        }
    }
}

fn timing_of_runs(name: &str, seconds: &[f64], docs: usize, chars: usize) -> StageTiming {
    let mut sorted: Vec<f64> = seconds.iter().map(|s| s.max(1e-9)).collect();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    let median = if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    };
    StageTiming {
        name: name.into(),
        seconds: median,
        docs_per_second: docs as f64 / median,
        chars_per_second: chars as f64 / median,
        runs: sorted.len(),
        best_docs_per_second: docs as f64 / sorted[0],
    }
}

pub fn run(
    ctx: &Context,
    corpus: &Path,
    n: usize,
    with_sentiment: bool,
    model_name: &str,
    repeat: usize,
) -> Result<BenchReport, Error> {
    let texts = read_nsmc(corpus, n)?;
    let chars: usize = texts.iter().map(|t| t.chars().count()).sum();
    let mut stages = Vec::new();

    let normalizer = crate::normalize::Normalizer::default();
    let (runs, normalized) = timed(repeat, || {
        Ok(texts
            .iter()
            .map(|x| normalizer.normalize(x).text)
            .collect::<Vec<String>>())
    })?;
    stages.push(timing_of_runs(
        "normalize (1 thread)",
        &runs,
        texts.len(),
        chars,
    ));

    let morph = super::morphology(&ctx.data_dir, None)?;
    let (runs, _morphemes) = timed(repeat, || {
        Ok(normalized
            .iter()
            .map(|x| morph.analyze(x).len())
            .sum::<usize>())
    })?;
    stages.push(timing_of_runs(
        "morphology (1 thread)",
        &runs,
        texts.len(),
        chars,
    ));

    if with_sentiment {
        let model = super::load_model(model_name)?;
        let refs: Vec<&str> = normalized.iter().map(String::as_str).collect();
        let (runs, ()) = timed(repeat, || {
            for chunk in refs.chunks(1024) {
                model
                    .predict_batch(chunk)
                    .map_err(|e| crate::error::InternalError::Model(e.to_string()))?;
            }
            Ok(())
        })?;
        let name = format!(
            "sentiment model {} ({}, doc level)",
            model.name(),
            model.precision()
        );
        stages.push(timing_of_runs(&name, &runs, texts.len(), chars));
    }

    // The whole ingest, as a user runs it: TSV file -> quarantine/upsert -> pipeline -> index.
    let dir = tempfile::tempdir()?;
    let file = dir.path().join("nsmc.tsv");
    {
        let mut w = std::io::BufWriter::new(std::fs::File::create(&file)?);
        writeln!(w, "id\ttext")?;
        for (i, x) in texts.iter().enumerate() {
            writeln!(w, "{i}\t{}", x.replace(['\t', '\n'], " "))?;
        }
    }
    let bench_ctx = Context {
        data_dir: dir.path().join("data"),
        tz: ctx.tz,
        progress: false,
    };
    let t = Instant::now();
    let summary = super::run_ingest(
        &bench_ctx,
        &super::IngestRequest {
            files: vec![file.display().to_string()],
            kind: Some(crate::record::Kind::Review),
            map: None,
            format: None,
            source: Some("nsmc".into()),
            strict: false,
            sentiment: with_sentiment,
            prune: false,
        },
    )?;
    let name = if with_sentiment {
        "ingest: parse+normalize+morph+dedup+keywords+sentiment+index"
    } else {
        "ingest: parse+normalize+morph+dedup+keywords+index"
    };
    stages.push(timing(
        name,
        t,
        summary.total(|f| f.ingested()) as usize,
        chars,
    ));

    Ok(BenchReport {
        corpus: corpus.display().to_string(),
        reviews: texts.len(),
        chars,
        machine: machine(),
        stages,
        peak_rss_mb: peak_rss_mb(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_report_their_median_and_best() {
        let odd = timing_of_runs("s", &[3.0, 1.0, 2.0], 6, 12);
        assert_eq!((odd.runs, odd.seconds), (3, 2.0));
        assert_eq!((odd.docs_per_second, odd.best_docs_per_second), (3.0, 6.0));
        let even = timing_of_runs("s", &[4.0, 1.0, 2.0, 3.0], 5, 5);
        assert_eq!(even.seconds, 2.5);
        assert_eq!(even.chars_per_second, 2.0);
    }

    #[test]
    fn timed_runs_at_least_once_and_returns_the_last_output() {
        let mut calls = 0;
        let (runs, last) = timed(0, || {
            calls += 1;
            Ok(calls)
        })
        .unwrap();
        assert_eq!((runs.len(), last), (1, 1));
        let (runs, last) = timed(3, || Ok(runs.len())).unwrap();
        assert_eq!((runs.len(), last), (3, 1));
    }
}
