//! `invoices.json` written straight from the values (issue 12): the bytes that
//! `serde_json::to_value`, then [`super::in_language`], then `to_writer_pretty` give — every
//! object's keys sorted as a `serde_json::Map` sorts them, every [`billing_core::Text`] (an
//! object of exactly the string entries `sv` and `en`) written as its words in one language —
//! without building a JSON tree of each value first (which took most of the file's time).
//!
//! Each object's entries are written one after the other into a buffer of the object's own,
//! then copied out in the order of their keys; everything else is written where it goes.

use std::borrow::Cow;
use std::ops::Range;

use serde::ser::{self, Serialize};

use crate::document::Language;

/// An error of the serializer: a key that is not a string, or serde_json's.
pub(super) type Error = serde_json::Error;

fn custom(message: &str) -> Error {
    <Error as ser::Error>::custom(message)
}

/// Writes `value` as `to_writer_pretty(to_value(value))` with its texts in `language` would;
/// `line_categories`: for an invoice, the entry `vat_category` added to each of its `lines`.
pub(super) fn write<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    indent: usize,
    language: Language,
    line_categories: Option<&[&'static str]>,
    value: &T,
) -> Result<(), Error> {
    value
        .serialize(Json {
            out,
            indent,
            language,
            hook: line_categories.map_or(Hook::None, Hook::LinesOf),
        })
        .map(|_| ())
}

/// Where the entry `vat_category` of an invoice's lines goes.
#[derive(Clone, Copy)]
enum Hook<'h> {
    None,
    /// The invoice: its entry `lines` holds the lines.
    LinesOf(&'h [&'static str]),
    /// Its lines: each line gets the category of its place.
    Lines(&'h [&'static str]),
    /// One line: gets this category.
    Add(&'static str),
}

/// What was written: whether a JSON string (what [`super::in_language`] checks a text's
/// entries for).
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Written {
    Str,
    Other,
}

/// The serializer: writes one value at the nesting level `indent` (two spaces each) into `out`.
struct Json<'o, 'h> {
    out: &'o mut Vec<u8>,
    indent: usize,
    language: Language,
    hook: Hook<'h>,
}

fn newline(out: &mut Vec<u8>, indent: usize) {
    out.push(b'\n');
    for _ in 0..indent {
        out.extend_from_slice(b"  ");
    }
}

fn string(out: &mut Vec<u8>, s: &str) -> Result<(), Error> {
    serde_json::to_writer(out, s)
}

impl<'o, 'h> Json<'o, 'h> {
    fn plain<T: Serialize>(self, v: T) -> Result<Written, Error> {
        serde_json::to_writer(&mut *self.out, &v)?;
        Ok(Written::Other)
    }

    /// As a tree would hold it first (e.g. an f32 made an f64, an i128 refused beyond i64).
    fn through_value<T: Serialize>(self, v: T) -> Result<Written, Error> {
        let value = serde_json::to_value(v)?;
        let kind = if value.is_string() {
            Written::Str
        } else {
            Written::Other
        };
        serde_json::to_writer(&mut *self.out, &value)?;
        Ok(kind)
    }

    fn object(self, extra: Option<&'static str>) -> Object<'o, 'h> {
        Object {
            json: self,
            buf: Vec::new(),
            entries: Vec::new(),
            key: None,
            extra,
        }
    }

    /// `{"variant": …}` around what `inner` writes one level deeper.
    fn in_variant(
        self,
        variant: &'static str,
        inner: impl FnOnce(Json<'_, 'h>) -> Result<(), Error>,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        newline(self.out, self.indent + 1);
        string(self.out, variant)?;
        self.out.extend_from_slice(b": ");
        inner(Json {
            out: &mut *self.out,
            indent: self.indent + 1,
            language: self.language,
            hook: Hook::None,
        })?;
        newline(self.out, self.indent);
        self.out.push(b'}');
        Ok(())
    }
}

impl<'o, 'h> ser::Serializer for Json<'o, 'h> {
    type Ok = Written;
    type Error = Error;
    type SerializeSeq = Array<'o, 'h>;
    type SerializeTuple = Array<'o, 'h>;
    type SerializeTupleStruct = Array<'o, 'h>;
    type SerializeTupleVariant = VariantArray<'o, 'h>;
    type SerializeMap = Object<'o, 'h>;
    type SerializeStruct = Object<'o, 'h>;
    type SerializeStructVariant = VariantObject<'o, 'h>;

    fn serialize_bool(self, v: bool) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_i8(self, v: i8) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_i16(self, v: i16) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_i32(self, v: i32) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_i64(self, v: i64) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_i128(self, v: i128) -> Result<Written, Error> {
        self.through_value(v)
    }
    fn serialize_u8(self, v: u8) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_u16(self, v: u16) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_u32(self, v: u32) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_u64(self, v: u64) -> Result<Written, Error> {
        self.plain(v)
    }
    fn serialize_u128(self, v: u128) -> Result<Written, Error> {
        self.through_value(v)
    }
    fn serialize_f32(self, v: f32) -> Result<Written, Error> {
        self.through_value(v)
    }
    fn serialize_f64(self, v: f64) -> Result<Written, Error> {
        self.through_value(v)
    }
    fn serialize_char(self, v: char) -> Result<Written, Error> {
        self.serialize_str(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<Written, Error> {
        string(self.out, v)?;
        Ok(Written::Str)
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<Written, Error> {
        // A list of numbers, as a tree holds bytes, written pretty as every list is.
        use ser::SerializeSeq as _;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<Written, Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<Written, Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<Written, Error> {
        self.out.extend_from_slice(b"null");
        Ok(Written::Other)
    }
    fn serialize_unit_struct(self, _name: &'static str) -> Result<Written, Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<Written, Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<Written, Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<Written, Error> {
        self.in_variant(variant, |inner| value.serialize(inner).map(|_| ()))?;
        Ok(Written::Other)
    }
    fn serialize_seq(self, _len: Option<usize>) -> Result<Array<'o, 'h>, Error> {
        self.out.push(b'[');
        Ok(Array {
            json: self,
            count: 0,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Array<'o, 'h>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _name: &'static str,
        len: usize,
    ) -> Result<Array<'o, 'h>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantArray<'o, 'h>, Error> {
        Ok(VariantArray {
            json: self,
            variant,
            items: Vec::new(),
        })
    }
    fn serialize_map(self, _len: Option<usize>) -> Result<Object<'o, 'h>, Error> {
        Ok(self.object(None))
    }
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Object<'o, 'h>, Error> {
        let extra = match self.hook {
            Hook::Add(category) => Some(category),
            _ => None,
        };
        Ok(self.object(extra))
    }
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<VariantObject<'o, 'h>, Error> {
        Ok(VariantObject {
            json: self,
            variant,
            buf: Vec::new(),
            entries: Vec::new(),
        })
    }
}

/// An array being written: its items go straight into the output.
struct Array<'o, 'h> {
    json: Json<'o, 'h>,
    count: usize,
}

impl Array<'_, '_> {
    fn item<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let json = &mut self.json;
        if self.count > 0 {
            json.out.push(b',');
        }
        newline(json.out, json.indent + 1);
        let hook = match json.hook {
            Hook::Lines(categories) => categories
                .get(self.count)
                .map_or(Hook::None, |c| Hook::Add(c)),
            _ => Hook::None,
        };
        value.serialize(Json {
            out: &mut *json.out,
            indent: json.indent + 1,
            language: json.language,
            hook,
        })?;
        self.count += 1;
        Ok(())
    }

    fn finish(self) -> Result<Written, Error> {
        if self.count > 0 {
            newline(self.json.out, self.json.indent);
        }
        self.json.out.push(b']');
        Ok(Written::Other)
    }
}

impl ser::SerializeSeq for Array<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

impl ser::SerializeTuple for Array<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

impl ser::SerializeTupleStruct for Array<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.item(value)
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

/// `{"variant": [items]}`: the items are written one level deeper, into a buffer, once the
/// variant's name is known to come first.
struct VariantArray<'o, 'h> {
    json: Json<'o, 'h>,
    variant: &'static str,
    items: Vec<u8>,
}

impl ser::SerializeTupleVariant for VariantArray<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.items
            .push(if self.items.is_empty() { b'[' } else { b',' });
        newline(&mut self.items, self.json.indent + 2);
        value.serialize(Json {
            out: &mut self.items,
            indent: self.json.indent + 2,
            language: self.json.language,
            hook: Hook::None,
        })?;
        Ok(())
    }
    fn end(self) -> Result<Written, Error> {
        let VariantArray {
            json,
            variant,
            mut items,
        } = self;
        if items.is_empty() {
            items.push(b'[');
        } else {
            newline(&mut items, json.indent + 1);
        }
        items.push(b']');
        json.in_variant(variant, |inner| {
            inner.out.extend_from_slice(&items);
            Ok(())
        })?;
        Ok(Written::Other)
    }
}

/// An entry of an object: its key, where its value is in the object's buffer, what it is.
type Entry = (Cow<'static, str>, Range<usize>, Written);

/// An object being written: its entries' values go into `buf`, in the order given, and are
/// written out in the order of their keys at the end.
struct Object<'o, 'h> {
    json: Json<'o, 'h>,
    buf: Vec<u8>,
    entries: Vec<Entry>,
    /// The key of a map's entry whose value comes next.
    key: Option<Cow<'static, str>>,
    /// The `vat_category` of an invoice line.
    extra: Option<&'static str>,
}

/// Writes one entry's value into `buf` at the nesting level `indent`.
fn entry_value<T: Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    entries: &mut Vec<Entry>,
    indent: usize,
    language: Language,
    hook: Hook<'_>,
    key: Cow<'static, str>,
    value: &T,
) -> Result<(), Error> {
    let start = buf.len();
    let written = value.serialize(Json {
        out: buf,
        indent,
        language,
        hook,
    })?;
    entries.push((key, start..buf.len(), written));
    Ok(())
}

/// Writes an object of `entries` (values in `buf`, written at the nesting level `indent + 1`)
/// as a `serde_json::Map` is written: sorted by key, the last of equal keys kept; an object
/// that is a text is written as its words in `language` instead.
fn write_object(
    out: &mut Vec<u8>,
    indent: usize,
    language: Language,
    buf: &[u8],
    mut entries: Vec<Entry>,
) -> Result<Written, Error> {
    entries.reverse();
    // Stable: of equal keys the last given (now first) is kept.
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    entries.dedup_by(|later, kept| later.0 == kept.0);
    if let [(k1, _, Written::Str), (k2, _, Written::Str)] = entries.as_slice() {
        if k1 == "en" && k2 == "sv" {
            let wanted = match language {
                Language::Sv => "sv",
                Language::En => "en",
            };
            if let Some((_, range, _)) = entries.iter().find(|e| e.0 == wanted) {
                out.extend_from_slice(buf.get(range.clone()).unwrap_or_default());
            }
            // The text's words: a string now, but an object when its parent was looked at.
            return Ok(Written::Other);
        }
    }
    out.push(b'{');
    for (i, (key, range, _)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        newline(out, indent + 1);
        string(out, key)?;
        out.extend_from_slice(b": ");
        out.extend_from_slice(buf.get(range.clone()).unwrap_or_default());
    }
    if !entries.is_empty() {
        newline(out, indent);
    }
    out.push(b'}');
    Ok(Written::Other)
}

impl Object<'_, '_> {
    fn finish(mut self) -> Result<Written, Error> {
        if let Some(category) = self.extra {
            let mut categories = std::mem::take(&mut self.entries);
            entry_value(
                &mut self.buf,
                &mut categories,
                self.json.indent + 1,
                self.json.language,
                Hook::None,
                Cow::Borrowed("vat_category"),
                category,
            )?;
            self.entries = categories;
        }
        let json = self.json;
        write_object(
            json.out,
            json.indent,
            json.language,
            &self.buf,
            self.entries,
        )
    }
}

/// A map's key as a `serde_json::Map` holds it: a string, or a number or boolean as text.
fn key_text<T: Serialize + ?Sized>(key: &T) -> Result<String, Error> {
    match serde_json::to_value(key)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::Bool(b) => Ok(b.to_string()),
        _ => Err(custom("key must be a string")),
    }
}

impl ser::SerializeMap for Object<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.key = Some(Cow::Owned(key_text(key)?));
        Ok(())
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        let key = self
            .key
            .take()
            .ok_or_else(|| custom("a map's value without its key"))?;
        entry_value(
            &mut self.buf,
            &mut self.entries,
            self.json.indent + 1,
            self.json.language,
            Hook::None,
            key,
            value,
        )
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

impl ser::SerializeStruct for Object<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        let hook = match self.json.hook {
            Hook::LinesOf(categories) if key == "lines" => Hook::Lines(categories),
            _ => Hook::None,
        };
        entry_value(
            &mut self.buf,
            &mut self.entries,
            self.json.indent + 1,
            self.json.language,
            hook,
            Cow::Borrowed(key),
            value,
        )
    }
    fn end(self) -> Result<Written, Error> {
        self.finish()
    }
}

/// `{"variant": {fields}}`: the fields are written two levels deeper.
struct VariantObject<'o, 'h> {
    json: Json<'o, 'h>,
    variant: &'static str,
    buf: Vec<u8>,
    entries: Vec<Entry>,
}

impl ser::SerializeStructVariant for VariantObject<'_, '_> {
    type Ok = Written;
    type Error = Error;
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        entry_value(
            &mut self.buf,
            &mut self.entries,
            self.json.indent + 2,
            self.json.language,
            Hook::None,
            Cow::Borrowed(key),
            value,
        )
    }
    fn end(self) -> Result<Written, Error> {
        let VariantObject {
            json,
            variant,
            buf,
            entries,
        } = self;
        let language = json.language;
        json.in_variant(variant, |inner| {
            write_object(inner.out, inner.indent, language, &buf, entries).map(|_| ())
        })?;
        Ok(Written::Other)
    }
}
