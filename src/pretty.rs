//! Pretty JSON made safe for a terminal, written straight from the model: the bytes of
//! `serde_json::to_writer_pretty` passed through [`crate::text::json_safe`], in one pass.
//!
//! `list --format json` of a drift-dense plan spent most of its serialisation in serde_json's
//! generic writer: strings escaped a byte at a time through a lookup table, two-byte writes per
//! indentation level, and then a second look at every item's text for the characters a terminal
//! must not see raw. This serializer writes into a byte buffer, passes printable ASCII runs over
//! at once, escapes what JSON escapes and what [`crate::text::json_safe`] escapes in the same
//! loop, and writes a line's break and indentation as one slice. Numbers are written by
//! serde_json's own formatter, so they are the same digits.

use std::fmt::Display;

use serde::ser::{self, Serialize};
use serde_json::ser::{CompactFormatter, Formatter};

type Error = serde_json::Error;
type Result<T = ()> = std::result::Result<T, Error>;

/// A line break and the indentation of up to 31 levels, written as one slice.
const NEWLINE_INDENT: &[u8; 63] = b"\n                                                              ";

/// Writes pretty JSON (two-space indent, serde_json's layout) into a byte buffer.
pub(crate) struct Pretty<'o> {
    out: &'o mut Vec<u8>,
    level: usize,
    has_value: bool,
}

impl<'o> Pretty<'o> {
    /// A serializer `level` containers deep, as serde's is when it reaches a value there.
    pub(crate) fn at_level(out: &'o mut Vec<u8>, level: usize) -> Self {
        Pretty {
            out,
            level,
            has_value: false,
        }
    }

    fn newline(&mut self) {
        if let Some(line) = NEWLINE_INDENT.get(..1 + 2 * self.level) {
            self.out.extend_from_slice(line);
        } else {
            self.out.push(b'\n');
            for _ in 0..self.level {
                self.out.extend_from_slice(b"  ");
            }
        }
    }

    fn begin(&mut self, open: u8) {
        self.level += 1;
        self.has_value = false;
        self.out.push(open);
    }

    fn end(&mut self, close: u8) {
        self.level -= 1;
        if self.has_value {
            self.newline();
        }
        self.out.push(close);
    }

    /// Before an element or a key: a comma unless it is the first, then a new line.
    fn next(&mut self, first: bool) {
        if !first {
            self.out.push(b',');
        }
        self.newline();
    }

    fn string(&mut self, s: &str) {
        self.out.push(b'"');
        escape_into(self.out, s);
        self.out.push(b'"');
    }

    fn number(
        &mut self,
        write: impl FnOnce(&mut CompactFormatter, &mut Vec<u8>) -> std::io::Result<()>,
    ) -> Result {
        write(&mut CompactFormatter, self.out).map_err(serde_json::Error::io)
    }

    /// A container's compound writer; an empty one (`len == Some(0)`) is closed at once, as
    /// serde_json closes it.
    fn compound(&mut self, open: u8, close: u8, len: Option<usize>, variant: bool) -> Compound<'_, 'o> {
        self.begin(open);
        let empty = len == Some(0);
        if empty {
            self.end(close);
        }
        Compound {
            ser: self,
            first: true,
            empty,
            close,
            variant,
        }
    }

    /// `{"variant": ` of an enum variant with data, as serde_json writes it.
    fn variant(&mut self, variant: &str) {
        self.begin(b'{');
        self.next(true);
        self.string(variant);
        self.out.extend_from_slice(b": ");
    }

    /// Closes what [`Self::variant`] opened.
    fn end_variant(&mut self) {
        self.has_value = true;
        self.end(b'}');
    }
}

/// Appends `s` as JSON string contents: `"`, `\` and controls below U+0020 escaped as serde_json
/// escapes them, and what [`crate::text::json_safe`] escapes (DEL, C1 controls, bidi and
/// zero-width characters, U+2028/U+2029) as `\uXXXX`.
fn escape_into(out: &mut Vec<u8>, s: &str) {
    use crate::text::word;
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let bytes = s.as_bytes();
    let (mut run, mut at) = (0, 0);
    while at < bytes.len() {
        // Eight bytes at a time while they are printable ASCII other than `"` and `\`: a byte
        // below U+0020, `"`, `\`, DEL or any byte of a multi-byte character stops the look.
        if let Some(w) = word::at(bytes, at) {
            let stop = word::below(w, 0x20)
                | word::high(w)
                | word::equal(w, 0x7f)
                | word::equal(w, b'"')
                | word::equal(w, b'\\');
            if stop == 0 {
                at += 8;
                continue;
            }
            at += word::first(stop);
        }
        let b = bytes[at];
        if matches!(b, b' '..=b'~') && b != b'"' && b != b'\\' {
            at += 1;
            continue;
        }
        let len = if b < 0x80 {
            1
        } else {
            // Always a character boundary: runs advance by whole characters.
            match s[at..].chars().next() {
                Some(c) if !crate::text::json_escaped(c) => {
                    at += c.len_utf8();
                    continue;
                }
                Some(c) => c.len_utf8(),
                None => break,
            }
        };
        out.extend_from_slice(&bytes[run..at]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            0x08 => out.extend_from_slice(b"\\b"),
            b'\t' => out.extend_from_slice(b"\\t"),
            b'\n' => out.extend_from_slice(b"\\n"),
            0x0c => out.extend_from_slice(b"\\f"),
            b'\r' => out.extend_from_slice(b"\\r"),
            0x00..=0x1f => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 0xf)],
            ]),
            _ => {
                let c = s[at..].chars().next().map_or(0, u32::from);
                out.extend_from_slice(format!("\\u{c:04x}").as_bytes());
            }
        }
        at += len;
        run = at;
    }
    out.extend_from_slice(&bytes[run..]);
}

/// The integer methods of a serializer, each writing through `$how` (a method of the
/// serializer's own taking a closure that writes the integer with serde_json's formatter, or
/// quoting its text).
macro_rules! integers {
    ($how:ident) => {
        integers!(@each $how: serialize_i8 i8 write_i8, serialize_i16 i16 write_i16,
            serialize_i32 i32 write_i32, serialize_i64 i64 write_i64, serialize_i128 i128 write_i128,
            serialize_u8 u8 write_u8, serialize_u16 u16 write_u16, serialize_u32 u32 write_u32,
            serialize_u64 u64 write_u64, serialize_u128 u128 write_u128);
    };
    (@each number: $($name:ident $t:ident $write:ident),*) => {
        $(fn $name(self, v: $t) -> Result {
            self.number(|f, w| f.$write(w, v))
        })*
    };
    (@each quoted: $($name:ident $t:ident $write:ident),*) => {
        $(fn $name(self, v: $t) -> Result {
            self.quoted(&v.to_string());
            Ok(())
        })*
    };
}

/// The sequence-like compound traits: each element (or tuple field) written as an element.
macro_rules! elements {
    ($($trait:ident::$method:ident),*) => {
        $(impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
                self.element(value)
            }
            fn end(self) -> Result {
                self.finish();
                Ok(())
            }
        })*
    };
}

/// The struct-like compound traits: each field written as a key and its value.
macro_rules! fields {
    ($($trait:ident),*) => {
        $(impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result {
                self.key(key)?;
                self.value(value)
            }
            fn end(self) -> Result {
                self.finish();
                Ok(())
            }
        })*
    };
}

impl<'a, 'o> ser::Serializer for &'a mut Pretty<'o> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'o>;
    type SerializeTuple = Compound<'a, 'o>;
    type SerializeTupleStruct = Compound<'a, 'o>;
    type SerializeTupleVariant = Compound<'a, 'o>;
    type SerializeMap = Compound<'a, 'o>;
    type SerializeStruct = Compound<'a, 'o>;
    type SerializeStructVariant = Compound<'a, 'o>;

    fn serialize_bool(self, v: bool) -> Result {
        self.out.extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    integers!(number);
    fn serialize_f32(self, v: f32) -> Result {
        if v.is_finite() {
            self.number(|f, w| f.write_f32(w, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_f64(self, v: f64) -> Result {
        if v.is_finite() {
            self.number(|f, w| f.write_f64(w, v))
        } else {
            self.serialize_unit()
        }
    }
    fn serialize_char(self, v: char) -> Result {
        self.string(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_str(self, v: &str) -> Result {
        self.string(v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result {
        self.serialize_unit()
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        self.serialize_unit()
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result {
        self.variant(variant);
        value.serialize(&mut *self)?;
        self.end_variant();
        Ok(())
    }
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'a, 'o>> {
        Ok(self.compound(b'[', b']', len, false))
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'o>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(self, _: &'static str, len: usize) -> Result<Compound<'a, 'o>> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>> {
        self.variant(variant);
        Ok(self.compound(b'[', b']', Some(len), true))
    }
    fn serialize_map(self, len: Option<usize>) -> Result<Compound<'a, 'o>> {
        Ok(self.compound(b'{', b'}', len, false))
    }
    fn serialize_struct(self, name: &'static str, len: usize) -> Result<Compound<'a, 'o>> {
        // serde_json's raw values serialise as a struct of this name; nothing in the model holds
        // one, and this writer does not pass raw text through.
        if name == "$serde_json::private::RawValue" {
            return Err(ser::Error::custom(
                "raw JSON values are not written by this serializer",
            ));
        }
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'o>> {
        self.variant(variant);
        Ok(self.compound(b'{', b'}', Some(len), true))
    }
    fn collect_str<T: ?Sized + Display>(self, value: &T) -> Result {
        self.serialize_str(&value.to_string())
    }
}

/// An array or object being written.
pub(crate) struct Compound<'a, 'o> {
    ser: &'a mut Pretty<'o>,
    first: bool,
    /// Closed already (declared empty).
    empty: bool,
    close: u8,
    /// Inside `{"variant": …}`, closed with it.
    variant: bool,
}

impl Compound<'_, '_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.ser.next(self.first);
        self.first = false;
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    fn key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.ser.next(self.first);
        self.first = false;
        key.serialize(MapKey(&mut *self.ser))
    }

    fn value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.ser.out.extend_from_slice(b": ");
        value.serialize(&mut *self.ser)?;
        self.ser.has_value = true;
        Ok(())
    }

    fn finish(self) {
        if !self.empty {
            self.ser.end(self.close);
        }
        if self.variant {
            self.ser.end_variant();
        }
    }
}

elements!(SerializeSeq::serialize_element, SerializeTuple::serialize_element);
elements!(
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result {
        self.key(key)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result {
        self.value(value)
    }
    fn end(self) -> Result {
        self.finish();
        Ok(())
    }
}

fields!(SerializeStruct, SerializeStructVariant);

/// An object key: a string, or an integer written as one (as serde_json writes map keys);
/// anything else is refused, as serde_json refuses it.
struct MapKey<'a, 'o>(&'a mut Pretty<'o>);

impl MapKey<'_, '_> {
    fn quoted(self, text: &str) {
        self.0.string(text);
    }
}

fn key_must_be_a_string() -> Error {
    ser::Error::custom("key must be a string")
}

impl ser::Serializer for MapKey<'_, '_> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = ser::Impossible<(), Error>;
    type SerializeTuple = ser::Impossible<(), Error>;
    type SerializeTupleStruct = ser::Impossible<(), Error>;
    type SerializeTupleVariant = ser::Impossible<(), Error>;
    type SerializeMap = ser::Impossible<(), Error>;
    type SerializeStruct = ser::Impossible<(), Error>;
    type SerializeStructVariant = ser::Impossible<(), Error>;

    fn serialize_str(self, v: &str) -> Result {
        self.quoted(v);
        Ok(())
    }
    fn serialize_char(self, v: char) -> Result {
        self.quoted(v.encode_utf8(&mut [0; 4]));
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, variant: &'static str) -> Result {
        self.quoted(variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result {
        value.serialize(self)
    }
    fn serialize_bool(self, v: bool) -> Result {
        self.quoted(if v { "true" } else { "false" });
        Ok(())
    }
    integers!(quoted);
    fn serialize_f32(self, _: f32) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_f64(self, _: f64) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_bytes(self, _: &[u8]) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_none(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, _: &T) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit(self) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result {
        Err(key_must_be_a_string())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeTupleStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant> {
        Err(key_must_be_a_string())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Self::SerializeStruct> {
        Err(key_must_be_a_string())
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant> {
        Err(key_must_be_a_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// What [`Pretty`] must write for `v`: serde_json's pretty text through `json_safe`.
    fn reference<T: Serialize>(v: &T) -> String {
        let text = serde_json::to_string_pretty(v).expect("serialises");
        crate::text::json_safe(&text).into_owned()
    }

    fn written<T: Serialize>(v: &T) -> String {
        let mut out = Vec::new();
        v.serialize(&mut Pretty::at_level(&mut out, 0))
            .expect("serialises");
        String::from_utf8(out).expect("UTF-8")
    }

    #[derive(serde::Serialize)]
    enum Shapes {
        Unit,
        Newtype(Vec<u8>),
        Tuple(i8, Option<f32>, ()),
        Struct {
            bytes: serde_bytes_like::Bytes,
            empty: Vec<u8>,
            map: std::collections::BTreeMap<u32, char>,
        },
        EmptyTuple(),
    }

    /// Bytes serialised as bytes (serde_json writes them as an array of numbers).
    mod serde_bytes_like {
        pub struct Bytes(pub Vec<u8>);
        impl serde::Serialize for Bytes {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_bytes(&self.0)
            }
        }
    }

    /// Every shape serde can hand a serializer (variants of each kind, bytes, unit, integer map
    /// keys, empty containers, non-finite floats) is written as serde_json writes it.
    #[test]
    fn every_shape_is_written_as_serde_json_writes_it() {
        let shapes = vec![
            Shapes::Unit,
            Shapes::Newtype(vec![1, 2]),
            Shapes::Newtype(Vec::new()),
            Shapes::Tuple(-3, Some(f32::NAN), ()),
            Shapes::Tuple(0, Some(1.5), ()),
            Shapes::Struct {
                bytes: serde_bytes_like::Bytes(vec![0, 255]),
                empty: Vec::new(),
                map: [(7, '\u{202e}'), (8, '"')].into_iter().collect(),
            },
            Shapes::EmptyTuple(),
        ];
        assert_eq!(written(&shapes), reference(&shapes));
        assert_eq!(
            written(&(f64::INFINITY, u128::MAX, i128::MIN)),
            reference(&(f64::INFINITY, u128::MAX, i128::MIN))
        );
    }

    /// Every character that stops the word-wise look, alone at every position of a plain run
    /// (both sides of each word boundary), and after a multi-byte character that does not.
    #[test]
    fn a_lone_special_character_is_found_at_every_position() {
        for c in [
            '\u{0}',
            '\u{1f}',
            '"',
            '\\',
            '\u{7f}',
            '\u{85}',
            '\u{202e}',
            '\u{e9}',
            '\u{1f600}',
            '~',
            ' ',
        ] {
            for at in 0..20 {
                for prefix in ["", "\u{e9}"] {
                    let text: String = format!("{prefix}{}{c}{}", "a".repeat(at), "b".repeat(20 - at));
                    let v = Value::String(text);
                    assert_eq!(written(&v), reference(&v), "{c:?} at {at} after {prefix:?}");
                }
            }
        }
    }

    /// A map key that is not a string or an integer is refused, as serde_json refuses it.
    #[test]
    fn keys_that_are_not_strings_are_refused() {
        let map: std::collections::BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
        let mut out = Vec::new();
        assert!(map.serialize(&mut Pretty::at_level(&mut out, 0)).is_err());
        assert!(serde_json::to_string_pretty(&map).is_err());
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(Value::from),
            any::<String>().prop_map(Value::String),
            "[a\"\\\\\u{0}\u{8}\u{c}\u{1f}\u{7f}\u{80}\u{9f}\u{a0}\u{61c}\u{200b}\u{2028}\u{2066}\u{feff}\u{e9}\u{1f600}]{0,10}"
                .prop_map(Value::String),
        ];
        leaf.prop_recursive(6, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..5)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Any JSON value, with any characters in its strings and keys, is written byte for byte
        /// as serde_json's pretty text made safe by `json_safe`.
        #[test]
        fn any_value_is_written_as_the_reference(v in value()) {
            prop_assert_eq!(written(&v), reference(&v));
        }
    }
}
