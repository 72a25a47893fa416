//! Rejected records go to `<data-dir>/quarantine/<file>.rejected.jsonl`, one JSON object a line
//! with file, line, field and reason, so they can be fixed and re-ingested.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use super::Rejection;

pub struct Quarantine {
    path: PathBuf,
    writer: Option<BufWriter<File>>,
    pub count: usize,
}

impl Quarantine {
    /// The file is created on the first rejection only, and replaced on each run over the same
    /// input so it always describes the latest ingest of that file.
    pub fn for_input(data_dir: &Path, input_name: &str) -> Self {
        let path = data_dir
            .join("quarantine")
            .join(format!("{input_name}.rejected.jsonl"));
        let _ = std::fs::remove_file(&path);
        Quarantine {
            path,
            writer: None,
            count: 0,
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn write(&mut self, rejection: &Rejection) -> std::io::Result<()> {
        if self.writer.is_none() {
            std::fs::create_dir_all(self.path.parent().unwrap_or(Path::new(".")))?;
            self.writer = Some(BufWriter::new(File::create(&self.path)?));
        }
        let w = self.writer.as_mut().expect("writer opened above");
        serde_json::to_writer(&mut *w, rejection)?;
        w.write_all(b"\n")?;
        self.count += 1;
        Ok(())
    }

    pub fn finish(mut self) -> std::io::Result<Option<PathBuf>> {
        match self.writer.take() {
            Some(mut w) => {
                w.flush()?;
                Ok(Some(self.path))
            }
            None => Ok(None),
        }
    }
}
