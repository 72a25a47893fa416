//! Printers: what a person reads in the terminal, or JSON for machines. Jobs return data; only
//! this module decides how it looks (ripgrep keeps its printer apart from its searcher the same way).

use std::io::Write;

use serde::Serialize;

use crate::error::Error;
use crate::jobs::ingest::IngestSummary;
use crate::jobs::SegmentsSummary;
use crate::query::SearchResult;

pub fn json(out: &mut impl Write, value: &impl Serialize) -> Result<(), Error> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)?;
    Ok(())
}

pub fn ingest_summary(out: &mut impl Write, s: &IngestSummary) -> Result<(), Error> {
    writeln!(
        out,
        "{:<28} {:>7} {:>8} {:>6} {:>8} {:>10} {:>11}",
        "file", "rows", "records", "new", "updated", "unchanged", "quarantined"
    )?;
    for f in &s.files {
        writeln!(
            out,
            "{:<28} {:>7} {:>8} {:>6} {:>8} {:>10} {:>11}",
            ellipsize(&f.file, 28),
            f.rows,
            f.records_read,
            f.ingested_new,
            f.updated,
            f.unchanged,
            f.quarantined
        )?;
    }
    writeln!(
        out,
        "total: {} records read = {} ingested + {} unchanged + {} quarantined; {} empty optional answers skipped",
        s.total(|f| f.records_read),
        s.total(|f| f.ingested()),
        s.total(|f| f.unchanged),
        s.total(|f| f.quarantined),
        s.total(|f| f.empty_answers),
    )?;
    for f in &s.files {
        if let Some(encoding) = f.encoding {
            writeln!(out, "{}: read as {encoding}, decoded to UTF-8", f.file)?;
        }
        if let Some(pruned) = &f.pruned {
            writeln!(out, "{}: {pruned}", f.file)?;
        }
        if let Some(layout) = &f.layout {
            writeln!(out, "{}: {layout}", f.file)?;
        }
    }
    if s.copies_rechecked > 0 {
        writeln!(
            out,
            "duplicates: {} document(s) flagged as copies of a record this run changed or removed, checked again",
            s.copies_rechecked
        )?;
    }
    for f in s.files.iter().filter(|f| f.quarantine_file.is_some()) {
        writeln!(
            out,
            "quarantine: {} ({} rejected, with line, field and reason)",
            f.quarantine_file.as_deref().unwrap_or_default(),
            f.quarantined
        )?;
    }
    writeln!(
        out,
        "index: {} documents; {:.1}s ({:.0} docs/s); pipeline: {}",
        s.docs_in_index,
        s.seconds,
        s.docs_per_second,
        s.pipeline.join(" -> ")
    )?;
    Ok(())
}

pub fn search_table(out: &mut impl Write, r: &SearchResult, color: bool) -> Result<(), Error> {
    for w in &r.warnings {
        writeln!(out, "note: {w}")?;
    }
    writeln!(
        out,
        "{} hit{} for `{}` ({:.1} ms){}",
        r.total,
        if r.total == 1 { "" } else { "s" },
        r.query,
        r.took_ms,
        if r.total > r.hits.len() {
            format!(", showing {}", r.hits.len())
        } else {
            String::new()
        }
    )?;
    for (i, h) in r.hits.iter().enumerate() {
        let mut meta = vec![h.kind.clone()];
        meta.extend(h.channel.clone());
        if let (Some(v), Some(scale)) = (h.rating, &h.rating_scale) {
            meta.push(match scale.as_str() {
                "nps" => format!("NPS {v}"),
                "csat5" => format!("CSAT {v}"),
                _ => format!("★{v}"),
            });
        }
        meta.extend(h.created_at.clone());
        if let (Some(s), Some(score)) = (&h.sentiment, h.sentiment_score) {
            meta.push(format!("{s} {score:+.2}"));
        }
        if !h.flags.is_empty() {
            meta.push(h.flags.join(","));
        }
        writeln!(out, "{:>3}. {}  [{}]", i + 1, h.id, meta.join(" · "))?;
        writeln!(out, "     {}", highlight(&h.snippet, &h.highlights, color))?;
        let mut who = Vec::new();
        if let Some(c) = &h.customer_id {
            who.push(format!("customer {c}"));
        }
        who.push(format!("segments: {}", h.segments.join(", ")));
        if let Some(p) = &h.product {
            who.push(format!("product: {p}"));
        }
        writeln!(out, "     {}", who.join(" · "))?;
    }
    for (field, counts) in &r.facets {
        let parts: Vec<String> = counts
            .iter()
            .map(|c| format!("{} {}", c.value, c.count))
            .collect();
        writeln!(out, "facet {field}: {}", parts.join(" · "))?;
    }
    Ok(())
}

/// Marks highlighted ranges: bold yellow on a terminal, «…» in plain output.
fn highlight(text: &str, ranges: &[(usize, usize)], color: bool) -> String {
    let (open, close) = if color {
        ("\x1b[1;33m", "\x1b[0m")
    } else {
        ("«", "»")
    };
    let mut out = String::with_capacity(text.len() + ranges.len() * 8);
    let mut last = 0;
    for &(s, e) in ranges {
        if s < last || e > text.len() || !text.is_char_boundary(s) || !text.is_char_boundary(e) {
            continue;
        }
        out.push_str(&text[last..s]);
        out.push_str(open);
        out.push_str(&text[s..e]);
        out.push_str(close);
        last = e;
    }
    out.push_str(&text[last..]);
    out.replace('\n', " ")
}

pub fn segments_summary(out: &mut impl Write, s: &SegmentsSummary) -> Result<(), Error> {
    writeln!(out, "{}: {} customers loaded", s.file, s.loaded)?;
    if let Some(d) = &s.as_of {
        writeln!(out, "RFM as of {d}")?;
    }
    for (seg, n) in &s.segment_counts {
        writeln!(out, "  {seg:<20} {n:>6}")?;
    }
    for r in &s.rejected {
        writeln!(
            out,
            "rejected {}:{}{}: {}",
            r.file,
            r.line,
            r.field
                .as_deref()
                .map(|f| format!(" ({f})"))
                .unwrap_or_default(),
            r.reason
        )?;
    }
    for note in &s.notes {
        writeln!(out, "note: {note}")?;
    }
    writeln!(out, "index: {} documents re-joined", s.documents_rejoined)?;
    Ok(())
}

pub fn emotion_eval_report(
    out: &mut impl Write,
    r: &crate::eval::emotion::EmotionReport,
) -> Result<(), Error> {
    writeln!(
        out,
        "model: {}  data: {}  n = {} ({} without emotion{})  text: `{}`  labels: `{}`  {:.0} docs/s",
        r.model,
        r.data,
        r.rows,
        r.rows_without_emotion,
        if r.skipped > 0 {
            format!(", {} rows skipped", r.skipped)
        } else {
            String::new()
        },
        r.text_column,
        r.label_column,
        r.docs_per_second
    )?;
    for rule in &r.rules {
        let what = match rule.rule {
            "tag" => "tag: p >= max(threshold, 0.5), what the index stores",
            _ => "listed: p >= threshold, what analyze prints",
        };
        writeln!(out, "\n{what}")?;
        writeln!(
            out,
            "macro-F1 {:.3}  exact set {:.3}{}",
            rule.macro_f1,
            rule.exact_set,
            rule.none_untagged.map_or_else(String::new, |u| format!(
                "  no-emotion rows left untagged {u:.3}"
            ))
        )?;
        writeln!(
            out,
            "{:<16} {:>9} {:>7} {:>6} {:>8} {:>10}",
            "group", "precision", "recall", "F1", "support", "predicted"
        )?;
        for g in &rule.groups {
            writeln!(
                out,
                "{:<16} {:>9.3} {:>7.3} {:>6.3} {:>8} {:>10}",
                g.label, g.precision, g.recall, g.f1, g.support, g.predicted
            )?;
        }
    }
    Ok(())
}

pub fn eval_report(out: &mut impl Write, r: &crate::eval::EvalReport) -> Result<(), Error> {
    let ngram = r
        .ngram_weight
        .map_or_else(String::new, |w| format!(", n-gram weight {w}"));
    writeln!(
        out,
        "model: {} ({}{ngram})  data: {}  scheme: {}  n = {}{}",
        r.model,
        r.precision,
        r.data,
        if r.scheme_auto {
            format!("{} (auto)", r.scheme)
        } else {
            r.scheme.clone()
        },
        r.n,
        if r.skipped > 0 {
            format!(
                " (left out: {}, for an empty text, an unreadable label or, under binary, a neutral one)",
                r.skipped
            )
        } else {
            String::new()
        }
    )?;
    if r.format_guessed {
        writeln!(out, "format    {} (from its first lines)", r.format)?;
    }
    for note in &r.notes {
        writeln!(out, "note      {note}")?;
    }
    if r.encoding != "UTF-8" {
        writeln!(out, "encoding  {} (decoded to UTF-8)", r.encoding)?;
    }
    writeln!(
        out,
        "columns   text `{}`, label `{}`{}",
        r.text_col,
        r.label_col,
        match (r.columns_by_position, r.columns_by_values) {
            (true, true) => " (no header row: columns by position, found by their values)",
            (true, false) => " (no header row: columns by position)",
            (false, true) => " (found by their values: no usual column name)",
            (false, false) => "",
        }
    )?;
    writeln!(out, "labels    {}", r.label_coding)?;
    writeln!(out, "accuracy  {:.4}", r.accuracy)?;
    writeln!(out, "macro-F1  {:.4}", r.macro_f1)?;
    if let Some(nn) = &r.non_neutral {
        writeln!(
            out,
            "binary    {:.4} (negative vs positive on the {} non-neutral rows)",
            nn.binary_accuracy, nn.n
        )?;
    }
    writeln!(out, "ECE       {:.4} (15 bins)", r.ece)?;
    writeln!(out, "speed     {:.0} docs/s", r.docs_per_second)?;
    writeln!(
        out,
        "\n{:<10} {:>9} {:>9} {:>9} {:>7}",
        "class", "precision", "recall", "F1", "n"
    )?;
    for c in &r.per_class {
        writeln!(
            out,
            "{:<10} {:>9.4} {:>9.4} {:>9.4} {:>7}",
            c.label, c.precision, c.recall, c.f1, c.support
        )?;
    }
    writeln!(out, "\nconfusion (rows: gold, columns: predicted)")?;
    write!(out, "{:<10}", "")?;
    for l in &r.labels {
        write!(out, " {l:>9}")?;
    }
    writeln!(out)?;
    for (l, row) in r.labels.iter().zip(&r.confusion) {
        write!(out, "{l:<10}")?;
        for n in row {
            write!(out, " {n:>9}")?;
        }
        writeln!(out)?;
    }
    if !r.groups.is_empty() {
        writeln!(
            out,
            "\n{:<20} {:>7} {:>9} {:>9}",
            "group", "n", "accuracy", "macro-F1"
        )?;
        for g in &r.groups {
            let name = if g.value.is_empty() {
                "(empty)"
            } else {
                &g.value
            };
            writeln!(
                out,
                "{name:<20} {:>7} {:>9.4} {:>9.4}",
                g.n, g.accuracy, g.macro_f1
            )?;
        }
    }
    if let Some(e) = &r.errors {
        writeln!(out, "\n{} misread rows written to {}", e.rows, e.path)?;
    }
    Ok(())
}

pub fn bench_report(
    out: &mut impl Write,
    r: &crate::jobs::bench::BenchReport,
) -> Result<(), Error> {
    writeln!(
        out,
        "corpus: {} ({} reviews, {} chars)",
        r.corpus, r.reviews, r.chars
    )?;
    writeln!(out, "machine: {}", r.machine)?;
    for s in &r.stages {
        write!(
            out,
            "{:<34} {:>8.2}s {:>12.0} docs/s {:>14.0} chars/s",
            s.name, s.seconds, s.docs_per_second, s.chars_per_second
        )?;
        if s.runs > 1 {
            write!(
                out,
                "   (median of {}; best {:.0} docs/s)",
                s.runs, s.best_docs_per_second
            )?;
        }
        writeln!(out)?;
    }
    writeln!(out, "peak RSS: {:.0} MB", r.peak_rss_mb)?;
    Ok(())
}

fn ellipsize(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        return s.to_owned();
    }
    let cut: String = s.chars().take(n - 1).collect();
    format!("{cut}…")
}
