//! The text encoding of an input file, found from its first bytes, and a reader that hands the
//! rest of sori UTF-8 whatever the file was written in.
//!
//! Most exports are UTF-8, but Korean Windows Excel saves "CSV" as CP949 (Microsoft's superset
//! of EUC-KR) and "Unicode text" as tab-separated UTF-16LE with a BOM. Refusing those made the
//! most common survey export unreadable without `iconv`, so they are decoded instead, and the
//! encoding used is reported so that a wrong guess is visible.
//!
//! The guess is made on the first [`SNIFF_BYTES`] only: a file whose head is valid UTF-8 is read
//! as UTF-8 throughout, and a later line in another encoding is rejected by the row readers
//! with its line number, as before.

use std::io::{self, Chain, Cursor, Read};

use encoding_rs::{Encoding, EUC_KR, UTF_16BE, UTF_16LE};
use encoding_rs_io::{DecodeReaderBytes, DecodeReaderBytesBuilder};
use serde::Serialize;

/// How much of a file decides its encoding.
pub const SNIFF_BYTES: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextEncoding {
    Utf8,
    Utf16le,
    Utf16be,
    Cp949,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16le => "UTF-16LE",
            TextEncoding::Utf16be => "UTF-16BE",
            TextEncoding::Cp949 => "CP949",
        }
    }

    fn decoder(self) -> Option<&'static Encoding> {
        match self {
            TextEncoding::Utf8 => None,
            TextEncoding::Utf16le => Some(UTF_16LE),
            TextEncoding::Utf16be => Some(UTF_16BE),
            // encoding_rs's EUC-KR is the WHATWG one, i.e. windows-949 (UHC), which is what
            // Excel writes.
            TextEncoding::Cp949 => Some(EUC_KR),
        }
    }
}

/// Reads any supported encoding and yields UTF-8.
pub struct Utf8Reader<R: Read> {
    inner: Inner<R>,
    encoding: TextEncoding,
}

type Replayed<R> = Chain<Cursor<Vec<u8>>, R>;

enum Inner<R: Read> {
    Utf8(Replayed<R>),
    Decoded(Box<DecodeReaderBytes<Replayed<R>, Vec<u8>>>),
}

impl<R: Read> Utf8Reader<R> {
    /// Reads up to [`SNIFF_BYTES`] to decide the encoding; those bytes are replayed, so nothing
    /// is lost.
    pub fn new(mut input: R) -> io::Result<Self> {
        let mut head = Vec::with_capacity(SNIFF_BYTES);
        (&mut input)
            .take(SNIFF_BYTES as u64)
            .read_to_end(&mut head)?;
        let at_eof = head.len() < SNIFF_BYTES;
        let encoding = sniff(&head, at_eof);
        // A UTF-8 BOM (Excel's "CSV UTF-8") is not text: left in, it would stick to the
        // first column name, or to the first value of a file without a header row.
        if encoding == TextEncoding::Utf8 && head.starts_with(b"\xEF\xBB\xBF") {
            head.drain(..3);
        }
        let replayed = Cursor::new(head).chain(input);
        let inner = match encoding.decoder() {
            None => Inner::Utf8(replayed),
            Some(decoder) => Inner::Decoded(Box::new(
                DecodeReaderBytesBuilder::new()
                    .encoding(Some(decoder))
                    .strip_bom(true)
                    .build(replayed),
            )),
        };
        Ok(Utf8Reader { inner, encoding })
    }

    pub fn encoding(&self) -> TextEncoding {
        self.encoding
    }
}

impl<R: Read> Read for Utf8Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.inner {
            Inner::Utf8(r) => r.read(buf),
            Inner::Decoded(r) => r.read(buf),
        }
    }
}

/// The encoding of a file that starts with `head` (`at_eof`: `head` is the whole file).
pub fn sniff(head: &[u8], at_eof: bool) -> TextEncoding {
    if head.starts_with(&[0xFF, 0xFE]) {
        return TextEncoding::Utf16le;
    }
    if head.starts_with(&[0xFE, 0xFF]) {
        return TextEncoding::Utf16be;
    }
    match std::str::from_utf8(head) {
        Ok(_) => return TextEncoding::Utf8,
        // Cut inside a character by the sniff window, not malformed.
        Err(e) if e.error_len().is_none() && !at_eof => return TextEncoding::Utf8,
        Err(_) => {}
    }
    if reads_as_korean_cp949(head, at_eof) {
        TextEncoding::Cp949
    } else {
        // Left to the row readers, which reject the undecodable rows with their lines.
        TextEncoding::Utf8
    }
}

/// What a file that starts with `head` is, when it is a known binary format rather than text.
pub fn binary_kind(head: &[u8]) -> Option<&'static str> {
    const KINDS: &[(&[u8], &str)] = &[
        (
            b"PK\x03\x04",
            "a ZIP archive (an Excel .xlsx workbook is one)",
        ),
        (
            b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1",
            "an old-style Excel .xls (or other Office) file",
        ),
        (
            b"\x1F\x8B",
            "gzip-compressed (name it .gz and sori unpacks it)",
        ),
        (b"%PDF-", "a PDF document"),
        (b"\x28\xB5\x2F\xFD", "zstd-compressed"),
        (b"SQLite format 3\0", "an SQLite database"),
    ];
    KINDS
        .iter()
        .find(|(magic, _)| head.starts_with(magic))
        .map(|&(_, kind)| kind)
}

/// The same, from a file name that sori has no format for (`survey.xlsx`).
pub fn binary_kind_by_name(path: &std::path::Path) -> Option<&'static str> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "xlsx" | "xlsm" | "xls" => Some("an Excel workbook"),
        "zip" => Some("a ZIP archive"),
        "pdf" => Some("a PDF document"),
        _ => None,
    }
}

/// Whether `head` decodes as CP949 without an error and mostly into Hangul. Byte soup (a
/// damaged UTF-8 file, Latin-1, binary) often decodes too, but into rare Hanja and symbols.
fn reads_as_korean_cp949(head: &[u8], at_eof: bool) -> bool {
    let mut decoder = EUC_KR.new_decoder_without_bom_handling();
    let Some(capacity) = decoder.max_utf8_buffer_length_without_replacement(head.len()) else {
        return false;
    };
    let mut text = String::with_capacity(capacity);
    let (result, _) = decoder.decode_to_string_without_replacement(head, &mut text, at_eof);
    if !matches!(result, encoding_rs::DecoderResult::InputEmpty) {
        return false;
    }
    let (mut hangul, mut other) = (0usize, 0usize);
    for c in text.chars().filter(|c| !c.is_ascii()) {
        if matches!(c, '\u{AC00}'..='\u{D7A3}' | '\u{3131}'..='\u{318E}') {
            hangul += 1;
        } else {
            other += 1;
        }
    }
    hangul > 0 && hangul >= 2 * other
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "id,text\n1,배송이 빨라요 ㅋㅋ\n2,\"품질은 별로, 환불 원해요\"\n";

    fn read_all(bytes: Vec<u8>) -> (TextEncoding, String) {
        let mut r = Utf8Reader::new(Cursor::new(bytes)).unwrap();
        let mut out = String::new();
        r.read_to_string(&mut out).unwrap();
        (r.encoding(), out)
    }

    #[test]
    fn utf8_passes_through_unchanged() {
        let (enc, out) = read_all(TEXT.as_bytes().to_vec());
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(out, TEXT);
    }

    #[test]
    fn cp949_from_excel_is_decoded() {
        let (bytes, _, unmappable) = EUC_KR.encode(TEXT);
        assert!(!unmappable);
        assert_ne!(bytes.as_ref(), TEXT.as_bytes());
        let (enc, out) = read_all(bytes.into_owned());
        assert_eq!(enc, TextEncoding::Cp949);
        assert_eq!(out, TEXT);
    }

    #[test]
    fn utf16_with_a_bom_is_decoded_and_the_bom_dropped() {
        let mut le = vec![0xFF, 0xFE];
        le.extend(TEXT.encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(read_all(le), (TextEncoding::Utf16le, TEXT.to_owned()));
        let mut be = vec![0xFE, 0xFF];
        be.extend(TEXT.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(read_all(be), (TextEncoding::Utf16be, TEXT.to_owned()));
    }

    #[test]
    fn a_character_cut_by_the_sniff_window_is_still_utf8() {
        // Pad so that a three-byte Hangul syllable straddles the window's end.
        let mut bytes = vec![b'a'; SNIFF_BYTES - 1];
        bytes.extend("가나다\n".as_bytes());
        let (enc, out) = read_all(bytes.clone());
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(out.as_bytes(), &bytes[..]);
    }

    #[test]
    fn bytes_that_are_neither_stay_utf8_for_the_row_readers_to_reject() {
        // Latin-1 "café" and a damaged UTF-8 syllable: not Korean in any encoding.
        assert_eq!(sniff(b"id,text\n1,caf\xe9\n", true), TextEncoding::Utf8);
        assert_eq!(
            sniff(b"id,text\n1,\xea\xb0\n2,x\n", true),
            TextEncoding::Utf8
        );
        assert_eq!(sniff(&[0x80, 0x81, 0xff, 0x00], true), TextEncoding::Utf8);
    }

    #[test]
    fn binary_files_are_told_apart_from_text() {
        assert_eq!(
            binary_kind(b"PK\x03\x04\x14\x00"),
            Some("a ZIP archive (an Excel .xlsx workbook is one)")
        );
        assert!(binary_kind(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00").is_some());
        assert!(binary_kind(b"\x1F\x8B\x08\x00").is_some());
        for text in [TEXT.as_bytes(), b"\xFF\xFEi\x00d\x00", b"PK,name\n", b""] {
            assert_eq!(binary_kind(text), None);
        }
        let name = |n: &str| binary_kind_by_name(std::path::Path::new(n));
        assert_eq!(name("NPS 2024.XLSX"), Some("an Excel workbook"));
        assert_eq!(name("reviews.txt"), None);
    }
}
