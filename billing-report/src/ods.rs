//! An OpenDocument spreadsheet (ods) read cell by cell, streaming its `content.xml`.
//!
//! calamine reads an ods sheet into a dense grid, so one stray cell at `CM999999` made 91 million
//! cells (24 s, 5.7 GB), and a `content.xml` cut short made it loop for ever. Here only non-empty
//! cells are kept, repeated rows and columns are counted rather than expanded (beyond
//! [`MAX_ROWS`] and [`MAX_COLUMNS`] only the farthest copy is kept, for the message), and a file
//! that ends inside a sheet is an error.

use std::io::{BufReader, Read, Seek};

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use crate::input::{Raw, MAX_COLUMNS, MAX_ROWS};

/// A sheet's name and its non-empty cells as (row, column, content), 0-based.
pub type OdsSheet = (String, Vec<(u32, u32, Raw)>);

/// True when `reader` is a zip whose `mimetype` says an OpenDocument spreadsheet.
pub fn is_ods<R: Read + Seek>(reader: R) -> bool {
    let Ok(mut zip) = zip::ZipArchive::new(reader) else {
        return false;
    };
    let Ok(mut mimetype) = zip.by_name("mimetype") else {
        return false;
    };
    let mut text = String::new();
    (&mut mimetype).take(200).read_to_string(&mut text).is_ok()
        && text.trim() == "application/vnd.oasis.opendocument.spreadsheet"
}

/// Every sheet of an ods file, in order.
///
/// # Errors
/// A message when the file is not a readable ods, or its content ends inside a sheet.
pub fn read_ods<R: Read + Seek>(reader: R) -> Result<Vec<OdsSheet>, String> {
    let mut zip = zip::ZipArchive::new(reader).map_err(|e| format!("not a zip file ({e})"))?;
    let content = zip
        .by_name("content.xml")
        .map_err(|e| format!("it has no content.xml ({e})"))?;
    let mut xml = Reader::from_reader(BufReader::new(content));
    xml.config_mut().check_end_names = true;
    let mut sheets = Vec::new();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table" => {
                let name = attr(&e, "table:name").unwrap_or_default();
                let cells = read_table(&mut xml)?;
                sheets.push((name, cells));
            }
            Ok(Event::Eof) => break,
            Err(e) => return Err(format!("content.xml is not valid XML ({e})")),
            Ok(_) => {}
        }
    }
    Ok(sheets)
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.as_ref() == name)
        .and_then(|a| {
            a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
}

fn repeats(e: &BytesStart<'_>, name: &str) -> Result<u64, String> {
    match attr(e, name) {
        None => Ok(1),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| format!("content.xml: {name} is not a count, found {v:?}")),
    }
}

/// The positions a run of `n` copies starting at `at` is kept at: those below `limit`, and the
/// last one when it lies beyond (so that the farthest cell is named in the message).
fn kept(at: u64, n: u64, limit: u32) -> impl Iterator<Item = u32> {
    let limit = u64::from(limit);
    let end = at.saturating_add(n);
    let inside = at..end.min(limit);
    let far = (end > limit).then(|| end - 1);
    inside
        .chain(far)
        .map(|p| u32::try_from(p).unwrap_or(u32::MAX))
}

fn read_table<B: std::io::BufRead>(xml: &mut Reader<B>) -> Result<Vec<(u32, u32, Raw)>, String> {
    let mut cells = Vec::new();
    let mut row: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "table:table-row" => {
                let n = repeats(&e, "table:number-rows-repeated")?;
                let row_cells = read_row(xml)?;
                if !row_cells.is_empty() {
                    for r in kept(row, n, MAX_ROWS) {
                        cells.extend(row_cells.iter().map(|(c, raw)| (r, *c, raw.clone())));
                    }
                }
                row = row.saturating_add(n);
            }
            Ok(Event::Empty(e)) if e.name().as_ref() == "table:table-row" => {
                row = row.saturating_add(repeats(&e, "table:number-rows-repeated")?);
            }
            Ok(Event::End(e)) if e.name().as_ref() == "table:table" => return Ok(cells),
            Ok(Event::Eof) => {
                return Err("content.xml ends inside a sheet: the file is cut short".to_owned())
            }
            Err(e) => return Err(format!("content.xml is not valid XML ({e})")),
            Ok(_) => {}
        }
    }
}

fn read_row<B: std::io::BufRead>(xml: &mut Reader<B>) -> Result<Vec<(u32, Raw)>, String> {
    let mut cells = Vec::new();
    let mut column: u64 = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let (e, closed) = match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) => (e.into_owned(), false),
            Ok(Event::Empty(e)) => (e.into_owned(), true),
            Ok(Event::End(e)) if e.name().as_ref() == "table:table-row" => return Ok(cells),
            Ok(Event::Eof) => {
                return Err("content.xml ends inside a row: the file is cut short".to_owned())
            }
            Err(e) => return Err(format!("content.xml is not valid XML ({e})")),
            Ok(_) => continue,
        };
        let is_cell = matches!(
            e.name().as_ref(),
            "table:table-cell" | "table:covered-table-cell"
        );
        if !is_cell {
            if !closed {
                skip(xml, &e)?;
            }
            continue;
        }
        let n = repeats(&e, "table:number-columns-repeated")?;
        let text = if closed { None } else { Some(cell_text(xml)?) };
        let raw = cell_value(&e, text);
        if raw != Raw::Empty {
            for c in kept(column, n, MAX_COLUMNS) {
                cells.push((c, raw.clone()));
            }
        }
        column = column.saturating_add(n);
    }
}

/// Skips an element and everything in it.
fn skip<B: std::io::BufRead>(xml: &mut Reader<B>, start: &BytesStart<'_>) -> Result<(), String> {
    let mut buf = Vec::new();
    xml.read_to_end_into(start.name(), &mut buf)
        .map(|_| ())
        .map_err(|e| format!("content.xml: {e} (the file may be cut short)"))
}

/// The text of a cell's paragraphs (annotations left out), up to the cell's end.
fn cell_text<B: std::io::BufRead>(xml: &mut Reader<B>) -> Result<String, String> {
    let mut text = String::new();
    let mut paragraphs = 0;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match xml.read_event_into(&mut buf) {
            Ok(Event::Start(e)) if e.name().as_ref() == "office:annotation" => {
                let e = e.into_owned();
                skip(xml, &e)?;
            }
            Ok(Event::Start(e)) if e.name().as_ref() == "text:p" => {
                if paragraphs > 0 {
                    text.push('\n');
                }
                paragraphs += 1;
            }
            Ok(Event::Empty(e)) | Ok(Event::Start(e)) if e.name().as_ref() == "text:s" => {
                let n = attr(&e, "text:c")
                    .and_then(|c| c.parse::<usize>().ok())
                    .unwrap_or(1)
                    .min(1000);
                text.extend(std::iter::repeat_n(' ', n));
            }
            Ok(Event::Empty(e)) if e.name().as_ref() == "text:tab" => text.push('\t'),
            Ok(Event::Empty(e)) if e.name().as_ref() == "text:line-break" => text.push('\n'),
            Ok(Event::Text(t)) => text.push_str(&t.xml10_content()),
            Ok(Event::GeneralRef(r)) => {
                if let Some(s) = quick_xml::escape::resolve_xml_entity(&r.xml10_content()) {
                    text.push_str(s);
                } else if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                }
            }
            Ok(Event::End(e))
                if matches!(
                    e.name().as_ref(),
                    "table:table-cell" | "table:covered-table-cell"
                ) =>
            {
                return Ok(text)
            }
            Ok(Event::Eof) => {
                return Err("content.xml ends inside a cell: the file is cut short".to_owned())
            }
            Err(e) => return Err(format!("content.xml is not valid XML ({e})")),
            Ok(_) => {}
        }
    }
}

/// A cell's content as calamine would give it: numbers from `office:value`, dates as their ISO
/// text, booleans, strings from `office:string-value` or the cell's text, error values.
fn cell_value(e: &BytesStart<'_>, text: Option<String>) -> Raw {
    let kind = attr(e, "office:value-type").unwrap_or_default();
    if attr(e, "calcext:value-type").as_deref() == Some("error") {
        return Raw::Error(text.unwrap_or_default());
    }
    let raw = match kind.as_str() {
        "float" | "percentage" | "currency" => attr(e, "office:value")
            .and_then(|v| v.trim().parse::<f64>().ok())
            .map_or(Raw::Empty, Raw::Float),
        "date" => attr(e, "office:date-value").map_or(Raw::Empty, Raw::Text),
        "time" => attr(e, "office:time-value").map_or(Raw::Empty, Raw::Text),
        "boolean" => attr(e, "office:boolean-value")
            .map_or(Raw::Empty, |v| Raw::Bool(v == "true" || v == "TRUE")),
        "string" => attr(e, "office:string-value")
            .or(text)
            .map_or(Raw::Empty, Raw::Text),
        _ => Raw::Empty,
    };
    match raw {
        Raw::Text(t) if t.trim().is_empty() => Raw::Empty,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ods(content: &str) -> Vec<u8> {
        use std::io::Write;
        let mut out = std::io::Cursor::new(Vec::new());
        {
            let mut zip = zip::ZipWriter::new(&mut out);
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored);
            zip.start_file("mimetype", stored).unwrap();
            zip.write_all(b"application/vnd.oasis.opendocument.spreadsheet")
                .unwrap();
            zip.start_file("content.xml", stored).unwrap();
            zip.write_all(content.as_bytes()).unwrap();
            zip.finish().unwrap();
        }
        out.into_inner()
    }

    const HEAD: &str = r#"<?xml version="1.0"?><office:document-content xmlns:office="o" xmlns:table="t" xmlns:text="x"><office:body><office:spreadsheet>"#;

    /// A stray cell at CM999999 made a dense grid of 91 million cells; it is one cell here.
    #[test]
    fn a_stray_far_cell_is_one_cell() {
        let content = format!(
            r#"{HEAD}<table:table table:name="Parties"><table:table-row><table:table-cell office:value-type="string"><text:p>id</text:p></table:table-cell></table:table-row><table:table-row table:number-rows-repeated="999997"><table:table-cell table:number-columns-repeated="16384"/></table:table-row><table:table-row><table:table-cell table:number-columns-repeated="90"/><table:table-cell office:value-type="float" office:value="1"/></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        let bytes = ods(&content);
        assert!(is_ods(std::io::Cursor::new(&bytes)));
        let sheets = read_ods(std::io::Cursor::new(bytes)).unwrap();
        assert_eq!(sheets.len(), 1);
        assert_eq!(
            sheets[0].1,
            vec![
                (0, 0, Raw::Text("id".to_owned())),
                (999_998, 90, Raw::Float(1.0))
            ]
        );
    }

    /// A content.xml cut short made calamine loop for ever; it is an error here.
    #[test]
    fn a_content_cut_short_is_an_error() {
        let full = format!(
            r#"{HEAD}<table:table table:name="Parties"><table:table-row><table:table-cell office:value-type="string"><text:p>id</text:p><office:annotation><text:p>note</text:p></office:annotation></table:table-cell></table:table-row></table:table></office:spreadsheet></office:body></office:document-content>"#
        );
        for cut in [full.len() - 60, full.len() / 2, HEAD.len() + 40] {
            let r = read_ods(std::io::Cursor::new(ods(&full[..cut])));
            assert!(r.is_err(), "{cut}: {r:?}");
        }
        assert!(read_ods(std::io::Cursor::new(ods(&full))).is_ok());
    }

    #[test]
    fn repeated_columns_and_rows_beyond_the_limits_keep_the_farthest() {
        let got: Vec<u32> = kept(195, 10, 200).collect();
        assert_eq!(got, vec![195, 196, 197, 198, 199, 204]);
        assert_eq!(kept(0, u64::MAX, 200).count(), 201);
    }
}
