use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

use sori::error::{Error, InternalError};
use sori::ingest::mapping::Format;
use sori::record::Kind;

/// sori (소리): Korean-first customer-feedback and sentiment analytics.
#[derive(Parser)]
#[command(name = "sori", version, about, long_about = None)]
struct Cli {
    /// Where the index, segments and quarantine files live.
    #[arg(
        long,
        global = true,
        env = "SORI_DATA_DIR",
        default_value = "./sori-data"
    )]
    data_dir: PathBuf,
    /// Time zone for timestamps without an offset (IANA name).
    #[arg(long, global = true, env = "SORI_TZ", default_value = "Asia/Seoul")]
    tz: String,
    /// No progress bars.
    #[arg(long, short, global = true)]
    quiet: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Read feedback files (CSV, TSV, JSONL; `-` for stdin), analyze and index them.
    Ingest(IngestArgs),
    /// Search the index: words, "phrases", AND/OR/NOT, field filters (see README).
    Search(SearchArgs),
    /// Load customer segments or compute RFM segments, and re-join the index.
    Segments {
        #[command(subcommand)]
        command: SegmentsCommand,
    },
    /// Morphological analysis of stdin lines, for checking what the Korean analyzer does.
    Tokenize(TokenizeArgs),
    /// Sentiment and emotion for each record of JSONL/CSV/TSV input, as JSONL; no index needed.
    Analyze(AnalyzeArgs),
    /// Evaluate a model on a labelled file.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Run the whole pipeline on the bundled demo data into a fresh data dir.
    Demo(DemoArgs),
    /// Throughput benchmark on nsmc-raw reviews (reported, not asserted).
    Bench(BenchArgs),
}

#[derive(Args)]
struct IngestArgs {
    /// Files to ingest; `-` reads stdin (needs --format).
    #[arg(required = true)]
    files: Vec<String>,
    #[arg(long, value_enum)]
    kind: Option<Kind>,
    /// Mapping file (TOML) naming the source columns; see README "Mapping files".
    #[arg(long)]
    map: Option<PathBuf>,
    /// [default: by the file's extension, else by its first lines]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Source name (part of each document id); default: the mapping's, else the file stem.
    #[arg(long)]
    source: Option<String>,
    /// Stop at the first bad record with a non-zero exit, committing nothing.
    #[arg(long)]
    strict: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
    /// Skip the sentiment model (faster; sentiment fields stay empty). Documents scored by an
    /// earlier run whose content is unchanged keep their scores; changed ones are rewritten
    /// without.
    #[arg(long)]
    no_sentiment: bool,
    /// Each file is a full snapshot of its source: documents of that source whose rows are no
    /// longer in it are removed (not done for a file with quarantined rows, whose records may
    /// only be malformed this time).
    #[arg(long)]
    prune: bool,
}

#[derive(Args)]
struct SearchArgs {
    /// The query; empty matches everything.
    #[arg(default_value = "", allow_hyphen_values = true)]
    query: String,
    #[arg(long, short = 'n', default_value_t = 10)]
    limit: usize,
    /// Count hits by field (channel, segment, sentiment, product, lang, kind, ...); repeatable.
    #[arg(long)]
    facet: Vec<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SegmentsCommand {
    /// customers.csv: customer_id, any attributes, optional `segment` column.
    Load {
        file: PathBuf,
        #[arg(long)]
        json: bool,
    },
    /// orders.csv: customer_id, order date, amount -> RFM scores and named segments.
    Rfm {
        file: PathBuf,
        /// Score recency as of this date (default: the day after the last order).
        #[arg(long)]
        as_of: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Args)]
struct TokenizeArgs {
    /// Only the terms the index stores (content morphemes).
    #[arg(long)]
    content: bool,
    /// User dictionary CSV (surface,pos[,reading]); default: <data-dir>/user-dict.csv if present.
    #[arg(long)]
    user_dict: Option<PathBuf>,
}

#[derive(Args)]
struct AnalyzeArgs {
    /// Input files (JSONL with `id` and `text`, CSV/TSV, or one text per line); stdin when
    /// none.
    files: Vec<String>,
    /// `default` (= `accurate`, 6 layers, built in), `fast` (4 layers, models/sentiment-fast)
    /// or a model directory.
    #[arg(long, default_value = "default")]
    model: String,
    /// [default: by the file's extension, else by its first lines; jsonl for stdin]
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// The text column of CSV/TSV input, by name or, without a header row, by position from 1
    /// [default: the first of text, body, content, review, document, 내용, 리뷰, ... in the
    /// header; without one or any usual name, the column whose values read as text]
    #[arg(long)]
    text_col: Option<String>,
    /// The column whose value becomes each output line's `id` [default: `id` when there is
    /// one, else the line number]
    #[arg(long)]
    id_col: Option<String>,
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Accuracy, macro-F1, confusion matrix, calibration and speed of the sentiment model.
    Sentiment(EvalSentimentArgs),
    /// Per-group precision, recall and F1 of the emotion tags, against a file whose label
    /// column holds comma-separated group names or `none` (corpora/emotion-ko/test.tsv).
    Emotion(EvalEmotionArgs),
}

/// The labelled file an `eval` command reads.
#[derive(Args)]
struct EvalFileArgs {
    #[arg(long)]
    data: PathBuf,
    /// [default: by the file's extension, else by its first lines]
    #[arg(long, value_enum)]
    format: Option<Format>,
}

#[derive(Args)]
struct EvalEmotionArgs {
    #[command(flatten)]
    file: EvalFileArgs,
    /// [default: as for `eval sentiment`]
    #[arg(long)]
    text_col: Option<String>,
    /// [default: emotions, emotion, 감정]
    #[arg(long)]
    label_col: Option<String>,
    /// `default` (= `accurate`), `fast` or a model directory.
    #[arg(long, default_value = "default")]
    model: String,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct EvalSentimentArgs {
    #[command(flatten)]
    file: EvalFileArgs,
    /// By name or, in a file without a header row, by position from 1 [default: the first of
    /// text, body, content, review, document, 내용, 리뷰, ... in the header; without one or any
    /// usual name, the column whose values read as text]
    #[arg(long)]
    text_col: Option<String>,
    /// [default: the first of label, sentiment, polarity, class, 감성, 라벨, ...; under
    /// --scheme stars or stars-binary, rating, stars, score, 별점, 평점, ... first; without a
    /// header row or any usual name, the column of class codes, or of ratings under a stars
    /// scheme]
    #[arg(long)]
    label_col: Option<String>,
    /// auto: binary when no gold label is neutral, else three (a column of 1-5 or 1-10
    /// grades is read as stars, stars-binary without middle ratings, a 0-10 one as nps);
    /// nps: 0-6 / 7-8 / 9-10; binary: negative/positive
    /// (neutral rows dropped); three: all classes; stars: 1-5 or 1-10 ratings mapped to classes
    /// (1-2 / 3 / 4-5, 1-4 / 5-7 / 8-10); stars-binary: the same with the middle ratings
    /// dropped and the rest scored as binary.
    #[arg(long, default_value = "auto")]
    scheme: String,
    /// `default` (= `accurate`, 6 layers, built in), `fast` (4 layers, models/sentiment-fast)
    /// or a model directory.
    #[arg(long, default_value = "default")]
    model: String,
    /// Also score each value of this column apart (e.g. `--by domain` or `--by channel`).
    #[arg(long, value_name = "COL")]
    by: Option<String>,
    /// Write the rows the model gets wrong to FILE as JSONL (line, text, gold, predicted, probs).
    #[arg(long, value_name = "FILE")]
    errors: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DemoArgs {
    /// Keep an existing data dir instead of starting fresh.
    #[arg(long)]
    keep: bool,
}

#[derive(Args)]
struct BenchArgs {
    /// How many reviews to read from the corpus.
    #[arg(long, default_value_t = 100_000)]
    reviews: usize,
    #[arg(long, default_value = "../shared/corpora/nsmc-raw/reviews.tsv.gz")]
    corpus: PathBuf,
    /// Also run the sentiment model during ingest.
    #[arg(long)]
    with_sentiment: bool,
    /// The model of the doc-level stage: `default`, `fast` or a model directory (the ingest
    /// stage always runs the default model).
    #[arg(long, default_value = "default")]
    model: String,
    /// Run the in-memory stages (normalize, morphology, the model) this many times and report
    /// the median and the best run; the ingest stage runs once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    repeat: u16,
    #[arg(long)]
    json: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SORI_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        // `sori search ... | head` closing the pipe early is not an error.
        Err(Error::Internal(InternalError::Io(e)))
            if e.kind() == std::io::ErrorKind::BrokenPipe =>
        {
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            match e.hint() {
                Some(h) => eprintln!("  hint: {h}"),
                None => {
                    eprintln!("  this is a bug in sori; please report it with the command you ran")
                }
            }
            ExitCode::from(e.exit_code() as u8)
        }
    }
}

fn run(cli: Cli) -> Result<(), Error> {
    use sori::jobs;
    let tz = sori::ingest::dates::parse_tz(&cli.tz).ok_or_else(|| {
        sori::error::bad_argument(
            format!("unknown time zone `{}`", cli.tz),
            "use an IANA name such as Asia/Seoul or UTC",
        )
    })?;
    let progress = !cli.quiet && std::io::stderr().is_terminal();
    let ctx = jobs::Context {
        data_dir: cli.data_dir.clone(),
        tz,
        progress,
    };
    let mut out = std::io::stdout().lock();
    match cli.command {
        Command::Ingest(a) => {
            let summary = jobs::run_ingest(
                &ctx,
                &jobs::IngestRequest {
                    files: a.files,
                    kind: a.kind,
                    map: a.map,
                    format: a.format,
                    source: a.source,
                    strict: a.strict,
                    sentiment: !a.no_sentiment,
                    prune: a.prune,
                },
            )?;
            if a.json {
                sori::report::json(&mut out, &summary)?;
            } else {
                sori::report::ingest_summary(&mut out, &summary)?;
            }
        }
        Command::Search(a) => {
            let result = jobs::run_search(&ctx, &a.query, a.limit, a.facet)?;
            if a.json {
                sori::report::json(&mut out, &result)?;
            } else {
                let color = std::io::stdout().is_terminal();
                sori::report::search_table(&mut out, &result, color)?;
            }
        }
        Command::Segments { command } => match command {
            SegmentsCommand::Load { file, json } => {
                let s = jobs::segments_load(&ctx, &file)?;
                if json {
                    sori::report::json(&mut out, &s)?;
                } else {
                    sori::report::segments_summary(&mut out, &s)?;
                }
            }
            SegmentsCommand::Rfm { file, as_of, json } => {
                let s = jobs::segments_rfm(&ctx, &file, as_of.as_deref())?;
                if json {
                    sori::report::json(&mut out, &s)?;
                } else {
                    sori::report::segments_summary(&mut out, &s)?;
                }
            }
        },
        Command::Tokenize(a) => jobs::tokenize(&ctx, a.user_dict.as_deref(), a.content, &mut out)?,
        Command::Analyze(a) => jobs::analyze(
            &ctx,
            &jobs::AnalyzeRequest {
                files: a.files,
                model: a.model,
                format: a.format,
                text_col: a.text_col,
                id_col: a.id_col,
            },
            &mut out,
        )?,
        Command::Eval { command } => match command {
            EvalCommand::Sentiment(a) => {
                let report = jobs::eval_sentiment(
                    &jobs::EvalRequest {
                        data: a.file.data,
                        format: a.file.format,
                        text_col: a.text_col,
                        label_col: a.label_col,
                        scheme: a.scheme,
                        model: a.model,
                        by: a.by,
                        errors: a.errors,
                    },
                    progress,
                )?;
                if a.json {
                    sori::report::json(&mut out, &report)?;
                } else {
                    sori::report::eval_report(&mut out, &report)?;
                }
            }
            EvalCommand::Emotion(a) => {
                let report = sori::eval::emotion::eval_emotion(
                    &sori::eval::emotion::EmotionEvalRequest {
                        data: a.file.data,
                        format: a.file.format,
                        text_col: a.text_col,
                        label_col: a.label_col,
                        model: a.model,
                    },
                    progress,
                )?;
                if a.json {
                    sori::report::json(&mut out, &report)?;
                } else {
                    sori::report::emotion_eval_report(&mut out, &report)?;
                }
            }
        },
        Command::Demo(a) => jobs::demo::run(&ctx, a.keep, &mut out)?,
        Command::Bench(a) => {
            let r = jobs::bench::run(
                &ctx,
                &a.corpus,
                a.reviews,
                a.with_sentiment,
                &a.model,
                usize::from(a.repeat),
            )?;
            if a.json {
                sori::report::json(&mut out, &r)?;
            } else {
                sori::report::bench_report(&mut out, &r)?;
            }
        }
    }
    Ok(())
}
